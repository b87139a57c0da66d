"""What the checks read, and its real implementation on the host (stdlib only).

Checks get a `Probes` object, so the unit tests give them fakes instead of a host.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import urllib.error
import urllib.request
from typing import Any, Protocol

from swissenergy_watchdog import der


class ProbeError(Exception):
    """An input could not be read (service down, command missing, ...)."""


class Probes(Protocol):
    def service_json(self, path: str) -> tuple[int, Any]: ...
    def metrics(self) -> dict[str, float]: ...
    def deploy_state(self) -> dict[str, Any]: ...
    def container_state(self, name: str) -> dict[str, Any]: ...
    def certificate_not_after(self, address: str, port: int, server_name: str) -> float: ...
    def volume_mountpoint(self, volume: str) -> str: ...
    def disk_usage(self, path: str) -> tuple[int, int]: ...
    def unit_properties(self, unit: str) -> dict[str, str]: ...
    def file_mtime(self, path: str) -> float | None: ...


def _run(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProbeError(f"{argv[0]}: {exc}") from exc
    if done.returncode != 0:
        raise ProbeError(f"{' '.join(argv[:3])}: {done.stderr.strip()[:200]}")
    return done.stdout


class HostProbes:
    def __init__(self, service_url: str, deploy_state_file: str, timeout: float = 10) -> None:
        self.base, self.timeout = service_url.rstrip("/"), timeout
        self.state_file = deploy_state_file

    def _get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=self.timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            raise ProbeError(f"service at {self.base}: {getattr(exc, 'reason', exc)}") from exc

    def service_json(self, path: str) -> tuple[int, Any]:
        code, body = self._get(path)
        try:
            return code, json.loads(body)
        except ValueError as exc:
            raise ProbeError(f"{path} answered {code} without JSON") from exc

    def metrics(self) -> dict[str, float]:
        code, body = self._get("/metrics")
        if code != 200:
            raise ProbeError(f"/metrics answered {code}")
        return parse_metrics(body.decode())

    def deploy_state(self) -> dict[str, Any]:
        try:
            with open(self.state_file, encoding="utf-8") as f:
                return dict(json.load(f))
        except (OSError, ValueError) as exc:
            raise ProbeError(f"deploy state {self.state_file}: {exc}") from exc

    def container_state(self, name: str) -> dict[str, Any]:
        out = _run(["docker", "inspect", "--format", "{{json .State}}", name])
        return dict(json.loads(out))

    def certificate_not_after(self, address: str, port: int, server_name: str) -> float:
        # Not verified on purpose: an expired or untrusted certificate must still be read.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        try:
            with (
                socket.create_connection((address, port), timeout=self.timeout) as sock,
                ctx.wrap_socket(sock, server_hostname=server_name or None) as tls,
            ):
                cert = tls.getpeercert(binary_form=True)
        except OSError as exc:
            raise ProbeError(f"TLS to {address}:{port} ({server_name}): {exc}") from exc
        if not cert:
            raise ProbeError(f"{address}:{port} sent no certificate")
        return der.not_after(cert)

    def volume_mountpoint(self, volume: str) -> str:
        return _run(["docker", "volume", "inspect", "--format", "{{.Mountpoint}}", volume]).strip()

    def disk_usage(self, path: str) -> tuple[int, int]:
        try:
            usage = shutil.disk_usage(path)
        except OSError as exc:
            raise ProbeError(f"disk usage of {path}: {exc}") from exc
        return usage.free, usage.total

    def unit_properties(self, unit: str) -> dict[str, str]:
        props = "Result,ExecMainStatus,ExecMainExitTimestamp,LoadState"
        out = _run(["systemctl", "show", unit, f"--property={props}", "--timestamp=unix"])
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def file_mtime(self, path: str) -> float | None:
        try:
            return os.stat(path).st_mtime
        except FileNotFoundError:
            return None


def parse_metrics(text: str) -> dict[str, float]:
    """Unlabelled samples of the Prometheus text format: name -> value."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#") or "{" in line:
            continue
        parts = line.split()
        if len(parts) >= 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                continue
    return out
