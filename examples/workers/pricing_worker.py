#!/usr/bin/env python3
"""A Baton job worker for `pricing` jobs, on the Python standard library alone.

Each of N threads long-polls `POST /api/v1/jobs/activate`, prices what it got and completes
each job under its lease (or fails it, so that Baton retries it per the step's policy).
Ctrl-C or SIGTERM stops it cleanly: no new activation starts, the jobs in hand are finished,
and a poll in flight ends within its wait.

    BATON_URL=http://127.0.0.1:8080 BATON_API_KEY=... python3 pricing_worker.py --workers 4

Definitions give it work with a step such as
    {"id": "price", "kind": "job", "type": "pricing", "params": {"price": "double"}}
"""

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

stopping = threading.Event()


def call(base, key, path, body, timeout):
    """POSTs `body` as JSON; returns (status, parsed answer or None)."""
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **({"x-api-key": key} if key else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, {"detail": text.decode(errors="replace")}


def price_of(job):
    """The work itself: here, a price from the item's name. Raise to fail the job."""
    item = str(job["values"].get("item", ""))
    if not item:
        raise ValueError("no item to price")
    return round(1.5 * len(item), 2)


def work(base, key, name, args):
    pause = 0.5  # after a failed call: the server may be restarting
    while not stopping.is_set():
        try:
            status, answer = call(
                base, key, "/api/v1/jobs/activate",
                {"type": args.type, "worker": name, "max": args.max,
                 "leaseMs": args.lease_ms, "waitMs": args.wait_ms},
                timeout=args.wait_ms / 1000 + 30)
        except (urllib.error.URLError, socket.timeout, ConnectionError) as e:
            print(f"{name}: activate failed ({e}); retrying", file=sys.stderr)
            stopping.wait(pause)
            pause = min(pause * 2, 10)
            continue
        if status != 200:
            print(f"{name}: activate answered {status}: {answer}", file=sys.stderr)
            stopping.wait(pause)
            pause = min(pause * 2, 10)
            continue
        pause = 0.5
        for job in answer["jobs"]:  # finished even when stopping: they are leased to us
            token = job["lease"]["token"]
            path = f"/api/v1/jobs/{job['key']}"
            try:
                params = {"price": price_of(job)}
                status, result = call(base, key, path + "/complete",
                                      {"leaseToken": token, "params": params}, timeout=30)
            except Exception as e:  # the work failed: Baton retries per the step's policy
                status, result = call(base, key, path + "/fail",
                                      {"leaseToken": token, "error": str(e)}, timeout=30)
            if status == 409:  # the lease ended meanwhile: another worker has the job now
                print(f"{name}: {job['key']}: lease lost", file=sys.stderr)
            elif status != 200:
                print(f"{name}: {job['key']}: {status} {result}", file=sys.stderr)
            else:
                print(f"{name}: {job['key']} attempt {job['attempt']}: {result['stepStatus']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BATON_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--type", default="pricing")
    parser.add_argument("--workers", type=int, default=4, help="pool size (threads)")
    parser.add_argument("--max", type=int, default=8, help="jobs per activation")
    parser.add_argument("--lease-ms", type=int, default=60_000)
    parser.add_argument("--wait-ms", type=int, default=20_000, help="long poll length")
    args = parser.parse_args()
    key = os.environ.get("BATON_API_KEY", "")

    def stop(signum, frame):
        print("stopping: finishing the jobs in hand", file=sys.stderr)
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    host = socket.gethostname()
    threads = [threading.Thread(target=work, args=(args.url, key, f"{host}-{i}", args),
                                daemon=True) for i in range(args.workers)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(0.2)  # the main thread stays free to take the signal


if __name__ == "__main__":
    main()
