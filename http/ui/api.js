// Calls the public API as any client does: with an API key (kept in sessionStorage for this
// tab) or, after a user/password login, with the session cookie and its BPMCSRF header.

const KEY = "baton.apiKey";

export class ApiError extends Error {
  constructor(status, problem) {
    const detail = problem && (problem.detail || problem.title || problem.message);
    super(detail ? `${status}: ${detail}` : `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

function cookie(name) {
  const hit = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
  return hit ? decodeURIComponent(hit.slice(name.length + 1)) : "";
}

function credentials() {
  const key = sessionStorage.getItem(KEY);
  if (key) return { "x-api-key": key };
  const csrf = cookie("BPMCSRF");
  return csrf ? { BPMCSRF: csrf } : {};
}

export function signedIn() {
  return Boolean(sessionStorage.getItem(KEY) || cookie("BPMCSRF"));
}

/** Sends a request; resolves to the parsed JSON answer (null for 204), rejects ApiError. */
export async function call(method, path, body) {
  // X-Requested-With: a 401 then carries no Basic challenge, which would make the browser
  // show its own password dialog instead of this page's error.
  const headers = { ...credentials(), "X-Requested-With": "baton-ui" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = { detail: text.slice(0, 200) }; }
  if (!r.ok) throw new ApiError(r.status, parsed);
  return parsed;
}

/** Plain text (the /metrics page). */
export async function text(path) {
  const r = await fetch(path, { headers: { ...credentials(), "X-Requested-With": "baton-ui" },
                                credentials: "same-origin" });
  if (!r.ok) throw new ApiError(r.status, null);
  return r.text();
}

/** Keeps `key` if the server takes it; rejects with the server's error otherwise. */
export async function loginWithKey(key) {
  sessionStorage.setItem(KEY, key);
  try {
    await call("GET", "/api/v1/definitions");
  } catch (e) {
    sessionStorage.removeItem(KEY);
    throw e;
  }
}

/** The session login of the vendor's AuthService: sets the session and BPMCSRF cookies. */
export async function loginWithPassword(user, password) {
  sessionStorage.removeItem(KEY);
  const answer = await call("POST", "/ServiceModel/AuthService.svc/Login",
    { UserName: user, UserPassword: password });
  if (!answer || answer.Code !== 0) throw new ApiError(401, { detail: "invalid credentials" });
  await call("GET", "/api/v1/definitions");
}

export async function logout() {
  if (!sessionStorage.getItem(KEY) && cookie("BPMCSRF")) {
    try { await call("POST", "/ServiceModel/AuthService.svc/Logout"); } catch { /* gone */ }
  }
  sessionStorage.removeItem(KEY);
}

export const enc = encodeURIComponent;
