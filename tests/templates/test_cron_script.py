"""The cron job's script, rendered as a run renders it, run against a local stand-in of the
service and of a health-check service: an accepted update (202, or 409 when one is running)
pings the success URL, anything else the failure URL and exits non-zero. The ping URLs come
from the root-only file, never from the script itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "molecule" / "shared" / "testlib"))
from role_render import render_role_template

TOKEN = "hc-token-3f9a1c"


class Recorder(BaseHTTPRequestHandler):
    update_status = 202
    seen: ClassVar[list[str]] = []

    def _answer(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        status = self.update_status if self.path == "/update-forecast" else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


def run_job(tmp_path: Path, port: int, update_status: int) -> subprocess.CompletedProcess:
    if not shutil.which("curl"):
        pytest.skip("curl is missing: apt-get install curl")
    Recorder.update_status = update_status
    base = f"http://127.0.0.1:{port}"
    pings = tmp_path / "pings"
    pings.write_text(f"success={base}/ok/{TOKEN}\nfailure={base}/fail/{TOKEN}\n")
    script = tmp_path / "swissenergy-update-forecast"
    script.write_text(
        render_role_template(
            "cron",
            "usr/local/bin/swissenergy-update-forecast.j2",
            cron_update_url=f"{base}/update-forecast",
            cron_log_file=str(tmp_path / "update.log"),
            __cron_ping_file=str(pings),
        )
    )
    assert TOKEN not in script.read_text()
    return subprocess.run(["/bin/sh", str(script)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("status", [202, 409])
def test_an_accepted_update_pings_success(tmp_path: Path, server, status: int) -> None:
    result = run_job(tmp_path, server.server_address[1], status)
    assert result.returncode == 0, result.stderr
    assert Recorder.seen == ["GET /update-forecast", f"GET /ok/{TOKEN}"]
    assert f"http_status={status}" in (tmp_path / "update.log").read_text()


def test_a_refused_update_pings_failure_and_fails(tmp_path: Path, server) -> None:
    result = run_job(tmp_path, server.server_address[1], 500)
    assert result.returncode != 0
    assert Recorder.seen == ["GET /update-forecast", f"GET /fail/{TOKEN}"]
    assert TOKEN not in (tmp_path / "update.log").read_text()
