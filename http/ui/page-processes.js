// The processes page: the list with filters, live refresh and paging, and a start form.
import { call, enc } from "./api.js";
import { el, show, table, status, when, link } from "./dom.js";
import { typedForm } from "./forms.js";
import { definitions } from "./page-definitions.js";

const STATUSES = ["", "WAITING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];

export async function processes(main, query, keepAlive) {
  const filters = { status: query.get("status") || "", definition: query.get("definition") || "",
                    scope: query.get("scope") || "" };
  const defs = await definitions();
  const list = el("div", { id: "process-list" });
  const more = el("button", { type: "button", class: "secondary", id: "more", hidden: true }, "More");
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
