"""`baton serve` for the Python tests (docs, UI, the OpenAPI live check): a real server on
127.0.0.1 with an ephemeral port and a temporary data folder, stopped by pid."""

import os
import re
import signal
import subprocess
import tempfile
import time


class BatonServer:
    def __init__(self, binary, source, env_extra=None, prefix="baton-test-"):
        self.dir = tempfile.TemporaryDirectory(prefix=prefix)
        self.data = os.path.join(self.dir.name, "data")
        self.log_path = os.path.join(self.dir.name, "log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--data", self.data,
             "--definitions", os.path.join(source, "examples", "definitions")],
            stdout=self.log, stderr=subprocess.STDOUT, env=dict(os.environ, **(env_extra or {})))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                m = re.search(r"baton listening on 127\.0\.0\.1:(\d+)\n", f.read())
            if m:
                self.port = int(m.group(1))
                self.url = f"http://127.0.0.1:{self.port}"
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)  # polling the log for the listening line, bounded by the deadline
        self.stop()
        raise RuntimeError("baton did not start:\n" + open(self.log_path).read())

    @property
    def key(self):
        """The API key of the client `admin` the first start created."""
        with open(os.path.join(self.data, "initial-admin-key")) as k:
            return k.read().strip()

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
