// Schedules: cron, next fire times, pause and resume.
import { call, enc } from "./api.js";
import { el, show, table, status } from "./dom.js";

export async function schedules(main) {
  const all = await call("GET", "/api/v1/schedules");
  const act = (id, what) => async () => {
    await call("POST", `/api/v1/schedules/${enc(id)}/${what}`);
    schedules(main);
  };
  show(main, el("h1", {}, "Schedules"), all.length ? table(
    ["definition", "cron", "zone", "status", "next fire times", ""],
    all.map((s) => [s.definition, s.cron, s.timeZone || "UTC", status(s.status),
                    el("ul", {}, (s.nextFireTimes || []).slice(0, 3).map((t) => el("li", {}, t))),
                    s.status === "ACTIVE"
                      ? el("button", { type: "button", class: "secondary", onclick: act(s.id, "pause") }, "Pause")
                      : el("button", { type: "button", onclick: act(s.id, "resume") }, "Resume")]))
    : el("p", { class: "muted" }, "No schedules."));
}
