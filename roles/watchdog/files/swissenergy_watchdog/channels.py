"""Where alerts go: a JSON webhook, ntfy, e-mail through the host's sendmail, and the
Healthchecks-style ping. URLs and tokens are secrets: no message here contains them."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from swissenergy_watchdog.alerts import Notice

Send = Callable[[Notice, str], None]
TIMEOUT = 10


class DeliveryError(Exception):
    """Says what failed without the URL (it may hold a token)."""


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def body(notice: Notice, host: str) -> dict[str, Any]:
    return {
        "host": host,
        "check": notice.check,
        "event": notice.event,
        "status": "resolved" if notice.event == "resolved" else "firing",
        "detail": notice.detail,
        "since": _iso(notice.since),
        "summary": summary(notice, host),
    }


def summary(notice: Notice, host: str) -> str:
    return f"[{notice.event.upper()}] {host} {notice.check}: {notice.detail}"


def _post(url: str, data: bytes, headers: dict[str, str]) -> None:
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            r.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"{type(exc).__name__}: {reason}") from None


def webhook(url: str) -> Send:
    def send(notice: Notice, host: str) -> None:
        data = json.dumps(body(notice, host)).encode()
        _post(url, data, {"Content-Type": "application/json"})

    return send


def ntfy(url: str, token: str) -> Send:
    def send(notice: Notice, host: str) -> None:
        headers = {
            "Title": f"{host} {notice.check} {notice.event}",
            "Priority": "default" if notice.event == "resolved" else "high",
            "Tags": "white_check_mark" if notice.event == "resolved" else "warning",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        _post(url, summary(notice, host).encode(), headers)

    return send


def email(to: str, sender: str, sendmail: str) -> Send:
    def send(notice: Notice, host: str) -> None:
        msg = EmailMessage()
        msg["To"], msg["From"], msg["Subject"] = to, sender, summary(notice, host)[:200]
        msg.set_content(json.dumps(body(notice, host), indent=2))
        try:
            done = subprocess.run(
                [sendmail, "-t", "-oi"], input=msg.as_bytes(), capture_output=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DeliveryError(f"{sendmail}: {type(exc).__name__}") from None
        if done.returncode != 0:
            raise DeliveryError(f"{sendmail} exited with {done.returncode}")

    return send


def ping(url: str, failing: list[str], details: dict[str, str]) -> None:
    """Healthchecks' protocol: POST to URL when all covered checks pass, to URL/fail if not."""
    text = "\n".join(f"{n}: {details[n]}" for n in failing) or "ok"
    target = url.rstrip("/") + ("/fail" if failing else "")
    _post(target, text.encode(), {"Content-Type": "text/plain"})


def from_config(entries: list[dict[str, str]]) -> dict[str, Send]:
    """Channel name -> sender, from the config file's `channels` list."""
    out: dict[str, Send] = {}
    for e in entries:
        kind = e["type"]
        if kind == "webhook":
            out[e["name"]] = webhook(e["url"])
        elif kind == "ntfy":
            out[e["name"]] = ntfy(e["url"], e.get("token", ""))
        elif kind == "email":
            out[e["name"]] = email(e["to"], e["from"], e["sendmail"])
        else:
            raise ValueError(f"channel {e['name']}: unknown type {kind!r} (webhook, ntfy, email)")
    return out
