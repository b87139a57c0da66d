"""Backfill: as-of forecasts of past days, from data before each one's issue time, idempotent."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import KEY, NOW, StubModel, make_settings
from fake_entsoe import FakeEntsoe
from swissenergy import model as real_model
from swissenergy import timerules, worker
from swissenergy import timeseries as tsx
from swissenergy.__main__ import main
from swissenergy.backfill import as_of_forecast, issue_time_of
from swissenergy.config import Settings
from swissenergy.entsoe import EntsoeClient
from swissenergy.store import Store
from swissenergy.update import fetch_incremental, history_days, model_settings, run_update


def _update(settings: Settings, store: Store, **kw: object) -> dict:
    run_id = store.start_run(os.getpid(), "test")
    run_update(settings, store, run_id, NOW, **kw)  # type: ignore[arg-type]
    run = store.get_run(run_id)
    assert run is not None and run["status"] == "succeeded", run
    return run


def _backfill_rows(store: Store) -> list[tuple]:
    return store.conn().execute("SELECT * FROM backfill_point ORDER BY target_day, ts").fetchall()


def test_backfill_is_idempotent_and_never_replaces_ours(
    settings: Settings, store: Store, stub_model: StubModel
) -> None:
    first = _update(settings, store)
    assert first["metrics"]["backfill"]["stored"] == 28
    points = _backfill_rows(store)
    assert len(points) == 28 * 24 - 1  # 2024-03-31 has 23 hours
    again = _update(settings, store, backfill_days=28)
    assert again["metrics"]["backfill"] == {"stored": 0, "skipped": {}}
    assert _backfill_rows(store) == points
    # An update that is not the first backfills nothing unless asked.
    assert "backfill" not in _update(settings, store)["metrics"]
    # A longer backfill adds only the days before, each with a noon issue time of its own.
    more = _update(settings, store, backfill_days=30)
    assert more["metrics"]["backfill"]["stored"] == 2
    # Backfilled forecasts never become the latest forecast, for this release nor for an
    # older one on this schema (which serves max(forecast.id)).
    latest = store.conn().execute("SELECT max(id) FROM forecast").fetchone()[0]
    assert store.latest_forecast_id() == latest == more["forecast_id"]
    issues = dict(store.conn().execute("SELECT target_day, issue_time FROM backfill_forecast"))
    assert issues["2024-03-05"] == int(issue_time_of(date(2024, 3, 5), settings.zone).timestamp())
    assert issues["2024-03-05"] == int(pd.Timestamp("2024-03-04T11:00Z").timestamp())


def test_backfill_command(
    settings: Settings,
    store: Store,
    stub_model: StubModel,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {
        "ENTSOE_API_KEY": KEY,
        "ENTSOE_BASE_URL": settings.entsoe_base_url,
        "DATA_DIR": str(settings.data_dir),
        "HISTORY_START": "2024-02-01",
        "ENTSOE_MIN_REQUEST_INTERVAL_S": "0",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)

    class UpdaterAtNow(worker.Updater):  # the command's updater, on the fake's clock
        def __init__(self, *args: Any, **kw: Any) -> None:
            super().__init__(*args, clock=lambda: float(NOW), **kw)

    monkeypatch.setattr(worker, "Updater", UpdaterAtNow)
    assert main(["backfill", "--days", "3"]) == 0
    out = capsys.readouterr().out
    assert "succeeded" in out and "backfilled 3 days, skipped 0" in out
    assert sorted(store.forecast_days()) == ["2024-04-01", "2024-04-02", "2024-04-03", "2024-04-04"]
    assert main(["backfill", "--days", "3"]) == 0
    assert "backfilled 0 days" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["update", "--days", "3"])


def test_days_without_enough_history_are_skipped_with_the_reason(
    settings: Settings, store: Store, fake: FakeEntsoe
) -> None:
    """The fake's data start on 2024-02-01: the model cannot forecast the earliest days."""
    run = _update(settings, store, backfill_days=70)
    bf = run["metrics"]["backfill"]
    skipped, stored = sorted(bf["skipped"]), sorted(store.forecast_days() - {"2024-04-04"})
    assert len(stored) == bf["stored"] >= 28 and len(skipped) + len(stored) == 70
    assert skipped[0] == "2024-01-25" and skipped[-1] < stored[0]  # only the earliest days
    assert "no actual load before 2024-01-31T11:00:00+00:00" in bf["skipped"]["2024-02-01"]
    assert all("ValueError" in bf["skipped"][d] for d in skipped if d > "2024-02-02"), bf


def test_a_backfilled_forecast_is_the_forecast_made_with_data_cut_at_its_issue_time(
    settings: Settings, store: Store
) -> None:
    """No leakage: the stored forecast equals the real model's forecast from the data cut at
    its issue time, and multiplying everything at or after that time by 3 changes nothing."""
    _update(settings, store, backfill_days=28)
    day = date(2024, 3, 20)
    issue = issue_time_of(day, settings.zone)
    stored = store.conn().execute(
        "SELECT ts, mw FROM backfill_point WHERE target_day = ? ORDER BY ts", (day.isoformat(),)
    )
    stored_pts = [(int(t), float(v)) for t, v in stored]
    assert len(stored_pts) == 24

    rows = store.read_matrix("load_actual", 0, 2**40)
    cut = rows[rows[:, 0] < issue.timestamp()]
    assert len(cut) < len(rows) - 14 * 24  # the store holds two weeks past the issue time
    ms = model_settings(real_model, settings)
    load, _ = tsx.load_series(cut)
    fresh = real_model.forecast_next_day(load, issue_time=issue, tz=settings.zone, settings=ms)
    fresh_pts = [(int(t.timestamp()), round(float(v), 3)) for t, v in fresh.points.items()]
    assert fresh_pts == stored_pts

    tripled = rows.copy()
    tripled[tripled[:, 0] >= issue.timestamp(), 2] *= 3
    days = history_days(settings)
    assert as_of_forecast(real_model, ms, tripled, day, settings.zone, days).points == stored_pts


def test_the_history_window_changes_nothing(tmp_path: Path, fake: FakeEntsoe) -> None:
    """An update reads only `history_days` of actual load (memory): from two years of history
    the real model's forecast is the same as from the whole of it."""
    fake.configure(data_start="2022-01-31T23:00Z")
    s = make_settings(tmp_path, fake.base_url, history_start=date(2022, 2, 1))  # type: ignore[attr-defined]
    store = Store(s.db_path)
    store.migrate()
    with EntsoeClient.from_settings(s) as client:
        fetch_incremental(s, store, client, NOW)
    issue = timerules.issue_time_for(pd.Timestamp(NOW, unit="s", tz="UTC"), s.zone)
    rows = store.read_matrix("load_actual", 0, int(issue.timestamp()))
    days = history_days(s)
    assert (rows[-1, 0] - rows[0, 0]) / 86400 > days + 200
    day = timerules.target_day_for(issue, s.zone)
    ms = model_settings(real_model, s)
    whole = as_of_forecast(real_model, ms, rows, day, s.zone, 10_000)
    window = as_of_forecast(real_model, ms, rows, day, s.zone, days)
    assert window.points == whole.points and window.method == whole.method
    store.close()
