"""The time rules every part of the service shares: issue time, target day, local day bounds
and the data step.

The update and the forecasting package both follow these, so they cannot disagree about which
day is forecast, where it starts and ends (23, 24 or 25 hours), or at which step. A time zone is
a ZoneInfo: Settings.zone, made once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

MINUTE = 60
HOUR = 3600
DAY = 86400
# The step is inferred from the most recent stretch only: ENTSO-E switches a zone from 60- to
# 15-minute resolution at some date, and the current resolution is what is forecast.
STEP_WINDOW = 28 * DAY


def issue_time_for(now: pd.Timestamp, tz: ZoneInfo) -> pd.Timestamp:
    """The latest local 12:00 not after `now` (UTC result).

    ENTSO-E's day-ahead forecast for day D is published before noon of D-1, so ours is issued
    at noon from data strictly before it: runs between 00:00 and 11:59 re-issue today's
    forecast (made yesterday at noon), runs from 12:00 on issue tomorrow's.
    """
    local = now.tz_convert(tz)
    noon = pd.Timestamp(datetime(local.year, local.month, local.day, 12), tz=tz)
    if noon > local:
        d = local.date() - timedelta(days=1)
        noon = pd.Timestamp(datetime(d.year, d.month, d.day, 12), tz=tz)
    return noon.tz_convert("UTC")


def target_day_for(issue_time: pd.Timestamp, tz: ZoneInfo) -> date:
    """The local day after the issue time's local date: the day that is forecast."""
    return issue_time.tz_convert(tz).date() + timedelta(days=1)


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[int, int]:
    """UTC epoch seconds of local midnight of `day` and of the next day (23/24/25 h apart)."""
    a = datetime(day.year, day.month, day.day, tzinfo=tz)
    nxt = day + timedelta(days=1)
    b = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)
    return int(a.timestamp()), int(b.timestamp())


def infer_step(stamps: Sequence[int] | np.ndarray) -> int:
    """The data step in seconds: the most common spacing of the sorted UTC epoch-second
    `stamps` within STEP_WINDOW of the newest one (ties: the finer step).

    Raises ValueError when there are fewer than two distinct stamps, or when the step does
    not divide an hour (the wall-clock grid and DST shifts need whole steps per hour).
    """
    ts = np.asarray(stamps, dtype="int64")
    if ts.size:
        ts = ts[ts >= ts[-1] - STEP_WINDOW]
    diffs = np.diff(ts)
    diffs = diffs[diffs > 0]
    if diffs.size == 0:
        raise ValueError("cannot infer the data step: need at least two observations")
    values, counts = np.unique(diffs, return_counts=True)
    step = int(values[np.argmax(counts)])
    if step < MINUTE or HOUR % step:
        raise ValueError(
            f"unsupported data step {step} s: it must divide an hour (e.g. 15, 30 or 60 min)"
        )
    return step
