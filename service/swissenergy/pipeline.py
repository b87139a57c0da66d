"""The update: fetch what is new, train, forecast, evaluate, publish. One at a time.

Locking: an exclusive `flock` on DATA_DIR/update.lock. The kernel drops it when the holder
dies however it dies (kill -9, OOM), so a crash never leaves the service stuck. Whoever takes
the lock knows no update runs, so any run row still marked 'running' is stale and is closed
as failed. The lock's file descriptor is handed to the worker (thread or child process),
which holds it until it ends.

Runs never block requests: the default worker is a child process (`python -m
swissenergy.pipeline`), so training does not compete with the API for the GIL.
"""

from __future__ import annotations

import argparse
import fcntl
import importlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from swissenergy import timeseries as tsx
from swissenergy.config import Settings
from swissenergy.entsoe import ACTUAL_LOAD, DAY_AHEAD_FORECAST, EntsoeClient, EntsoeError, redact
from swissenergy.store import NewForecast, Store

log = logging.getLogger(__name__)
ClientFactory = Callable[[Settings], EntsoeClient]


class UpdateError(RuntimeError):
    pass


# --------------------------------------------------------------------------- the update
def _floor_hour(ts: int) -> int:
    return ts - ts % tsx.HOUR


def fetch_incremental(settings: Settings, store: Store, client: EntsoeClient, now: int) -> int:
    """Fetch new points plus a re-fetch window (revisions); returns points received."""
    start_day = settings.history_start
    hist_start, _ = tsx.local_day_bounds(start_day, settings.timezone)
    today = pd.Timestamp(now, unit="s", tz="UTC").tz_convert(settings.timezone).date()
    # ENTSO-E's forecast for tomorrow is out by noon today: fetch through tomorrow's end.
    _, fc_end = tsx.local_day_bounds(today + timedelta(days=1), settings.timezone)
    received = 0
    for table, ptype, end in (
        ("load_actual", ACTUAL_LOAD, _floor_hour(now) + tsx.HOUR),
        ("entsoe_forecast", DAY_AHEAD_FORECAST, fc_end),
    ):
        last = store.max_ts(table)  # type: ignore[arg-type]
        start = (
            hist_start
            if last is None
            else max(hist_start, _floor_hour(last) - settings.refetch_days * tsx.DAY)
        )
        if start >= end:
            continue
        a, b = (datetime.fromtimestamp(x, UTC) for x in (start, end))
        # Store chunk by chunk: a first import that fails in year 7 keeps years 1-6.
        for points in client.iter_fetch(ptype, a, b):
            received += len(points)
            store.upsert_points(table, points)  # type: ignore[arg-type]
    return received


def _validate(fc: Any, issue: pd.Timestamp, tz: str, step: int) -> NewForecast:
    day = tsx.target_day_for(issue, tz)
    lo, hi = tsx.local_day_bounds(day, tz)
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


def run_update(
    settings: Settings,
    store: Store,
    run_id: int,
    now: int,
    client_factory: ClientFactory = EntsoeClient.from_settings,
) -> int | None:
    """Run one update for `run_id`; returns the new forecast id, or None when it failed.

    Never raises: a failure is recorded on the run and the last good forecast stays.
    """
    t0 = time.monotonic()
    try:
        with client_factory(settings) as client:
            received = fetch_incremental(settings, store, client, now)
        store.set_run_rows(run_id, received)
        t_fetch = time.monotonic() - t0

        tz = settings.timezone
        issue = tsx.issue_time_for(pd.Timestamp(now, unit="s", tz="UTC"), tz)
        rows = store.read_points("load_actual", end=int(issue.timestamp()))
        load, step = tsx.load_series(rows)
        if load.dropna().empty:
            raise UpdateError("no actual load before the issue time; nothing to train on")
        lag_h = (issue - load.dropna().index[-1]).total_seconds() / 3600
        if lag_h > settings.max_data_lag_hours:
            raise UpdateError(
                f"actual load ends {lag_h:.0f} h before the issue time {issue.isoformat()} "
                f"(limit MAX_DATA_LAG_HOURS={settings.max_data_lag_hours})"
            )

        t1 = time.monotonic()
        model = importlib.import_module("swissenergy.model")
        fc = model.forecast_next_day(
            load, issue_time=issue, tz=tz, settings=settings.model_settings()
        )
        new = _validate(fc, issue, tz, step)
        t_model = time.monotonic() - t1

        acc = tsx.accuracy(
            store.read_points("load_actual", start=now - 29 * tsx.DAY),
            store.published_points(now - 29 * tsx.DAY, now + 2 * tsx.DAY),
            store.read_points("entsoe_forecast", start=now - 29 * tsx.DAY),
        )
        metrics = {
            "rows_fetched": received,
            "history_points": len(load),
            "fetch_s": round(t_fetch, 3),
            "model_s": round(t_model, 3),
            "duration_s": round(time.monotonic() - t0, 3),
            "accuracy": acc,
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


# --------------------------------------------------------------------------- triggering
@dataclass(frozen=True)
class Trigger:
    started: bool
    run_id: int | None


class Updater:
    """Starts updates without waiting for them; at most one at a time (see module doc)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        client_factory: ClientFactory = EntsoeClient.from_settings,
        on_done: Callable[[int], None] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.client_factory = client_factory
        self.on_done = on_done
        self._mutex = threading.Lock()
        self._workers: list[threading.Thread] = []

    def _try_lock(self) -> int | None:
        path = self.settings.lock_path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    def recover_stale(self) -> list[int]:
        """Close runs left 'running' by a dead worker. Only valid while holding the lock."""
        stale = self.store.running_runs()
        for run in stale:
            self.store.fail_run(
                run["id"],
                f"interrupted: the worker (pid {run['pid']} on {run['host']}) stopped "
                "before finishing (crash, kill or restart)",
            )
        return [r["id"] for r in stale]

    def recover_at_startup(self) -> None:
        fd = self._try_lock()
        if fd is not None:
            try:
                if ids := self.recover_stale():
                    log.warning("closed stale update runs %s", ids)
            finally:
                os.close(fd)

    def running_run_id(self) -> int | None:
        # The holder writes its run id into the lock file right after taking the lock;
        # wait a moment for it rather than answer 409 without an id.
        for _ in range(20):
            try:
                text = self.settings.lock_path.read_text().strip()
            except OSError:
                text = ""
            if text.isdigit():
                return int(text)
            runs = self.store.running_runs()
            if runs:
                return int(runs[0]["id"])
            time.sleep(0.01)
        return None

    def trigger(self) -> Trigger:
        with self._mutex:
            fd = self._try_lock()
            if fd is None:
                return Trigger(False, self.running_run_id())
            try:
                self.recover_stale()
                run_id = self.store.start_run(os.getpid(), socket.gethostname())
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(run_id).encode(), 0)
                now = int(self.clock())
                if self.settings.update_worker == "thread":
                    self._start_thread(fd, run_id, now)
                else:
                    self._start_process(fd, run_id, now)
            except BaseException:
                os.close(fd)
                raise
            return Trigger(True, run_id)

    def _finish(self, fd: int, run_id: int) -> None:
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # releases the lock
        if self.on_done:
            self.on_done(run_id)

    def _start_thread(self, fd: int, run_id: int, now: int) -> None:
        def work() -> None:
            try:
                run_update(self.settings, self.store, run_id, now, self.client_factory)
            finally:
                self.store.close()  # this thread's connection
                self._finish(fd, run_id)

        t = threading.Thread(target=work, name=f"update-{run_id}", daemon=True)
        self._workers.append(t)
        t.start()

    def _start_process(self, fd: int, run_id: int, now: int) -> None:
        cmd = [
            sys.executable,
            "-m",
            "swissenergy.pipeline",
            "--run-id",
            str(run_id),
            "--lock-fd",
            str(fd),
        ]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, pass_fds=(fd,))
        # Settings go over stdin, not argv/env: the key must not show in `ps` output.
        assert proc.stdin is not None
        proc.stdin.write(
            json.dumps({"settings": settings_payload(self.settings), "now": now}).encode()
        )
        proc.stdin.close()

        def reap() -> None:
            rc = proc.wait()
            # The child closed its run unless it died; then the run is failed here.
            self.store.fail_run(run_id, f"interrupted: the update worker exited with code {rc}")
            self.store.close()
            self._finish(fd, run_id)

        # Our copy of the fd stays open until the reaper runs, so the lock outlives neither
        # the child nor this process; closing it earlier would be equally correct.
        t = threading.Thread(target=reap, name=f"reap-{run_id}", daemon=True)
        self._workers.append(t)
        t.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for workers started by this Updater (tests, CLI)."""
        for t in list(self._workers):
            t.join(timeout)


def settings_payload(s: Settings) -> dict[str, Any]:
    data = s.model_dump(mode="json")
    data["entsoe_api_key"] = s.entsoe_api_key.get_secret_value()
    return data


def _child_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="internal: run one update (started by the API)")
    p.add_argument("--run-id", type=int, required=True)
    p.add_argument("--lock-fd", type=int, required=True)
    args = p.parse_args(argv)
    payload = json.loads(sys.stdin.read())
    settings = Settings(**payload["settings"])
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s update: %(message)s"
    )
    store = Store(settings.db_path)
    fid = run_update(settings, store, args.run_id, int(payload["now"]))
    return 0 if fid is not None else 1


if __name__ == "__main__":
    sys.exit(_child_main())
