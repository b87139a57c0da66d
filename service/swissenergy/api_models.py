"""Response shapes of the HTTP API, for its OpenAPI description.

The routes build their JSON by hand (orjson, no per-request model validation, see serving);
these models only describe it. `extra="forbid"` publishes `additionalProperties: false`, so
the schema fuzz test (tests/test_schemathesis.py) catches any field added here or there alone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Detail(_Closed):
    detail: str = Field(description="what is missing or wrong")


class UpdateStarted(_Closed):
    run_id: int
    status: Literal["running"]


class UpdateBusy(_Closed):
    detail: str
    run_id: int | None = Field(description="the run in progress (null if it just ended)")


class Run(_Closed):
    id: int
    started_at: datetime
    finished_at: datetime | None
    status: Literal["running", "succeeded", "failed"]
    error: str | None = Field(description="why a failed run failed (the API key redacted)")
    rows_fetched: int
    pid: int | None
    forecast_id: int | None
    metrics: dict[str, Any] | None = Field(description="timings and accuracy of a succeeded run")
    duration_s: float | None


class Horizon(_Closed):
    start: datetime
    end: datetime = Field(description="exclusive")
    steps: int
    resolution_minutes: int


class ForecastPoint(_Closed):
    ts: datetime
    mw: float


class Forecast(_Closed):
    id: int
    run_id: int
    created_at: datetime
    issue_time: datetime
    target_day: date = Field(description="the local day forecast")
    horizon: Horizon
    method: str
    model_version: str
    backtest: dict[str, dict[str, float]] = Field(
        description="candidate method -> its backtest MAPE (%) and MAE (MW)"
    )
    unit: Literal["MW"]
    points: list[ForecastPoint]


class PastForecast(_Closed):
    target_day: date = Field(description="the local day forecast")
    issue_time: datetime
    method: str
    model_version: str
    backfilled: bool = Field(
        description="true: made after the fact, as of `issue_time` from the data known then "
        "(the first update backfills the four weeks before it); false: published live"
    )
    points: list[ForecastPoint] = Field(description="the steps of the day within the range")


class Forecasts(_Closed):
    start: datetime
    end: datetime = Field(description="exclusive")
    unit: Literal["MW"]
    forecasts: list[PastForecast]


class LoadPoint(_Closed):
    ts: datetime
    mw: float
    resolution_minutes: int


class Series(_Closed):
    start: datetime
    end: datetime = Field(description="exclusive")
    unit: Literal["MW"]
    points: list[LoadPoint]


class Errors(_Closed):
    mape: float | None = Field(description="mean absolute percentage error, %")
    mae: float | None = Field(description="mean absolute error, MW")
    points: int = Field(description="steps compared (0: nothing to compare yet)")


class Window(_Closed):
    start: datetime
    ours: Errors
    entsoe: Errors
    backfilled_days: list[date] = Field(
        description="local days in the window whose forecast of ours is backfilled: made "
        "after the fact, as of that day's issue time from the data known then "
        "(the first update backfills the four weeks before it)"
    )


# Absent (not null) until actual load exists: SkipJsonSchema keeps None out of the schema.
class Windows(_Closed):
    day: Window | SkipJsonSchema[None] = None
    week: Window | SkipJsonSchema[None] = None
    four_weeks: Window | SkipJsonSchema[None] = None


class Accuracy(_Closed):
    end: datetime | None = Field(description="end of the actual load (null: none yet)")
    step_minutes: int | SkipJsonSchema[None] = None
    windows: Windows = Field(description="empty until actual load exists")


class Health(_Closed):
    status: Literal["ok"]
    release: str


class Ready(_Closed):
    status: Literal["ready"]
    forecast_id: int


class NotReady(_Closed):
    status: Literal["not ready"]
    reason: str


def error(model: type[BaseModel], description: str) -> dict[str, Any]:
    """One `responses=` entry of a FastAPI route."""
    return {"model": model, "description": description}


NOT_FOUND = error(Detail, "Not found")
