"""Weekly-naive, level-adjusted weekly-naive and multi-week naive, with holidays handled
explicitly.

The reference for a target day is the same weekday a week earlier, unless that day was a
holiday (then a week before that). A holiday target is forecast like a Sunday: its profile
mixes the weekday reference and the last Sunday by the holiday's observance weight. The
multi-week naive averages the last `MULTI_WEEKS` non-holiday references, each scaled by the
level of the last 24 hours against the same 24 hours as many weeks before: steadier than one
week's noise.
"""

from __future__ import annotations

import numpy as np

from .calendar import SUNDAY, DayCalendar
from .grid import LocalGrid

# A reference day this much of a holiday is skipped for the week before.
REFERENCE_HOLIDAY = 0.25
# Bounds on the level ratio: protects against a glitch in the last 24 hours of data.
RATIO_BOUNDS = (0.8, 1.25)
MULTI_WEEKS = 3


def _known(grid: LocalGrid, day: int, origin: int) -> bool:
    return day >= 0 and (day + 1) * grid.steps_per_day <= origin


def weekday_reference(grid: LocalGrid, cal: DayCalendar, target: int, origin: int) -> int:
    """Latest fully known day of the target's weekday that is not a holiday."""
    fallback = -1
    for weeks in range(1, 5):
        day = target - 7 * weeks
        if not _known(grid, day, origin):
            continue
        if fallback < 0:
            fallback = day
        if cal.holiday[day] < REFERENCE_HOLIDAY or cal.dow[day] == SUNDAY:
            return day
    return fallback


def sunday_reference(grid: LocalGrid, cal: DayCalendar, target: int, origin: int) -> int:
    """Latest fully known Sunday before the target day."""
    for day in range(target - 1, max(target - 15, -1), -1):
        if cal.dow[day] == SUNDAY and _known(grid, day, origin):
            return day
    return -1


def reference_profile(grid: LocalGrid, cal: DayCalendar, target: int, origin: int) -> np.ndarray:
    """The profile a naive forecast of `target` starts from, holidays substituted."""
    ref = weekday_reference(grid, cal, target, origin)
    if ref < 0:
        return np.full(grid.steps_per_day, np.nan)
    profile: np.ndarray = grid.filled[ref]
    weight = float(cal.holiday[target])
    if weight > 0 and cal.dow[target] != SUNDAY:
        sunday = sunday_reference(grid, cal, target, origin)
        if sunday >= 0:
            profile = (1.0 - weight) * profile + weight * grid.filled[sunday]
    return profile


def level_ratio(
    grid: LocalGrid, cal: DayCalendar, origin: int, threshold: float, weeks: int = 1
) -> float:
    """Load of the last 24 h before the origin over the same 24 h `weeks` weeks earlier.

    Windows touching a holiday (in either week) are moved back a day at a time, so a holiday
    does not pass for a drop in level.
    """
    spd = grid.steps_per_day
    flat = grid.filled.reshape(-1)
    for back in range(7):
        end = origin - back * spd
        start_prev = end - (7 * weeks + 1) * spd
        if start_prev < 0:
            break
        days = {(end - spd) // spd, (end - 1) // spd}
        days |= {d - 7 * weeks for d in days}
        if any(cal.holiday[d] >= threshold for d in days):
            continue
        now = float(np.sum(flat[end - spd : end]))
        before = float(np.sum(flat[start_prev : end - 7 * weeks * spd]))
        if before > 0 and now > 0:
            return float(np.clip(now / before, *RATIO_BOUNDS))
        break
    return 1.0


def weekly_naive(
    grid: LocalGrid, cal: DayCalendar, origins: list[tuple[int, int]], threshold: float
) -> np.ndarray:
    """(n_origins, steps_per_day): for each (origin, target day) the reference profile."""
    del threshold
    return np.stack([reference_profile(grid, cal, t, p) for p, t in origins])


def level_adjusted_weekly_naive(
    grid: LocalGrid, cal: DayCalendar, origins: list[tuple[int, int]], threshold: float
) -> np.ndarray:
    return np.stack(
        [
            reference_profile(grid, cal, t, p) * level_ratio(grid, cal, p, threshold)
            for p, t in origins
        ]
    )


def multi_week_naive(
    grid: LocalGrid, cal: DayCalendar, origins: list[tuple[int, int]], threshold: float
) -> np.ndarray:
    spd = grid.steps_per_day
    out = np.full((len(origins), spd), np.nan)
    for k, (p, t) in enumerate(origins):
        profiles = []
        for weeks in range(1, 5):
            day = t - 7 * weeks
            if len(profiles) == MULTI_WEEKS:
                break
            if not _known(grid, day, p):
                continue
            if cal.holiday[day] >= REFERENCE_HOLIDAY and cal.dow[day] != SUNDAY:
                continue
            profile = grid.filled[day]
            weight = float(cal.holiday[t])
            if weight > 0 and cal.dow[t] != SUNDAY:
                sunday = sunday_reference(grid, cal, t, p)
                if sunday >= 0:
                    profile = (1.0 - weight) * profile + weight * grid.filled[sunday]
            profiles.append(profile * level_ratio(grid, cal, p, threshold, weeks))
        if profiles:
            out[k] = np.mean(profiles, axis=0)
    return out
