// A definition's steps drawn as a diagram: one box per step, in order, with an arrow to each
// step it may go to (its next, its switch cases and default, the branches it forks to).
import { svg } from "./dom.js";

const W = 220, H = 44, GAP = 22, BEND = 26;

// The body (a parallel step's branch, a forEach's steps) that step `id` belongs to, if any.
function bodyOf(steps, id) {
  for (const s of steps) {
    for (const body of s.kind === "forEach" ? [s.steps || []] : s.branches || []) {
      if (body.includes(id)) return body;
    }
  }
  return null;
}

// Where a step without `next` goes: the next step of its body, else the next one in order
// that belongs to no body.
function following(steps, i) {
  const body = bodyOf(steps, steps[i].id);
  if (body) return body[body.indexOf(steps[i].id) + 1];
  const later = steps.slice(i + 1).find((s) => !bodyOf(steps, s.id));
  return later && later.id;
}

function targets(steps, i) {
  const s = steps[i];
  const out = [];
  // A parallel step forks to the first step of each branch, a forEach to its first step.
  for (const body of s.kind === "forEach" ? [s.steps || []] : s.branches || []) {
    if (body.length) out.push(body[0]);
  }
  if (s.kind === "switch") {
    for (const c of s.cases || []) out.push(c.next);
    if (s.default) out.push(s.default);
  } else if (s.kind !== "fail") {
    if (s.next === "") return out;
    out.push(s.next !== undefined ? s.next : following(steps, i));
  }
  return out.filter(Boolean);
}

// Steps stacked in their order; the usual "next" is a short arrow down, any other jump a
// curve on the right, bulging more the farther it goes, so that the arrows stay apart.
export function stepGraph(steps) {
  const top = new Map(steps.map((s, i) => [s.id, 10 + i * (H + GAP)]));
  const height = 20 + steps.length * (H + GAP);
  let widest = 0;
  const edges = [];
  steps.forEach((s, i) => {
    for (const t of targets(steps, i)) {
      const j = steps.findIndex((x) => x.id === t);
      if (j < 0) continue;
      const y1 = top.get(s.id), y2 = top.get(t);
      if (j === i + 1) {
        edges.push(svg("path", { class: "edge", d: `M${10 + W / 2},${y1 + H} L${10 + W / 2},${y2}` }));
        continue;
      }
      const bulge = BEND * Math.min(6, Math.abs(j - i));
      widest = Math.max(widest, bulge);
      const x = 10 + W;
      edges.push(svg("path", { class: "edge",
        d: `M${x},${y1 + H / 2} C${x + bulge},${y1 + H / 2} ${x + bulge},${y2 + H / 2} ${x},${y2 + H / 2}` }));
    }
  });
  const nodes = steps.map((s) => {
    const y = top.get(s.id);
    return svg("g", { class: "node", "data-step": s.id },
      svg("rect", { x: 10, y, width: W, height: H, rx: 6 }),
      svg("text", { x: 18, y: y + 18 }, s.name || s.id),
      svg("text", { x: 18, y: y + 34, class: "label" }, `${s.kind} · ${s.id}`));
  });
  const width = 30 + W + widest;
  return svg("svg", { class: "graph", viewBox: `0 0 ${width} ${height}`, width, height,
                      role: "img", "aria-label": "step graph" },
    svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5,
                                    markerWidth: 7, markerHeight: 7, orient: "auto" },
      svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#5d6677" }))),
    edges, nodes);
}
