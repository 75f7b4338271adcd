#!/usr/bin/env python3
"""Holds the documentation to the server, so that it cannot rot.

    docs_test.py BATON_BINARY SOURCE_DIR tour       the README tour, pasted into bash
    docs_test.py BATON_BINARY SOURCE_DIR vendor     every request of docs/vendor-apis.md
    docs_test.py BATON_BINARY SOURCE_DIR examples   definitions shown in docs = examples/

`tour` runs the ```sh blocks between <!-- tour:begin --> and <!-- tour:end --> in one
`bash -euo pipefail` against a server of its own, and checks that the process it starts
ends SUCCEEDED with its history. `vendor` runs every ```sh block of docs/vendor-apis.md in
order in one bash; a block followed by "→ `NNN`" must answer that status, and its answer
must have every field of the ```json block after it (values may differ: ids, times), the
root element of an ```xml block, or the first line of a ```csv block. `examples` checks
that every JSON block in README.md and docs/*.md that names a definition is, as JSON, the
file of that name in examples/.
"""

import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


class Server:
    """`baton serve` in a temporary folder, stopped by pid."""

    def __init__(self, binary, source, env_extra):
        self.dir = tempfile.TemporaryDirectory(prefix="baton-docs-")
        self.data = os.path.join(self.dir.name, "data")
        self.log_path = os.path.join(self.dir.name, "log")
        env = dict(os.environ, **env_extra)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--data", self.data,
             "--definitions", os.path.join(source, "examples", "definitions")],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                m = re.search(r"baton listening on 127\.0\.0\.1:(\d+)\n", f.read())
            if m:
                self.port = int(m.group(1))
                with open(os.path.join(self.data, "initial-admin-key")) as k:
                    self.key = k.read().strip()
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)  # polling the log for the listening line, bounded by the deadline
        self.stop()
        raise RuntimeError("baton did not start:\n" + open(self.log_path).read())

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_bash(script, env, cwd, timeout):
    """Runs `script` in its own process group (so that what it starts in the background is
    stopped with it); returns (exit code, output)."""
    proc = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return 124, out + f"\n(timed out after {timeout} s)"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # a background delegate left behind
        except ProcessLookupError:
            pass
    return proc.returncode, out


def tour(binary, source):
    readme = open(os.path.join(source, "README.md")).read()
    m = re.search(r"<!-- tour:begin -->(.*?)<!-- tour:end -->", readme, re.S)
    if not m:
        return ["README.md has no <!-- tour:begin --> ... <!-- tour:end --> section"]
    blocks = [body for lang, body in BLOCK.findall(m.group(1)) if lang == "sh"]
    if not blocks:
        return ["the tour has no sh blocks"]
    port = free_port()
    server = Server(binary, source, {"BATON_OUTGOING__ALLOW_HOSTS": f"127.0.0.1:{port}"})
    try:
        env = dict(os.environ, BATON_URL=f"http://127.0.0.1:{server.port}",
                   BATON_KEY=server.key, DELEGATE_PORT=str(port))
        code, out = run_bash("\n".join(blocks), env, source, timeout=90)
    finally:
        server.stop()
    print(out)
    problems = []
    if code != 0:
        problems.append(f"the tour exited with {code}")
    for expected in ("RUNNING 7.5", "SUCCEEDED", "'decision': 'accepted at 7.5'",
                     "process_succeeded", "step_completed"):
        if expected not in out:
            problems.append(f"the tour's output lacks {expected!r}")
    return problems


def missing_fields(documented, actual, at=""):
    """Paths of the documented answer's members that the actual answer lacks."""
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return [at or "(root)"]
        out = []
        for k, v in documented.items():
            if k not in actual:
                out.append(f"{at}/{k}")
            else:
                out += missing_fields(v, actual[k], f"{at}/{k}")
        return out
    if isinstance(documented, list) and documented:
        if not isinstance(actual, list) or not actual:
            return [at or "(root)"]
        return missing_fields(documented[0], actual[0], at + "/0")
    return []


def vendor(binary, source):
    doc = open(os.path.join(source, "docs", "vendor-apis.md")).read()
    # Each ```sh block, with the status ("→ `200`") and the answer documented after it.
    pieces = BLOCK.split(doc)  # text, lang, body, text, lang, body, ..., text
    steps = []
    for i in range(1, len(pieces), 3):
        lang, body, before, after = pieces[i], pieces[i + 1], pieces[i - 1], pieces[i + 2]
        if lang == "sh":
            status = re.match(r"\s*→ `(\d{3})`", after)
            steps.append({"script": body, "answer": None,
                          "status": int(status.group(1)) if status else None})
        elif steps and steps[-1]["status"] is not None and steps[-1]["answer"] is None \
                and re.fullmatch(r"\s*→ `\d{3}`\s*", before):
            steps[-1]["answer"] = (lang, body)

    script = ['curl() { if [ -n "${DOCS_CHECK:-}" ]; then '
              'command curl -w "\\n@@status %{http_code}\\n" "$@"; else command curl "$@"; fi; }']
    for n, s in enumerate(steps):
        checked = s["status"] is not None
        script.append(f"echo '@@block {n}'")
        script.append("export DOCS_CHECK=1" if checked else "unset DOCS_CHECK")
        script.append(s["script"])
    server = Server(binary, source, {})
    try:
        env = dict(os.environ, BATON_URL=f"http://127.0.0.1:{server.port}", BATON_KEY=server.key)
        code, out = run_bash("\n".join(script), env, source, timeout=120)
    finally:
        server.stop()
    problems = [] if code == 0 else [f"the requests' script exited with {code}:\n{out[-2000:]}"]
    outputs = {}
    for m in re.finditer(r"@@block (\d+)\n(.*?)(?=@@block \d+\n|\Z)", out, re.S):
        outputs[int(m.group(1))] = m.group(2)
    checked = 0
    for n, s in enumerate(steps):
        if s["status"] is None:
            continue
        checked += 1
        got = outputs.get(n, "")
        st = re.search(r"\n?@@status (\d{3})\n", got)
        if not st:
            problems.append(f"request {n} gave no answer:\n{s['script']}\n{got}")
            continue
        body = got[:st.start()]
        if int(st.group(1)) != s["status"]:
            problems.append(f"request {n}: status {st.group(1)}, documented {s['status']}:\n"
                            f"{s['script']}\n{body[:500]}")
            continue
        if not s["answer"]:
            continue
        lang, documented = s["answer"]
        if lang == "json":
            try:
                actual = json.loads(body)
            except ValueError:
                problems.append(f"request {n}: the answer is not JSON: {body[:300]!r}")
                continue
            for path in missing_fields(json.loads(documented), actual):
                problems.append(f"request {n}: the answer lacks {path}: {body[:300]}")
        elif lang == "xml":
            root = re.match(r"\s*<([\w:]+)", documented).group(1)
            if not body.lstrip().startswith("<" + root):
                problems.append(f"request {n}: the answer is not a <{root}>: {body[:300]!r}")
        elif lang == "csv":
            if body.splitlines()[:1] != documented.splitlines()[:1]:
                problems.append(f"request {n}: the CSV header differs: {body[:300]!r}")
    if checked < 15:
        problems.append(f"only {checked} requests carry a documented status")
    print(f"{checked} documented requests checked against a live server")
    return problems


def examples(source):
    by_name = {}
    for path in glob.glob(os.path.join(source, "examples", "**", "*.json"), recursive=True):
        with open(path) as f:
            data = json.load(f)
        if isinstance(data, dict) and "name" in data and "steps" in data:
            by_name[data["name"]] = (path, data)
    problems, compared = [], 0
    docs = [os.path.join(source, "README.md")] + glob.glob(os.path.join(source, "docs", "*.md"))
    for doc in docs:
        for lang, body in BLOCK.findall(open(doc).read()):
            if lang != "json":
                continue
            try:
                data = json.loads(body)
            except ValueError:
                continue  # a fragment, not a whole definition
            if not (isinstance(data, dict) and "steps" in data):
                continue
            name = data.get("name")
            if name not in by_name:
                problems.append(f"{os.path.relpath(doc, source)}: a definition {name!r} "
                                "that is no file in examples/")
            elif by_name[name][1] != data:
                problems.append(f"{os.path.relpath(doc, source)}: {name} differs from "
                                f"{os.path.relpath(by_name[name][0], source)}")
            compared += 1
    if compared == 0:
        problems.append("no definition found in the docs")
    print(f"{compared} definitions in the docs compared with examples/")
    return problems


def main():
    binary, source, what = sys.argv[1], sys.argv[2], sys.argv[3]
    problems = {"tour": lambda: tour(binary, source),
                "vendor": lambda: vendor(binary, source),
                "examples": lambda: examples(source)}[what]()
    for p in problems:
        print("FAIL:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
