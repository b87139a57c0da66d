"""Routes that serve data: our forecast, ENTSO-E's, actual load, accuracy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic.json_schema import SkipJsonSchema

from swissenergy import timeseries as tsx
from swissenergy.api_models import Accuracy, Detail, Forecast, Forecasts, Series, error
from swissenergy.api_ranges import MAX_RANGE_DAYS, parse_range, when_query
from swissenergy.etag import if_none_match
from swissenergy.serving import JSON, ForecastCache, iso, json_response
from swissenergy.store import Store

_ETAG = {
    "description": "weak, from the forecast's content (the same on every app host), "
    'e.g. W/"3f2a..."',
    "schema": {"type": "string"},
}
# Optional, but never null: SkipJsonSchema keeps None out of the parameter schema.
When = str | SkipJsonSchema[None]
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "the ETag of a forecast already held: 304 while it is the latest",
    "schema": {"type": "string"},
}
_RANGE_DOC = (
    f"`start` and `end` bound `[start, end)`, at most {MAX_RANGE_DAYS} days. "
    "A malformed value, `end` not after `start` or a longer range is a 422 naming the parameter."
)


def router(
    store: Store, cache: ForecastCache, tz: ZoneInfo, clock: Callable[[], float]
) -> APIRouter:
    r = APIRouter(tags=["data"])

    @r.get(
        "/forecast",
        summary="The latest published forecast",
        response_model=Forecast,
        responses={
            200: {
                "headers": {
                    "ETag": _ETAG | {"required": True},
                    "Cache-Control": {
                        "description": "public, max-age=60",
                        "schema": {"type": "string"},
                    },
                }
            },
            304: {
                "description": "Unchanged since the ETag in If-None-Match",
                "headers": {"ETag": _ETAG | {"required": True}},
            },
            404: error(Detail, "No forecast published yet"),
        },
        # Read from the request rather than declared as a parameter: FastAPI would then
        # document a 422 that no value of this optional string can cause.
        openapi_extra={"parameters": [_IF_NONE_MATCH]},
    )
    async def forecast(request: Request) -> Response:
        # Normally ForecastFastPath answers before routing; this route documents the endpoint
        # in OpenAPI and answers the same way if the fast path is ever taken out.
        hit = cache.get()
        if hit is None:
            return json_response({"detail": "no forecast published yet"}, 404)
        etag, body = hit
        headers = {"ETag": etag, "Cache-Control": "public, max-age=60"}
        if if_none_match(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=JSON, headers=headers)

    def default_days(before: int, after: int) -> tuple[int, int]:
        today = datetime.fromtimestamp(clock(), tz).date()
        lo, _ = tsx.local_day_bounds(today - timedelta(days=before), tz)
        _, hi = tsx.local_day_bounds(today + timedelta(days=after), tz)
        return lo, hi

    @r.get(
        "/forecast/entsoe",
        summary="ENTSO-E's day-ahead forecast",
        description=f"Default: today and tomorrow (local days). {_RANGE_DOC}",
        response_model=Series,
    )
    def forecast_entsoe(
        start: Annotated[
            When, when_query("First instant; default: end - 2 days", "2024-04-01")
        ] = None,
        end: Annotated[When, when_query("Exclusive; default: start + 2 days", "2024-04-03")] = None,
    ) -> Response:
        lo, hi = parse_range(start, end, tz, default_days(0, 1))
        return json_response(_series(lo, hi, store.read_points("entsoe_forecast", lo, hi)))

    @r.get(
        "/loads",
        summary="Actual load",
        description=f"Default: the last 7 days. {_RANGE_DOC}",
        response_model=Series,
    )
    def loads(
        start: Annotated[
            When, when_query("First instant; default: end - 7 days", "2024-04-01")
        ] = None,
        end: Annotated[
            When, when_query("Exclusive; default: start + 7 days, or now", "2024-04-03")
        ] = None,
    ) -> Response:
        now = int(clock())
        lo, hi = parse_range(start, end, tz, (now - 7 * tsx.DAY, now))
        return json_response(_series(lo, hi, store.read_points("load_actual", lo, hi)))

    @r.get(
        "/forecasts",
        summary="Our forecasts of past and coming days, published or backfilled",
        description="Per local day overlapping the range, the newest published forecast, "
        "else the backfilled one (`backfilled`). Default: the 28 days before today, today and "
        "tomorrow. " + _RANGE_DOC,
        response_model=Forecasts,
    )
    def forecasts(
        start: Annotated[
            When, when_query("First instant; default: end - 30 days", "2024-04-01")
        ] = None,
        end: Annotated[
            When, when_query("Exclusive; default: start + 30 days", "2024-04-03")
        ] = None,
    ) -> Response:
        lo, hi = parse_range(start, end, tz, default_days(28, 1))
        items = [
            f
            | {
                "issue_time": iso(f["issue_time"]),
                "points": [{"ts": iso(t), "mw": v} for t, v in f["points"]],
            }
            for f in store.forecasts_between(lo, hi)
        ]
        return json_response({"start": iso(lo), "end": iso(hi), "unit": "MW", "forecasts": items})

    acc_cache: dict[str, Any] = {}

    @r.get(
        "/accuracy",
        summary="MAPE and MAE, ours vs ENTSO-E, last day/week/4 weeks",
        response_model=Accuracy,
    )
    def accuracy() -> Response:
        key = (
            store.latest_forecast_id(),
            store.max_ts("load_actual"),
            store.max_ts("entsoe_forecast"),
        )
        if acc_cache.get("key") != key:
            end = (key[1] or int(clock())) + tsx.DAY
            since = end - 30 * tsx.DAY
            acc_cache["value"] = tsx.accuracy(
                store.read_points("load_actual", since, end),
                store.published_points(since, end),
                store.read_points("entsoe_forecast", since, end),
                store.backfilled_days(since, end),
            )
            acc_cache["key"] = key
        return json_response(acc_cache["value"])

    return r


def _series(lo: int, hi: int, rows: list[tuple[int, int, float]]) -> dict[str, Any]:
    points = [{"ts": iso(t), "mw": v, "resolution_minutes": r // 60} for t, r, v in rows]
    return {"start": iso(lo), "end": iso(hi), "unit": "MW", "points": points}
