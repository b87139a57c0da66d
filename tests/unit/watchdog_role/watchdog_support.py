"""Fakes for the watchdog's tests: probes with settable answers, a clock, a recording
HTTP receiver on 127.0.0.1 (the webhook and ntfy channels post to it for real)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from swissenergy_watchdog.probes import ProbeError

NOW = 1_780_000_000.0  # 2026-05-28 20:26:40 UTC, 22:26 in Zurich


class FakeClock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeProbes:
    """A healthy host at NOW; tests change the attributes."""

    def __init__(self) -> None:
        self.now = NOW
        self.forecast: tuple[int, Any] = (
            200,
            {"created_at": "2026-05-28T10:15:00Z", "target_day": "2026-05-29"},
        )
        self.runs: dict[int, dict[str, Any]] = {1: {"id": 1, "status": "succeeded", "error": None}}
        self.metrics_values = {"swissenergy_actual_load_latest_timestamp_seconds": NOW - 3600}
        self.ready: tuple[int, Any] = (200, {"status": "ready"})
        self.container = {"Running": True, "Restarting": False, "Health": {"Status": "healthy"}}
        self.cert_end = NOW + 60 * 86400
        self.disk = (50, 100)
        self.unit = {
            "LoadState": "loaded",
            "Result": "success",
            "ExecMainStatus": "0",
            "ExecMainExitTimestamp": f"@{int(NOW - 3600)}",
        }
        self.mtimes: dict[str, float] = {}
        self.down = False

    def add_runs(self, *statuses: str, error: str = "ENTSO-E answered 503") -> None:
        for status in statuses:
            rid = max(self.runs) + 1
            self.runs[rid] = {
                "id": rid,
                "status": status,
                "error": error if status == "failed" else None,
            }

    def service_json(self, path: str) -> tuple[int, Any]:
        if self.down:
            raise ProbeError("service at http://127.0.0.1:8080: Connection refused")
        if path == "/forecast":
            return self.forecast
        if path == "/ready":
            return self.ready
        if path == "/runs/latest":
            return (200, self.runs[max(self.runs)]) if self.runs else (404, {"detail": "no run"})
        rid = int(path.rsplit("/", 1)[1])
        return (200, self.runs[rid]) if rid in self.runs else (404, {"detail": "no run"})

    def metrics(self) -> dict[str, float]:
        return dict(self.metrics_values)

    def deploy_state(self) -> dict[str, Any]:
        return {"active": {"slot": "blue", "release": "abc"}}

    def container_state(self, name: str) -> dict[str, Any]:
        assert name == "swissenergy-backend-blue"
        return dict(self.container)

    def certificate_not_after(self, address: str, port: int, server_name: str) -> float:
        return self.cert_end

    def volume_mountpoint(self, volume: str) -> str:
        return f"/var/lib/docker/volumes/{volume}/_data"

    def disk_usage(self, path: str) -> tuple[int, int]:
        return self.disk

    def unit_properties(self, unit: str) -> dict[str, str]:
        return dict(self.unit)

    def file_mtime(self, path: str) -> float | None:
        return self.mtimes.get(path)


def config(state_file: Path, channels: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {
        "host": "vps1",
        "service_url": "http://127.0.0.1:9",
        "deploy_state_file": "/nonexistent",
        "state_file": str(state_file),
        "reminder_hours": 24,
        "checks": {
            "forecast": {
                "enabled": True,
                "max_age_hours": 26,
                "timezone": "Europe/Zurich",
                "tomorrow_after_hour": 15,
            },
            "updates": {"enabled": True, "failed_runs": 3},
            "actual_load": {"enabled": True, "max_age_hours": 12},
            "service": {"enabled": True, "container_prefix": "swissenergy-backend"},
            "certificate": {
                "enabled": True,
                "address": "127.0.0.1",
                "port": 443,
                "server_name": "forecast.example.org",
                "min_days": 14,
            },
            "disk": {"enabled": True, "path": "", "volume": "data", "min_free_percent": 10},
            "backup": {"enabled": True, "unit": "swissenergy-backup.service", "max_age_hours": 30},
            "reboot": {"enabled": True, "file": "/run/reboot-required", "max_days": 7},
        },
        "channels": channels or [],
        "ping": {"url": "", "checks": ["updates"]},
    }


class Receiver:
    """Records every POST (path, headers, body); answers `status`."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status = 200
        self.url = ""

    def bodies(self, path_prefix: str = "/hook") -> list[dict[str, Any]]:
        return [json.loads(p["body"]) for p in self.posts if p["path"].startswith(path_prefix)]


@contextmanager
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            rec.posts.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(rec.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
