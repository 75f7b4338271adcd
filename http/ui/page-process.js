// One process: values, outputs, steps, its parent and children, history; complete its
// waiting step, cancel, retry.
import { call, enc } from "./api.js";
import { el, show, table, status, when, json, link } from "./dom.js";
import { typedForm } from "./forms.js";

export async function process(main, id) {
  const p = await call("GET", `/api/v1/processes/${enc(id)}`);
  const history = await call("GET", `/api/v1/processes/${enc(id)}/history`);
  const def = await call("GET", `/api/v1/definitions/${enc(p.definition)}?version=${p.version}`)
    .catch(() => null);
  const reload = () => process(main, id);
  const actions = el("div", { class: "filters" });
  if (p.status === "RUNNING" || p.status === "WAITING") {
    actions.append(el("button", { type: "button", class: "danger", id: "cancel", onclick: async () => {
      await call("POST", `/api/v1/processes/${enc(id)}/cancel`, { reason: "cancelled in the UI" });
      reload();
    } }, "Cancel"));
  }
  if (p.status === "FAILED") {
    actions.append(el("button", { type: "button", id: "retry", onclick: async () => {
      await call("POST", `/api/v1/processes/${enc(id)}/retry`, {});
      reload();
    } }, "Retry from the failed step"));
  }
  const waiting = (p.steps || []).find((s) => s.kind === "external" && s.status === "STARTED");
  let completeForm = null;
  if (waiting && def) {
    const step = (def.steps || []).find((s) => s.id === waiting.step) || {};
    completeForm = el("section", { id: "complete" },
      el("h2", {}, `Complete “${step.name || waiting.step}”`),
      typedForm(step.params, "Complete", async (values) => {
        await call("POST", `/api/v1/processes/${enc(id)}/steps/${enc(waiting.processStepId)}/complete`, values);
        reload();
      }));
  }
  show(main,
    el("h1", {}, `${p.definition} v${p.version} · `, el("span", { id: "process-status" }, status(p.status))),
    el("p", { class: "muted" }, p.id, p.scope ? ` · scope ${p.scope}` : "", ` · started ${when(p.createdAt)}`),
    actions, completeForm,
    el("div", { class: "row" },
      el("section", {}, el("h2", {}, "Values"), json(p.values)),
      el("section", {}, el("h2", {}, "Outputs"), json(p.outputs))),
    el("section", {}, el("h2", {}, "Steps"), table(["step", "kind", "status", "attempt", "changed"],
      (p.steps || []).map((s) => [s.step, s.kind, status(s.status), String(s.attempt ?? ""),
                                   when(s.modifiedAt || s.createdAt)]))),
    p.parent ? el("p", { id: "parent" }, "Runs for ",
      link(`#/process/${enc(p.parent.processId)}`, p.parent.processId),
      p.entryStep ? ` (from step ${p.entryStep})` : "") : null,
    (p.children || []).length ? el("section", { id: "children" }, el("h2", {}, "Children"),
      table(["process", "for step", "branch / item", "attempt", "status"],
        p.children.map((c) => [link(`#/process/${enc(c.processId)}`, c.processId),
                               c.processStepId, String(c.index), String(c.attempt),
                               status(c.status)]))) : null,
    el("section", {}, el("h2", {}, "History"), el("ul", { class: "timeline" },
      (history.items || []).map((h) => el("li", {}, el("time", {}, when(h.at)),
        el("strong", {}, h.type), h.detail ? " " + h.detail : "")))));
}
