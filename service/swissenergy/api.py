"""HTTP API (FastAPI). Reads are served from SQLite snapshots and small in-memory caches;
updates run elsewhere (see worker), so no request ever waits for training.

The routes live in api_runs (updates), api_data (forecasts, loads, accuracy) and api_ops
(health, readiness, metrics, chart page); api_docs serves /docs without a CDN.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from swissenergy import api_data, api_docs, api_ops, api_runs
from swissenergy.config import Settings
from swissenergy.serving import (
    ForecastCache,
    ForecastFastPath,
    MetricsMiddleware,
    store_collector,
)
from swissenergy.store import Store
from swissenergy.worker import Updater


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
    registry = CollectorRegistry()
    registry.register(store_collector(store, clock))
    app = FastAPI(
        title="swissenergy",
        version="0.1.0",
        description="Day-ahead forecast of Swiss electricity load (ENTSO-E data).",
        # No OpenTelemetry here (Prometheus is the metrics path); off, it also stops FastAPI
        # probing the OTel providers on every request, which costs more than /forecast does.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        # /docs is served offline by api_docs; ReDoc has no offline bundle here, so none.
        docs_url=None,
        redoc_url=None,
    )
    app.state.store, app.state.updater, app.state.cache = store, updater, cache
    app.add_middleware(ForecastFastPath, cache=cache)
    app.add_middleware(MetricsMiddleware, registry=registry)  # outermost: sees both
    app.include_router(api_runs.router(store, updater))
    app.include_router(api_data.router(store, cache, settings.zone, clock))
    app.include_router(
        api_ops.router(store, registry, settings.zone, clock, settings.swissenergy_release)
    )
    api_docs.install(app)
    return app
