"""The OpenAPI description is exact: Schemathesis fuzzes the running service with all checks.

The service runs as in production (uvicorn, update worker in a child process) on 127.0.0.1,
fetching from the fake ENTSO-E server (also on 127.0.0.1), with its data in a temp dir.
A first forecast is published before fuzzing so /forecast, /ready and /accuracy answer with
data; fuzzing /update-forecast then starts more updates, one at a time (the others are 409),
each a second or two on a month of history, so it stays bounded and harmless.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import swissenergy
from conftest import KEY

TESTS = Path(__file__).parent
# The checkout under test, also for the servers and the hooks in their own processes.
SERVICE_ROOT = Path(swissenergy.__file__).parent.parent
MAX_EXAMPLES = 100  # per operation and phase: ~1200 requests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join([str(SERVICE_ROOT), str(TESTS)])
    return {**os.environ, "PYTHONPATH": path, **extra}


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the server for {url} exited with code {proc.returncode}"
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_idle(base: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = httpx.get(f"{base}/runs/latest", timeout=5).json()
        if run["status"] != "running":
            return run
        time.sleep(0.2)
    raise AssertionError(f"an update still runs after {timeout} s")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[str]:
    fake_port, port = _free_port(), _free_port()
    fake = subprocess.Popen(
        [sys.executable, "-m", "fake_entsoe", "--port", str(fake_port), "--token", KEY],
        env=_env(),
        stdout=subprocess.DEVNULL,
    )
    history_start = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    app = subprocess.Popen(
        [sys.executable, "-m", "swissenergy", "serve"],
        env=_env(
            ENTSOE_API_KEY=KEY,
            ENTSOE_BASE_URL=f"http://127.0.0.1:{fake_port}/api",
            DATA_DIR=str(tmp_path / "data"),
            HISTORY_START=history_start,
            MODEL_BACKTEST_ORIGINS="2",
            MODEL_TRAIN_DAYS="28",
            HOST="127.0.0.1",
            PORT=str(port),
            LOG_LEVEL="warning",
        ),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"http://127.0.0.1:{fake_port}/_admin", fake)
        _wait_http(f"{base}/health", app)
        assert httpx.get(f"{base}/update-forecast").status_code == 202
        assert _wait_idle(base)["status"] == "succeeded"
        yield base
        _wait_idle(base)  # no update child left writing into tmp_path
    finally:
        _stop(app)
        _stop(fake)


# Measured ~20-40 s; the limits only stop a hung run (pytest's default is 120 s).
@pytest.mark.timeout(300)
def test_schemathesis_finds_nothing(service: str, tmp_path: Path) -> None:
    openapi = httpx.get(f"{service}/openapi.json").json()
    operations = sum(len(methods) for methods in openapi["paths"].values())
    t0 = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{service}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--workers",
            "2",
            "--request-timeout",
            "10",
            "--generation-database",
            "none",
            "--no-color",
        ],
        env=_env(SCHEMATHESIS_HOOKS="fuzz_hooks"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    took = time.monotonic() - t0
    out = result.stdout + result.stderr
    summary = out[out.rfind("SUMMARY") - 40 :] if "SUMMARY" in out else out[-4000:]
    print(f"schemathesis: exit {result.returncode} in {took:.1f} s\n{summary}")
    assert result.returncode == 0, out[-20000:]
    # Every operation was exercised, in every phase that applies to it.
    assert re.search(rf"Tested: {operations}\b", out), summary
    for phase in ("Coverage", "Fuzzing"):
        assert re.search(rf"✅ {phase}", out), summary
