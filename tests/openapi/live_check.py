#!/usr/bin/env python3
"""Holds the OpenAPI document to what a real server answers.

Usage: live_check.py BATON_BINARY SOURCE_DIR

Starts `baton serve` on 127.0.0.1 (ephemeral port, its own data folder, the example
definitions), walks a scripted tour of the API (every operation's success, and the errors a
client meets: bad input, no credentials, a role too small, unknown ids, conflicts), and for
every answer checks that

  - the operation is in http/openapi.json (matched as the router matches: literal segments
    before parameters),
  - the answer's status is documented for it (exactly, or by `default`),
  - its body is valid against the documented schema of that status and content type
    (JSON Schema 2020-12, as OpenAPI 3.1 uses; python3-jsonschema).

At the end every operation of the document must have been answered with a documented 2xx.
Exits 1 naming each mismatch. The server is stopped by its pid, whatever happens.
"""

import base64
import json
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request

import jsonschema

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from baton_process import BatonServer  # noqa: E402  (tests/support, beside this folder)

ADMIN_KEY = "live-check-admin-key"
BASIC_USER, BASIC_PASSWORD = "ops", "live-check-password"


class Document:
    """The OpenAPI document: finds an answer's operation and validates its body."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = json.load(f)
        self.resolver = jsonschema.RefResolver.from_schema(self.doc)
        self.templates = []
        for template, ops in self.doc["paths"].items():
            segments = template.strip("/").split("/")
            for method, op in ops.items():
                if method in ("get", "put", "post", "delete", "patch", "head", "options"):
                    self.templates.append((method.upper(), template, segments, op))

    def operation(self, method, path):
        """(template, operation) the router would take for `path`, or (None, None)."""
        parts = path.split("?")[0].strip("/").split("/")
        best = None
        for m, template, segments, op in self.templates:
            if m != method or len(segments) != len(parts):
                continue
            literal = []
            for seg, part in zip(segments, parts):
                if seg.startswith("{") and seg.endswith("}"):
                    literal.append(0)
                elif seg == part:
                    literal.append(1)
                else:
                    break
            else:
                key = tuple(literal)
                if best is None or key > best[0]:
                    best = (key, template, op)
        return (best[1], best[2]) if best else (None, None)

    def resolve(self, obj):
        while isinstance(obj, dict) and "$ref" in obj:
            _, obj = self.resolver.resolve(obj["$ref"])
        return obj

    def problems(self, op, status, content_type, body):
        """What is wrong with an answer of `op`; empty when it matches the document."""
        responses = op.get("responses", {})
        documented = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        documented = documented or responses.get("default")
        if documented is None:
            return [f"status {status} is not documented (documented: {sorted(responses)})"]
        documented = self.resolve(documented)
        content = documented.get("content", {})
        if not body:
            return []
        media = content_type.split(";")[0].strip()
        if media not in content:
            return [f"content type {media} is not documented for {status} "
                    f"(documented: {sorted(content)})"]
        schema = content[media].get("schema")
        if schema is None or not media.endswith("json"):
            return []
        try:
            instance = json.loads(body)
        except ValueError as e:
            return [f"body is not JSON ({e}): {body[:200]!r}"]
        validator = jsonschema.Draft202012Validator(schema, resolver=self.resolver)
        return [f"{'/'.join(map(str, err.absolute_path)) or '(root)'}: {err.message}"
                for err in sorted(validator.iter_errors(instance), key=str)][:5]


def Server(binary, source):
    """The server of the tour, with a static admin key and a Basic user of its own."""
    return BatonServer(binary, source, {"BATON_AUTH__API_KEYS": ADMIN_KEY,
                                        "BATON_AUTH__BASIC_USERS": f"{BASIC_USER}:{BASIC_PASSWORD}"},
                       prefix="baton-live-")


class Tour:
    """Calls the server and checks every answer against the document."""

    def __init__(self, doc, port):
        self.doc, self.port = doc, port
        self.failures = []
        self.answered = {}  # (method, template) -> set of statuses
        self.scratch = tempfile.mkdtemp(prefix="baton-live-scratch-")

    def call(self, method, path, body=None, expect=200, auth="admin", headers=None,
             form=False):
        hdrs = dict(headers or {})
        if auth == "admin":
            hdrs["X-API-Key"] = ADMIN_KEY
        elif isinstance(auth, tuple):  # ("basic", user, password)
            token = base64.b64encode(f"{auth[1]}:{auth[2]}".encode()).decode()
            hdrs["Authorization"] = "Basic " + token
        elif auth:
            hdrs["X-API-Key"] = auth
        data = None
        if body is not None:
            if form:
                data = body.encode()
                hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
            else:
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                     method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, ctype, text = r.status, r.headers.get("Content-Type", ""), r.read()
                answer_headers = r.headers
        except urllib.error.HTTPError as e:
            status, ctype, text = e.code, e.headers.get("Content-Type", ""), e.read()
            answer_headers = e.headers
        text = text.decode("utf-8", errors="replace")
        where = f"{method} {path}"
        template, op = self.doc.operation(method, path)
        if op is None:
            self.failures.append(f"{where}: no operation in the document")
        else:
            self.answered.setdefault((method, template), set()).add(status)
            for p in self.doc.problems(op, status, ctype, text):
                self.failures.append(f"{where} -> {status}: {p}")
        if expect is not None and status != expect:
            self.failures.append(f"{where}: expected {expect}, got {status}: {text[:300]}")
        self.last_headers = answer_headers
        try:
            return json.loads(text) if text and "json" in ctype else text
        except ValueError:
            return text

    def uncovered(self):
        """Operations of the document never answered with a 2xx."""
        out = []
        for method, template, _, op in self.doc.templates:
            if op.get("x-baton-cluster-only"):
                continue  # a cluster's nodes serve these: tests/e2e/cluster_test.cpp
            statuses = self.answered.get((method, template), set())
            if not any(200 <= s < 300 for s in statuses):
                out.append(f"{method} {template} (answered: {sorted(statuses) or 'never'})")
        return out


def native_tour(t):
    """Every native route: success, then the errors a client meets."""
    # Open routes.
    t.call("GET", "/healthz", auth=None)
    t.call("GET", "/readyz", auth=None)
    t.call("GET", "/api/v1/openapi.json", auth=None)
    t.call("GET", "/api/docs", auth=None)
    t.call("GET", "/ui/", auth=None)
    t.call("GET", "/ui/app.js", auth=None)
    t.call("GET", "/ui/style.css", auth=None)
    t.call("GET", "/ui/nothing.js", auth=None, expect=404)
    t.call("GET", "/metrics")
    t.call("GET", "/api/v1/processes", auth=None, expect=401)
    t.call("GET", "/api/v1/processes", auth="not-a-key", expect=401)

    # Definitions.
    review = {"name": "LiveReview", "inputs": {"amount": {"type": "long", "required": False}},
              "outputs": ["verdict"],
              "steps": [{"id": "review", "kind": "external", "params": {"approved": "bool"}},
                        {"id": "done", "kind": "script", "set": {"verdict": "${approved}"}}]}
    t.call("PUT", "/api/v1/definitions/LiveReview", review, expect=201)
    t.call("PUT", "/api/v1/definitions/LiveReview", {"name": "LiveReview", "steps": []},
           expect=400)
    t.call("PUT", "/api/v1/definitions/LiveReview", "{not json", expect=400)
    t.call("GET", "/api/v1/definitions")
    t.call("GET", "/api/v1/definitions/LiveReview")
    t.call("GET", "/api/v1/definitions/LiveReview?version=1")
    t.call("GET", "/api/v1/definitions/NoSuchDefinition", expect=404)
    t.call("PUT", "/api/v1/definitions/LiveRetired", {"steps": [{"id": "s", "kind": "external"}]},
           expect=201)
    t.call("DELETE", "/api/v1/definitions/LiveRetired")
    t.call("DELETE", "/api/v1/definitions/NoSuchDefinition", expect=404)
    t.call("GET", "/api/v1/definitions?retired=true")
    t.call("GET", "/api/v1/definitions?retired=perhaps", expect=400)

    # Processes.
    p = t.call("POST", "/api/v1/processes", {"definition": "LiveReview", "values": {"amount": 3}},
               expect=201)
    pid = p["id"] if isinstance(p, dict) else ""
    t.call("POST", "/api/v1/processes", {"definition": "LiveReview", "idempotencyKey": "k1"},
           expect=201)
    t.call("POST", "/api/v1/processes", {"definition": "LiveReview", "idempotencyKey": "k1"},
           expect=200)
    t.call("POST", "/api/v1/processes", {"definition": "NoSuch"}, expect=404)
    t.call("POST", "/api/v1/processes", {"definition": 7}, expect=400)
    t.call("GET", "/api/v1/processes?limit=5")
    t.call("GET", "/api/v1/processes?status=RUNNING&definition=LiveReview")
    t.call("GET", "/api/v1/processes?status=NOPE", expect=400)
    t.call("GET", f"/api/v1/processes/{pid}")
    t.call("GET", "/api/v1/processes/nosuchprocess", expect=404)
    t.call("GET", f"/api/v1/processes/{pid}/history")
    t.call("GET", "/api/v1/tasks?definition=LiveReview")
    t.call("GET", "/api/v1/tasks?limit=0", expect=400)
    t.call("POST", f"/api/v1/processes/{pid}/steps/review/complete", {"approved": "no"},
           expect=412)
    t.call("POST", f"/api/v1/processes/{pid}/steps/done/complete", {}, expect=409)
    t.call("POST", f"/api/v1/processes/{pid}/steps/nope/complete", {}, expect=404)
    t.call("POST", f"/api/v1/processes/{pid}/steps/review/complete", {"approved": True})
    q = t.call("POST", "/api/v1/processes", {"definition": "LiveReview"}, expect=201)
    qid = q["id"] if isinstance(q, dict) else ""
    t.call("POST", "/api/v1/processes/complete-step",
           {"processStepId": f"{qid}-1", "params": {"approved": {"boolValue": True,
                                                                  "type": "BOOLEAN"}}})
    t.call("POST", "/api/v1/processes/complete-step", {"processStepId": f"{qid}-1"},
           expect=412)
    t.call("POST", "/api/v1/processes/complete-step", {}, expect=400)
    t.call("PUT", "/api/v1/definitions/LiveTimer",
           {"name": "LiveTimer", "steps": [{"id": "wait", "kind": "timer", "duration": "PT1H"},
                                           {"id": "sign", "kind": "external"}]}, expect=201)
    timer = t.call("POST", "/api/v1/processes", {"definition": "LiveTimer"}, expect=201)
    tid = timer["id"] if isinstance(timer, dict) else ""
    t.call("POST", f"/api/v1/processes/{tid}/steps/{tid}-1/execute")
    c = t.call("POST", "/api/v1/processes", {"definition": "LiveReview"}, expect=201)
    cid = c["id"] if isinstance(c, dict) else ""
    t.call("POST", f"/api/v1/processes/{cid}/steps/{cid}-1/execute", expect=409)
    t.call("POST", f"/api/v1/processes/{cid}/cancel", {"reason": "live check"})
    t.call("POST", "/api/v1/processes/nosuchprocess/cancel", expect=404)

    # A FAILED process retried (its fail step fails again: a new execution of it).
    t.call("PUT", "/api/v1/definitions/LiveDoomed",
           {"name": "LiveDoomed", "steps": [{"id": "boom", "kind": "fail", "message": "no"}]},
           expect=201)
    doomed = t.call("POST", "/api/v1/processes", {"definition": "LiveDoomed"}, expect=201)
    did = doomed["id"] if isinstance(doomed, dict) else ""
    t.call("POST", f"/api/v1/processes/{did}/retry", {"values": {"note": "again"}})
    t.call("POST", f"/api/v1/processes/{qid}/retry", expect=409)
    t.call("POST", f"/api/v1/processes/{did}/retry", {"valuez": {}}, expect=400)

    # Scopes.
    t.call("PUT", "/api/v1/scopes/live", {"limit": 2})
    t.call("PUT", "/api/v1/scopes/live", {"limit": 0}, expect=400)
    t.call("GET", "/api/v1/scopes")
    t.call("GET", "/api/v1/scopes/live")

    # Schedules and cron.
    s = t.call("POST", "/api/v1/schedules",
               {"definition": "LiveReview", "cron": "0 0 * * * ?"}, expect=201)
    sid = s["id"] if isinstance(s, dict) else ""
    t.call("POST", "/api/v1/schedules", {"definition": "LiveReview", "cron": "0 0 * * *"},
           expect=400)
    t.call("GET", "/api/v1/schedules")
    t.call("GET", f"/api/v1/schedules/{sid}")
    t.call("GET", "/api/v1/schedules/nosuchschedule", expect=404)
    t.call("POST", f"/api/v1/schedules/{sid}/pause")
    t.call("POST", f"/api/v1/schedules/{sid}/resume")
    t.call("DELETE", f"/api/v1/schedules/{sid}", expect=204)
    t.call("GET", "/api/v1/cron/next?expr=0+0+12+*+*+%3F&count=3")
    t.call("GET", "/api/v1/cron/next?expr=bogus", expect=400)

    # Jobs.
    t.call("PUT", "/api/v1/definitions/LiveJob",
           {"name": "LiveJob", "steps": [{"id": "price", "kind": "job", "type": "live-price",
                                          "params": {"price": "double"}}]}, expect=201)
    t.call("POST", "/api/v1/processes", {"definition": "LiveJob"}, expect=201)
    t.call("GET", "/api/v1/jobs?type=live-price")
    got = t.call("POST", "/api/v1/jobs/activate",
                 {"type": "live-price", "worker": "w1", "max": 1, "leaseMs": 30000,
                  "waitMs": 5000})
    jobs = got.get("jobs", []) if isinstance(got, dict) else []
    if jobs:
        key, token = jobs[0]["key"], jobs[0]["lease"]["token"]
        t.call("POST", f"/api/v1/jobs/{key}/extend", {"leaseToken": token, "leaseMs": 60000})
        t.call("POST", f"/api/v1/jobs/{key}/complete", {"leaseToken": "wrong", "params": {}},
               expect=409)
        t.call("POST", f"/api/v1/jobs/{key}/complete",
               {"leaseToken": token, "params": {"price": 9.5}})
    else:
        t.failures.append("jobs/activate leased nothing")
    t.call("POST", "/api/v1/processes", {"definition": "LiveJob"}, expect=201)
    got = t.call("POST", "/api/v1/jobs/activate",
                 {"type": "live-price", "worker": "w1", "max": 1, "leaseMs": 30000,
                  "waitMs": 5000})
    jobs = got.get("jobs", []) if isinstance(got, dict) else []
    if jobs:
        t.call("POST", f"/api/v1/jobs/{jobs[0]['key']}/fail",
               {"leaseToken": jobs[0]["lease"]["token"], "error": "no price today"})
    t.call("POST", "/api/v1/jobs/activate", {"type": ""}, expect=400)

    # Messages: one completes a waiting message step; a repeat of its messageId is answered
    # again; one that comes first is buffered.
    t.call("PUT", "/api/v1/definitions/LiveMessage",
           {"name": "LiveMessage", "steps": [{"id": "wait", "kind": "message",
                                              "name": "live-arrived", "correlation": "${key}",
                                              "params": {"n": "long"}}]}, expect=201)
    t.call("POST", "/api/v1/processes", {"definition": "LiveMessage", "values": {"key": "k1"}},
           expect=201)
    message = {"name": "live-arrived", "correlation": "k1", "values": {"n": 1}, "messageId": "m1"}
    got = t.call("POST", "/api/v1/messages", message)
    if not isinstance(got, dict) or got.get("completed") != 1:
        t.failures.append(f"messages completed no waiting step: {got}")
    t.call("POST", "/api/v1/messages", message)
    t.call("POST", "/api/v1/messages",
           {"name": "live-arrived", "correlation": "k2", "values": {"n": 2}, "ttlMs": 60000})
    t.call("POST", "/api/v1/messages", {"correlation": "k1"}, expect=400)

    # Clients, audit, backup, cluster.
    made = t.call("POST", "/api/v1/clients",
                  {"name": "live-runner", "role": "runner", "definitions": ["Live*"]},
                  expect=201)
    runner_key = made.get("apiKey", "") if isinstance(made, dict) else ""
    t.call("POST", "/api/v1/clients", {"name": "live-runner", "role": "runner"}, expect=409)
    t.call("GET", "/api/v1/clients")
    t.call("GET", "/api/v1/clients/live-runner")
    t.call("GET", "/api/v1/clients/nobody", expect=404)
    t.call("POST", "/api/v1/clients/live-runner/rotate")
    t.call("POST", "/api/v1/clients/live-runner/disable")
    t.call("POST", "/api/v1/clients/live-runner/enable")
    t.call("POST", "/api/v1/clients", {"name": "live-doomed", "role": "runner"}, expect=201)
    t.call("DELETE", "/api/v1/clients/live-doomed")
    t.call("DELETE", "/api/v1/clients/live-doomed", expect=404)
    t.call("GET", "/api/v1/audit")
    t.call("GET", "/api/v1/cluster")
    t.call("POST", "/api/v1/admin/backup", {"to": "relative/path"}, expect=400)
    t.call("POST", "/api/v1/admin/backup", {"to": os.path.join(t.scratch, "backup")}, expect=201)
    if runner_key:
        rotated = t.call("GET", "/api/v1/clients/live-runner")  # the key was rotated above
        del rotated
    # A runner may not do an admin's work.
    fresh = t.call("POST", "/api/v1/clients",
                   {"name": "live-runner-2", "role": "runner", "definitions": ["Live*"]},
                   expect=201)
    key2 = fresh.get("apiKey", "") if isinstance(fresh, dict) else ""
    t.call("GET", "/api/v1/clients", auth=key2, expect=403)
    t.call("PUT", "/api/v1/definitions/LiveReview", review, auth=key2, expect=403)
    t.call("POST", "/api/v1/processes", {"definition": "LoanApproval"}, auth=key2, expect=403)


def vendor_tour(t, binary_dir):
    """Each vendor front end's routes: a working request, and one it refuses."""
    del binary_dir
    made = t.call("POST", "/api/v1/clients",
                  {"name": "live-vendor", "role": "operator", "definitions": ["*"]},
                  expect=201)
    user = "live-vendor"
    password = made.get("password", "") if isinstance(made, dict) else ""
    basic = ("basic", user, password)

    # The process engine service, with a session from its login.
    login = t.call("POST", "/ServiceModel/AuthService.svc/Login",
                   {"UserName": user, "UserPassword": password}, auth=None)
    if not (isinstance(login, dict) and login.get("Code") == 0):
        t.failures.append(f"vendor login refused: {login}")
    cookies = t.last_headers.get_all("Set-Cookie") or []
    jar = "; ".join(c.split(";")[0] for c in cookies)
    csrf = next((c.split(";")[0].split("=", 1)[1] for c in cookies
                 if c.startswith("BPMCSRF=")), "")
    session = {"Cookie": jar, "BPMCSRF": csrf}
    for svc in ("/0/ServiceModel/ProcessEngineService.svc",
                "/ServiceModel/ProcessEngineService.svc",
                "/myapp/0/ServiceModel/ProcessEngineService.svc",
                "/myapp/ServiceModel/ProcessEngineService.svc"):
        t.call("GET", f"{svc}/OneStepNotepadRunner/Execute?ResultParameterName=x&username=U"
                      f"&surname=S", auth=None, headers=session)
        t.call("POST", f"{svc}/OneStepNotepadRunner/Execute?username=U&surname=S", "",
               auth=None, headers=session)
        t.call("POST", f"{svc}/RunProcess",
               {"schemaName": "LoanApproval", "parameterValues": {"applicant": "A", "amount": 5}},
               auth=None, headers=session)
        t.call("POST", f"{svc}/RunProcess", {"schemaName": "Nope"}, auth=None,
               headers=session, expect=None)
        for method in ("GET", "POST"):
            # A timer fired now (its first step), then a sign-off without params (its second).
            started = t.call("POST", "/api/v1/processes", {"definition": "LiveTimer"},
                             expect=201)
            sid = started.get("id", "") if isinstance(started, dict) else ""
            for n in (1, 2):
                t.call(method, f"{svc}/ExecProcElByUId/{sid}-{n}",
                       "" if method == "POST" else None, auth=None, headers=session)
        t.call("GET", f"{svc}/ExecProcElByUId/garbage", auth=None, headers=session,
               expect=None)
    t.call("POST", "/0/ServiceModel/AuthService.svc/Login",
           {"UserName": user, "UserPassword": "wrong"}, auth=None)
    for base in ("/0", ""):
        t.call("POST", f"{base}/ServiceModel/AuthService.svc/Logout", "", auth=None,
               headers=session)

    # The scheduler connector.
    for prefix in ("/scheduler/connector-api", "/scheduler/connector-API"):
        started = t.call("POST", f"{prefix}/process/start",
                         {"name": "LoanApproval", "values": {"applicant": "A", "amount": 2}},
                         auth=basic)
        spid = started.get("robustaSpid", "") if isinstance(started, dict) else ""
        t.call("GET", f"{prefix}/process/status/{spid or 'none'}", auth=basic)
        t.call("GET", f"{prefix}/process/status/nosuchprocess", auth=basic, expect=None)
        t.call("POST", f"{prefix}/process/start", {"values": {}}, auth=basic, expect=None)

    # Workfloo.
    w = t.call("POST", "/api/v1/workfloo",
               {"idWorkflooDefinition": "LoanApproval",
                "form": {"applicant": "Ada", "amount": "500"}})
    t.call("POST", "/api/v1/workfloo", {"form": {}}, expect=None)
    wid = w.get("id", "") if isinstance(w, dict) else ""
    t.call("GET", "/api/v1/workfloo")
    t.call("GET", "/api/v2/workfloo")
    t.call("GET", f"/api/v1/workfloo/{wid or 'none'}", expect=None)
    t.call("GET", f"/api/v1/workfloo/status/{wid or 'none'}", expect=None)

    # OAuth and the job workflow.
    tok = t.call("POST", "/services/oauth2/token",
                 f"grant_type=password&username={user}&password={password}",
                 auth=None, form=True, expect=None)
    access = tok.get("access_token", "") if isinstance(tok, dict) else ""
    if access:
        oauth = base64.b64encode(json.dumps({"access_token": access}).encode()).decode()
        job = t.call("POST", "/v1/JobWorkflow/Authorized",
                     {"descriptor": "PLATFORM_CUSTOM_WORKFLOW",
                      "parameters": {"WORKFLOW_AUTOMATION_ID": "LoanApproval",
                                     "applicant": "A", "amount": 1}},
                     auth=None, headers={"Authorization": "OAuth " + oauth}, expect=None)
        jid = job.get("jobId", "") if isinstance(job, dict) else ""
        t.call("GET", f"/v1/JobWorkflow/{jid or 'none'}", auth=None,
               headers={"Authorization": "OAuth " + oauth}, expect=None)
        t.call("POST", "/services/oauth2/revoke", f"token={access}", auth=None, form=True,
               expect=None)
    t.call("POST", "/services/oauth2/token", "grant_type=nope", auth=None, form=True,
           expect=400)


def unauthenticated_tour(t):
    """Every operation that needs credentials, called without: 401 in its own format."""
    for method, template, _, op in t.doc.templates:
        if op.get("security") == [] or op.get("x-baton-cluster-only"):
            continue
        path = re.sub(r"\{[^}]+\}", "probe", template)
        t.call(method, path, "" if method in ("POST", "PUT") else None, auth=None, expect=401)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, source = sys.argv[1], sys.argv[2]
    doc = Document(os.path.join(source, "http", "openapi.json"))
    server = Server(binary, source)
    try:
        tour = Tour(doc, server.port)
        native_tour(tour)
        vendor_tour(tour, os.path.dirname(binary))
        unauthenticated_tour(tour)
    finally:
        server.stop()
    failures = tour.failures + [f"never answered with a 2xx: {u}" for u in tour.uncovered()]
    for f in failures:
        print("FAIL", f)
    calls = sum(len(s) for s in tour.answered.values())
    print(f"{len(tour.answered)} operations answered ({calls} operation/status pairs), "
          f"{len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
