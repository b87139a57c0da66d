"""The edge's Caddyfile (HTTP-only rendering, balancing across two app hosts) run by the real
caddy binary on the loopback in front of two local backends standing in for the app hosts:
a stopped host costs no request (each one that hits it is retried on the other), the active
health check on /ready keeps a host out until it passes again, a restarted host serves again,
and the allowlist still answers 404 before any backend. Only 127.0.0.1 and free ports."""

from __future__ import annotations

import functools
import http.client
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_caddy import render, render_app_hosts_file
from test_caddy_allowlist import caddy_front

HOST = "127.0.0.1"
LOOP = 200
ADMIN_PORT = caddy_front.free_port()
# Fast checks, so the test waits seconds, not the production minutes.
HEALTH_INTERVAL = 0.25
TIMING = {
    "caddy_health_interval": f"{int(HEALTH_INTERVAL * 1000)}ms",
    "caddy_health_timeout": "1s",
    "caddy_lb_try_duration": "3s",
    "caddy_lb_try_interval": "50ms",
    "caddy_fail_duration": "2s",
}


class AppHost:
    """A backend on a fixed loopback port that can die and come back; counts what it serves."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = caddy_front.free_port()
        self.ready = True
        self.served: list[str] = []
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                ready = self.path != "/ready" or host.ready
                if self.path != "/ready":
                    host.served.append(self.path)
                body = host.name.encode()
                self.send_response(200 if ready else 503)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args) -> None:
                """`served` is the record."""

        self.server = ThreadingHTTPServer((HOST, self.port), Handler)
        # Polled often, so that stop() is quick: the test, not a slow shutdown, decides when.
        serve = functools.partial(self.server.serve_forever, poll_interval=0.02)
        threading.Thread(target=serve, daemon=True).start()

    def stop(self) -> None:
        """Nothing listens any more: connections are refused, as on a dead host."""
        assert self.server
        self.server.shutdown()
        self.server.server_close()


Edge = tuple[int, list[AppHost], Path]


@pytest.fixture
def start_edge(tmp_path: Path) -> Iterator[Callable[..., Edge]]:
    """Starts Caddy on a free loopback port balancing across two app hosts, with TIMING and
    the given role settings: (its port, the hosts, its log)."""
    if reason := caddy_front.unavailable():
        pytest.skip(reason)
    started: list[tuple[subprocess.Popen[bytes], list[AppHost]]] = []

    def start(**overrides: str) -> Edge:
        hosts = [AppHost("app1"), AppHost("app2")]
        for host in hosts:
            host.start()
        port = caddy_front.free_port()
        settings = (
            {
                "caddy_https": False,
                "caddy_local_release": False,
                "caddy_app_upstreams": [f"{HOST}:{host.port}" for host in hosts],
                # Plain backends (test_caddy_app_tls.py runs the TLS hop).
                "caddy_app_tls": False,
                "caddy_access_log": str(tmp_path / "access.log"),
                "__caddy_app_hosts_file": str(tmp_path / "swissenergy-app-hosts.caddy"),
            }
            | TIMING
            | overrides
        )
        Path(settings["__caddy_app_hosts_file"]).write_text(render_app_hosts_file(**settings))
        text = render(**settings)
        # As caddy_front does for the single host, but the admin endpoint on a loopback port
        # of its own (another Caddy may hold the default one): a drain reloads through it.
        for old, new in (
            ("\n{\n", f"\n{{\n\tadmin {HOST}:{ADMIN_PORT}\n"),
            ("\n:80 {\n", f"\n:{port} {{\n\tbind {HOST}\n"),
        ):
            assert text.count(old) == 1, text
            text = text.replace(old, new)
        log = tmp_path / "caddy.out"
        started.append((caddy_front.start(text, tmp_path, port, [], log), hosts))
        return port, hosts, log

    yield start
    for caddy, hosts in started:
        caddy.terminate()
        caddy.wait(10)
        for host in hosts:
            if host.server:
                host.server.server_close()


@pytest.fixture
def edge(start_edge: Callable[..., Edge]) -> Edge:
    return start_edge()


def get(port: int, target: str = "/forecast") -> tuple[int, str]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, response.read().decode()
    except OSError as error:
        return 0, repr(error)
    finally:
        connection.close()


def loop(port: int) -> tuple[list[tuple[int, str]], Counter[str]]:
    """LOOP requests one after the other: (the failed ones, which host answered how often)."""
    answers = [get(port) for _ in range(LOOP)]
    failed = [answer for answer in answers if answer[0] != 200]
    return failed, Counter(body for status, body in answers if status == 200)


def wait_until_served_by(port: int, name: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if get(port)[1] == name:
            return
        time.sleep(HEALTH_INTERVAL / 2)
    pytest.fail(f"{name} did not serve again within {seconds} s")


def test_both_app_hosts_serve(edge):
    port, _hosts, _log = edge
    failed, served = loop(port)
    assert failed == []
    assert served["app1"] > LOOP // 4 and served["app2"] > LOOP // 4, served


def test_requests_that_hit_a_stopped_app_host_are_retried_on_the_other(start_edge):
    """No active check during the loop (its interval is longer than the test): Caddy still
    sends requests to the dead host, and only the retries keep them from failing."""
    port, (_app1, app2), _log = start_edge(caddy_health_interval="60s")
    app2.stop()
    failed, served = loop(port)
    assert failed == [], failed[:5]
    assert served == Counter({"app1": LOOP})


def test_a_stopped_app_host_costs_no_request_and_serves_again_once_started(edge):
    port, (app1, app2), log = edge
    app2.stop()
    failed, served = loop(port)
    assert failed == [], failed[:5]
    assert served == Counter({"app1": LOOP})
    # The active check found it down (the passive one saw refused connections too).
    time.sleep(3 * HEALTH_INTERVAL)
    active = [line for line in log.read_text().splitlines() if "health_checker.active" in line]
    assert any(f'"host":"{HOST}:{app2.port}"' in line for line in active), active[-3:]
    app2.start()
    wait_until_served_by(port, "app2")
    failed, served = loop(port)
    assert failed == []
    assert served["app1"] > LOOP // 4 and served["app2"] > LOOP // 4, served
    assert len(app1.served) + len(app2.served) > 2 * LOOP


def test_an_app_host_failing_its_health_check_gets_no_request_until_it_passes(edge):
    """Alive but not ready (503 on /ready, as before its first forecast): only the active
    check can see it, since every other path still answers 200."""
    port, (_app1, app2), _log = edge
    app2.ready = False
    time.sleep(4 * HEALTH_INTERVAL)
    before = len(app2.served)
    failed, served = loop(port)
    assert failed == []
    assert served == Counter({"app1": LOOP})
    assert len(app2.served) == before
    app2.ready = True
    wait_until_served_by(port, "app2")


def test_the_allowlist_answers_404_at_the_edge_before_any_app_host(edge):
    port, hosts, _log = edge
    before = [len(host.served) for host in hosts]
    for target in ("/update-forecast", "/metrics", "/ready", "/runs/latest", "/%6detrics"):
        assert get(port, target) == (404, ""), target
    assert [len(host.served) for host in hosts] == before
    assert get(port, "/health")[0] == 200


def drain(tmp_path: Path, hosts: list[AppHost], drained: list[AppHost]) -> None:
    """What roles/caddy/tasks/drain.yml does on an edge: rewrite the app hosts file without
    the drained hosts and reload Caddy gracefully (systemd's reload is `caddy reload`)."""
    upstreams = [f"{HOST}:{host.port}" for host in hosts]
    (tmp_path / "swissenergy-app-hosts.caddy").write_text(
        render_app_hosts_file(
            caddy_app_upstreams=upstreams,
            __caddy_drained=[f"{HOST}:{host.port}" for host in drained],
        )
    )
    config = ["--adapter", "caddyfile", "--config", str(tmp_path / "Caddyfile")]
    subprocess.run(
        [caddy_front.caddy_binary(), "reload", *config, "--address", f"{HOST}:{ADMIN_PORT}"],
        check=True,
        capture_output=True,
        timeout=30,
    )


def test_a_drained_app_host_gets_no_new_request_and_no_request_fails_meanwhile(edge, tmp_path):
    """A rolling release's drain: while requests run, the edge is reloaded without app2, then
    with it again. No request fails across both reloads; app2 serves none while drained."""
    port, (app1, app2), _log = edge
    results: list[tuple[int, str]] = []
    stop = threading.Event()

    def background() -> None:
        while not stop.is_set():
            results.append(get(port))

    runner = threading.Thread(target=background)
    runner.start()
    try:
        time.sleep(0.5)
        drain(tmp_path, [app1, app2], drained=[app2])
        # Requests the old configuration had sent to app2 before the reload still finish there.
        time.sleep(0.5)
        before = len(app2.served)
        failed, served = loop(port)
        assert len(app2.served) == before
        assert served == Counter({"app1": LOOP})
        drain(tmp_path, [app1, app2], drained=[])
        wait_until_served_by(port, "app2")
        time.sleep(0.5)
    finally:
        stop.set()
        runner.join(30)
    assert failed == []
    assert [answer for answer in results if answer[0] != 200] == []
    assert len(results) > 50, len(results)
