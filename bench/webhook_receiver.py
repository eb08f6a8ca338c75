"""The fast local receiver of bench/webhooks.sh: answers every POST with 204
at once (no signature check: the figures are the sender's), counts them,
and keeps each delivery's lag, from the change set's time (the body's
`timestamp`) to its arrival. GET /count, GET /last (when the last delivery
was answered, in ms since the epoch), GET /stats (the lag's percentiles
since the last reset), GET /reset, GET /hold and GET /release (deliveries
wait unanswered in between). Standard library only.

    python3 bench/webhook_receiver.py PORT
"""

import json
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
count = 0
last_ms = 0
lags_ms = []
# Closed by GET /hold: deliveries wait unanswered until GET /release, so the
# sender (one delivery in flight per endpoint) leaves the rest in its outbox.
gate = threading.Event()
gate.set()


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the sender reuses its connection

    def do_POST(self):
        global count, last_ms
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        arrived = datetime.now().astimezone()
        gate.wait()
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()
        try:
            at = datetime.fromisoformat(json.loads(body)["timestamp"].replace("Z", "+00:00"))
            lag = (arrived - at).total_seconds() * 1000
        except (ValueError, KeyError):
            lag = None
        with lock:
            count += 1
            last_ms = int(time.time() * 1000)
            if lag is not None:
                lags_ms.append(lag)

    def do_GET(self):
        global count
        with lock:
            if self.path == "/count":
                text = str(count)
            elif self.path == "/last":
                text = str(last_ms)
            elif self.path == "/stats":
                text = (
                    f"deliveries={len(lags_ms)} lag_ms p50={percentile(lags_ms, 0.5):.0f} "
                    f"p99={percentile(lags_ms, 0.99):.0f} max={max(lags_ms, default=0):.0f}"
                )
            elif self.path == "/hold":
                gate.clear()
                text = "held"
            elif self.path == "/release":
                gate.set()
                text = "released"
            elif self.path == "/reset":
                lags_ms.clear()
                text = "ok"
            else:
                text = "count, last, stats, reset, hold or release"
        data = text.encode()
        self.send_response(200)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
