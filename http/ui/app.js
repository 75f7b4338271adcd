// The UI's shell: the login screen, the navigation, and the route from `location.hash` to a
// page. Every page talks to the public API only (api.js), with this tab's credentials.
import { call, signedIn, loginWithKey, loginWithPassword, logout } from "./api.js";
import { el, show } from "./dom.js";
import * as pages from "./pages.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const notice = document.getElementById("notice");
let stopPage = () => {};

function say(message) {
  notice.textContent = message;
  notice.hidden = !message;
}

function loginScreen(error) {
  nav.hidden = true;
  const keyError = el("p", { class: "error", role: "alert", id: "login-error" }, error || "");
  const keyForm = el("form", { class: "card", id: "key-login" },
    el("h2", {}, "Sign in with an API key"),
    el("label", { for: "api-key" }, el("span", {}, "API key"),
      el("input", { id: "api-key", type: "password", autocomplete: "off", required: true, size: 40 })),
    el("button", { type: "submit" }, "Sign in"), keyError);
  keyForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    keyError.textContent = "";
    try {
      await loginWithKey(keyForm.elements["api-key"].value.trim());
      route().then(adminLink);
    } catch (e) {
      keyError.textContent = e.status === 401 ? "That key is not valid." : e.message;
    }
  });
  const pwError = el("p", { class: "error", role: "alert" });
  const pwForm = el("form", { class: "card", id: "password-login" },
    el("h2", {}, "or with a name and password"),
    el("label", { for: "user" }, el("span", {}, "name"), el("input", { id: "user", autocomplete: "username" })),
    el("label", { for: "password" }, el("span", {}, "password"),
      el("input", { id: "password", type: "password", autocomplete: "current-password" })),
    el("button", { type: "submit", class: "secondary" }, "Sign in"), pwError);
  pwForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    pwError.textContent = "";
    try {
      await loginWithPassword(pwForm.elements.user.value, pwForm.elements.password.value);
      route().then(adminLink);
    } catch (e) {
      pwError.textContent = e.status === 401 ? "Name or password not accepted." : e.message;
    }
  });
  show(main, el("div", { class: "login" }, el("h1", {}, "Baton"), keyForm, pwForm));
}

async function route() {
  stopPage();
  stopPage = () => {};
  say("");
  if (!signedIn()) return loginScreen();
  nav.hidden = false;
  const [path, queryText] = (location.hash.slice(1) || "/processes").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(queryText || "");
  for (const a of nav.querySelectorAll("a")) {
    a.classList.toggle("active", a.getAttribute("href").slice(2).split("?")[0] === parts[0]);
  }
  const keepAlive = (stop) => { stopPage = stop; };
  show(main, el("p", { class: "muted" }, "Loading…"));
  try {
    switch (parts[0]) {
      case "process": return await pages.process(main, parts[1]);
      case "inbox": return await pages.inbox(main);
      case "definitions":
        return parts[1] ? await pages.definition(main, parts[1], parts[2]) : await pages.definitionList(main);
      case "schedules": return await pages.schedules(main);
      case "scopes": return await pages.scopes(main);
      case "clients": return await pages.clients(main);
      case "dashboard": return await pages.dashboard(main, keepAlive);
      default: return await pages.processes(main, query, keepAlive);
    }
  } catch (e) {
    if (e.status === 401) return loginScreen("Your session ended; sign in again.");
    show(main, el("h1", {}, "Something went wrong"));
    say(e.message);
  }
}

document.getElementById("logout").addEventListener("click", async () => {
  await logout();
  location.hash = "#/processes";
  route();
});

// The clients page is for admins: others do not see its link.
async function adminLink() {
  if (!signedIn()) return;
  const link = document.getElementById("nav-clients");
  try {
    await call("GET", "/api/v1/clients");
    link.hidden = false;
  } catch {
    link.hidden = true;
  }
}

window.addEventListener("hashchange", route);
window.addEventListener("unhandledrejection", (ev) => say(ev.reason && ev.reason.message));
route().then(adminLink);
