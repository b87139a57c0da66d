"""Day-ahead model inputs: bad values are cleaned, the DST hour is filled from a week earlier,
nothing at or after an origin (the issue or a backtest origin) changes what it produces, and
the holiday calendar loads one country's holidays only."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pytest
from swissenergy.forecasting.calendar import build_calendar
from swissenergy.forecasting.cleaning import clean_grid
from swissenergy.forecasting.grid import build_grid
from swissenergy.forecasting.holt_winters import holt_winters
from swissenergy.model import forecast_next_day
from test_model import FAST, TZ, issue_at, synthetic

ISSUE = issue_at("2024-03-12")
BAD_AT = ISSUE - pd.Timedelta(hours=3)


def zero(load: pd.Series) -> None:
    load[BAD_AT] = 0.0


def spike(load: pd.Series) -> None:
    load[BAD_AT] *= 10


def stuck_hour(load: pd.Series) -> None:
    hour = (load.index >= BAD_AT) & (load.index < BAD_AT + pd.Timedelta(hours=1))
    load[hour] = load[load.index < BAD_AT].iloc[-1]  # the meter froze at its last value


@pytest.mark.parametrize("step", ["15min", "60min"])
@pytest.mark.parametrize("glitch", [zero, spike, stuck_hour])
def test_a_bad_value_before_the_issue_barely_moves_the_forecast(
    glitch: Callable[[pd.Series], None], step: str
) -> None:
    load = synthetic("2024-01-01", "2024-03-14", step)
    base = forecast_next_day(load, issue_time=ISSUE, tz=TZ, settings=FAST)
    bad = load.copy()
    glitch(bad)
    assert not bad.equals(load)
    fc = forecast_next_day(bad, issue_time=ISSUE, tz=TZ, settings=FAST)
    moved = np.abs(fc.points / base.points - 1).max()
    assert moved < 0.01, f"{glitch.__name__} moved the forecast by {100 * moved:.2f} %"
    if glitch is not stuck_hour or step == "15min":  # an hourly "stuck hour" is one value
        assert fc.repaired_points > base.repaired_points


@pytest.mark.parametrize("country", ["CH", ""], ids=["calendar", "no-calendar"])
def test_clean_history_is_left_alone(country: str) -> None:
    # Good Friday and Easter Monday (load like a Sunday) inside: not glitches.
    load = synthetic("2024-01-01", "2024-04-10", "15min", noise=0.02)
    issue = issue_at("2024-04-08")
    fc = forecast_next_day(load, issue_time=issue, tz=TZ, settings=FAST, holiday_country=country)
    assert fc.repaired_points == 0


def test_hourly_history_repeated_on_a_finer_grid_is_not_stuck() -> None:
    """The update brings older hourly rows to the current 15-minute step by repeating each
    value four times (timeseries.regularize): that is not a frozen meter."""
    hourly = synthetic("2024-01-01", "2024-02-15", noise=0.02)
    repeated = hourly.resample("15min").ffill()
    quarter = synthetic("2024-02-15", "2024-03-14", "15min", noise=0.02, seed=1)
    load = pd.concat([repeated[repeated.index < quarter.index[0]], quarter])
    fc = forecast_next_day(load, issue_time=ISSUE, tz=TZ, settings=FAST)
    assert "step=15min" in fc.model_version
    assert fc.repaired_points == 0


def test_values_at_and_after_the_issue_are_never_read() -> None:
    load = synthetic("2024-01-01", "2024-04-15")
    base = forecast_next_day(load, issue_time=ISSUE, tz=TZ, settings=FAST)
    tripled = load.copy()
    tripled[tripled.index >= ISSUE] *= 3
    other = forecast_next_day(tripled, issue_time=ISSUE, tz=TZ, settings=FAST)
    pd.testing.assert_series_equal(other.points, base.points, check_exact=True)
    assert (other.method, other.backtest, other.model_version, other.repaired_points) == (
        base.method,
        base.backtest,
        base.model_version,
        base.repaired_points,
    )


def test_holt_winters_reads_nothing_after_a_backtest_origin() -> None:
    """A 0 MW value after a backtest origin used to switch the whole window out of logs (and
    a spike raised the divergence ceiling) for that origin too."""
    load = synthetic("2024-01-01", "2024-03-14")
    earlier = issue_at("2024-03-08")
    later = load.copy()
    later[issue_at("2024-03-10", 3)] = 0.0
    kwargs = {"window_days": 400, "select_days": 28, "threshold": 0.5}
    full = build_grid(later, issue_time=ISSUE, tz=TZ, max_days=400)
    past = build_grid(later[later.index < earlier], issue_time=earlier, tz=TZ, max_days=400)
    assert full.start == past.start
    back = full.target_day - 4
    cal = build_calendar([*full.dates(), full.dates()[-1] + pd.Timedelta(days=1)], "CH")
    row = holt_winters(full, cal, [(full.origin - 4 * full.steps_per_day, back)], **kwargs)[0]
    alone = holt_winters(past, cal, [(past.origin, past.target_day)], **kwargs)[0]
    assert np.isfinite(alone).all()
    np.testing.assert_allclose(row, alone, rtol=1e-9)


@pytest.mark.parametrize("step", ["15min", "30min", "60min"])
def test_spring_dst_hour_is_filled_from_a_week_earlier(step: str) -> None:
    # Night storage heating: load is 30 % higher from 02:00 to 03:00 every night, so the
    # value before the gap (01:45) is a poor stand-in for the missing hour.
    load = synthetic("2024-02-01", "2024-04-03", step, noise=0.0)
    local = load.index.tz_convert(TZ)
    load[local.hour == 2] *= 1.3
    issue = issue_at("2024-04-02")
    grid = build_grid(load, issue_time=issue, tz=TZ, max_days=60)
    days = grid.dates()
    dst = days.index(date(2024, 3, 31))
    spd = grid.steps_per_day
    hour = slice(2 * spd // 24, 3 * spd // 24)
    assert np.isnan(grid.raw[dst, hour]).all()
    cal = build_calendar([*days, days[-1] + pd.Timedelta(days=1)], "CH")
    cleaned, _ = clean_grid(grid, cal)
    for g in (grid, cleaned):
        np.testing.assert_allclose(g.filled[dst, hour], g.filled[dst - 7, hour], rtol=0.02)


def test_backtest_cleaning_matches_a_run_issued_then() -> None:
    """A glitch is cleaned the same way by the issue run and by a run issued at a backtest
    origin after it (the repair reads only earlier values)."""
    load = synthetic("2024-01-10", "2024-03-14", "15min")
    load[issue_at("2024-03-05", 7)] *= 10
    load[issue_at("2024-03-06", 9)] = 0.0
    full = build_grid(load, issue_time=ISSUE, tz=TZ, max_days=400)
    earlier = issue_at("2024-03-09")
    past = build_grid(load[load.index < earlier], issue_time=earlier, tz=TZ, max_days=400)
    cal = build_calendar([*full.dates(), full.dates()[-1] + pd.Timedelta(days=1)], "CH")
    a, na = clean_grid(full, cal)
    b, nb = clean_grid(past, cal)
    n = b.origin
    assert na >= nb >= 2
    np.testing.assert_array_equal(a.filled.reshape(-1)[:n], b.filled.reshape(-1)[:n])


# In a fresh interpreter: the calendar's holidays equal the `holidays` package's own API, and
# only the asked countries' modules were imported (the package's would import ~250).
ONE_COUNTRY = """
import sys
from datetime import date, timedelta
from swissenergy.forecasting.calendar import build_calendar
days = [date(2023, 1, 1) + timedelta(days=i) for i in range(3 * 365)]
ch = build_calendar(days, "CH").holiday
gb = build_calendar(days, "GB-ENG").holiday
loaded = sorted(m for m in sys.modules if m.startswith("holidays.countries."))
import holidays
national = holidays.country_holidays("CH", years=(2023, 2024, 2025))
england = holidays.country_holidays("GB", subdiv="ENG", years=(2023, 2024, 2025))
assert [d for d, w in zip(days, ch) if w == 1.0] == sorted(national), "national days"
assert 0 < ch.sum() - len(national) < 20, "cantonal days weigh less than 1"
assert [d for d, w in zip(days, gb) if w] == sorted(england), "England"
print(" ".join(loaded))
"""


def test_the_calendar_imports_only_the_asked_countries_holidays() -> None:
    run = subprocess.run(
        [sys.executable, "-c", ONE_COUNTRY], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [
        "holidays.countries.switzerland",
        "holidays.countries.united_kingdom",
    ]
