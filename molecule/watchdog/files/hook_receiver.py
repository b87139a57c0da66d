"""The scenario's alert receiver: records every POST (path, body, a few headers); GET
/_received answers them as a JSON list. Stdlib only, run from the VPS image."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECEIVED: list[dict[str, str]] = []
LOCK = threading.Lock()
KEPT_HEADERS = ("Content-Type", "Title", "Priority", "Authorization")


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        headers = {h: self.headers[h] for h in KEPT_HEADERS if self.headers[h] is not None}
        with LOCK:
            RECEIVED.append({"path": self.path, "body": body, "headers": headers})
        self._answer(200, b"{}")

    def do_GET(self) -> None:
        if self.path != "/_received":
            self._answer(404, b"{}")
            return
        with LOCK:
            data = json.dumps(RECEIVED).encode()
        self._answer(200, data)

    def _answer(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 9000), Handler).serve_forever()
