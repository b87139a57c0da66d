"""One update: fetch what is new, train, forecast, evaluate, publish.

Fetching stores chunk by chunk, so what was fetched before a failure is kept. A failure of
any step is recorded on the run and the last good forecast stays published. Who runs an
update, and that only one runs at a time, is `worker`'s job.
"""

from __future__ import annotations

import importlib
import logging
import resource
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from swissenergy import backfill, timerules
from swissenergy import timeseries as tsx
from swissenergy.config import Settings
from swissenergy.entsoe import ACTUAL_LOAD, DAY_AHEAD_FORECAST, EntsoeClient, EntsoeError, redact
from swissenergy.forecast_check import UpdateError, validate_forecast
from swissenergy.store import Store
from swissenergy.timerules import DAY, HOUR

log = logging.getLogger(__name__)
ClientFactory = Callable[[Settings], EntsoeClient]
HISTORY_MARGIN_DAYS = 60


def _floor_hour(ts: int) -> int:
    return ts - ts % HOUR


def fetch_incremental(settings: Settings, store: Store, client: EntsoeClient, now: int) -> int:
    """Fetch new points plus a re-fetch window (revisions); returns points received."""
    zone = settings.zone
    hist_start, _ = timerules.local_day_bounds(settings.history_start, zone)
    today = datetime.fromtimestamp(now, zone).date()
    # ENTSO-E's forecast for tomorrow is out by noon today: fetch through tomorrow's end.
    _, fc_end = timerules.local_day_bounds(today + timedelta(days=1), zone)
    received = 0
    for table, ptype, end in (
        ("load_actual", ACTUAL_LOAD, _floor_hour(now) + HOUR),
        ("entsoe_forecast", DAY_AHEAD_FORECAST, fc_end),
    ):
        last = store.max_ts(table)  # type: ignore[arg-type]
        start = (
            hist_start
            if last is None
            else max(hist_start, _floor_hour(last) - settings.refetch_days * DAY)
        )
        if start >= end:
            continue
        a, b = (datetime.fromtimestamp(x, UTC) for x in (start, end))
        # Store chunk by chunk: a first import that fails in year 7 keeps years 1-6.
        for points in client.iter_fetch(ptype, a, b):
            received += len(points)
            store.upsert_points(table, points)  # type: ignore[arg-type]
    return received


def history_days(settings: Settings) -> int:
    """Days of actual load an update reads: how far the model looks back (its LightGBM
    training window, its backtest origins and their two weeks of lags), plus a margin. More
    would change only the memory used (tests/test_backfill.py checks the forecast is the same
    from the whole history)."""
    return settings.model_train_days + settings.model_backtest_origins + HISTORY_MARGIN_DAYS


def model_settings(model: Any, settings: Settings) -> Any:
    """The model's own settings object, from the service's MODEL_* settings."""
    return model.ModelSettings(
        backtest_origins=settings.model_backtest_origins,
        train_days=settings.model_train_days,
        seed=settings.model_seed,
    )


def run_update(
    settings: Settings,
    store: Store,
    run_id: int,
    now: int,
    client_factory: ClientFactory = EntsoeClient.from_settings,
    backfill_days: int | None = None,
) -> int | None:
    """Run one update for `run_id`; returns the new forecast id, or None when it failed.

    The first update (no forecast of ours yet), or one given `backfill_days`, also backfills
    the days before its target day (`backfill`). Never raises: a failure is recorded on the
    run and the last good forecast stays.
    """
    t0 = time.monotonic()
    try:
        with client_factory(settings) as client:
            received = fetch_incremental(settings, store, client, now)
        store.set_run_rows(run_id, received)
        t_fetch = time.monotonic() - t0

        tz = settings.zone
        issue = timerules.issue_time_for(pd.Timestamp(now, unit="s", tz="UTC"), tz)
        end = int(issue.timestamp())
        rows = store.read_matrix("load_actual", end - history_days(settings) * DAY, end)
        load, step = tsx.load_series(rows)
        del rows  # freed before the model runs: the peak is the model's, not the input's
        if load.dropna().empty:
            raise UpdateError("no actual load before the issue time; nothing to train on")
        lag_h = (issue - load.dropna().index[-1]).total_seconds() / 3600
        if lag_h > settings.max_data_lag_hours:
            raise UpdateError(
                f"actual load ends {lag_h:.0f} h before the issue time {issue.isoformat()} "
                f"(limit MAX_DATA_LAG_HOURS={settings.max_data_lag_hours})"
            )

        t1 = time.monotonic()
        # Imported late: the model pulls LightGBM, which the API process never needs.
        model = importlib.import_module("swissenergy.model")
        fc = model.forecast_next_day(
            load, issue_time=issue, tz=tz, settings=model_settings(model, settings)
        )
        new = validate_forecast(fc, issue, tz, step)
        t_model = time.monotonic() - t1
        history_points = len(load)
        del load  # the backfill reads its own window

        extra: dict[str, Any] = {}
        if backfill_days or store.latest_forecast_id() is None:
            extra["backfill"] = backfill.backfill(
                settings,
                store,
                run_id,
                model,
                model_settings(model, settings),
                timerules.target_day_for(issue, tz),
                backfill_days or backfill.BACKFILL_DAYS,
                history_days(settings),
            )
        acc = tsx.accuracy(
            store.read_points("load_actual", start=now - 29 * DAY),
            store.published_points(now - 29 * DAY, now + 2 * DAY),
            store.read_points("entsoe_forecast", start=now - 29 * DAY),
            store.backfilled_days(now - 29 * DAY, now + 2 * DAY),
        )
        metrics = {
            "rows_fetched": received,
            "history_points": history_points,  # read for the model: history_days' worth
            "repaired_points": int(fc.repaired_points),
            "fetch_s": round(t_fetch, 3),
            "model_s": round(t_model, 3),
            "duration_s": round(time.monotonic() - t0, 3),
            # Of the process running the update: the worker child, unless UPDATE_WORKER=thread.
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "accuracy": acc,
            **extra,
        }
        fid = store.publish(run_id, new, metrics)
        log.info(
            "run %d published forecast %d (%s) in %.1f s",
            run_id,
            fid,
            new.method,
            time.monotonic() - t0,
        )
        return fid
    except Exception as exc:  # record any failure; the previous forecast stays published
        msg = describe_error(exc, settings)
        log.error("run %d failed: %s", run_id, msg, exc_info=not isinstance(exc, EntsoeError))
        try:
            store.fail_run(run_id, msg)
        except Exception:
            log.exception("could not record the failure of run %d", run_id)
        return None


def describe_error(exc: BaseException, settings: Settings) -> str:
    if isinstance(exc, EntsoeError | UpdateError):
        text = str(exc)
    else:  # e.g. the model's ValueError "history too short": keep its type for context
        text = f"{type(exc).__name__}: {exc}"
    return redact(text, settings.entsoe_api_key.get_secret_value())
