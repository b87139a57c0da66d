"""Routes for operators and people: liveness, readiness, Prometheus metrics, the chart page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from swissenergy import chart, chart_table
from swissenergy import timeseries as tsx
from swissenergy.api_models import Health, NotReady, Ready, error
from swissenergy.serving import json_response
from swissenergy.store import Store

# Text format 0.0.4: every Prometheus version scrapes it, and all our metric names are
# legacy-valid, so format 1.0.0 (prometheus_client's default) would add nothing.
METRICS_TYPE = CONTENT_TYPE_PLAIN_0_0_4
_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"


def router(
    store: Store,
    registry: CollectorRegistry,
    tz: ZoneInfo,
    clock: Callable[[], float],
    release: str,
) -> APIRouter:
    r = APIRouter(tags=["operations"])

    @r.get(
        "/health",
        summary="Liveness: 200 while the process serves, with the release it runs",
        response_model=Health,
    )
    async def health() -> Response:
        return json_response({"status": "ok", "release": release})

    @r.get(
        "/ready",
        summary="Readiness: a forecast is published",
        response_model=Ready,
        responses={503: error(NotReady, "No forecast published yet, or the store fails")},
    )
    def ready() -> Response:
        try:
            fid = store.latest_forecast_id()
        except Exception as exc:  # any DB problem means "not ready"
            body = {"status": "not ready", "reason": f"store: {type(exc).__name__}"}
            return json_response(body, 503)
        if fid is None:
            return json_response(
                {"status": "not ready", "reason": "no forecast published yet"}, 503
            )
        return json_response({"status": "ready", "forecast_id": fid})

    @r.get(
        "/metrics",
        summary="Prometheus metrics (text exposition format 0.0.4)",
        response_class=Response,
        responses={
            200: {
                "description": "HTTP requests and latency by route, runs by status, forecast "
                "age, last success and duration, newest actual load",
                "content": {"text/plain; version=0.0.4": {"schema": {"type": "string"}}},
            }
        },
    )
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=METRICS_TYPE)

    page_cache: dict[str, Any] = {}

    @r.get(
        "/",
        response_class=HTMLResponse,
        summary="Chart page (server-rendered SVG, no JavaScript, works offline)",
    )
    def index() -> HTMLResponse:
        now = int(clock())
        key = (store.latest_forecast_id(), store.max_ts("load_actual"), now // 300)
        if page_cache.get("key") != key:
            page_cache["html"], page_cache["key"] = _render_index(store, tz, now), key
        # Everything is inline: forbid any other source, so the page cannot phone home.
        return HTMLResponse(page_cache["html"], headers={"Content-Security-Policy": _PAGE_CSP})

    return r


def _render_index(store: Store, tz: ZoneInfo, now: int) -> str:
    today = datetime.fromtimestamp(now, tz).date()
    start, _ = tsx.local_day_bounds(today - timedelta(days=6), tz)
    _, end = tsx.local_day_bounds(today + timedelta(days=1), tz)
    ours = store.published_points(start, end)
    backfilled = store.backfilled_days(start, end)

    def made_later(ts: int) -> bool:
        return any(a <= ts < b for _, a, b in backfilled)

    series = {
        "actual": [(t, v) for t, _r, v in store.read_points("load_actual", start, end)],
        "entsoe": [(t, v) for t, _r, v in store.read_points("entsoe_forecast", start, end)],
        "ours": [p for p in ours if not made_later(p[0])],
        "backfilled": [p for p in ours if made_later(p[0])],
    }
    since = now - 30 * tsx.DAY  # the accuracy windows end where actual load ends
    acc = tsx.accuracy(
        store.read_points("load_actual", since),
        store.published_points(since, end),
        store.read_points("entsoe_forecast", since, end),
        store.backfilled_days(since, end),
    )
    fid = store.latest_forecast_id()
    f = store.get_forecast(fid) if fid else None
    ok = store.latest_run("succeeded")
    last_ok = ok["finished_at"] if ok else None
    table = chart_table.render_accuracy_table(acc)
    return chart.render_page(series, start, end, now, tz, last_ok, f, store.latest_run(), table)
