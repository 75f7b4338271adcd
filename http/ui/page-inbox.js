// The inbox: open human steps (the tasks API), each with its generated completion form.
import { call, enc } from "./api.js";
import { el, show, when, json, link } from "./dom.js";
import { typedForm } from "./forms.js";

export async function inbox(main) {
  const { tasks } = await call("GET", "/api/v1/tasks?limit=50");
  show(main, el("h1", {}, "Inbox"),
    tasks.length ? null : el("p", { class: "muted" }, "Nothing waits for a person."),
    tasks.map((t) => el("section", { class: "task", "data-process": t.processId },
      el("h2", {}, link(`#/process/${enc(t.processId)}`, `${t.definition} · ${t.step}`)),
      el("p", { class: "muted" }, `waiting since ${when(t.waitingSinceTime)}`),
      json(t.values),
      typedForm(t.params, "Complete", async (values) => {
        await call("POST", `/api/v1/processes/${enc(t.processId)}/steps/${enc(t.processStepId)}/complete`, values);
        inbox(main);
      }))));
}
