"""Alerts on change: one "firing" when a check starts failing, one "resolved" when it
recovers, a "reminder" every N hours in between, per channel.

State (a JSON document, kept by the caller):
  {"created_at": ts, "checks": {name: {"status", "since", "detail",
                                       "channels": {channel: {"fired": bool, "last_sent": ts}}}},
   "remember": {name: figure}}
A notice counts as sent only once its channel delivered it, so a channel that failed gets the
same notice again on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from swissenergy_watchdog.result import Result

Event = Literal["firing", "reminder", "resolved"]


@dataclass(frozen=True)
class Notice:
    check: str
    channel: str
    event: Event
    detail: str
    since: float


def new_state(now: float) -> dict[str, Any]:
    return {"created_at": now, "checks": {}, "remember": {}}


def advance(state: dict[str, Any], results: list[Result], now: float) -> None:
    """Record each result; an unknown one leaves its check as it was."""
    checks: dict[str, Any] = state.setdefault("checks", {})
    for name in list(checks):
        if name not in {r.check for r in results}:
            del checks[name]  # turned off: forget it, alert nothing
    for r in results:
        if r.remember is not None:
            state.setdefault("remember", {})[r.check] = r.remember
        c = checks.setdefault(r.check, {"status": "ok", "since": now, "detail": "", "channels": {}})
        if r.status == "unknown":
            continue
        if r.status != c["status"]:
            c["status"], c["since"] = r.status, now
        c["detail"] = r.detail


def due(state: dict[str, Any], channels: list[str], now: float, reminder_s: float) -> list[Notice]:
    out: list[Notice] = []
    for name, c in sorted(state.get("checks", {}).items()):
        for ch in channels:
            s = c["channels"].get(ch, {"fired": False, "last_sent": 0.0})
            event: Event | None = None
            if c["status"] == "failing" and not s["fired"]:
                event = "firing"
            elif c["status"] == "failing" and reminder_s > 0 and now - s["last_sent"] >= reminder_s:
                event = "reminder"
            elif c["status"] == "ok" and s["fired"]:
                event = "resolved"
            if event:
                out.append(Notice(name, ch, event, c["detail"], c["since"]))
    return out


def delivered(state: dict[str, Any], notice: Notice, now: float) -> None:
    channels = state["checks"][notice.check]["channels"]
    channels[notice.channel] = {"fired": notice.event != "resolved", "last_sent": now}


def failing(state: dict[str, Any]) -> list[str]:
    return sorted(n for n, c in state.get("checks", {}).items() if c["status"] == "failing")
