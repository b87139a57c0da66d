"""The outside client's request loop (load_client.py, run in the client container) while a
step changes the site, and what it saw: used by the tests that count failed requests through
a release, a rollback or a host failure (molecule/default/releases, molecule/several_hosts)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

LOAD_CLIENT = Path(__file__).with_name("load_client.py")
# Pebble's own listeners are signed by this CA (molecule/shared/pebble.yml); the root that
# issues the site's certificate is fetched from Pebble's management API.
LISTENER_CA = "/etc/pebble/listener-ca.pem"


def on(container: str, script: str, check: bool = True, timeout: float = 120) -> str:
    """`script` run by bash in the container: its stdout, stripped; fails the test on error."""
    result = subprocess.run(
        ["docker", "exec", container, "bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        error = result.stderr[-2000:]
        pytest.fail(f"{container}: {script!r} failed ({result.returncode}): {error}")
    return result.stdout.strip()


def fetch_pebble_root(client: str, path: str) -> None:
    """Pebble's issuing root (a new one each time Pebble starts) to `path` in the client."""
    on(client, f"curl -sSf --cacert {LISTENER_CA} -o {path} https://pebble.test:15000/roots/0")


@contextmanager
def load(client: str, url: str, root: str, prefix: str, rate: int = 20) -> Iterator[dict]:
    """RATE requests a second from the client to `url` (trusting `root`) while the block runs,
    from 2 s before to 2 s after; the client's summary is filled in when it ends. `prefix`
    names its files in the client's /tmp."""
    script, stop = f"/tmp/{prefix}-load-client.py", f"/tmp/{prefix}-load.stop"
    on(client, f"rm -f {stop}")
    # Not docker cp: the client's /tmp is a tmpfs, which docker cp does not write to.
    subprocess.run(
        ["docker", "exec", "-i", client, "sh", "-c", f"cat > {script}"],
        input=LOAD_CLIENT.read_text(),
        text=True,
        check=True,
        timeout=30,
    )
    arguments = [url, root, str(rate), "900", stop]  # at most 900 s
    process = subprocess.Popen(
        ["docker", "exec", client, "python3", script, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    summary: dict = {}
    try:
        time.sleep(2)
        yield summary
        time.sleep(2)
    finally:
        on(client, f"touch {stop}")
        out, err = process.communicate(timeout=60)
        summary |= json.loads(out) if out.strip() else {"error": err}


def assert_no_failed_request(summary: dict) -> None:
    assert "error" not in summary, summary
    assert summary["sent"] >= 40, summary
    assert summary["failed"] == 0 and summary["errors"] == 0, summary["problems"]
