#!/usr/bin/env python3
"""Stand-in for the service on 127.0.0.1:8081 (the first release slot): answers every request
with the path it got and appends one JSON line per request to LOG, so the tests can tell which
requests reached it."""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = "/var/log/echo-backend.log"
# A query with "padded" gets a body big enough for Caddy's `encode` to compress.
PADDING = "forecast " * 512


class Handler(BaseHTTPRequestHandler):
    def answer(self) -> None:
        record = {
            "method": self.command,
            "path": self.path,
            "probe": self.headers.get("X-Probe", ""),
            "forwarded_for": self.headers.get("X-Forwarded-For", ""),
        }
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")
        body = f"backend saw: {self.path}\n"
        if "padded" in self.path.partition("?")[2]:
            body += PADDING
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_HEAD = answer

    def log_message(self, *_args) -> None:
        """The JSON log above is the record; keep the journal quiet."""


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", 8081), Handler).serve_forever()
