"""Build the service image (and the fake ENTSO-E image) and check they answer.

Runs only where a Docker engine answers; the first build downloads the wheels from PyPI and
takes minutes, later ones reuse the layer cache.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[1]
CA = Path("/etc/ssl/certs/ca-certificates.crt")
TAG = "swissenergy-backend:pytest"


def _engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=15).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = [
    pytest.mark.docker,
    pytest.mark.timeout(1800),
    pytest.mark.skipif(not _engine_answers(), reason="no Docker engine answers (docker info)"),
]


def sh(
    *cmd: str, timeout: float = 120, check: bool = True, **kw: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check, **kw)  # type: ignore[call-overload]


# Deliberately not the deployment's uid: the image must take its user's uid from the build.
APP_UID = 12345
RELEASE = "0123456789ab-pytest"


def build(context: Path, tag: str, base: str) -> None:
    """BuildKit build (needed for the CA secret), with whichever client can do it."""
    args = ["--build-arg", f"BASE_IMAGE={base}", "--build-arg", f"APP_UID={APP_UID}"]
    args += ["--build-arg", f"RELEASE={RELEASE}", "-t", tag]
    if CA.exists():
        args += ["--secret", f"id=ca,src={CA}"]
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    if sh("docker", "buildx", "version", check=False).returncode == 0:
        cmd = ["docker", "buildx", "build", "--load", *args, str(context)]
    else:
        client = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
        cmd = [client, "build", *args, str(context)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1500, env=env)
    assert r.returncode == 0, f"build failed:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"


@pytest.fixture(scope="module")
def base_image() -> str:
    r = sh(str(SERVICE / "scripts" / "build-base-image.sh"), timeout=900)
    return r.stdout.strip().splitlines()[-1]


def wait_http(url: str, seconds: float = 60) -> bytes:
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=3) as r:
                return r.read()
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def published_port(cid: str, port: int) -> int:
    return int(sh("docker", "port", cid, str(port)).stdout.split()[0].rsplit(":", 1)[1])


def test_service_image_builds_and_is_healthy(base_image: str) -> None:
    build(SERVICE, TAG, base_image)
    info = json.loads(sh("docker", "image", "inspect", TAG).stdout)[0]["Config"]
    assert info["User"] not in ("", "root", "0") and info["Healthcheck"]["Test"]
    uid = sh("docker", "run", "--rm", "--entrypoint", "id", TAG, "-u").stdout.strip()
    assert uid == str(APP_UID)
    history = sh("docker", "history", "--no-trunc", TAG).stdout
    assert "BEGIN CERTIFICATE" not in history and "src=" not in history
    # Test-only code and the CA never reach the image.
    probe = sh(
        "docker",
        "run",
        "--rm",
        "--entrypoint",
        "sh",
        TAG,
        "-c",
        "test ! -e /run/secrets/ca && ! python -c 'import fake_entsoe' 2>/dev/null "
        "&& test ! -e /src && python -c 'import swissenergy.model' && echo clean",
    )
    assert probe.stdout.strip() == "clean"

    # Without a key the service refuses to start and says why.
    r = sh("docker", "run", "--rm", TAG, check=False, timeout=60)
    assert r.returncode == 2 and "ENTSOE_API_KEY" in r.stderr

    volume = sh("docker", "volume", "create").stdout.strip()
    cid = sh(
        "docker",
        "run",
        "-d",
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges:true",
        "-v",
        f"{volume}:/code/data",
        "-e",
        "ENTSOE_API_KEY=pytest-key-123",
        "--health-interval",
        "1s",
        "-p",
        "127.0.0.1::80",
        TAG,
    ).stdout.strip()
    try:
        port = published_port(cid, 80)
        assert json.loads(wait_http(f"http://127.0.0.1:{port}/health")) == {
            "status": "ok",
            "release": RELEASE,
        }
        # /docs' Swagger UI comes from the image's own venv (requirements.lock), not a CDN.
        docs = wait_http(f"http://127.0.0.1:{port}/docs").decode()
        bundle = re.search(r'src="(/docs/assets/[^"]+/swagger-ui-bundle\.js)"', docs)
        assert bundle, docs
        assert b"SwaggerUIBundle" in wait_http(f"http://127.0.0.1:{port}{bundle[1]}")
        deadline = time.time() + 60
        status = ""
        while time.time() < deadline and status != "healthy":
            time.sleep(1)
            status = sh("docker", "inspect", "-f", "{{.State.Health.Status}}", cid).stdout.strip()
        assert status == "healthy", sh("docker", "logs", cid, check=False).stderr[-2000:]
    finally:
        sh("docker", "rm", "-f", cid, check=False)
        sh("docker", "volume", "rm", volume, check=False)


def test_fake_entsoe_image_answers(base_image: str) -> None:
    tag = "swissenergy/fake-entsoe:pytest"
    build(SERVICE / "tests" / "fake_entsoe", tag, base_image)
    cid = sh("docker", "run", "-d", "-p", "127.0.0.1::8000", tag).stdout.strip()
    try:
        port = published_port(cid, 8000)
        wait_http(f"http://127.0.0.1:{port}/_admin")
        q = (
            "documentType=A65&processType=A16&outBiddingZone_Domain=10YCH-SWISSGRIDZ"
            "&periodStart=202401010000&periodEnd=202401020000&securityToken=t"
        )
        body = wait_http(f"http://127.0.0.1:{port}/api?{q}")
        assert b"GL_MarketDocument" in body and body.count(b"<Point>") == 24
    finally:
        sh("docker", "rm", "-f", cid, check=False)
