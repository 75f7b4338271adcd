#!/usr/bin/env python3
"""The web UI in a real Chromium (headless, driven by Selenium) against a real server.

    ui_test.py BATON_BINARY SCREENSHOT_DIR CASE...

The CASEs share one `baton serve` (127.0.0.1, ephemeral port, temporary folder) and one
browser, which start once (a browser and its first page cost seconds on busy cores) and are
stopped by pid, pass or fail. Each case starts signed out, on a fresh page at 1280x800, and
makes its own processes, so no case depends on another. Every wait is for a condition on
the page, bounded; nothing sleeps a guessed time. Screenshots go to SCREENSHOT_DIR.
"""

import http.server
import json
import os
import sys
import re
import threading
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from baton_process import BatonServer  # noqa: E402  (tests/support, beside this folder)

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Server(BatonServer):
    """A server with the example definitions, and calls to its API as its admin."""

    def __init__(self, binary):
        # 127.0.0.1: the PricingService a retry case stands up.
        super().__init__(binary, SOURCE, env_extra={"BATON_OUTGOING__ALLOW_HOSTS": "127.0.0.1"},
                         prefix="baton-ui-")
        self.admin_key = self.key

    def api(self, method, path, body=None):
        request = urllib.request.Request(
            self.url + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"x-api-key": self.admin_key, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"null")


class PricingService:
    """The pricing service PublishListPrices asks: down (503) until `up` is set."""

    def __init__(self):
        service = self
        self.up = False

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b'{"price": 42.5}' if service.up else b'{"error": "down"}'
                self.send_response(200 if service.up else 503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/prices"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def browser(width=1280, height=800):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # see page_errors
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def page_errors(driver):
    """The console's errors since the last call: an uncaught exception, a refused script or
    style (CSP). A refused request (401, 409, ...) is logged too, and is the page's to show."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]]


class Case:
    def __init__(self, server, driver, shots):
        self.server, self.driver, self.shots = server, driver, shots
        # A bound for a page to get there, not a speed claim: generous, for 2 busy cores.
        self.wait = WebDriverWait(driver, 60)

    def open(self, hash_path="#/processes"):
        self.driver.get(f"{self.server.url}/ui/{hash_path}")

    def find(self, css):
        return self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def text_appears(self, css, text):
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))

    def login(self):
        self.open()
        field = self.find("#api-key")
        field.clear()  # the same page may still hold an earlier attempt
        field.send_keys(self.server.key)
        self.find("#key-login button").click()
        self.find("#nav")
        self.wait.until(lambda d: d.find_element(By.ID, "nav").is_displayed())

    def shot(self, name):
        os.makedirs(self.shots, exist_ok=True)
        self.driver.save_screenshot(os.path.join(self.shots, name + ".png"))

    def alert_shown(self):
        try:
            self.driver.switch_to.alert
            return True
        except Exception:
            return False


# ---- the cases --------------------------------------------------------------------------------

def wrong_key_shows_an_error(c):
    c.open()
    c.find("#api-key").send_keys("not-a-key")
    c.find("#key-login button").click()
    c.text_appears("#login-error", "not valid")
    assert not c.driver.find_element(By.ID, "nav").is_displayed()
    c.shot("login-error")
    c.login()
    c.text_appears("main h1", "Processes")


def password_login_uses_a_session(c):
    made = c.server.api("POST", "/api/v1/clients",
                        {"name": "clerk", "role": "runner", "definitions": ["Loan*"]})
    c.open()
    c.find("#user").send_keys("clerk")
    c.find("#password").send_keys(made["password"])
    c.find("#password-login button").click()
    c.text_appears("main h1", "Processes")
    # The session cookie and its CSRF header carry the calls; no key is kept.
    assert c.driver.execute_script("return sessionStorage.getItem('baton.apiKey')") is None
    assert any(k["name"] == "BPMCSRF" for k in c.driver.get_cookies())
    # A runner sees no clients link, and a clients page says it may not.
    c.wait.until(lambda d: not d.find_element(By.ID, "nav-clients").is_displayed())
    c.open("#/clients")
    c.text_appears("#notice", "403")
    c.find("#logout").click()
    c.find("#api-key")


def processes_filter_page_and_refresh(c):
    c.login()
    runner = {"definition": "OneStepNotepadRunner", "values": {"username": "h", "surname": "i"}}
    for _ in range(21):
        c.server.api("POST", "/api/v1/processes", runner)
    apac = c.server.api("POST", "/api/v1/processes",
                        {"definition": "LoanApproval", "scope": "apac",
                         "values": {"applicant": "Hu", "amount": 9}})
    c.wait.until(lambda _: c.server.api(
        "GET", "/api/v1/processes?definition=OneStepNotepadRunner&status=RUNNING&limit=100")["items"] == [])
    done = c.server.api(
        "GET", "/api/v1/processes?definition=OneStepNotepadRunner&status=SUCCEEDED&limit=100")["items"]
    assert len(done) > 20, len(done)
    rows = "#process-list tbody tr"

    # The filter form: a page of 20, then More for the rest.
    c.open("#/processes")
    Select(c.find("form.filters select[name=status]")).select_by_visible_text("SUCCEEDED")
    Select(c.find("form.filters select[name=definition]")).select_by_visible_text("OneStepNotepadRunner")
    c.find("form.filters button[type=submit]").click()
    c.wait.until(lambda d: "status=SUCCEEDED" in d.current_url and len(d.find_elements(By.CSS_SELECTOR, rows)) == 20)
    assert apac["id"] not in c.find("#process-list").text
    c.find("#more").click()
    c.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, rows)) == len(done))

    # By scope, refreshed live: a process started elsewhere appears without a reload.
    c.open("#/processes?scope=apac")
    c.text_appears("#process-list", apac["id"])
    c.find("#live").click()
    later = c.server.api("POST", "/api/v1/processes",
                         {"definition": "LoanApproval", "scope": "apac",
                          "values": {"applicant": "Iv", "amount": 8}})
    c.text_appears("#process-list", later["id"])
    assert len(c.driver.find_elements(By.CSS_SELECTOR, rows)) == 2


def start_and_complete_through_forms(c):
    c.login()
    Select(c.find("#start-definition")).select_by_visible_text("LoanApproval")
    c.find("#f-applicant").send_keys("Ada")
    c.find("#f-amount").send_keys("5000")
    c.find("form.card button[type=submit]").click()
    c.text_appears("#process-status", "RUNNING")
    process_id = c.driver.current_url.rsplit("/", 1)[1]
    # In the list.
    c.open("#/processes")
    c.text_appears("#process-list", process_id)
    c.shot("processes")
    # The review step's form, generated from its typed params.
    c.open(f"#/process/{process_id}")
    c.find("#complete #f-approved").click()
    c.find("#complete #f-comment").send_keys("looks fine")
    c.shot("process-complete-form")
    c.find("#complete button[type=submit]").click()
    c.text_appears("#process-status", "SUCCEEDED")
    assert c.server.api("GET", f"/api/v1/processes/{process_id}")["status"] == "SUCCEEDED"
    c.shot("process-succeeded")


def a_refused_completion_says_why(c):
    c.login()
    p = c.server.api("POST", "/api/v1/processes",
                     {"definition": "LoanApproval", "values": {"applicant": "Bo", "amount": 1}})
    c.open(f"#/process/{p['id']}")
    # The form is on the page first: a loaded machine may render the page only after the
    # cancel below, and then there is no form to submit.
    submit = c.find("#complete button[type=submit]")
    # Cancelled meanwhile (by someone else): the form's completion is refused, and the page
    # says why instead of failing silently.
    c.server.api("POST", f"/api/v1/processes/{p['id']}/cancel", {"reason": "test"})
    submit.click()
    c.text_appears("#complete .error", "409")
    c.text_appears("#complete .error", "not waiting")
    c.driver.refresh()
    c.text_appears("#process-status", "CANCELLED")


def cancel_and_retry_from_the_process_page(c):
    c.login()
    p = c.server.api("POST", "/api/v1/processes",
                     {"definition": "LoanApproval", "values": {"applicant": "Gu", "amount": 4}})
    c.open(f"#/process/{p['id']}")
    c.find("#cancel").click()
    c.text_appears("#process-status", "CANCELLED")
    assert c.server.api("GET", f"/api/v1/processes/{p['id']}")["status"] == "CANCELLED"

    # A process that failed while its service was down runs again from the Retry button.
    service = PricingService()
    try:
        p = c.server.api("POST", "/api/v1/processes",
                         {"definition": "PublishListPrices", "values": {"pricingUrl": service.url}})
        get = lambda: c.server.api("GET", f"/api/v1/processes/{p['id']}")
        c.wait.until(lambda _: get()["status"] == "FAILED")
        c.open(f"#/process/{p['id']}")
        c.text_appears("#process-status", "FAILED")
        service.up = True
        c.find("#retry").click()
        c.wait.until(lambda _: get()["status"] == "SUCCEEDED")
        c.driver.refresh()
        c.text_appears("#process-status", "SUCCEEDED")
        c.text_appears("main", "SKU-1 at 42.5")
        assert not c.driver.find_elements(By.ID, "retry")
    finally:
        service.stop()


def script_values_show_as_text(c):
    c.login()
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    p = c.server.api("POST", "/api/v1/processes",
                     {"definition": "OneStepNotepadRunner",
                      "values": {"username": evil, "surname": "x"}})
    c.open(f"#/process/{p['id']}")
    c.text_appears("main", "<script>alert(1)</script>")
    assert not c.alert_shown(), "a value ran as script"
    assert not c.driver.find_elements(By.CSS_SELECTOR, "main script, main img")
    c.shot("escaped-values")


def static_files_carry_a_strict_policy(c):
    """Every file of http/ui is served without credentials, typed, revalidated, and under a
    policy that runs no inline script; anything else under /ui/ is a 404 naming the file."""
    types = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
    names = sorted(os.listdir(os.path.join(SOURCE, "http", "ui")))
    assert "index.html" in names and "app.js" in names, names
    for name in names + [""]:
        with urllib.request.urlopen(f"{c.server.url}/ui/{name}", timeout=10) as r:
            body = r.read().decode()
            kind = types[os.path.splitext(name or "index.html")[1]]
            assert r.headers["Content-Type"].startswith(kind), (name, r.headers["Content-Type"])
            assert r.headers["Cache-Control"] == "no-cache", name
            assert r.headers["X-Content-Type-Options"] == "nosniff", name
            policy = dict(p.strip().split(" ", 1) for p in r.headers["Content-Security-Policy"].split(";"))
            assert policy["script-src"] == "'self'", policy
            assert policy["default-src"] == "'none'", policy
            assert policy["frame-ancestors"] == "'none'", policy
        if name.endswith(".html") or name == "":
            # Scripts only by src: the policy would refuse an inline one anyway.
            assert not re.search(r"<script(?![^>]*\bsrc=)", body), name
            assert not re.search(r"\son[a-z]+=", body), name
        with open(os.path.join(SOURCE, "http", "ui", name or "index.html"), encoding="utf-8") as f:
            assert body == f.read(), f"{name} is served as it is in the tree"
    for missing in ("nothing.js", "..%2Fopenapi.json", "index.html%00.js"):
        try:
            urllib.request.urlopen(f"{c.server.url}/ui/{missing}", timeout=10)
            raise AssertionError(f"/ui/{missing} was served")
        except urllib.error.HTTPError as e:
            assert e.code == 404, (missing, e.code)
            assert e.headers["Content-Type"].startswith("application/problem+json"), missing
            assert json.loads(e.read())["status"] == 404
    # And no source file uses innerHTML and friends: text only, always.
    for name in names:
        if name.endswith(".js"):
            with open(os.path.join(SOURCE, "http", "ui", name), encoding="utf-8") as f:
                assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(",
                                     f.read()), name


def inbox_lists_and_completes_open_steps(c):
    c.login()
    p = c.server.api("POST", "/api/v1/processes",
                     {"definition": "LoanApproval", "values": {"applicant": "Cy", "amount": 7}})
    c.open("#/inbox")
    task = c.find(f'section.task[data-process="{p["id"]}"]')
    assert "approved" in task.text
    c.shot("inbox")
    task.find_element(By.CSS_SELECTOR, "#f-approved").click()
    task.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    c.wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'section.task[data-process="{p["id"]}"]'))
    assert c.server.api("GET", f"/api/v1/processes/{p['id']}")["status"] == "SUCCEEDED"

    # Filtered by scope: only that desk's open step stays.
    start = {"definition": "LoanApproval", "values": {"applicant": "Da", "amount": 6}}
    elsewhere = c.server.api("POST", "/api/v1/processes", start)
    desk = c.server.api("POST", "/api/v1/processes", {**start, "scope": "desk-9"})
    c.driver.refresh()  # still on #/inbox: opening it again would not load it again
    c.find(f'section.task[data-process="{elsewhere["id"]}"]')
    c.find(f'section.task[data-process="{desk["id"]}"]')
    c.find("#inbox-filters input[name=scope]").send_keys("desk-9")
    c.find("#inbox-filters button[type=submit]").click()
    c.wait.until(lambda d: "scope=desk-9" in d.current_url and not d.find_elements(
        By.CSS_SELECTOR, f'section.task[data-process="{elsewhere["id"]}"]'))
    assert len(c.driver.find_elements(By.CSS_SELECTOR, "section.task")) == 1
    c.text_appears(f'section.task[data-process="{desk["id"]}"]', "scope desk-9")


def definition_graph_draws_every_step(c):
    c.login()
    c.open("#/definitions")
    c.find('a[href="#/definitions/LoanApproval"]').click()
    c.find("svg.graph")
    nodes = c.driver.find_elements(By.CSS_SELECTOR, "svg.graph g.node")
    assert len(nodes) == 5, len(nodes)
    assert len(c.driver.find_elements(By.CSS_SELECTOR, "svg.graph path.edge")) >= 4
    c.shot("definition-graph")

    # A second version: the page opens on it, and the version picker draws the first.
    c.server.api("PUT", "/api/v1/definitions/OneStepNotepadRunner", {
        "name": "OneStepNotepadRunner", "description": "two steps",
        "inputs": {"username": "string", "surname": "string"}, "outputs": ["x", "y"],
        "steps": [{"id": "compose", "kind": "script", "set": {"x": "${username} ${surname}"}},
                  {"id": "shout", "kind": "script", "set": {"y": "${x}!"}}]})
    c.open("#/definitions/OneStepNotepadRunner")
    nodes = "svg.graph g.node"
    c.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, nodes)) == 2)
    versions = Select(c.find("#version"))
    assert versions.first_selected_option.text == "version 2"
    versions.select_by_visible_text("version 1")
    c.wait.until(lambda d: d.current_url.endswith("/OneStepNotepadRunner/1")
                 and len(d.find_elements(By.CSS_SELECTOR, nodes)) == 1)


def parent_and_children_link_each_other(c):
    c.login()
    p = c.server.api("POST", "/api/v1/processes", {
        "definition": "LoanOrigination",
        "values": {"loanId": "UI-1", "applicant": "Ada", "amount": 5000, "guarantors": ["ann"]}})
    get = lambda: c.server.api("GET", f"/api/v1/processes/{p['id']}")
    c.wait.until(lambda _: len(get().get("children", [])) == 2)
    c.open(f"#/process/{p['id']}")
    c.find("#children")
    rows = c.driver.find_elements(By.CSS_SELECTOR, "#children tbody tr")
    assert len(rows) == 2, len(rows)
    c.shot("process-children")
    child = get()["children"][0]["processId"]
    c.find(f'#children a[href="#/process/{child}"]').click()
    c.text_appears("#parent", p["id"])
    c.find(f'#parent a[href="#/process/{p["id"]}"]')

    # The definition's graph forks from the parallel step to both branches.
    c.open("#/definitions/LoanOrigination")
    c.find("svg.graph")
    assert len(c.driver.find_elements(By.CSS_SELECTOR, "svg.graph g.node")) == 10
    # checks → credit, fraud, kyc; kyc → documents → signatures → sign, decide; decide's three
    edges = c.driver.find_elements(By.CSS_SELECTOR, "svg.graph path.edge")
    assert len(edges) == 10, len(edges)


def dashboard_draws_charts(c):
    c.login()
    c.server.api("POST", "/api/v1/processes",
                 {"definition": "OneStepNotepadRunner", "values": {"username": "a", "surname": "b"}})
    c.open("#/dashboard")
    c.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#charts svg.chart")) == 5)
    # A second sample draws the lines.
    c.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#charts polyline"))
    c.shot("dashboard")
    c.open("#/schedules")
    c.text_appears("main h1", "Schedules")
    c.open("#/scopes")
    c.text_appears("main h1", "Scopes")
    c.open("#/clients")
    c.text_appears("main", "admin")


def schedules_pause_and_scopes_queue(c):
    c.login()
    cron = "0 0 12 * * ?"
    made = c.server.api("POST", "/api/v1/schedules",
                        {"definition": "LoanApproval", "cron": cron,
                         "values": {"applicant": "Ed", "amount": 2}})
    c.open("#/schedules")
    c.text_appears("main table", cron)
    c.text_appears("main table", made["nextFireTimes"][0])
    c.find("main table button").click()  # Pause
    c.text_appears("main table", "PAUSED")
    assert c.server.api("GET", f"/api/v1/schedules/{made['id']}")["status"] == "PAUSED"
    c.text_appears("main table button", "Resume")
    c.find("main table button").click()
    c.text_appears("main table", "ACTIVE")
    assert c.server.api("GET", f"/api/v1/schedules/{made['id']}")["status"] == "ACTIVE"
    c.shot("schedules")

    # A scope of limit 1 with two processes: one runs, one queues; raising the limit from
    # the page lets the queued one run.
    c.server.api("PUT", "/api/v1/scopes/emea", {"limit": 1})
    start = {"definition": "LoanApproval", "scope": "emea", "values": {"applicant": "Fe", "amount": 3}}
    first = c.server.api("POST", "/api/v1/processes", start)
    second = c.server.api("POST", "/api/v1/processes", start)
    c.open("#/scopes")
    scope = 'section.scope[data-scope="emea"]'
    # Each id is a link to its process (not the link's text flattened into the paragraph).
    c.find(f'{scope} p.running a[href="#/process/{first["id"]}"]')
    c.find(f'{scope} p.queue li a[href="#/process/{second["id"]}"]')
    assert "http" not in c.find(f"{scope} p.running").text
    c.shot("scopes")
    limit = c.find(f"{scope} input[name=limit]")
    limit.clear()
    limit.send_keys("2")
    c.find(f"{scope} button[type=submit]").click()
    c.find(f'{scope} p.running a[href="#/process/{second["id"]}"]')
    c.text_appears(f"{scope} p.queue", "empty")
    assert c.server.api("GET", "/api/v1/scopes/emea")["limit"] == 2


def phone_width_does_not_overflow(c):
    c.driver.set_window_size(390, 844)
    c.login()
    p = c.server.api("POST", "/api/v1/processes",
                     {"definition": "LoanApproval", "scope": "phone", "values": {"applicant": "Di", "amount": 3}})
    c.server.api("POST", "/api/v1/schedules", {"definition": "LoanApproval", "cron": "0 0 12 * * ?",
                                               "values": {"applicant": "Jo", "amount": 1}})
    for page in ("#/processes", f"#/process/{p['id']}", "#/inbox", "#/definitions",
                 "#/definitions/LoanApproval", "#/schedules", "#/scopes", "#/clients", "#/dashboard"):
        c.open(page)
        c.find("main h1")
        c.wait.until(lambda d: "Loading" not in d.find_element(By.ID, "main").text)
        overflow = c.driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{page} overflows by {overflow}px at phone width"
    c.shot("phone")


CASES = {f.__name__: f for f in (
    wrong_key_shows_an_error, password_login_uses_a_session,
    processes_filter_page_and_refresh, start_and_complete_through_forms, a_refused_completion_says_why,
    cancel_and_retry_from_the_process_page,
    script_values_show_as_text, static_files_carry_a_strict_policy,
    inbox_lists_and_completes_open_steps,
    definition_graph_draws_every_step, dashboard_draws_charts, schedules_pause_and_scopes_queue,
    parent_and_children_link_each_other,
    phone_width_does_not_overflow)}


def signed_out(driver, server):
    """Forgets the last case's sign-in (key, cookies) and leaves the page, at desktop size."""
    if driver.current_url.startswith(server.url):
        driver.execute_script("sessionStorage.clear()")
    driver.delete_all_cookies()
    driver.get("about:blank")
    driver.set_window_size(1280, 800)


def main():
    binary, shots, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    unknown = [n for n in names if n not in CASES]
    if not names or unknown:
        sys.exit(f"usage: ui_test.py BATON_BINARY SCREENSHOT_DIR CASE...; unknown: {unknown}")
    server = Server(binary)
    driver = None
    name = "starting the browser"
    try:
        driver = browser()
        for name in names:
            signed_out(driver, server)
            CASES[name](Case(server, driver, shots))
            errors = page_errors(driver)
            assert not errors, f"the console logged errors: {errors}"
            print(f"ok: {name}")
    except (AssertionError, TimeoutException) as e:
        if driver:
            Case(server, driver, shots).shot(f"failed-{name}")
            print("page text:", driver.find_element(By.TAG_NAME, "body").text[:2000])
        print(f"FAIL: {name}: {e!r}")
        sys.exit(1)
    finally:
        if driver:
            driver.quit()
        server.stop()


if __name__ == "__main__":
    main()
