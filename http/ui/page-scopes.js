// Scopes: what runs, the queue in order, and the limit (editable).
import { call, enc } from "./api.js";
import { el, show, link } from "./dom.js";

export async function scopes(main) {
  const all = await call("GET", "/api/v1/scopes");
  show(main, el("h1", {}, "Scopes"), all.length ? all.map((s) => {
    const limit = el("input", { type: "number", min: 1, value: s.limit, size: 4, name: "limit" });
    const form = el("form", { class: "filters" }, el("label", {}, "limit ", limit),
      el("button", { type: "submit", class: "secondary" }, "Set"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      await call("PUT", `/api/v1/scopes/${enc(s.name)}`, { limit: parseInt(limit.value, 10) });
      scopes(main);
    });
    return el("section", { class: "scope", "data-scope": s.name },
      el("h2", {}, s.name, s.paused ? " (paused)" : ""), form,
      el("p", { class: "running" }, "running: ", s.running.length ? s.running.map((id) => [link(`#/process/${enc(id)}`, id), " "]) : "none"),
      el("p", { class: "queue" }, "queue: ", s.queued.length ? el("ol", {}, s.queued.map((q) =>
        el("li", {}, link(`#/process/${enc(q.id)}`, q.id)))) : "empty"));
  }) : el("p", { class: "muted" }, "No scopes in use."));
}
