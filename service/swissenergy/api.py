"""HTTP API (FastAPI). Reads are served from SQLite snapshots and small in-memory caches;
updates run elsewhere (see pipeline), so no request ever waits for training.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from swissenergy import chart
from swissenergy import timeseries as tsx
from swissenergy.config import Settings
from swissenergy.serving import (
    JSON,
    ForecastCache,
    ForecastFastPath,
    MetricsMiddleware,
    iso,
    store_collector,
)
from swissenergy.store import Store
from swissenergy.worker import Updater

log = logging.getLogger(__name__)
MAX_RANGE_DAYS = 92


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=JSON, headers=headers)


def _bad(name: str, msg: str) -> HTTPException:
    # Same shape as FastAPI's own validation errors, so clients handle one format.
    return HTTPException(422, detail=[{"loc": ["query", name], "msg": msg, "type": "value_error"}])


def parse_when(name: str, raw: str, tz: str) -> datetime:
    """ISO date (local midnight) or date-time; naive date-times are local time in `tz`."""
    text = raw.strip()
    # An unencoded '+' in a query string arrives as a space: "12:00:00 01:00".
    if len(text) > 19 and text[-6] == " " and text[-5:-3].isdigit():
        text = text[:-6] + "+" + text[-5:]
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            when = datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(tz))
        else:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        raise _bad(
            name,
            f"{name} must be an ISO 8601 date or date-time such as 2024-01-15 or "
            f"2024-01-15T12:00:00Z; got {raw[:40]!r}",
        ) from None
    if not 2000 <= when.year <= 2100:
        raise _bad(name, f"{name} must be between the years 2000 and 2100")
    return when.astimezone(UTC)


def parse_range(
    start: str | None, end: str | None, tz: str, default: tuple[int, int]
) -> tuple[int, int]:
    lo = int(parse_when("start", start, tz).timestamp()) if start else None
    hi = int(parse_when("end", end, tz).timestamp()) if end else None
    if lo is None and hi is None:
        lo, hi = default
    elif lo is None:
        lo = hi - (default[1] - default[0])  # type: ignore[operator]
    elif hi is None:
        hi = lo + (default[1] - default[0])
    assert lo is not None and hi is not None
    if lo >= hi:
        raise _bad("end", "end must be after start")
    if hi - lo > MAX_RANGE_DAYS * tsx.DAY:
        raise _bad(
            "end",
            f"the range spans {(hi - lo) / tsx.DAY:.1f} days; "
            f"at most {MAX_RANGE_DAYS} days per request",
        )
    return lo, hi


def _points_json(rows: list[tuple[int, int, float]]) -> list[dict[str, Any]]:
    return [{"ts": iso(t), "mw": v, "resolution_minutes": r // 60} for t, r, v in rows]


def create_app(
    settings: Settings,
    store: Store | None = None,
    updater: Updater | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    store = store or Store(settings.db_path)
    store.migrate()
    cache = ForecastCache(store)
    updater = updater or Updater(settings, store, clock=clock)
    prev_done = updater.on_done

    def done(run_id: int) -> None:
        cache.invalidate()
        if prev_done:
            prev_done(run_id)

    updater.on_done = done
    updater.recover_at_startup()
    tz = settings.timezone
    registry = CollectorRegistry()
    registry.register(store_collector(store, clock))
    app = FastAPI(
        title="swissenergy",
        version="0.1.0",
        description="Day-ahead forecast of Swiss electricity load (ENTSO-E data).",
        # No OpenTelemetry here (Prometheus is the metrics path); off, it also stops FastAPI
        # probing the OTel providers on every request, which costs more than /forecast does.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.store, app.state.updater, app.state.cache = store, updater, cache
    app.add_middleware(ForecastFastPath, cache=cache)
    app.add_middleware(MetricsMiddleware, registry=registry)  # outermost: sees both

    @app.get("/update-forecast", status_code=202, summary="Start an update (one at a time)")
    def update_forecast() -> Response:
        t = updater.trigger()
        if t.started:
            return _json(
                {"run_id": t.run_id, "status": "running"}, 202, {"Location": f"/runs/{t.run_id}"}
            )
        return _json({"detail": "an update is already running", "run_id": t.run_id}, 409)

    @app.get("/runs/latest", summary="State of the newest update run")
    def runs_latest() -> Response:
        run = store.latest_run()
        if run is None:
            raise HTTPException(404, "no update has run yet")
        return _json(_run_json(run))

    @app.get("/runs/{run_id}", summary="State of one update run")
    def run_by_id(run_id: int) -> Response:
        run = store.get_run(run_id)
        if run is None:
            raise HTTPException(404, f"no run {run_id}")
        return _json(_run_json(run))

    @app.get("/forecast", summary="The latest published forecast")
    async def forecast(request: Request) -> Response:
        # Normally ForecastFastPath answers before routing; this route documents the endpoint
        # in OpenAPI and answers the same way if the fast path is ever taken out.
        hit = cache.get()
        if hit is None:
            return _json({"detail": "no forecast published yet"}, 404)
        fid, body = hit
        etag = f'"f{fid}"'
        headers = {"ETag": etag, "Cache-Control": "public, max-age=60"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=JSON, headers=headers)

    def default_days(before: int, after: int) -> tuple[int, int]:
        today = datetime.fromtimestamp(clock(), ZoneInfo(tz)).date()
        lo, _ = tsx.local_day_bounds(today - timedelta(days=before), tz)
        _, hi = tsx.local_day_bounds(today + timedelta(days=after), tz)
        return lo, hi

    @app.get("/forecast/entsoe", summary="ENTSO-E's day-ahead forecast (default: today+tomorrow)")
    def forecast_entsoe(
        start: str | None = Query(None, description="ISO date or date-time"),
        end: str | None = Query(None, description="exclusive"),
    ) -> Response:
        lo, hi = parse_range(start, end, tz, default_days(0, 1))
        rows = store.read_points("entsoe_forecast", lo, hi)
        return _json({"start": iso(lo), "end": iso(hi), "unit": "MW", "points": _points_json(rows)})

    @app.get("/loads", summary=f"Actual load in [start, end), at most {MAX_RANGE_DAYS} days")
    def loads(
        start: str | None = Query(
            None, description="ISO date or date-time; naive = local time; default end - 7 days"
        ),
        end: str | None = Query(None, description="exclusive; default now"),
    ) -> Response:
        now = int(clock())
        lo, hi = parse_range(start, end, tz, (now - 7 * tsx.DAY, now))
        rows = store.read_points("load_actual", lo, hi)
        return _json({"start": iso(lo), "end": iso(hi), "unit": "MW", "points": _points_json(rows)})

    acc_cache: dict[str, Any] = {}

    @app.get("/accuracy", summary="MAPE and MAE, ours vs ENTSO-E, last day/week/4 weeks")
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
            )
            acc_cache["key"] = key
        return _json(acc_cache["value"])

    @app.get("/health", summary="Liveness")
    async def health() -> Response:
        return _json({"status": "ok"})

    @app.get("/ready", summary="Readiness: a forecast is published")
    def ready() -> Response:
        try:
            fid = store.latest_forecast_id()
        except Exception as exc:  # any DB problem means "not ready"
            return _json({"status": "not ready", "reason": f"store: {type(exc).__name__}"}, 503)
        if fid is None:
            return _json({"status": "not ready", "reason": "no forecast published yet"}, 503)
        return _json({"status": "ready", "forecast_id": fid})

    @app.get("/metrics", summary="Prometheus metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    page_cache: dict[str, Any] = {}

    @app.get("/", response_class=HTMLResponse, summary="Chart page (no JavaScript, offline)")
    def index() -> HTMLResponse:
        now = int(clock())
        key = (store.latest_forecast_id(), store.max_ts("load_actual"), now // 300)
        if page_cache.get("key") != key:
            page_cache["html"], page_cache["key"] = _render_index(store, tz, now), key
        # Everything is inline: forbid any other source, so the page cannot phone home.
        csp = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"
        return HTMLResponse(page_cache["html"], headers={"Content-Security-Policy": csp})

    return app


def _run_json(run: dict[str, Any]) -> dict[str, Any]:
    out = dict(run)
    for k in ("started_at", "finished_at"):
        out[k] = iso(run[k])
    end = run["finished_at"]
    out["duration_s"] = round(end - run["started_at"], 3) if end else None
    out.pop("host", None)
    return out


def _render_index(store: Store, tz: str, now: int) -> str:
    today = datetime.fromtimestamp(now, ZoneInfo(tz)).date()
    start, _ = tsx.local_day_bounds(today - timedelta(days=6), tz)
    _, end = tsx.local_day_bounds(today + timedelta(days=1), tz)
    series = {
        "actual": [(t, v) for t, _r, v in store.read_points("load_actual", start, end)],
        "entsoe": [(t, v) for t, _r, v in store.read_points("entsoe_forecast", start, end)],
        "ours": store.published_points(start, end),
    }
    fid = store.latest_forecast_id()
    f = store.get_forecast(fid) if fid else None
    ok = store.latest_run("succeeded")
    return chart.render_page(
        series, start, end, now, tz, ok["finished_at"] if ok else None, f, store.latest_run()
    )
