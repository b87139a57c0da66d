"""Backfill: as-of day-ahead forecasts of the last days, so accuracy and the chart compare ours
with ENTSO-E's from the first update on instead of four weeks later.

Each past target day D is forecast as a live update would have done it: issued at local noon
of D-1 from the actual load stamped strictly before that noon, with the same model call and
the same checks as the published forecast. Days that already have a forecast of ours are
skipped, so running it again adds nothing; each day is stored as soon as it is computed, so an
interrupted backfill keeps what it made and the next one completes it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from swissenergy import timerules
from swissenergy import timeseries as tsx
from swissenergy.config import Settings
from swissenergy.forecast_check import UpdateError, validate_forecast
from swissenergy.store import NewForecast, Store

log = logging.getLogger(__name__)
BACKFILL_DAYS = 28  # the longest accuracy window (timeseries.ACCURACY_WINDOWS)


def issue_time_of(day: date, tz: ZoneInfo) -> pd.Timestamp:
    """The issue time of target day `day`: local noon of the day before (timerules)."""
    d = day - timedelta(days=1)
    return pd.Timestamp(datetime(d.year, d.month, d.day, 12), tz=tz).tz_convert("UTC")


def days_to_backfill(store: Store, target: date, days: int) -> list[date]:
    """The `days` target days before `target` without a forecast of ours, oldest first."""
    have = store.forecast_days()
    wanted = (target - timedelta(days=k) for k in range(days, 0, -1))
    return [d for d in wanted if d.isoformat() not in have]


def as_of_forecast(
    model: Any,
    model_settings: Any,
    rows: np.ndarray,
    day: date,
    tz: ZoneInfo,
    history_days: int,
) -> NewForecast:
    """The forecast of `day` from `rows` (actual load, Store.read_matrix) as an update at its
    issue time would have made it: from the `history_days` days before that time."""
    issue = issue_time_of(day, tz)
    end = int(issue.timestamp())
    lo, hi = np.searchsorted(rows[:, 0], [end - history_days * timerules.DAY, end])
    load, step = tsx.load_series(rows[lo:hi])
    if load.dropna().empty:
        raise UpdateError(f"no actual load before {issue.isoformat()}")
    fc = model.forecast_next_day(load, issue_time=issue, tz=tz, settings=model_settings)
    return validate_forecast(fc, issue, tz, step)


def backfill(
    settings: Settings,
    store: Store,
    run_id: int,
    model: Any,
    model_settings: Any,
    target: date,
    days: int,
    history_days: int,
) -> dict[str, Any]:
    """Backfill the `days` target days before `target`, each from the `history_days` days
    before its issue time (what an update reads); returns what it did, for the run's
    metrics. A day the model cannot forecast (e.g. too little history then) is skipped with
    its reason; it never fails the update."""
    todo = days_to_backfill(store, target, days)
    out: dict[str, Any] = {"stored": 0, "skipped": {}}
    if not todo:
        return out
    tz = settings.zone
    first, last = (int(issue_time_of(d, tz).timestamp()) for d in (todo[0], todo[-1]))
    rows = store.read_matrix("load_actual", first - history_days * timerules.DAY, last)
    for day in todo:
        try:
            new = as_of_forecast(model, model_settings, rows, day, tz, history_days)
        except Exception as exc:  # one past day must not cost the live forecast
            out["skipped"][day.isoformat()] = f"{type(exc).__name__}: {exc}"[:300]
            continue
        if store.add_backfill(run_id, new):
            out["stored"] += 1
    log.info("run %d backfilled %d days, skipped %d", run_id, out["stored"], len(out["skipped"]))
    return out
