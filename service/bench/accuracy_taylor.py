"""Day-ahead accuracy on a real load series: Taylor's half-hourly England & Wales demand
(5 June - 27 August 2000, 12 weeks), shipped inside the `pmdarima` package.

Every target day D+1 is forecast from a run issued at 06:00, 09:00 and 12:00 (Europe/London)
of day D with the data before that moment, refitted from scratch. For every 28-day window of
consecutive target days with the history the full model needs (29 days; earlier targets get
the short-history weekly-naive fallback, summed up apart), and each issue time, the table
gives the MAPE of the published forecast, weekly-naive and level-adjusted weekly-naive
(as produced inside the same runs; the series has no ENTSO-E forecast), the reduction against
weekly-naive, and the published/weekly-naive MAPE ratio on each 14-day half. The goal it is
read against: reduction >= 30 % and both halves <= 1.00 on every row. Nothing is asserted.
Also printed: the wall time of `forecast_next_day` on ten years of synthetic load.
Run from service/: `PYTHONPATH=. python bench/accuracy_taylor.py` (needs `pmdarima`, bench
only; PYTHONPATH makes it import this checkout's package, not another installed copy).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from swissenergy.forecasting import ModelSettings, run_forecast
from swissenergy.forecasting.engine import LEVEL_ADJUSTED, WEEKLY_NAIVE
from swissenergy.model import forecast_next_day

TZ = "Europe/London"
ZONE = ZoneInfo(TZ)
WINDOW = 28
HALF = WINDOW // 2
GOAL = 30.0  # % below weekly-naive on every window
COLUMNS = {"published": "published", WEEKLY_NAIVE: "weekly-naive", LEVEL_ADJUSTED: "level-adj."}


@dataclass
class DayResult:
    errors: dict[str, np.ndarray]  # series name -> forecast - actual on the target day
    actual: np.ndarray
    method: str
    full: bool  # the full model ran (else the short-history weekly-naive fallback)


def taylor_series() -> pd.Series:
    from pmdarima.datasets import load_taylor

    values = np.asarray(load_taylor(), dtype=float)
    local = pd.date_range("2000-06-05 00:00", periods=values.size, freq="30min", tz=TZ)
    return pd.Series(values, index=local.tz_convert("UTC"), name="load_mw")


def forecast_days(
    load: pd.Series, hour: int, settings: ModelSettings, holidays: str | None
) -> tuple[dict[pd.Timestamp, DayResult], list[float]]:
    """Target local day -> its result, for every target day the model accepts."""
    days = pd.date_range(
        load.index[0].tz_convert(TZ).normalize(), load.index[-1].tz_convert(TZ), freq="D"
    )
    out: dict[pd.Timestamp, DayResult] = {}
    seconds: list[float] = []
    for day in days[1:]:
        issue = (day - pd.Timedelta(days=1) + pd.Timedelta(hours=hour)).tz_convert("UTC")
        began = time.perf_counter()
        try:
            run = run_forecast(
                load, issue_time=issue, tz=ZONE, settings=settings, holiday_country=holidays
            )
        except ValueError:  # not enough history yet
            continue
        seconds.append(time.perf_counter() - began)
        actual = load.reindex(run.points.index).to_numpy()
        series = {"published": run.points, **run.candidates}
        errors = {n: series[n].to_numpy() - actual for n in COLUMNS if n in series}
        method = run.method.split("(")[0]
        out[day] = DayResult(errors, actual, method, full=bool(run.backtest))
    return out, seconds


def mape(results: list[DayResult], name: str) -> float:
    err = np.concatenate([r.errors[name] for r in results])
    act = np.concatenate([r.actual for r in results])
    return float(100 * np.mean(np.abs(err) / act))


def table(by_hour: dict[int, dict[pd.Timestamp, DayResult]], stride: int) -> list[str]:
    """Markdown rows, one per 28-day window (every `stride`-th start), the issue times side
    by side: MAPE % of published / weekly-naive / level-adjusted, the reduction against
    weekly-naive, and the published/weekly-naive ratio on each 14-day half."""
    lines = [
        "| targets | "
        + " | ".join(f"{h:02d}:00 MAPE % | vs naive | halves" for h in by_hour)
        + " |",
        "|---" * (1 + 3 * len(by_hour)) + "|",
    ]
    worst = {"reduction": np.inf, "half": 0.0}
    common = sorted(
        set.intersection(*({d for d, r in h.items() if r.full} for h in by_hour.values()))
    )
    starts = range(len(common) - WINDOW + 1)
    for i in starts:
        window = common[i : i + WINDOW]
        row = [f"{window[0]:%d %b} - {window[-1]:%d %b}"]
        for results in by_hour.values():
            days = [results[d] for d in window]
            cells = [mape(days, name) for name in COLUMNS]
            reduction = 100 * (1 - cells[0] / cells[1])
            halves = [mape(days[s], "published") / mape(days[s], WEEKLY_NAIVE) for s in
                      (slice(0, HALF), slice(HALF, WINDOW))]  # fmt: skip
            worst["reduction"] = min(worst["reduction"], reduction)
            worst["half"] = max(worst["half"], *halves)
            row += [" / ".join(f"{c:.2f}" for c in cells), f"{reduction:.1f} %",
                    f"{halves[0]:.2f}, {halves[1]:.2f}"]  # fmt: skip
        if i % stride == 0 or i == len(starts) - 1:
            lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append(
        f"Over all {len(starts)} windows x {len(by_hour)} issue times: smallest reduction "
        f"against weekly-naive {worst['reduction']:.1f} % (goal >= {GOAL:.0f} %), largest "
        f"14-day half ratio {worst['half']:.2f} (goal <= 1.00)."
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", default="6,9,12", help="issue hours, comma-separated")
    parser.add_argument("--stride", type=int, default=1, help="print every n-th window")
    parser.add_argument(
        "--holidays", default="GB-ENG", help='holiday country or subdivision ("" for none)'
    )
    parser.add_argument("--no-timing", action="store_true", help="skip the 10-year timing")
    args = parser.parse_args()

    load = taylor_series()
    settings = ModelSettings()
    by_hour: dict[int, dict[pd.Timestamp, DayResult]] = {}
    seconds: list[float] = []
    published: Counter[str] = Counter()
    for hour in (int(h) for h in args.hours.split(",")):
        by_hour[hour], spent = forecast_days(load, hour, settings, args.holidays or None)
        seconds += spent
        published.update(r.method for r in by_hour[hour].values())
    print(
        f"Taylor series, issued at hh:00 {TZ} on D for the 48 half-hours of D+1. MAPE %: "
        f"published / weekly-naive / level-adjusted weekly-naive (no ENTSO-E forecast in it)"
    )
    print("\n".join(table(by_hour, args.stride)))
    print()
    print("published methods:", ", ".join(f"{m} x{n}" for m, n in published.most_common()))
    short = [r for results in by_hour.values() for r in results.values() if not r.full]
    if short:
        ours, naive = mape(short, "published"), mape(short, WEEKLY_NAIVE)
        print(
            f"short history (weekly-naive fallback, not in the windows): {len(short)} runs, "
            f"MAPE {ours:.3f} % vs weekly-naive {naive:.3f} %"
        )
    print(f"run_forecast time per origin: mean {np.mean(seconds):.2f} s, max {max(seconds):.2f} s")
    if not args.no_timing:
        print()
        timing()


def synthetic_swiss_load(years: int, step: str) -> pd.Series:
    """Swiss-like load: daily double peak, weekends low, annual cycle, 1 % noise."""
    tz = "Europe/Zurich"
    end = pd.Timestamp("2025-06-18", tz=tz)
    idx = pd.date_range(end - pd.DateOffset(years=years), end, freq=step, inclusive="left")
    hour = idx.hour + idx.minute / 60
    daily = 1 + 0.15 * np.sin((hour - 9) / 24 * 2 * np.pi) + 0.1 * np.exp(-((hour - 18) ** 2) / 4)
    weekly = np.select([idx.day_of_week == 6, idx.day_of_week == 5], [0.72, 0.85], 1.0)
    annual = 1 + 0.12 * np.cos((idx.day_of_year - 15) / 365.25 * 2 * np.pi)
    noise = 1 + 0.01 * np.random.default_rng(0).standard_normal(idx.size)
    return pd.Series(7000 * daily * weekly * annual * noise, index=idx.tz_convert("UTC"))


def timing() -> None:
    zurich = ZoneInfo("Europe/Zurich")
    issue = pd.Timestamp("2025-06-17 12:00", tz=zurich).tz_convert("UTC")
    print("forecast_next_day wall time, 10 years of history, default ModelSettings():")
    for step in ("60min", "15min"):
        load = synthetic_swiss_load(10, step)
        runs = []
        for _ in range(3):
            began = time.perf_counter()
            fc = forecast_next_day(load, issue_time=issue, tz=zurich,
                                   settings=ModelSettings())  # fmt: skip
            runs.append(time.perf_counter() - began)
        print(f"  {step:>5} ({load.size} points): best {min(runs):.2f} s, worst {max(runs):.2f} s"
              f" -> {fc.method}")  # fmt: skip


if __name__ == "__main__":
    main()
