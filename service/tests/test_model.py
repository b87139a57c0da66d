"""Day-ahead model: output shape on normal and DST days, leakage, determinism, holidays,
gaps, short history. Synthetic series with a known daily/weekly/annual shape."""

from __future__ import annotations

import dataclasses
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from swissenergy.forecasting import CANDIDATES, run_forecast
from swissenergy.forecasting.calendar import build_calendar
from swissenergy.model import DayAheadForecast, ModelSettings, forecast_next_day

TZ = ZoneInfo("Europe/Zurich")
# Small, fast settings; the default 365-day window only caps what is used anyway.
FAST = ModelSettings(train_days=120, gbm_num_rounds=60)
# Lighter still where only the shape of the output is checked.
LIGHT = ModelSettings(backtest_origins=5, train_days=30, gbm_num_rounds=20, hw_window_days=42)
# National holidays the synthetic load observes like a Sunday.
HOLIDAYS = {
    date(2024, 1, 1), date(2024, 3, 29), date(2024, 4, 1), date(2024, 5, 9), date(2024, 5, 20),
    date(2024, 8, 1), date(2024, 12, 25), date(2024, 12, 26),
}  # fmt: skip


def synthetic(
    start: str, end: str, step: str = "60min", *, noise: float = 0.01, seed: int = 0
) -> pd.Series:
    """Load with a daily double peak, weekends and holidays low, an annual cycle, noise."""
    idx = pd.date_range(start, end, freq=step, tz=TZ, inclusive="left").tz_convert("UTC")
    local = idx.tz_convert(TZ)
    hour = local.hour + local.minute / 60
    daily = 1 + 0.15 * np.sin((hour - 9) / 24 * 2 * np.pi) + 0.1 * np.exp(-((hour - 18) ** 2) / 4)
    day = local.tz_localize(None).normalize()
    holiday = np.array([d.date() in HOLIDAYS for d in day])
    dow = np.where(holiday, 6, local.day_of_week)
    weekly = np.select([dow == 6, dow == 5], [0.72, 0.85], 1.0)
    annual = 1 + 0.12 * np.cos((local.day_of_year - 15) / 365.25 * 2 * np.pi)
    rng = np.random.default_rng(seed)
    values = 7000 * daily * weekly * annual * (1 + noise * rng.standard_normal(idx.size))
    return pd.Series(values, index=idx, name="load_mw")


def issue_at(day: str, hour: int = 12) -> pd.Timestamp:
    return pd.Timestamp(f"{day} {hour:02d}:00", tz=TZ).tz_convert("UTC")


def mape(forecast: pd.Series, actual: pd.Series) -> float:
    a = actual.reindex(forecast.index)
    return float(100 * np.mean(np.abs(forecast - a) / a))


@pytest.mark.parametrize("step", ["15min", "30min", "60min"])
@pytest.mark.parametrize(
    ("issue_day", "hours"),
    [("2024-03-05", 24), ("2024-03-30", 23), ("2024-10-26", 25)],
    ids=["normal", "spring-forward", "fall-back"],
)
def test_covers_exactly_the_next_local_day(step: str, issue_day: str, hours: int) -> None:
    end = pd.Timestamp(issue_day) + pd.Timedelta(days=3)
    load = synthetic(str(end - pd.Timedelta(days=60)), str(end), step)
    issue = issue_at(issue_day)
    fc = forecast_next_day(load, issue_time=issue, tz=TZ, settings=LIGHT)

    assert isinstance(fc, DayAheadForecast)
    pts = fc.points
    target = (pd.Timestamp(issue_day) + pd.Timedelta(days=1)).date()
    expected = pd.date_range(
        pd.Timestamp(target).tz_localize(TZ),
        pd.Timestamp(target + pd.Timedelta(days=1)).tz_localize(TZ),
        freq=step,
        inclusive="left",
    ).tz_convert("UTC")
    assert len(pts) == hours * pd.Timedelta(hours=1) // pd.Timedelta(step)
    assert str(pd.DatetimeIndex(pts.index).tz) == "UTC"
    assert pts.index.equals(expected)
    assert pts.dtype == np.float64
    assert np.isfinite(pts.to_numpy()).all()
    assert mape(pts, load) < 3.0
    assert set(fc.backtest) >= set(CANDIDATES)
    assert all(set(m) == {"mape", "mae"} for m in fc.backtest.values())
    assert fc.method in fc.backtest
    assert f"method={fc.method}" in fc.model_version
    assert "trained_until=" in fc.model_version


def test_level_shift_is_followed_where_weekly_naive_lags() -> None:
    load = synthetic("2024-01-10", "2024-04-10")
    # Load steps up 6 % two days before the issue: last week's values are stale.
    load[load.index >= issue_at("2024-03-03", 0)] *= 1.06
    run = run_forecast(load, issue_time=issue_at("2024-03-05"), tz=TZ, settings=FAST)
    assert run.method != "weekly_naive"
    published = mape(run.points, load)
    assert published < 2.0
    assert published < 0.5 * mape(run.candidates["weekly_naive"], load)


def test_nothing_after_issue_time_is_read() -> None:
    load = synthetic("2024-01-01", "2024-04-15")
    issue = issue_at("2024-03-12")
    base = forecast_next_day(load, issue_time=issue, tz=TZ, settings=FAST)
    tampered = load.copy()
    tampered[tampered.index >= issue] = 1e6  # wildly different future
    other = forecast_next_day(tampered, issue_time=issue, tz=TZ, settings=FAST)
    known = load[load.index < issue]
    truncated = forecast_next_day(known, issue_time=issue, tz=TZ, settings=FAST)
    for fc in (other, truncated):
        pd.testing.assert_series_equal(fc.points, base.points)
        assert fc.method == base.method
        assert fc.backtest == base.backtest


def test_backtest_origins_see_only_what_was_known_then() -> None:
    """Each backtest origin's forecast equals a real run issued on that day with the data
    known then (LightGBM refitted at every origin so both fit the same rows)."""
    settings = dataclasses.replace(
        FAST, backtest_origins=3, gbm_refit_every=1, gbm_num_rounds=30, hw_window_days=400
    )
    load = synthetic("2024-01-10", "2024-04-15")
    issue = issue_at("2024-03-12")
    full = run_forecast(load, issue_time=issue, tz=TZ, settings=settings)
    assert full.target_dates[0] == date(2024, 3, 13)
    for row, target in enumerate(full.target_dates[1:], start=1):
        earlier = issue_at(str(target - pd.Timedelta(days=1)))
        known = load[load.index < earlier]
        past = run_forecast(known, issue_time=earlier, tz=TZ, settings=settings)
        assert past.target_dates[0] == target
        for name in CANDIDATES:
            np.testing.assert_allclose(
                full.profiles[name][row], past.profiles[name][0], rtol=1e-9, err_msg=name
            )


def test_deterministic() -> None:
    load = synthetic("2023-12-01", "2024-03-20", noise=0.03)
    issue = issue_at("2024-03-12")
    a = forecast_next_day(load, issue_time=issue, tz=TZ, settings=FAST)
    b = forecast_next_day(load, issue_time=issue, tz=TZ, settings=FAST)
    pd.testing.assert_series_equal(a.points, b.points, check_exact=True)
    assert a.method == b.method
    assert a.backtest == b.backtest
    assert a.model_version == b.model_version


@pytest.mark.parametrize("holiday", ["2024-08-01", "2024-05-09"], ids=["national-day", "ascension"])
def test_holiday_is_forecast_like_a_sunday(holiday: str) -> None:
    day = pd.Timestamp(holiday)
    load = synthetic(str(day - pd.Timedelta(days=150)), str(day + pd.Timedelta(days=3)))
    issue = issue_at(str(day - pd.Timedelta(days=1)))
    run = run_forecast(load, issue_time=issue, tz=TZ, settings=FAST)
    fc = forecast_next_day(load, issue_time=issue, tz=TZ, settings=FAST)
    local_day = pd.DatetimeIndex(load.index).tz_convert(TZ).tz_localize(None).normalize()
    weekday_level = load[local_day == day - pd.Timedelta(days=7)].mean()
    sunday_level = load[local_day == day - pd.Timedelta(days=day.day_of_week + 1)].mean()
    assert weekday_level > 1.2 * sunday_level
    for name, points in {"published": fc.points, **run.candidates}.items():
        assert abs(points.mean() / sunday_level - 1) < 0.06, name
    assert mape(fc.points, load) < 4.0


def test_day_after_a_holiday_is_forecast_like_a_weekday() -> None:
    # Thursday 8 Aug 2024: its week-ago reference (1 Aug) was a holiday.
    load = synthetic("2024-03-15", "2024-08-12")
    issue = issue_at("2024-08-07")
    run = run_forecast(load, issue_time=issue, tz=TZ, settings=FAST)
    for name, points in run.candidates.items():
        assert mape(points, load) < 3.0, name


def test_gaps_are_tolerated() -> None:
    load = synthetic("2024-01-01", "2024-03-20", "15min")
    rng = np.random.default_rng(1)
    load = load[rng.random(load.size) > 0.05]  # 5 % of stamps missing
    load[(load.index >= issue_at("2024-02-20", 3)) & (load.index < issue_at("2024-02-22", 9))] = (
        np.nan
    )  # a 2-day outage
    load[(load.index >= issue_at("2024-03-11", 8)) & (load.index < issue_at("2024-03-11", 11))] = (
        np.nan
    )  # three hours missing just before the issue
    fc = forecast_next_day(load, issue_time=issue_at("2024-03-12"), tz=TZ, settings=FAST)
    assert len(fc.points) == 96
    assert np.isfinite(fc.points.to_numpy()).all()
    assert mape(fc.points, synthetic("2024-03-13", "2024-03-14", "15min")) < 3.0


def test_finer_recent_resolution_is_forecast_at_that_resolution() -> None:
    hourly = synthetic("2024-01-01", "2024-02-15", "60min")
    quarter = synthetic("2024-02-15", "2024-03-20", "15min")
    load = pd.concat([hourly, quarter])
    fc = forecast_next_day(load, issue_time=issue_at("2024-03-12"), tz=TZ, settings=FAST)
    assert len(fc.points) == 96
    assert "step=15min" in fc.model_version


def test_too_short_history_says_how_much_is_needed() -> None:
    load = synthetic("2024-03-06", "2024-03-13")
    with pytest.raises(ValueError, match=r"need at least 8 days .* and 29 for the full model"):
        forecast_next_day(load, issue_time=issue_at("2024-03-12"), tz=TZ, settings=FAST)
    short = dataclasses.replace(FAST, backtest_origins=3)
    with pytest.raises(ValueError, match=r"need at least 8 days .* and 18 for the full model"):
        forecast_next_day(load, issue_time=issue_at("2024-03-12"), tz=TZ, settings=short)
    # Exactly enough: the candidates that cannot be backtested yet sit out.
    just_enough = synthetic("2024-02-12", "2024-03-13")
    fc = forecast_next_day(just_enough, issue_time=issue_at("2024-03-12"), tz=TZ, settings=FAST)
    assert len(fc.points) == 24
    assert "lightgbm" not in fc.backtest
    assert mape(fc.points, synthetic("2024-03-13", "2024-03-14")) < 3.0


def test_short_history_publishes_weekly_naive() -> None:
    """From 8 to 28 days of history: weekly-naive alone (nothing to backtest a choice on)."""
    load = synthetic("2024-03-01", "2024-03-14")
    fc = forecast_next_day(load, issue_time=issue_at("2024-03-12"), tz=TZ, settings=FAST)
    assert fc.method == "weekly_naive" and fc.backtest == {}
    week_before = load.reindex(fc.points.index - pd.Timedelta(days=7)).to_numpy()
    np.testing.assert_allclose(fc.points.to_numpy(), week_before, rtol=1e-12)


def test_bad_inputs_are_rejected_clearly() -> None:
    load = synthetic("2024-01-01", "2024-03-20")
    issue = issue_at("2024-03-12")
    with pytest.raises(ValueError, match="tz-aware"):
        forecast_next_day(load.tz_convert(None), issue_time=issue, tz=TZ, settings=FAST)
    with pytest.raises(ValueError, match="tz-aware"):
        forecast_next_day(load, issue_time=pd.Timestamp("2024-03-12 12:00"), tz=TZ, settings=FAST)
    stale = load[load.index < issue_at("2024-03-01")]
    with pytest.raises(ValueError, match="stale"):
        forecast_next_day(stale, issue_time=issue, tz=TZ, settings=FAST)
    with pytest.raises(ValueError, match="backtest_origins"):
        ModelSettings(backtest_origins=0)


def test_swiss_holidays_are_weighted_by_population() -> None:
    days = [date(2024, 8, 1), date(2024, 4, 1), date(2024, 5, 30), date(2024, 8, 2)]
    weights = dict(zip(days, build_calendar(days, "CH").holiday, strict=True))
    assert weights[date(2024, 8, 1)] == 1.0  # national day
    assert 0.6 < weights[date(2024, 4, 1)] < 1.0  # Easter Monday: most cantons
    assert 0.1 < weights[date(2024, 5, 30)] < 0.5  # Corpus Christi: Catholic cantons
    assert weights[date(2024, 8, 2)] == 0.0
    assert not build_calendar(days, None).holiday.any()
