// Definitions: the list, and one definition's versions and step graph.
import { call, enc } from "./api.js";
import { el, show, table, when, json, link } from "./dom.js";
import { fieldsOf } from "./forms.js";
import { stepGraph } from "./graph.js";

/** The definitions by name (latest versions), for forms and links. */
export async function definitions() {
  return (await call("GET", "/api/v1/definitions")) || [];
}

export async function definitionList(main) {
  const defs = await definitions();
  show(main, el("h1", {}, "Definitions"), table(["name", "version", "inputs", "steps", "description"],
    defs.map((d) => [link(`#/definitions/${enc(d.name)}`, d.name), String(d.version),
                     fieldsOf(d.inputs).map((f) => f.name).join(", "), String((d.steps || []).length),
                     d.description || ""])));
}

export async function definition(main, name, version) {
  const latest = await call("GET", `/api/v1/definitions/${enc(name)}`);
  const d = version ? await call("GET", `/api/v1/definitions/${enc(name)}?version=${version}`) : latest;
  const versions = el("select", { id: "version" }, Array.from({ length: latest.version }, (_, i) =>
    el("option", { value: i + 1, selected: i + 1 === d.version }, `version ${i + 1}`)));
  versions.addEventListener("change", () => { location.hash = `#/definitions/${enc(name)}/${versions.value}`; });
  show(main, el("h1", {}, d.name, " "), versions,
    d.retired ? el("p", { class: "error" }, `retired ${when(d.retiredAt)}`) : null,
    el("p", { class: "muted" }, d.description || ""),
    el("section", {}, el("h2", {}, "Steps"), stepGraph(d.steps || [])),
    el("section", {}, el("h2", {}, "Inputs"), json(d.inputs)),
    el("section", {}, el("h2", {}, "Source"), json(d)));
}
