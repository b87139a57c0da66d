"""Updates: incremental fetch, publishing, failure handling, one-at-a-time, crash recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from conftest import NOW, StubModel, make_settings
from fake_entsoe import FakeEntsoe
from swissenergy import timerules
from swissenergy.config import Settings
from swissenergy.store import Store
from swissenergy.update import run_update
from swissenergy.worker import Updater


def update(settings: Settings, store: Store, now: int = NOW) -> dict:
    run_id = store.start_run(os.getpid(), "test")
    run_update(settings, store, run_id, now)
    run = store.get_run(run_id)
    assert run is not None
    return run


def test_issue_time_is_the_latest_local_noon() -> None:
    tz = ZoneInfo("Europe/Zurich")
    at = pd.Timestamp("2024-04-03T09:59Z")  # 11:59 CEST: yesterday's noon, target today
    assert timerules.issue_time_for(at, tz) == pd.Timestamp("2024-04-02T10:00Z")
    at = pd.Timestamp("2024-04-03T10:00Z")  # 12:00 CEST exactly
    assert timerules.issue_time_for(at, tz) == pd.Timestamp("2024-04-03T10:00Z")
    assert timerules.target_day_for(pd.Timestamp("2024-04-03T10:00Z"), tz) == date(2024, 4, 4)
    assert timerules.issue_time_for(pd.Timestamp("2024-01-10T12:00Z"), tz) == pd.Timestamp(
        "2024-01-10T11:00Z"
    )


def test_first_update_publishes_the_next_day(
    settings: Settings, store: Store, stub_model: StubModel
) -> None:
    run = update(settings, store)
    assert run["status"] == "succeeded", run["error"]
    f = store.get_forecast(run["forecast_id"])
    assert f is not None and f["target_day"] == "2024-04-04"
    assert len(f["points"]) == 24 and f["resolution_s"] == 3600
    assert f["points"][0][0] == int(pd.Timestamp("2024-04-03T22:00Z").timestamp())
    # The model saw only data before each issue time (the stub asserts it): first the live
    # forecast at today's noon, then the first update's backfill of the 28 days before its
    # target day, each issued at local noon of the day before it.
    assert stub_model.calls[0] == pd.Timestamp("2024-04-03T10:00Z")
    noons = pd.date_range("2024-03-06 12:00", "2024-04-02 12:00", freq="D", tz=settings.zone)
    assert stub_model.calls[1:] == list(noons.tz_convert("UTC"))
    assert run["rows_fetched"] > 24 * 60
    assert run["metrics"]["accuracy"]["windows"]["week"]["entsoe"]["points"] > 0


@pytest.mark.parametrize(
    ("now", "steps"), [("2024-03-30T13:00Z", 23 * 4), ("2024-10-26T13:00Z", 25 * 4)]
)
def test_dst_target_days_have_every_step(
    tmp_path: Path, fake: FakeEntsoe, stub_model: StubModel, now: str, steps: int
) -> None:
    t = int(pd.Timestamp(now).timestamp())
    fake.configure(
        now=t,
        resolution_min=15,
        data_start=pd.Timestamp(t - 20 * 86400, unit="s").strftime("%Y-%m-%dT%H:00Z"),
    )
    s = make_settings(
        tmp_path,
        fake.base_url,  # type: ignore[attr-defined]
        history_start=pd.Timestamp(t - 19 * 86400, unit="s").date(),
    )
    store = Store(s.db_path)
    store.migrate()
    run = update(s, store, t)
    assert run["status"] == "succeeded", run["error"]
    assert len(store.get_forecast(run["forecast_id"])["points"]) == steps  # type: ignore[index]


def test_incremental_update_refetches_only_the_window(
    settings: Settings, store: Store, fake: FakeEntsoe, stub_model: StubModel
) -> None:
    update(settings, store)
    fake.requests.clear()
    fake.configure(now=NOW + 3600, revision=2)
    run = update(settings, store, NOW + 3600)
    assert run["status"] == "succeeded"
    starts = {r["processType"]: r["periodStart"] for r in fake.requests}
    last = pd.Timestamp(NOW, unit="s", tz="UTC").floor("h") - pd.Timedelta(days=10)
    assert starts["A16"] <= last.strftime("%Y%m%d%H%M")
    assert starts["A16"] >= (last - pd.Timedelta(hours=2)).strftime("%Y%m%d%H%M")
    assert len(fake.requests) == 2  # one chunk per process type
    # Revisions inside the re-fetch window replaced the stored values.
    t = NOW - 2 * 86400
    t -= t % 3600
    from fake_entsoe import load_mw

    assert store.read_points("load_actual", t, t + 1)[0][2] == pytest.approx(load_mw(t, 3600) + 14)


def test_failed_update_keeps_the_previous_forecast(
    settings: Settings, store: Store, fake: FakeEntsoe, stub_model: StubModel
) -> None:
    good = update(settings, store)
    before = store.max_ts("load_actual")
    assert before is not None
    # Three hours later: actual load (fetched first) arrives, ENTSO-E's forecast fails.
    later = NOW + 3 * 3600
    fake.configure(now=later)
    fake.add_fault("status", status=503, times=100, process_type="A01")
    bad = update(settings, store, later)
    assert bad["status"] == "failed" and "HTTP 503" in bad["error"]
    assert bad["finished_at"] is not None
    assert store.latest_forecast_id() == good["forecast_id"]
    # The actual load fetched before the failure is kept (progress is not thrown away).
    from fake_entsoe import load_mw

    new = store.read_points("load_actual", start=before + 1)
    assert len(new) >= 2, "the hours fetched before the failure were not stored"
    assert all(mw == pytest.approx(load_mw(ts, res)) for ts, res, mw in new)


def test_model_failure_is_recorded(settings: Settings, store: Store, stub_model: StubModel) -> None:
    good = update(settings, store)
    stub_model.fail = ValueError("history too short: need 30 days")
    bad = update(settings, store)
    assert bad["status"] == "failed" and "history too short" in bad["error"]
    assert store.latest_forecast_id() == good["forecast_id"]


def test_publish_is_atomic(
    settings: Settings, store: Store, stub_model: StubModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = update(settings, store)
    real = store.conn

    class Exploding:
        """A connection that fails on the forecast points insert, mid-transaction."""

        def __init__(self, c: object) -> None:
            self.c = c

        def executemany(self, sql: str, rows: object) -> object:
            if "forecast_point" in sql:
                raise RuntimeError("disk full")
            return self.c.executemany(sql, rows)  # type: ignore[attr-defined]

        def __getattr__(self, name: str) -> object:
            return getattr(self.c, name)

    monkeypatch.setattr(store, "conn", lambda: Exploding(real()))
    bad = update(settings, store)
    monkeypatch.undo()
    assert bad["status"] == "failed" and "disk full" in bad["error"]
    assert store.latest_forecast_id() == good["forecast_id"]  # no half-written forecast
    n = store.conn().execute("SELECT count(*) FROM forecast").fetchone()[0]
    assert n == 1


def test_stale_data_is_refused(
    settings: Settings, store: Store, fake: FakeEntsoe, stub_model: StubModel
) -> None:
    fake.configure(now=NOW - 5 * 86400)
    run = update(settings, store, NOW)
    assert run["status"] == "failed" and "MAX_DATA_LAG_HOURS" in run["error"]


def test_two_concurrent_triggers_start_one_update(
    settings: Settings, store: Store, stub_model: StubModel
) -> None:
    stub_model.delay = 0.5
    updater = Updater(settings, store, clock=lambda: NOW)
    results = []
    barrier = threading.Barrier(8)

    def go() -> None:
        barrier.wait()
        results.append(updater.trigger())

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    started = [r for r in results if r.started]
    assert len(started) == 1
    assert {r.run_id for r in results} == {started[0].run_id}  # 409s name the running run
    updater.wait(30)
    assert store.get_run(started[0].run_id)["status"] == "succeeded"  # type: ignore[index]
    # One update ran: one live forecast (plus the first update's 28 backfilled days).
    assert len(stub_model.calls) == 1 + 28
    assert updater.trigger().started  # free again afterwards
    updater.wait(30)


def test_a_second_process_cannot_start_an_update(
    settings: Settings, store: Store, stub_model: StubModel
) -> None:
    stub_model.delay = 0.5
    a = Updater(settings, store, clock=lambda: NOW)
    b = Updater(settings, Store(settings.db_path), clock=lambda: NOW)  # another "worker"
    first = a.trigger()
    second = b.trigger()
    assert first.started and not second.started and second.run_id == first.run_id
    a.wait(30)


HOLD_LOCK = textwrap.dedent("""
    import fcntl, os, sqlite3, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    db = sqlite3.connect(sys.argv[2], isolation_level=None)
    cur = db.execute("INSERT INTO update_run (started_at, status, pid, host) "
                     "VALUES (?, 'running', ?, 'crashed')", (time.time(), os.getpid()))
    os.write(fd, str(cur.lastrowid).encode())
    print(cur.lastrowid, flush=True)
    time.sleep(60)
""")


def test_lock_survives_a_crash(settings: Settings, store: Store, stub_model: StubModel) -> None:
    """A worker killed with SIGKILL mid-update: the lock frees itself, its run is closed."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(settings.lock_path), str(settings.db_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    crashed_run = int(proc.stdout.readline())
    updater = Updater(settings, store, clock=lambda: NOW)
    busy = updater.trigger()
    assert not busy.started and busy.run_id == crashed_run  # it is running: 409
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    t = updater.trigger()
    assert t.started and t.run_id != crashed_run
    updater.wait(30)
    dead = store.get_run(crashed_run)
    assert dead is not None and dead["status"] == "failed" and "interrupted" in dead["error"]
    assert store.get_run(t.run_id)["status"] == "succeeded"  # type: ignore[arg-type,index]


def test_stale_running_row_is_closed_at_startup(settings: Settings, store: Store) -> None:
    run_id = store.start_run(999_999, "gone")  # a run whose process vanished with its lock
    Updater(settings, store).recover_at_startup()
    run = store.get_run(run_id)
    assert run is not None and run["status"] == "failed" and "pid 999999" in run["error"]


def test_process_worker_killed_mid_update(
    tmp_path: Path, fake: FakeEntsoe, child_env: None
) -> None:
    """The default worker is a child process; killing it fails the run and frees the lock."""
    s = make_settings(
        tmp_path,
        fake.base_url,
        update_worker="process",  # type: ignore[attr-defined]
        entsoe_timeout_s=30.0,
    )
    store = Store(s.db_path)
    store.migrate()
    fake.add_fault("slow", delay=20, times=1)
    updater = Updater(s, store, clock=lambda: NOW)
    t = updater.trigger()
    assert t.started
    deadline = time.time() + 20
    while not fake.requests and time.time() < deadline:  # the child is fetching now
        time.sleep(0.05)
    worker = [th for th in updater._workers if th.is_alive()]
    assert worker, "reaper thread should be waiting on the child"
    pid = _child_pid(os.getpid())
    os.kill(pid, signal.SIGKILL)
    updater.wait(20)
    run = store.get_run(t.run_id or 0)
    assert run is not None and run["status"] == "failed" and "code -9" in run["error"]
    fake.reset()
    assert updater._try_lock() is not None  # released


def test_process_worker_reads_its_own_key(
    tmp_path: Path, fake: FakeEntsoe, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key never crosses the pipe to the child: without one of its own it cannot run."""
    monkeypatch.delenv("ENTSOE_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env either
    s = make_settings(tmp_path, fake.base_url, update_worker="process")  # type: ignore[attr-defined]
    store = Store(s.db_path)
    store.migrate()
    updater = Updater(s, store, clock=lambda: NOW)
    t = updater.trigger()
    updater.wait(60)
    run = store.get_run(t.run_id or 0)
    assert run is not None and run["status"] == "failed"
    assert "could not load its settings" in run["error"]
    assert not fake.requests  # the child stopped before talking to ENTSO-E


def _child_pid(parent: int) -> int:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and b"swissenergy.worker" in cmdline:
            return int(stat.parent.name)
    raise AssertionError("no update worker among this process's children")


def test_production_path_child_process_and_real_model(
    tmp_path: Path, fake: FakeEntsoe, child_env: None
) -> None:
    """The default worker (a child process) with the real model, end to end."""
    s = make_settings(
        tmp_path,
        fake.base_url,
        update_worker="process",  # type: ignore[attr-defined]
        model_backtest_origins=3,
        model_train_days=30,
    )
    store = Store(s.db_path)
    store.migrate()
    updater = Updater(s, store, clock=lambda: NOW)
    t = updater.trigger()
    updater.wait(120)
    run = store.get_run(t.run_id or 0)
    assert run is not None and run["status"] == "succeeded", run and run["error"]
    f = store.get_forecast(run["forecast_id"])
    assert f is not None and len(f["points"]) == 24 and f["target_day"] == "2024-04-04"
    assert f["model_version"].startswith("swissenergy-model/") and f["backtest"]
    assert all(5000 < v < 12000 for _, v in f["points"])
    # The child's first update backfilled the four weeks before (history back to 2024-02-01
    # is enough for these settings) and reports its own peak memory.
    assert run["metrics"]["backfill"] == {"stored": 28, "skipped": {}}
    assert 50 < run["metrics"]["peak_rss_mib"] < 1000
    # The child takes a backfill request too: two days more, nothing twice.
    t = updater.trigger(backfill_days=30)
    updater.wait(120)
    run = store.get_run(t.run_id or 0)
    assert run is not None and run["status"] == "succeeded", run and run["error"]
    assert run["metrics"]["backfill"] == {"stored": 2, "skipped": {}}
    assert len(store.forecast_days()) == 31
