"""The load history laid out on a local wall-clock grid: one row per local day, one column per
step of a 24-hour day.

Every candidate works on this grid, so weekly and daily seasonality are plain row offsets and
DST needs no special case in the models: the missing hour of a 23-hour day is a gap (filled from
earlier data), the repeated hour of a 25-hour day is averaged into its wall-clock slot, and the
forecast is mapped back to the real UTC steps of the target day at the end (the repeated hour
gets its slot's value twice).

Positions are "flat" indices ``day * steps_per_day + slot``. ``origin`` is the first flat
position that is not known when the forecast is issued; nothing at or after it is ever read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from swissenergy import timerules

DAY = pd.Timedelta(days=1)
# Staler history than this has no known week-ago reference for the target day.
MAX_STALENESS = pd.Timedelta(days=7)


@dataclass(frozen=True)
class LocalGrid:
    raw: np.ndarray  # (n_days, steps_per_day) observations; NaN where missing or unknown
    filled: np.ndarray  # raw with gaps filled causally; NaN only at and after `origin`
    start: date  # local date of row 0
    step: pd.Timedelta
    origin: int  # first unknown flat position
    target_day: int  # row of the day to forecast
    tz: ZoneInfo
    last_observation: pd.Timestamp  # UTC stamp of the last observation used
    absent: np.ndarray  # (n_days * steps_per_day,) wall-clock slots that do not exist (DST)

    @property
    def steps_per_day(self) -> int:
        return int(self.raw.shape[1])

    @property
    def n_days(self) -> int:
        return int(self.raw.shape[0])

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.n_days)]

    def observed_days(self) -> int:
        """Whole days of history before the origin (including leading gaps)."""
        return self.origin // self.steps_per_day


def to_utc_series(load: pd.Series) -> pd.Series:
    """Validate and normalise the input: float values on a sorted, unique UTC index."""
    if not isinstance(load, pd.Series):
        raise TypeError("load must be a pandas Series")
    idx = load.index
    if not isinstance(idx, pd.DatetimeIndex) or idx.tz is None:
        raise ValueError("load must have a tz-aware DatetimeIndex")
    values = pd.to_numeric(load, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    s = pd.Series(values, index=idx.tz_convert("UTC").as_unit("ns"))
    s = s[~s.index.duplicated(keep="last")].sort_index()
    return s.where(np.isfinite(s.to_numpy()))


def infer_step(index: pd.DatetimeIndex) -> pd.Timedelta:
    """The data step by the service's one rule (`timerules.infer_step`)."""
    seconds = index.as_unit("ns").asi8 // 1_000_000_000
    return pd.Timedelta(seconds=timerules.infer_step(seconds))


def target_date(issue_time: pd.Timestamp, tz: ZoneInfo) -> date:
    """The local day after the issue time's local date."""
    return timerules.target_day_for(issue_time, tz)


def target_stamps(day: date, tz: ZoneInfo, step: pd.Timedelta) -> pd.DatetimeIndex:
    """Every UTC step of local day `day` (23, 24 or 25 hours)."""
    start, end = (pd.Timestamp(t, unit="s", tz="UTC") for t in timerules.local_day_bounds(day, tz))
    return pd.date_range(start, end, freq=step, inclusive="left", name="time")


def wall_clock_slots(stamps: pd.DatetimeIndex, tz: ZoneInfo, step: pd.Timedelta) -> np.ndarray:
    """Slot of the local 24-hour day each UTC stamp falls in."""
    local = stamps.as_unit("ns").tz_convert(tz).tz_localize(None)
    since_midnight = (local - local.normalize()).asi8
    return (since_midnight // step.value).astype(np.int64)


def build_grid(
    load: pd.Series,
    *,
    issue_time: pd.Timestamp,
    tz: ZoneInfo,
    max_days: int,
) -> LocalGrid:
    """Lay out the history known before `issue_time` (at most `max_days` days of it)."""
    s = to_utc_series(load)
    s = s[s.index < issue_time].dropna()
    if len(s) < 2:
        raise ValueError("load has fewer than two observations before issue_time")
    index = pd.DatetimeIndex(s.index)
    step = infer_step(index)
    last = index[-1]
    if issue_time - last > MAX_STALENESS:
        raise ValueError(
            f"the last observation ({last}) is more than {MAX_STALENESS.days} days before "
            f"issue_time ({issue_time}); refusing to forecast from stale data"
        )
    target = target_date(issue_time, tz)
    first_day = max(index[0].tz_convert(tz).date(), target - timedelta(days=max_days))
    local = index.tz_convert(tz).tz_localize(None)
    keep = local >= pd.Timestamp(first_day)
    s, local = s[keep], local[keep]

    spd = int(DAY // step)
    n_days = (target - first_day).days + 1
    day_idx = (local.normalize() - pd.Timestamp(first_day)).days.to_numpy()
    slot = ((local - local.normalize()).asi8 // step.value).astype(np.int64)
    flat = day_idx * spd + slot
    sums = np.bincount(flat, weights=s.to_numpy(), minlength=n_days * spd)
    counts = np.bincount(flat, minlength=n_days * spd)
    raw = np.full(n_days * spd, np.nan)
    np.divide(sums, counts, out=raw, where=counts > 0)
    origin = int(flat[-1]) + 1
    raw[origin:] = np.nan
    absent = nonexistent_slots(first_day, n_days, tz, step)
    filled = causal_fill(raw, origin, spd, step, absent=absent)
    return LocalGrid(
        raw=raw.reshape(n_days, spd),
        filled=filled.reshape(n_days, spd),
        start=first_day,
        step=step,
        origin=origin,
        target_day=n_days - 1,
        tz=tz,
        last_observation=last,
        absent=absent,
    )


def nonexistent_slots(first_day: date, n_days: int, tz: ZoneInfo, step: pd.Timedelta) -> np.ndarray:
    """Flat positions of wall-clock slots that no UTC instant maps to (a spring-forward hour)."""
    spd = int(DAY // step)
    absent = np.zeros(n_days * spd, dtype=bool)
    for i in range(n_days):
        day = first_day + timedelta(days=i)
        lo, hi = timerules.local_day_bounds(day, tz)
        if hi - lo >= 86400:
            continue
        hit = wall_clock_slots(target_stamps(day, tz, step), tz, step)
        row = np.ones(spd, dtype=bool)
        row[hit] = False
        absent[i * spd : (i + 1) * spd] = row
    return absent


def causal_fill(
    raw: np.ndarray,
    origin: int,
    spd: int,
    step: pd.Timedelta,
    expected: np.ndarray | None = None,
    absent: np.ndarray | None = None,
) -> np.ndarray:
    """Fill gaps before `origin` using only earlier values, so that the filled value of a
    position is the same whichever later origin looks at it (no leakage into backtests).

    Gaps shorter than an hour carry the last value forward (this also spreads coarser, older
    data over a finer grid); longer gaps (a missing DST hour included) take `expected` (the
    cleaning's week-earlier value scaled to the level) where given, else the same slot a week
    earlier, else a day earlier, else the last value. Leading gaps take the first observation.
    `absent` marks the wall-clock slots that do not exist (the spring DST hour): they are
    never carried forward, so they take the week-earlier values too.
    """
    out = raw.copy()
    known = out[:origin]
    short = max(int(pd.Timedelta(hours=1) // step) - 1, 0)
    if short:
        # A DST hour that does not exist is a long gap, whatever the step: left to `expected`.
        known[:] = pd.Series(known).ffill(limit=short).to_numpy()
        if absent is not None:
            known[absent[:origin]] = np.nan
    if expected is not None:
        take = np.isnan(known) & np.isfinite(expected[:origin])
        known[take] = expected[:origin][take]
    for day in range((origin + spd - 1) // spd):
        lo, hi = day * spd, min((day + 1) * spd, origin)
        row = known[lo:hi]
        gaps = np.isnan(row)
        if not gaps.any():
            continue
        for back in (7 * spd, spd):
            if lo - back >= 0:
                prev = known[lo - back : hi - back]
                row[gaps] = prev[gaps]
                gaps = np.isnan(row)
                if not gaps.any():
                    break
    known[:] = pd.Series(known).ffill().bfill().to_numpy()
    return out
