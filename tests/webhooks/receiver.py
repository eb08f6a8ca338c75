"""A webhook receiver for the tests: verifies each delivery with the
Standard Webhooks reference library (PyPI `standardwebhooks`), answers with
the next status of its script, and prints one JSON line per request.

    receiver.py SECRET_FILE [STATUS ...] [--redirect URL] [--port PORT] [--delay SECS]

It prints `listening <port>` first. The secret is read from SECRET_FILE at
each request (the test writes it once createWebhook has returned it). After
the scripted statuses it answers 200.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

args = sys.argv[1:]
redirect = None
if "--redirect" in args:
    at = args.index("--redirect")
    redirect = args[at + 1]
    del args[at : at + 2]
port = 0
if "--port" in args:
    at = args.index("--port")
    port = int(args[at + 1])
    del args[at : at + 2]
delay = 0.02
if "--delay" in args:
    at = args.index("--delay")
    delay = float(args[at + 1])
    del args[at : at + 2]
secret_file, statuses = args[0], [int(s) for s in args[1:]]


in_flight = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global in_flight
        with lock:
            in_flight += 1
            concurrent = in_flight
        # Long enough for a second sender, if there were one, to overlap.
        time.sleep(delay)
        with lock:
            in_flight -= 1
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with open(secret_file) as f:
            secret = f.read().strip()
        try:
            payload = Webhook(secret).verify(body, dict(self.headers.items()))
            verified = True
        except WebhookVerificationError as error:
            payload, verified = None, str(error)
        status = statuses.pop(0) if statuses else 200
        if redirect:
            status = 302
        print(
            json.dumps(
                {
                    "id": self.headers.get("webhook-id"),
                    "verified": verified,
                    "answered": status,
                    "concurrent": concurrent,
                    "payload": payload,
                }
            ),
            flush=True,
        )
        self.send_response(status)
        if redirect:
            self.send_header("location", redirect)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
print(f"listening {server.server_address[1]}", flush=True)
server.serve_forever()
