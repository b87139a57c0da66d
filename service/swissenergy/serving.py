"""Serving helpers for the API's hot and shared paths: the forecast cache and its ASGI fast
path, Prometheus metrics (request middleware and store-backed gauges), JSON shapes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from starlette.responses import Response

from swissenergy.etag import content_etag, if_none_match
from swissenergy.store import Store

JSON = "application/json"


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


class ForecastCache:
    """Serialized latest forecast and its content ETag, keyed by its id; SQLite is asked at
    most every `ttl` s whether a newer one exists (a child process publishes, so no in-memory
    event covers it).
    """

    def __init__(self, store: Store, ttl: float = 1.0) -> None:
        self.store, self.ttl = store, ttl
        self.fid: int | None = None
        self.hit: tuple[str, bytes] | None = None
        self.checked = -1e18

    def invalidate(self, *_: object) -> None:
        self.checked = -1e18

    def get(self) -> tuple[str, bytes] | None:
        """(ETag, body) of the latest forecast, or None before the first."""
        now = time.monotonic()
        if self.hit is not None and now - self.checked < self.ttl:
            return self.hit
        fid = self.store.latest_forecast_id()
        self.checked = now
        if fid is None:
            return None
        if fid != self.fid or self.hit is None:
            f = self.store.get_forecast(fid)
            if f is None:
                return None
            doc = forecast_json(f)
            self.fid, self.hit = fid, (content_etag(doc), orjson.dumps(doc))
        return self.hit


def forecast_json(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f["id"],
        "run_id": f["run_id"],
        "created_at": iso(f["created_at"]),
        "issue_time": iso(f["issue_time"]),
        "target_day": f["target_day"],
        "horizon": {
            "start": iso(f["horizon_start"]),
            "end": iso(f["horizon_end"]),
            "steps": len(f["points"]),
            "resolution_minutes": f["resolution_s"] // 60,
        },
        "method": f["method"],
        "model_version": f["model_version"],
        "backtest": f["backtest"],
        "unit": "MW",
        "points": [{"ts": iso(t), "mw": v} for t, v in f["points"]],
    }


class MetricsMiddleware:
    """Counts requests per route template (bounded label set) and observes latency.

    Plain ASGI rather than @app.middleware("http"): that wrapper costs a task and a stream
    per request, which shows at thousands of requests per second.
    """

    def __init__(self, app: Any, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "swissenergy_http_requests",
            "HTTP requests",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "swissenergy_http_request_duration_seconds",
            "Request latency",
            ["route"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500

        async def send_wrapper(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.requests.labels(route, scope["method"], str(status)).inc()
            self.latency.labels(route).observe(time.perf_counter() - t0)


class ForecastFastPath:
    """Answers `GET /forecast` straight from the cache, before FastAPI's routing and
    dependency machinery (which cost ~10x the cache lookup). The FastAPI route below stays
    for the OpenAPI schema and answers identically.
    """

    route = SimpleNamespace(path="/forecast")  # the label MetricsMiddleware reads

    def __init__(self, app: Any, cache: ForecastCache) -> None:
        self.app, self.cache = app, cache

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/forecast" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        hit = self.cache.get()
        if hit is None:
            status, body, headers = 404, b'{"detail":"no forecast published yet"}', []
        else:
            etag, body = hit
            headers = [(b"etag", etag.encode()), (b"cache-control", b"public, max-age=60")]
            status = 200
            for k, v in scope["headers"]:
                if k == b"if-none-match" and if_none_match(v.decode("latin-1"), etag):
                    status, body = 304, b""
        if status != 304:
            headers += [
                (b"content-type", JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def store_collector(store: Store, clock: Callable[[], float]) -> Any:
    class StoreCollector:
        def collect(self) -> Any:
            counts = store.run_counts()
            runs = GaugeMetricFamily(
                "swissenergy_update_runs", "Update runs by status", labels=["status"]
            )
            for status in ("running", "succeeded", "failed"):
                runs.add_metric([status], counts.get(status, 0))
            yield runs
            ok = store.latest_run("succeeded")
            last = store.latest_run()
            fid = store.latest_forecast_id()
            f = store.get_forecast(fid) if fid else None
            yield GaugeMetricFamily(
                "swissenergy_forecast_age_seconds",
                "Age of the published forecast",
                value=(clock() - f["created_at"]) if f else float("nan"),
            )
            yield GaugeMetricFamily(
                "swissenergy_last_update_success_timestamp_seconds",
                "End of the last successful update",
                value=ok["finished_at"] if ok else 0,
            )
            yield GaugeMetricFamily(
                "swissenergy_last_update_failed",
                "1 when the newest run failed",
                value=1 if last and last["status"] == "failed" else 0,
            )
            dur = (ok["finished_at"] - ok["started_at"]) if ok else float("nan")
            yield GaugeMetricFamily(
                "swissenergy_last_update_duration_seconds",
                "Duration of the last successful update",
                value=dur,
            )
            latest = store.max_ts("load_actual")
            yield GaugeMetricFamily(
                "swissenergy_actual_load_latest_timestamp_seconds",
                "Start of the newest actual load point",
                value=latest if latest is not None else float("nan"),
            )

    return StoreCollector()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=JSON, headers=headers)
