// Small SVG charts for the dashboard: a line over time, bars by label.
import { svg } from "./dom.js";

const W = 320, H = 140, PAD = 28;

export function lineChart(title, points) {
  const ys = points.map((p) => p[1]);
  const max = Math.max(1, ...ys);
  const step = points.length > 1 ? (W - 2 * PAD) / (points.length - 1) : 0;
  const coords = points.map((p, i) =>
    `${PAD + i * step},${H - PAD - (p[1] / max) * (H - 2 * PAD)}`).join(" ");
  return svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
                      "aria-label": title },
    svg("text", { x: PAD, y: 14, class: "label" }, `${title} (max ${max.toFixed(1)})`),
    svg("line", { class: "axis", x1: PAD, y1: H - PAD, x2: W - PAD, y2: H - PAD }),
    points.length ? svg("polyline", { class: "chart-line", points: coords }) : null);
}

export function barChart(title, bars) {
  const max = Math.max(1, ...bars.map((b) => b[1]));
  const width = bars.length ? (W - 2 * PAD) / bars.length : 0;
  return svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
                      "aria-label": title },
    svg("text", { x: PAD, y: 14, class: "label" }, title),
    svg("line", { class: "axis", x1: PAD, y1: H - PAD, x2: W - PAD, y2: H - PAD }),
    bars.map(([label, v], i) => {
      const h = (v / max) * (H - 2 * PAD - 10);
      const x = PAD + i * width;
      return svg("g", {},
        svg("rect", { class: "bar", x: x + 2, y: H - PAD - h, width: Math.max(1, width - 4), height: h }),
        svg("text", { x: x + 2, y: H - PAD + 12, class: "label" }, `${label} ${v}`));
    }));
}

/** Prometheus text → [{name, labels, value}]. */
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    for (const l of (m[3] || "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}
