"""What one check found: ok, failing, or unknown (its input could not be read)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "failing", "unknown"]


@dataclass(frozen=True)
class Result:
    check: str
    status: Status
    detail: str
    # A figure the next run needs (the last backup success: systemd forgets it at reboot).
    remember: float | None = None


def ok(check: str, detail: str) -> Result:
    return Result(check, "ok", detail)


def failing(check: str, detail: str) -> Result:
    return Result(check, "failing", detail)


def unknown(check: str, detail: str) -> Result:
    return Result(check, "unknown", detail)
