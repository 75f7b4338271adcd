// Clients (admins only: the API answers 403 to others).
import { call } from "./api.js";
import { el, show, table } from "./dom.js";

export async function clients(main) {
  const all = await call("GET", "/api/v1/clients");
  show(main, el("h1", {}, "Clients"), table(["name", "role", "definitions", "enabled"],
    all.map((c) => [c.name, c.role, (c.definitions || []).join(", "), c.enabled ? "yes" : "no"])));
}
