"""Runs every candidate at the issue origin and at the backtest origins, scores them, and
picks what is published.

Backtest origins are the same local time of day as the issue origin (same data availability),
whole days earlier, starting with the latest one whose target day is complete before the
issue origin. Every candidate reads only positions before each origin (see `grid`). What is
published is decided in `selection` (by default the candidates' median).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .calendar import DayCalendar, build_calendar
from .cleaning import clean_grid
from .gbm import HISTORY_DAYS, lightgbm_forecast
from .grid import LocalGrid, build_grid, target_stamps, wall_clock_slots
from .holt_winters import holt_winters
from .naive import level_adjusted_weekly_naive, multi_week_naive, weekly_naive
from .selection import Choice, choose
from .settings import ModelSettings

WEEKLY_NAIVE = "weekly_naive"
LEVEL_ADJUSTED = "level_adjusted_weekly_naive"
HOLT_WINTERS = "double_seasonal_hw"
LIGHTGBM = "lightgbm"
MULTI_WEEK = "multi_week_naive"
CANDIDATES = (WEEKLY_NAIVE, LEVEL_ADJUSTED, HOLT_WINTERS, LIGHTGBM, MULTI_WEEK)
# /2: input cleaning, the median of the candidates, the short-history fallback.
# /3: Holt-Winters averages its 40 best parameter sets and counts twice in the median.
MODEL_NAME = "swissenergy-model/3"
# Days of history needed beyond the backtest origins: the issue day and two weeks of
# references and level windows behind the oldest origin.
BASE_HISTORY_DAYS = 15
# With less history than the full model needs, weekly-naive alone: it needs the week-earlier day.
MIN_HISTORY_DAYS = 8

Candidate = Callable[[LocalGrid, DayCalendar, list[tuple[int, int]]], np.ndarray]


@dataclass(frozen=True)
class ForecastRun:
    points: pd.Series  # the published forecast on the target day's UTC steps
    method: str
    weights: dict[str, float]  # candidate -> weight in the published forecast
    candidates: dict[str, pd.Series]  # every candidate's forecast of the target day
    backtest: dict[str, dict[str, float]]  # method -> {"mape": %, "mae": MW}
    trained_until: pd.Timestamp  # UTC stamp of the last observation used
    step: pd.Timedelta
    # Wall-clock grid forecasts (one row per origin, one column per step of a 24-hour day) of
    # every usable method: row 0 is the issue origin, the others the backtest origins, whose
    # target dates are `target_dates` (same order).
    profiles: dict[str, np.ndarray]
    target_dates: list[date]
    repaired_points: int  # history values flagged by the cleaning (see `cleaning`)


def required_history_days(settings: ModelSettings) -> int:
    return settings.backtest_origins + BASE_HISTORY_DAYS


def run_forecast(
    load: pd.Series,
    *,
    issue_time: pd.Timestamp,
    tz: ZoneInfo,
    settings: ModelSettings,
    holiday_country: str | None = "CH",
) -> ForecastRun:
    issue = _utc(issue_time)
    k_count = settings.backtest_origins
    max_days = max(settings.train_days + HISTORY_DAYS, settings.hw_window_days) + k_count + 4
    grid = build_grid(load, issue_time=issue, tz=tz, max_days=max_days)
    needed = required_history_days(settings)
    short = grid.observed_days() < needed
    if short and grid.observed_days() < MIN_HISTORY_DAYS:
        raise ValueError(
            f"load history too short: need at least {MIN_HISTORY_DAYS} days before issue_time "
            f"for weekly-naive and {needed} for the full model (backtest_origins={k_count} + "
            f"{BASE_HISTORY_DAYS}), got {grid.observed_days()} whole days since {grid.start}"
        )
    days = grid.dates()
    cal = build_calendar([*days, days[-1] + timedelta(days=1)], holiday_country)
    grid, repaired = clean_grid(grid, cal)
    if short:  # too little history to backtest anything: weekly-naive, as good as itself
        origins = [(grid.origin, grid.target_day)]
        forecasts = {WEEKLY_NAIVE: weekly_naive(grid, cal, origins, settings.holiday_threshold)}
        usable = {n: f for n, f in forecasts.items() if np.isfinite(f[0]).all()}
        choice = Choice(WEEKLY_NAIVE, {WEEKLY_NAIVE: 1.0}, usable, {})
        if not usable:
            raise ValueError("weekly-naive could not forecast: the week-earlier day is missing")
    else:
        origins, forecasts, usable, choice = _backtested(grid, cal, settings)

    stamps = target_stamps(days[grid.target_day], tz, grid.step)
    slots = wall_clock_slots(stamps, tz, grid.step)

    def on_stamps(profile: np.ndarray) -> pd.Series:
        return pd.Series(np.maximum(profile[slots], 0.0), index=stamps, name="load_mw")

    return ForecastRun(
        points=on_stamps(choice.profiles[choice.method][0]),
        method=choice.method,
        weights=choice.weights,
        candidates={n: on_stamps(forecasts[n][0]) for n in forecasts if n in usable},
        backtest=choice.backtest,
        trained_until=grid.last_observation,
        step=grid.step,
        profiles=choice.profiles,
        target_dates=[days[t] for _, t in origins],
        repaired_points=repaired,
    )


def _backtested(
    grid: LocalGrid, cal: DayCalendar, settings: ModelSettings
) -> tuple[list[tuple[int, int]], dict[str, np.ndarray], dict[str, np.ndarray], Choice]:
    """Every candidate at the issue and backtest origins, and what is published."""
    spd = grid.steps_per_day
    k_count = settings.backtest_origins
    k_first = 1
    while (grid.target_day - k_first + 1) * spd > grid.origin:
        k_first += 1
    ks = [0, *range(k_first, k_first + k_count)]
    origins = [(grid.origin - k * spd, grid.target_day - k) for k in ks]
    forecasts = {name: fn(grid, cal, origins) for name, fn in _candidates(settings).items()}

    actual = grid.raw[[t for _, t in origins[1:]]]
    usable = {n: f for n, f in forecasts.items() if np.isfinite(f[0]).all()}
    covered = np.ones(k_count, dtype=bool)
    for name, f in list(usable.items()):
        rows = np.isfinite(f[1:]).all(axis=1)
        if rows.sum() < (k_count + 1) // 2:
            del usable[name]  # could not be backtested: sits out
        else:
            covered &= rows
    if not usable:
        raise ValueError("no candidate could forecast from this history")
    choice = choose(
        usable,
        actual,
        covered,
        CANDIDATES,
        ensemble=settings.ensemble,
        blend=settings.blend,
        fallback=WEEKLY_NAIVE,
        votes={HOLT_WINTERS: settings.hw_median_votes},
    )
    return origins, forecasts, usable, choice


def _candidates(settings: ModelSettings) -> dict[str, Candidate]:
    threshold = settings.holiday_threshold
    return {
        WEEKLY_NAIVE: partial(weekly_naive, threshold=threshold),
        LEVEL_ADJUSTED: partial(level_adjusted_weekly_naive, threshold=threshold),
        MULTI_WEEK: partial(multi_week_naive, threshold=threshold),
        HOLT_WINTERS: partial(
            holt_winters,
            window_days=settings.hw_window_days,
            select_days=settings.hw_select_days,
            threshold=threshold,
        ),
        LIGHTGBM: partial(
            lightgbm_forecast,
            train_days=settings.train_days,
            min_train_days=settings.gbm_min_train_days,
            refit_every=settings.gbm_refit_every,
            params=settings.lightgbm_params(),
            num_rounds=settings.gbm_num_rounds,
            threshold=threshold,
        ),
    }


def _utc(ts: pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(ts)
    if ts.tzinfo is None:
        raise ValueError("issue_time must be tz-aware")
    return ts.tz_convert("UTC")
