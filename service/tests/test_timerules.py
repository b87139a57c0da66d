"""The one time rule set shared by the update and the forecasting package."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from swissenergy import timeseries as tsx
from swissenergy.forecasting import grid
from swissenergy.timerules import (
    DAY,
    HOUR,
    infer_step,
    issue_time_for,
    local_day_bounds,
    target_day_for,
)

ZURICH = ZoneInfo("Europe/Zurich")


def stamps(start: str, end: str, step_min: int) -> np.ndarray:
    idx = pd.date_range(start, end, freq=f"{step_min}min", inclusive="left", tz="UTC")
    return idx.as_unit("s").asi8


def rows(ts: np.ndarray, res: int) -> list[tuple[int, int, float]]:
    return [(int(t), res, 7000.0) for t in ts]


@pytest.mark.parametrize("step_min", [15, 30, 60])
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2024-03-25T00:00Z", "2024-04-05T00:00Z"),  # over the 23-hour day (31 March)
        ("2024-10-20T00:00Z", "2024-11-02T00:00Z"),  # over the 25-hour day (27 October)
        ("2024-01-01T00:00Z", "2024-01-03T00:00Z"),
    ],
)
def test_regular_series_give_their_step(start: str, end: str, step_min: int) -> None:
    ts = stamps(start, end, step_min)
    assert infer_step(ts) == step_min * 60
    # The update and the model use the same rule on the same data.
    assert tsx.load_series(rows(ts, step_min * 60))[1] == step_min * 60
    assert grid.infer_step(tsx.to_index(ts)) == pd.Timedelta(minutes=step_min)


def test_the_most_common_spacing_of_the_last_four_weeks_wins() -> None:
    # Years of hourly data, then 27 days hourly and one day at 15 min: still hourly. The old
    # update rule (finest resolution of the last 96 rows) said 15 min here, the model 60.
    hourly = stamps("2022-01-01T00:00Z", "2024-03-03T00:00Z", 60)
    fine = stamps("2024-03-03T00:00Z", "2024-03-04T00:00Z", 15)
    ts = np.concatenate([hourly, fine])
    assert infer_step(ts) == HOUR
    # Seven days at 15 min (672 spacings) outnumber 21 hourly days (504): 15 min.
    ts = np.concatenate([hourly, stamps("2024-03-03T00:00Z", "2024-03-10T00:00Z", 15)])
    assert infer_step(ts) == 900
    # Hourly data older than four weeks (here: before a month-long outage) does not count.
    old = stamps("2023-01-01T00:00Z", "2023-05-01T00:00Z", 60)
    ts = np.concatenate([old, stamps("2023-06-01T00:00Z", "2023-06-04T00:00Z", 30)])
    assert infer_step(ts) == 1800


def test_update_and_model_agree_on_mixed_resolutions() -> None:
    hourly = stamps("2024-02-01T00:00Z", "2024-02-27T00:00Z", 60)
    fine = stamps("2024-02-27T00:00Z", "2024-03-01T00:00Z", 15)
    stored = rows(hourly, HOUR) + rows(fine, 900)
    series, step = tsx.load_series(stored)
    assert step == infer_step(np.concatenate([hourly, fine])) == HOUR
    assert grid.infer_step(pd.DatetimeIndex(series.dropna().index)) == pd.Timedelta(seconds=step)


def test_gaps_and_ties() -> None:
    ts = stamps("2024-01-01T00:00Z", "2024-01-10T00:00Z", 15)
    assert infer_step(np.delete(ts, np.arange(0, ts.size, 7))) == 900  # scattered gaps
    # Equal counts of 15- and 30-min spacings: the finer step.
    tie = np.cumsum([0] + [900, 1800] * 50)
    assert infer_step(tie) == 900


@pytest.mark.parametrize(
    ("spacing", "why"),
    [(2 * HOUR, "divide an hour"), (45 * 60, "divide an hour"), (30, "divide an hour")],
)
def test_unsupported_steps_are_refused(spacing: int, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        infer_step(np.arange(0, 100 * spacing, spacing))


@pytest.mark.parametrize("ts", [[], [0], [5, 5, 5]])
def test_too_few_stamps(ts: list[int]) -> None:
    with pytest.raises(ValueError, match="at least two observations"):
        infer_step(ts)


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2024, 3, 31), 23), (date(2024, 10, 27), 25), (date(2024, 6, 1), 24)]
)
def test_local_day_bounds_on_dst_days(day: date, hours: int) -> None:
    lo, hi = local_day_bounds(day, ZURICH)
    assert hi - lo == hours * HOUR
    for step_min in (15, 30, 60):
        stamps_ = grid.target_stamps(day, ZURICH, pd.Timedelta(minutes=step_min))
        assert len(stamps_) == hours * 60 // step_min
        assert int(stamps_[0].timestamp()) == lo


def test_issue_time_and_target_day() -> None:
    at = pd.Timestamp("2024-10-27T10:59Z")  # 11:59 CET on the 25-hour day
    issue = issue_time_for(at, ZURICH)
    assert issue == pd.Timestamp("2024-10-26T10:00Z")  # noon CEST the day before
    assert target_day_for(issue, ZURICH) == date(2024, 10, 27)
    assert grid.target_date(issue, ZURICH) == date(2024, 10, 27)
    assert issue_time_for(pd.Timestamp("2024-10-27T11:00Z"), ZURICH) == at + pd.Timedelta(minutes=1)
    assert DAY == 24 * HOUR
