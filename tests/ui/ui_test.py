#!/usr/bin/env python3
"""The web UI in a real Chromium (headless, driven by Selenium) against a real server.

    ui_test.py BATON_BINARY SCREENSHOT_DIR CASE

Each CASE starts its own `baton serve` (127.0.0.1, ephemeral port, temporary folder) and
its own browser, and stops both by pid, pass or fail. Every wait is for a condition on the
page, bounded; nothing sleeps a guessed time. Screenshots go to SCREENSHOT_DIR.
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Server:
    """`baton serve` with the example definitions, in a temporary folder."""

    def __init__(self, binary):
        self.dir = tempfile.TemporaryDirectory(prefix="baton-ui-")
        data = os.path.join(self.dir.name, "data")
        self.log_path = os.path.join(self.dir.name, "log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--data", data,
             "--definitions", os.path.join(SOURCE, "examples", "definitions")],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                m = re.search(r"baton listening on 127\.0\.0\.1:(\d+)\n", f.read())
            if m:
                self.url = f"http://127.0.0.1:{m.group(1)}"
                with open(os.path.join(data, "initial-admin-key")) as k:
                    self.key = k.read().strip()
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)  # polling the log for the listening line, bounded by the deadline
        self.stop()
        raise RuntimeError("baton did not start:\n" + open(self.log_path).read())

    def api(self, method, path, body=None):
        request = urllib.request.Request(
            self.url + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"x-api-key": self.key, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"null")

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def browser(width=1280, height=800):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Case:
    def __init__(self, server, driver, shots):
        self.server, self.driver, self.shots = server, driver, shots
        self.wait = WebDriverWait(driver, 20)

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
    # Cancelled meanwhile (by someone else): the form's completion is refused, and the page
    # says why instead of failing silently.
    c.server.api("POST", f"/api/v1/processes/{p['id']}/cancel", {"reason": "test"})
    c.find("#complete button[type=submit]").click()
    c.text_appears("#complete .error", "409")
    c.text_appears("#complete .error", "not waiting")
    c.driver.refresh()
    c.text_appears("#process-status", "CANCELLED")


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


def definition_graph_draws_every_step(c):
    c.login()
    c.open("#/definitions")
    c.find('a[href="#/definitions/LoanApproval"]').click()
    c.find("svg.graph")
    nodes = c.driver.find_elements(By.CSS_SELECTOR, "svg.graph g.node")
    assert len(nodes) == 5, len(nodes)
    assert len(c.driver.find_elements(By.CSS_SELECTOR, "svg.graph path.edge")) >= 4
    c.shot("definition-graph")


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


def phone_width_does_not_overflow(c):
    c.login()
    c.server.api("POST", "/api/v1/processes",
                 {"definition": "LoanApproval", "values": {"applicant": "Di", "amount": 3}})
    for page in ("#/processes", "#/inbox", "#/definitions/LoanApproval", "#/dashboard"):
        c.open(page)
        c.find("main h1")
        c.wait.until(lambda d: "Loading" not in d.find_element(By.ID, "main").text)
        overflow = c.driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{page} overflows by {overflow}px at phone width"
    c.shot("phone")


CASES = {f.__name__: f for f in (
    wrong_key_shows_an_error, password_login_uses_a_session, start_and_complete_through_forms, a_refused_completion_says_why,
    script_values_show_as_text, inbox_lists_and_completes_open_steps,
    definition_graph_draws_every_step, dashboard_draws_charts, phone_width_does_not_overflow)}


def main():
    binary, shots, name = sys.argv[1], sys.argv[2], sys.argv[3]
    server = Server(binary)
    driver = None
    try:
        driver = browser(390, 844) if name == "phone_width_does_not_overflow" else browser()
        CASES[name](Case(server, driver, shots))
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
