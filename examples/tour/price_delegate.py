#!/usr/bin/env python3
"""The pricing service of the README tour: POST {"sku", "qty"} answers {"price": qty * 2.5}.

    python3 examples/tour/price_delegate.py [PORT]     (default 9000, on 127.0.0.1)
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Prices(BaseHTTPRequestHandler):
    def do_POST(self):
        try:
            order = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            answer, status = {"price": float(order["qty"]) * 2.5}, 200
        except (ValueError, KeyError, TypeError) as e:
            answer, status = {"error": f"cannot price this order: {e}"}, 400
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet: the tour's output is Baton's
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    ThreadingHTTPServer(("127.0.0.1", port), Prices).serve_forever()
