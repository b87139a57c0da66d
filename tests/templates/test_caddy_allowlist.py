"""The role's Caddyfile (HTTP-only rendering, as the read benchmark runs it: caddy_front.py)
run by the real caddy binary on the loopback in front of a backend that records every path it
receives: every public route is proxied, and
every other path (unknown ones, the service's internal routes, each spelling of
/update-forecast a client could try) answers 404 from Caddy without reaching the backend.
molecule/caddy repeats this over HTTPS on a VPS; this is the fast loop."""

from __future__ import annotations

import http.client
import importlib.util
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import pytest
from test_caddy import PUBLIC

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]


def load(path: Path) -> ModuleType:
    """A module from a directory that is not a package (the molecule testlib, the benchmarks)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


caddy_front = load(REPO / "service" / "bench" / "caddy_front.py")
# The outside client's module imports its neighbours, as on the verifier's PYTHONPATH.
TESTLIB = REPO / "molecule" / "shared" / "testlib"
sys.path.insert(0, str(TESTLIB))
INTERNAL = list(load(TESTLIB / "outside_client.py").INTERNAL_SPELLINGS)
# The service's other internal routes, near misses of public ones, and paths it never had.
NOT_PUBLIC = [
    "/metrics",
    "/METRICS",
    "/metrics/",
    "//metrics",
    "/%6detrics",
    "/ready",
    "/runs/latest",
    "/runs/1",
    "/runs/..%2Fmetrics",
    "/docs/../metrics",
    "/docs/%2e%2e/update-forecast",
    "/forecast/../update-forecast",
    "/forecast/%2E%2E/runs/latest",
    "/forecastx",
    "/forecast/entsoe/x",
    "/loads/",
    "/docsx",
    "/wp-login.php",
    "/.env",
    "/static/x.js",
]
# A concrete path for each public pattern (a subtree pattern gets a file in it).
PUBLIC_TARGETS = [p.replace("/*", "/swagger-ui.css") for p in PUBLIC] + ["/forecast?start=x"]


class Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        body = f"backend saw: {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        """`seen` is the record."""


@pytest.fixture(scope="module")
def proxy(tmp_path_factory) -> Iterator[tuple[int, list[str]]]:
    """Caddy on a loopback port in front of the recording backend: (port, paths seen)."""
    workdir = tmp_path_factory.mktemp("caddy")
    handler = type("Handler", (Recorder,), {"seen": []})
    backend = ThreadingHTTPServer((HOST, 0), handler)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    port = caddy_front.free_port()
    upstream = f"{HOST}:{backend.server_address[1]}"
    text = caddy_front.render_caddyfile(port, upstream, workdir / "access.log")
    caddy = caddy_front.start(text, workdir, port, [], workdir / "caddy.out")
    try:
        yield port, handler.seen
    finally:
        caddy.terminate()
        caddy.wait(10)
        backend.shutdown()


def get(port: int, target: str) -> tuple[int, str]:
    """GET the raw request target, sent exactly as written (no client-side normalisation)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.mark.parametrize("target", PUBLIC_TARGETS)
def test_public_routes_are_proxied(proxy, target):
    port, seen = proxy
    assert get(port, target) == (200, f"backend saw: {target}")
    assert seen[-1] == target


@pytest.mark.parametrize("target", INTERNAL + NOT_PUBLIC)
def test_other_paths_answer_404_without_reaching_the_backend(proxy, target):
    port, seen = proxy
    before = len(seen)
    status, body = get(port, target)
    assert (status, body) == (404, ""), target
    assert get(port, "/health")[0] == 200  # the backend is up and records: the 404 was Caddy's
    assert seen[before:] == ["/health"], target
