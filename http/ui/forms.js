// Forms generated from typed contracts: a definition's inputs, a step's params.
import { el } from "./dom.js";

/** {"name": "type" | {type, required, default}} → [{name, type, required, default}]. */
export function fieldsOf(contract) {
  return Object.entries(contract || {}).map(([name, spec]) => {
    const s = typeof spec === "string" ? { type: spec } : spec || {};
    return { name, type: s.type || "string", required: s.required !== false && !("default" in s),
             default: s.default };
  });
}

function input(f) {
  const id = `f-${f.name}`;
  if (f.type === "bool") return el("input", { type: "checkbox", id, name: f.name, "data-type": f.type });
  if (f.type === "json") return el("textarea", { id, name: f.name, rows: 3, "data-type": f.type });
  const attrs = { id, name: f.name, "data-type": f.type, required: f.required };
  if (f.type === "long") Object.assign(attrs, { type: "number", step: "1" });
  else if (f.type === "double") Object.assign(attrs, { type: "number", step: "any" });
  else attrs.type = "text";
  if (f.default !== undefined) attrs.placeholder = String(f.default);
  return el("input", attrs);
}

/** The typed values of the form's fields; an empty optional field is left out. */
function valuesOf(form, fields) {
  const out = {};
  for (const f of fields) {
    const field = form.elements[f.name];
    if (f.type === "bool") { out[f.name] = field.checked; continue; }
    const raw = field.value;
    if (raw === "") continue;
    if (f.type === "long") out[f.name] = parseInt(raw, 10);
    else if (f.type === "double") out[f.name] = parseFloat(raw);
    else if (f.type === "json") out[f.name] = JSON.parse(raw);
    else out[f.name] = raw;
  }
  return out;
}

/**
 * A form for `contract`; on submit `send(values)` runs, and its error (an ApiError naming
 * the field, or bad JSON) shows under the form.
 */
export function typedForm(contract, submitLabel, send, extra) {
  const fields = fieldsOf(contract);
  const error = el("p", { class: "error", role: "alert" });
  const form = el("form", { class: "card", novalidate: true },
    fields.map((f) => el("label", { for: `f-${f.name}` },
      el("span", {}, `${f.name} (${f.type}${f.required ? "" : ", optional"})`), input(f))),
    extra || [],
    el("button", { type: "submit" }, submitLabel), error);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    try {
      await send(valuesOf(form, fields), form);
    } catch (e) {
      error.textContent = e.message;
    }
  });
  return form;
}
