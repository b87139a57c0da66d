"""The checks a forecast from the model passes before it is stored, published or backfilled:
every step of the target day, on a tz-aware index, finite and positive."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from swissenergy import timerules
from swissenergy import timeseries as tsx
from swissenergy.store import NewForecast


class UpdateError(RuntimeError):
    pass


def validate_forecast(fc: Any, issue: pd.Timestamp, tz: ZoneInfo, step: int) -> NewForecast:
    day = timerules.target_day_for(issue, tz)
    lo, hi = timerules.local_day_bounds(day, tz)
    expected = np.arange(lo, hi, step, dtype="int64")
    pts: pd.Series = fc.points
    if not isinstance(pts.index, pd.DatetimeIndex) or pts.index.tz is None:
        raise UpdateError("model returned points without a tz-aware DatetimeIndex")
    got = tsx.to_epoch(pts.index)
    if got.shape != expected.shape or not np.array_equal(got, expected):
        raise UpdateError(
            f"model returned {len(got)} points; expected {len(expected)} at {step // 60} min "
            f"covering local day {day}"
        )
    vals = pts.to_numpy(dtype="float64")
    if not np.isfinite(vals).all() or (vals <= 0).any():
        raise UpdateError("model returned non-finite or non-positive load values")
    return NewForecast(
        issue_time=int(issue.timestamp()),
        target_day=day.isoformat(),
        resolution_s=step,
        method=str(fc.method),
        model_version=str(fc.model_version),
        backtest={k: {m: float(x) for m, x in v.items()} for k, v in fc.backtest.items()},
        points=[(int(t), round(float(v), 3)) for t, v in zip(got, vals, strict=True)],
    )
