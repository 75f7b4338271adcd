// The inbox: open human steps (the tasks API), oldest first, each with its generated
// completion form; filtered by definition, step and scope through the page's address.
import { call, enc } from "./api.js";
import { el, show, when, json, link } from "./dom.js";
import { typedForm } from "./forms.js";

const FILTERS = ["definition", "step", "scope"];

function filterForm(query) {
  const form = el("form", { class: "filters", id: "inbox-filters" },
    FILTERS.map((k) => el("label", {}, `${k} `, el("input", { name: k, value: query.get(k) || "", size: 12 }))),
    el("button", { type: "submit" }, "Filter"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const k of FILTERS) if (form.elements[k].value) q.set(k, form.elements[k].value);
    location.hash = `#/inbox?${q}`;
  });
  return form;
}

export async function inbox(main, query) {
  const q = new URLSearchParams({ limit: "50" });
  for (const k of FILTERS) if (query.get(k)) q.set(k, query.get(k));
  const { tasks } = await call("GET", `/api/v1/tasks?${q}`);
  show(main, el("h1", {}, "Inbox"), filterForm(query),
    tasks.length ? null : el("p", { class: "muted" }, "Nothing waits for a person."),
    tasks.map((t) => el("section", { class: "task", "data-process": t.processId },
      el("h2", {}, link(`#/process/${enc(t.processId)}`, `${t.definition} · ${t.step}`)),
      el("p", { class: "muted" }, `waiting since ${when(t.waitingSinceTime)}`, t.scope ? ` · scope ${t.scope}` : ""),
      json(t.values),
      typedForm(t.params, "Complete", async (values) => {
        await call("POST", `/api/v1/processes/${enc(t.processId)}/steps/${enc(t.processStepId)}/complete`, values);
        inbox(main, query);
      }))));
}
