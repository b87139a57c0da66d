"""Series helpers shared by the update, the API and the chart (the time rules are `timerules`).

Stored points are (utc_epoch_s, resolution_s, MW); a point is the mean power over
[ts, ts + resolution). Converting between resolutions keeps that meaning: a coarse point is
repeated over the finer slots it covers, finer points are averaged into a coarse slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

# DAY and local_day_bounds are re-exported: the API reaches the time rules through here.
from swissenergy.timerules import DAY, HOUR, infer_step, local_day_bounds

__all__ = [
    "ACCURACY_WINDOWS",
    "DAY",
    "HOUR",
    "Rows",
    "accuracy",
    "load_series",
    "local_day_bounds",
    "regularize",
    "series_step",
    "to_epoch",
    "to_index",
]

ACCURACY_WINDOWS = {"day": 1, "week": 7, "four_weeks": 28}
# Stored points: a list of (ts, resolution_s, MW) tuples, or the same as an (n, 3) array.
Rows = list[tuple[int, int, float]] | np.ndarray


def to_index(ts: np.ndarray | list[int]) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(np.asarray(ts, dtype="int64"), unit="s", utc=True))


def to_epoch(index: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray((index - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1), "int64")


def series_step(rows: list[tuple[int, int, float]]) -> int:
    """The step of stored rows (timerules.infer_step on their stamps); with fewer than two
    rows, or an unusable spacing, the newest row's own resolution."""
    try:
        return infer_step([r[0] for r in rows])
    except ValueError:
        return int(rows[-1][1]) if rows else HOUR


def regularize(rows: Rows, step: int) -> pd.Series:
    """Points of mixed resolution -> a Series on a regular `step` grid (NaN where missing)."""
    if len(rows) == 0:
        return pd.Series(dtype="float64", index=to_index([]))
    arr = np.asarray(rows, dtype="float64")
    ts, res, mw = arr[:, 0].astype("int64"), arr[:, 1].astype("int64"), arr[:, 2]
    out: pd.Series | None = None
    for r in np.unique(res):  # ascending: finer data is combined first and wins
        sel = res == r
        t, v = ts[sel], mw[sel]
        if r >= step and r % step == 0:
            k = int(r // step)
            t = (t[:, None] + np.arange(k) * step).ravel()
            v = np.repeat(v, k)
            s = pd.Series(v, index=t)
        else:
            s = pd.Series(v, index=t - t % step).groupby(level=0).mean()
        s = s[~s.index.duplicated(keep="last")]
        out = s if out is None else out.combine_first(s)
    assert out is not None
    out = out.sort_index()
    grid = np.arange(int(out.index[0]), int(out.index[-1]) + step, step, dtype="int64")
    out = out.reindex(grid)
    out.index = to_index(grid)
    return out.astype("float64")


def load_series(rows: Rows) -> tuple[pd.Series, int]:
    """Actual load rows -> (series on a regular grid, step seconds).

    Gaps stay NaN: the model treats missing values as gaps, and inventing values here would
    hide them from its backtest.
    """
    if len(rows) == 0:
        return pd.Series(dtype="float64", index=to_index([])), HOUR
    step = infer_step(np.asarray(rows, dtype="float64")[:, 0].astype("int64"))
    return regularize(rows, step), step


def _errors(pred: pd.Series, actual: pd.Series) -> dict[str, Any]:
    both = pd.concat([pred.rename("f"), actual.rename("a")], axis=1, join="inner").dropna()
    both = both[both["a"].abs() > 1e-9]
    if both.empty:
        return {"mape": None, "mae": None, "points": 0}
    err = (both["f"] - both["a"]).abs()
    return {
        "mape": round(float((err / both["a"].abs()).mean() * 100), 3),
        "mae": round(float(err.mean()), 2),
        "points": len(both),
    }


def accuracy(
    actual_rows: list[tuple[int, int, float]],
    ours: list[tuple[int, float]],
    entsoe_rows: list[tuple[int, int, float]],
    backfilled: Sequence[tuple[str, int, int]] = (),
) -> dict[str, Any]:
    """MAPE (%) and MAE (MW) of our forecast and ENTSO-E's over the last day/week/4 weeks.

    Windows end where actual load ends. Forecasts are brought to the actual series' step
    first, so a 15-min forecast is compared with an hourly actual as an hourly mean. Each
    window lists the days in it whose forecast of ours is backfilled: `backfilled` holds
    (local day, start, end) of those days (Store.backfilled_days).
    """
    if not actual_rows:
        return {"end": None, "windows": {}}
    step = series_step(actual_rows)
    actual = regularize(actual_rows, step).dropna()
    end = int(actual_rows[-1][0] + actual_rows[-1][1])
    res_ours = min(step, series_step([(t, step, v) for t, v in ours])) if ours else step
    ours_s = regularize([(t, res_ours, v) for t, v in ours], step).dropna()
    ent_s = regularize(entsoe_rows, step).dropna()
    out: dict[str, Any] = {}
    for name, days in ACCURACY_WINDOWS.items():
        lo = to_index([end - days * DAY])[0]
        a = actual[actual.index >= lo]
        out[name] = {
            "start": lo.isoformat(),
            "ours": _errors(ours_s[ours_s.index >= lo], a),
            "entsoe": _errors(ent_s[ent_s.index >= lo], a),
            "backfilled_days": [d for d, a, b in backfilled if b > lo.timestamp() and a < end],
        }
    return {"end": to_index([end])[0].isoformat(), "step_minutes": step // 60, "windows": out}
