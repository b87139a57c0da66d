"""Day-ahead load forecast: the interface the pipeline uses.

`forecast_next_day` forecasts every step of the local day after the issue time's local date
from the load known strictly before the issue time. The history is cleaned first (bad values
repaired causally, see `forecasting.cleaning`). Five candidates (weekly-naive, level-adjusted
weekly-naive, multi-week naive, Taylor's double-seasonal Holt-Winters, LightGBM) forecast; the
published forecast is their median, Holt-Winters counted twice, unless a rolling-origin
backtest over the last `backtest_origins` days, each origin seeing only what was known then,
finds weekly-naive better. Holidays are forecast like Sundays. Runs are deterministic for a
given input and settings.

The implementation lives in `swissenergy.forecasting`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from .forecasting import ModelSettings, required_history_days, run_forecast
from .forecasting.engine import MODEL_NAME

__all__ = ["DayAheadForecast", "ModelSettings", "forecast_next_day", "required_history_days"]


@dataclass(frozen=True)
class DayAheadForecast:
    points: pd.Series  # float MW, tz-aware UTC DatetimeIndex, every step of the next local day
    method: str  # the published candidate or composite, e.g. "median(lightgbm,...)"
    model_version: str  # "swissenergy-model/3 method=... trained_until=..."
    backtest: dict[str, dict[str, float]]  # candidate -> {"mape": percent, "mae": MW}
    repaired_points: int = 0  # history values the input cleaning replaced (bad, not missing)


def forecast_next_day(
    load: pd.Series,
    *,
    issue_time: pd.Timestamp,
    tz: ZoneInfo,
    settings: ModelSettings,
    holiday_country: str = "CH",
) -> DayAheadForecast:
    """Forecast the next local day in `tz` after `issue_time`.

    `load` is actual load in MW on a tz-aware DatetimeIndex at a regular 15-, 30- or 60-minute
    step (inferred from the most recent four weeks); missing stamps and NaN are gaps. Only
    values stamped strictly before `issue_time` are read. `holiday_country` is an ISO code
    known to the `holidays` package, or "" for none.

    With fewer than `required_history_days(settings)` (backtest_origins + 15) days of history
    it publishes weekly-naive alone, with an empty backtest. Raises ValueError when the
    history is shorter than 8 days (the message says how many are needed), ends more than 7
    days before the issue time, or its step is not supported, or when issue_time is naive.
    """
    run = run_forecast(
        load,
        issue_time=issue_time,
        tz=tz,
        settings=settings,
        holiday_country=holiday_country or None,
    )
    trained_until = run.trained_until.isoformat().replace("+00:00", "Z")
    step_min = int(run.step.total_seconds() // 60)
    version = f"{MODEL_NAME} method={run.method} trained_until={trained_until} step={step_min}min"
    return DayAheadForecast(
        points=run.points,
        method=run.method,
        model_version=version,
        # Only finite scores (a candidate whose backtest days were all missing has none).
        backtest={
            name: scores
            for name, scores in run.backtest.items()
            if all(math.isfinite(v) for v in scores.values())
        },
        repaired_points=run.repaired_points,
    )
