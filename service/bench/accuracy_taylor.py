"""Day-ahead accuracy on a real load series: Taylor's half-hourly England & Wales demand
(5 June - 27 August 2000, 12 weeks), shipped inside the `pmdarima` package.

For each of the last 28 days D+1 the model is issued at 12:00 (Europe/London) of day D with
the data before that moment, refitted from scratch, and forecasts the 48 half-hours of D+1.
Printed: MAPE and MAE of the published method and of every candidate (as each was produced
inside the same runs), overall and per 14-day window, and which method each run published.
Also printed: the wall time of `forecast_next_day` on ten years of synthetic hourly and
15-minute Swiss-like load (default settings). Nothing is asserted.
Run from service/: `python bench/accuracy_taylor.py` (needs `pmdarima`, bench only).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from swissenergy.forecasting import CANDIDATES, ModelSettings, run_forecast
from swissenergy.model import forecast_next_day

TZ = "Europe/London"
ZONE = ZoneInfo(TZ)
PUBLISHED = "published"


def taylor_series() -> pd.Series:
    from pmdarima.datasets import load_taylor

    values = np.asarray(load_taylor(), dtype=float)
    local = pd.date_range("2000-06-05 00:00", periods=values.size, freq="30min", tz=TZ)
    return pd.Series(values, index=local.tz_convert("UTC"), name="load_mw")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=28, help="evaluated target days")
    parser.add_argument(
        "--holidays", default="GB-ENG", help='holiday country or subdivision ("" for none)'
    )
    parser.add_argument("--no-timing", action="store_true", help="skip the 10-year timing")
    args = parser.parse_args()

    load = taylor_series()
    settings = ModelSettings()
    local_days = pd.date_range(
        load.index[0].tz_convert(TZ).normalize(), load.index[-1].tz_convert(TZ), freq="D"
    )
    targets = local_days[-args.days :]
    errors: dict[str, list[np.ndarray]] = {}
    actuals: list[np.ndarray] = []
    published: Counter[str] = Counter()
    seconds: list[float] = []
    for day in targets:
        issue = (day - pd.Timedelta(days=1) + pd.Timedelta(hours=12)).tz_convert("UTC")
        began = time.perf_counter()
        run = run_forecast(
            load, issue_time=issue, tz=ZONE, settings=settings,
            holiday_country=args.holidays or None,
        )  # fmt: skip
        seconds.append(time.perf_counter() - began)
        actual = load.reindex(run.points.index).to_numpy()
        actuals.append(actual)
        published[run.method.split("(")[0]] += 1
        print(f"{day.date()}  published {run.method}")
        series = {PUBLISHED: run.points, **run.candidates}
        for name, points in series.items():
            errors.setdefault(name, []).append(points.to_numpy() - actual)

    half = len(targets) // 2
    windows = {
        f"all {len(targets)} days": slice(0, len(targets)),
        f"days 1-{half}": slice(0, half),
        f"days {half + 1}-{len(targets)}": slice(half, len(targets)),
    }
    names = [PUBLISHED, *(c for c in CANDIDATES if c in errors)]
    print()
    print(f"Taylor series, issue 12:00 {TZ} on D for the 48 half-hours of D+1")
    print(f"{'method':<30}" + "".join(f"{w:>24}" for w in windows))
    print(f"{'':<30}" + "".join(f"{'MAPE %':>12}{'MAE MW':>12}" for _ in windows))
    for name in names:
        cells = []
        for sl in windows.values():
            err = np.concatenate(errors[name][sl])
            act = np.concatenate(actuals[sl])
            cells.append(f"{100 * np.mean(np.abs(err) / act):>12.3f}{np.mean(np.abs(err)):>12.1f}")
        print(f"{name:<30}" + "".join(cells))
    print()
    print("published methods:", ", ".join(f"{m} x{n}" for m, n in published.most_common()))
    print(f"run_forecast time per origin: mean {np.mean(seconds):.2f} s, max {max(seconds):.2f} s")
    print()
    print("issue targets (informational):")
    overall = _mape(errors[PUBLISHED], actuals, slice(None))
    naive = _mape(errors["weekly_naive"], actuals, slice(None))
    print(f"  published MAPE {overall:.3f} % vs weekly-naive {naive:.3f} %: "
          f"{100 * (1 - overall / naive):.1f} % lower (target >= 30 %, <= 1.50 %)")  # fmt: skip
    for label, sl in list(windows.items())[1:]:
        ours = _mape(errors[PUBLISHED], actuals, sl)
        theirs = _mape(errors["weekly_naive"], actuals, sl)
        verdict = "not worse" if ours <= theirs else "WORSE"
        print(f"  {label}: published {ours:.3f} % vs weekly-naive {theirs:.3f} %: {verdict}")
    if not args.no_timing:
        print()
        timing()


def _mape(errors: list[np.ndarray], actuals: list[np.ndarray], sl: slice) -> float:
    return float(100 * np.mean(np.abs(np.concatenate(errors[sl])) / np.concatenate(actuals[sl])))


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
