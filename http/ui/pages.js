// One function per page: each fetches what it shows and renders it into `main`.
import { call, text, enc } from "./api.js";
import { el, show, table, status, when, json } from "./dom.js";
import { typedForm, fieldsOf } from "./forms.js";
import { stepGraph } from "./graph.js";
import { lineChart, barChart, parseMetrics } from "./charts.js";

const STATUSES = ["", "WAITING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];
const link = (href, label) => el("a", { href }, label);

/** The definitions by name (latest versions), for forms and links. */
async function definitions() {
  return (await call("GET", "/api/v1/definitions")) || [];
}

// ---- processes -----------------------------------------------------------------------------

export async function processes(main, query, keepAlive) {
  const filters = { status: query.get("status") || "", definition: query.get("definition") || "",
                    scope: query.get("scope") || "" };
  const defs = await definitions();
  const list = el("div", { id: "process-list" });
  const more = el("button", { type: "button", class: "secondary", hidden: true }, "More");
  const live = el("input", { type: "checkbox", id: "live" });
  let after = "";

  const load = async (append) => {
    const q = new URLSearchParams({ limit: "20" });
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    if (append && after) q.set("after", after);
    const page = await call("GET", `/api/v1/processes?${q}`);
    after = page.next || "";
    more.hidden = !after;
    const rows = page.items.map((p) => [
      link(`#/process/${enc(p.id)}`, p.id), p.definition + " v" + p.version, status(p.status),
      p.scope || "", when(p.updatedAt || p.createdAt)]);
    const t = table(["id", "definition", "status", "scope", "updated"], rows);
    if (append) list.append(t); else show(list, page.items.length ? t : el("p", { class: "muted" }, "No processes."));
  };
  more.addEventListener("click", () => load(true));

  const filterForm = el("form", { class: "filters" },
    el("label", {}, "status ", el("select", { name: "status" },
      STATUSES.map((s) => el("option", { value: s, selected: s === filters.status }, s || "any")))),
    el("label", {}, "definition ", el("select", { name: "definition" },
      el("option", { value: "" }, "any"),
      defs.map((d) => el("option", { value: d.name, selected: d.name === filters.definition }, d.name)))),
    el("label", {}, "scope ", el("input", { name: "scope", value: filters.scope, size: 12 })),
    el("button", { type: "submit" }, "Filter"),
    el("label", {}, live, " live"));
  filterForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const k of ["status", "definition", "scope"]) {
      const v = filterForm.elements[k].value;
      if (v) q.set(k, v);
    }
    location.hash = `#/processes?${q}`;
  });
  const timer = setInterval(() => { if (live.checked) load(false).catch(() => {}); }, 2000);
  keepAlive(() => clearInterval(timer));

  show(main, el("h1", {}, "Processes"), startPanel(defs), filterForm, list, more);
  await load(false);
}

/** "Start a process": pick a definition, fill its inputs. */
function startPanel(defs) {
  const holder = el("div", {});
  const pick = el("select", { id: "start-definition" },
    el("option", { value: "" }, "start a process…"),
    defs.map((d) => el("option", { value: d.name }, d.name)));
  pick.addEventListener("change", () => {
    const def = defs.find((d) => d.name === pick.value);
    if (!def) return show(holder);
    const scope = el("input", { name: "__scope", id: "start-scope", size: 12 });
    show(holder, typedForm(def.inputs, `Start ${def.name}`, async (values, form) => {
      const body = { definition: def.name, values };
      if (form.elements.__scope.value) body.scope = form.elements.__scope.value;
      const p = await call("POST", "/api/v1/processes", body);
      location.hash = `#/process/${enc(p.id)}`;
    }, el("label", { for: "start-scope" }, el("span", {}, "scope (optional)"), scope)));
  });
  return el("div", { class: "start" }, pick, holder);
}

// ---- one process ---------------------------------------------------------------------------

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
    el("section", {}, el("h2", {}, "History"), el("ul", { class: "timeline" },
      (history.items || []).map((h) => el("li", {}, el("time", {}, when(h.at)),
        el("strong", {}, h.type), h.detail ? " " + h.detail : "")))));
}

// ---- inbox -----------------------------------------------------------------------------------

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

// ---- definitions -----------------------------------------------------------------------------

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

// ---- schedules, scopes, clients --------------------------------------------------------------

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
    return el("section", {}, el("h2", {}, s.name, s.paused ? " (paused)" : ""), form,
      el("p", {}, "running: ", s.running.length ? s.running.map((id) => [link(`#/process/${enc(id)}`, id), " "]) : "none"),
      el("p", {}, "queue: ", s.queued.length ? el("ol", {}, s.queued.map((q) =>
        el("li", {}, link(`#/process/${enc(q.id)}`, q.id)))) : "empty"));
  }) : el("p", { class: "muted" }, "No scopes in use."));
}

export async function clients(main) {
  const all = await call("GET", "/api/v1/clients");
  show(main, el("h1", {}, "Clients"), table(["name", "role", "definitions", "enabled"],
    all.map((c) => [c.name, c.role, (c.definitions || []).join(", "), c.enabled ? "yes" : "no"])));
}

// ---- dashboard -------------------------------------------------------------------------------

const samples = [];  // [{at, metrics}] kept while the dashboard is open

function total(metrics, name, filter) {
  return metrics.filter((m) => m.name === name && (!filter || filter(m.labels)))
    .reduce((a, m) => a + m.value, 0);
}

export async function dashboard(main, keepAlive) {
  const charts = el("div", { class: "charts", id: "charts" });
  show(main, el("h1", {}, "Dashboard"),
    el("p", { class: "muted" }, "From /metrics, sampled every two seconds while this page is open."), charts);
  const draw = async () => {
    const metrics = parseMetrics(await text("/metrics"));
    samples.push({ at: Date.now(), metrics });
    if (samples.length > 60) samples.shift();
    const rate = (name) => samples.slice(1).map((s, i) => {
      const prev = samples[i];
      return [s.at, Math.max(0, (total(s.metrics, name) - total(prev.metrics, name)) / ((s.at - prev.at) / 1000))];
    });
    const latency = samples.slice(1).map((s, i) => {
      const prev = samples[i];
      const sum = (m) => total(m, "baton_http_request_duration_seconds_sum");
      const count = (m) => total(m, "baton_http_request_duration_seconds_count");
      const n = count(s.metrics) - count(prev.metrics);
      return [s.at, n > 0 ? ((sum(s.metrics) - sum(prev.metrics)) / n) * 1000 : 0];
    });
    const byStatus = metrics.filter((m) => m.name === "baton_processes_finished_total")
      .map((m) => [m.labels.status || "", m.value]);
    const jobs = metrics.filter((m) => m.name === "baton_jobs").map((m) => [`${m.labels.type}/${m.labels.state}`, m.value]);
    const queues = (await call("GET", "/api/v1/scopes")).map((s) => [s.name, s.queued.length]);
    show(charts,
      lineChart("process starts per second", rate("baton_processes_started_total")),
      lineChart("mean request latency, ms", latency),
      barChart("processes ended, by status", byStatus),
      barChart("scope queue depths", queues),
      barChart("jobs by type and state", jobs));
  };
  await draw();
  const timer = setInterval(() => draw().catch(() => {}), 2000);
  keepAlive(() => clearInterval(timer));
}
