"""Causal cleaning of the load history before any candidate sees it.

A value is flagged when it is non-positive, stuck (equal to the values of the hour before it,
and to at least `STUCK_REPEATS` of them: a frozen meter; an hourly value repeated over the
finer slots it covers is not stuck), or implausible against the recent weekly profile: its log
ratio to the cleaned value a week earlier departs from the current level (the median of that
ratio over the previous 24 hours, else the previous week) by more than `MIN_LOG_DEVIATION` and
by more than `Z_LIMIT` robust standard deviations of the past week's departures. Flagged values
become gaps in `raw` (so backtests never score against them) and, like missing values, are
repaired in `filled` with the week-earlier value scaled to the current level.

Every decision about position i reads positions before i only, so a value is cleaned the same
way whichever later origin looks at it. Days touching a holiday (the day itself or its
week-earlier reference) are not judged against the profile: a holiday is not a glitch.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .calendar import DayCalendar
from .grid import LocalGrid, causal_fill

STUCK_REPEATS = 2  # at least three equal in a row (hourly data: three hours)
MIN_LOG_DEVIATION = 0.4  # about +49 % / -33 %: a holiday not in the calendar (-28 %) passes
Z_LIMIT = 6.0
MAD_TO_SIGMA = 1.4826
HOLIDAY_WEIGHT = 0.1  # days observed this much are not judged against the weekly profile


def clean_grid(grid: LocalGrid, cal: DayCalendar) -> tuple[LocalGrid, int]:
    """The grid with flagged values removed from `raw` and repaired in `filled`, and how many
    values were flagged before the origin."""
    spd, origin = grid.steps_per_day, grid.origin
    week = 7 * spd
    x = grid.raw.reshape(-1)[:origin].copy()
    per_hour = max(int(pd.Timedelta(hours=1) // grid.step), 1)
    flagged = _non_positive(x) | _stuck(x, max(STUCK_REPEATS, per_hour))
    x[flagged] = np.nan

    holiday = cal.holiday[: grid.n_days] >= HOLIDAY_WEIGHT
    judged = ~np.repeat(holiday | np.roll(holiday, 7), spd)[:origin]
    judged[: min(week, origin)] = False  # no reference in the first week
    repaired = x.copy()  # flagged/missing values replaced by `expected` as blocks are done
    expected = np.full(origin, np.nan)
    ratio = np.full(origin, np.nan)  # log(x / reference) where both are usable
    deviation = np.full(origin, np.nan)
    for lo in range(week, origin, week):
        hi = min(lo + week, origin)
        ref = repaired[lo - week : hi - week]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio[lo:hi] = np.where(judged[lo:hi], np.log(x[lo:hi] / ref), np.nan)
        level = _past_median(ratio, lo, hi, spd)
        deviation[lo:hi] = ratio[lo:hi] - level
        scale = MAD_TO_SIGMA * _past_median(np.abs(deviation), lo, hi, spd)
        limit = np.fmax(MIN_LOG_DEVIATION, Z_LIMIT * np.nan_to_num(scale))
        bad = np.abs(deviation[lo:hi]) > limit  # NaN compares False
        flagged[lo:hi] |= bad
        x[lo:hi][bad] = np.nan
        ratio[lo:hi][bad] = np.nan
        deviation[lo:hi][bad] = np.nan
        expected[lo:hi] = ref * np.exp(np.nan_to_num(level))
        block = repaired[lo:hi]
        block[:] = np.where(np.isfinite(x[lo:hi]), x[lo:hi], expected[lo:hi])

    raw = grid.raw.reshape(-1).copy()
    raw[:origin] = x
    full_expected = np.full(raw.size, np.nan)
    full_expected[:origin] = expected
    filled = causal_fill(raw, origin, spd, grid.step, full_expected, grid.absent)
    cleaned = replace(grid, raw=raw.reshape(grid.raw.shape), filled=filled.reshape(grid.raw.shape))
    return cleaned, int(flagged.sum())


def _non_positive(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.asarray(x <= 0)


def _stuck(x: np.ndarray, repeats: int) -> np.ndarray:
    same = np.ones(x.size, dtype=bool)
    same[:repeats] = False
    for k in range(1, repeats + 1):
        same[k:] &= x[k:] == x[:-k]
    return same


def _past_median(values: np.ndarray, lo: int, hi: int, spd: int) -> np.ndarray:
    """For each position in [lo, hi): the median of `values` over the previous 24 hours,
    where at least a quarter of them is known, else over the previous week."""
    start = max(0, lo - 7 * spd)
    s = pd.Series(values[start:hi]).shift(1)
    day = s.rolling(spd, min_periods=max(spd // 4, 1)).median().to_numpy()
    week = s.rolling(7 * spd, min_periods=max(spd // 4, 1)).median().to_numpy()
    return np.where(np.isfinite(day), day, week)[lo - start :]
