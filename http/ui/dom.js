// The one way the UI makes DOM: text is always set as textContent, never parsed as HTML, so
// no value from the server (a process value, a step name) can become markup or script.

const SVG = "http://www.w3.org/2000/svg";

function build(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** An HTML element: el("a", {href: "#/x"}, "text", child, ...). */
export function el(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, the same way. */
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG, tag), attrs, children);
}

/** Replaces the children of `node` with `children`. */
export function show(node, ...children) {
  node.replaceChildren();
  build(node, {}, children);
  return node;
}

/** A table of `rows`, each an array of cells (text or nodes), under `headings`. */
export function table(headings, rows, attrs) {
  return el("div", { class: "table-wrap" },
    el("table", attrs || {},
      el("thead", {}, el("tr", {}, headings.map((h) => el("th", {}, h)))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c)))))));
}

export function status(word) {
  return el("span", { class: `status status-${word}` }, word);
}

export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleString();
}

/** A value as readable JSON text (shown with textContent). */
export function json(value) {
  return el("pre", { class: "values" }, JSON.stringify(value ?? {}, null, 2));
}
