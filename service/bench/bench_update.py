"""Update time, first and incremental, with 3 and 10 years of hourly history (not gating).

Runs the production path: `Updater` with the child-process worker, the real model, against
the fake ENTSO-E server (tests/fake_entsoe) on 127.0.0.1. The first update imports the whole
history (chunks of a year); the incremental one, an hour later, re-fetches the last ~10 days
and retrains. The first update also backfills the 28 days before its target day. Peak RSS is
the update child's (its `peak_rss_mib` metric). Targets: incremental update with 10 years
< 10 s on 2 cores, the child's peak RSS < 120 MiB.

    python service/bench/bench_update.py [--years 3 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fake_entsoe import Config, FakeEntsoe
from swissenergy.config import load_settings
from swissenergy.store import Store
from swissenergy.worker import Updater

NOW = pd.Timestamp("2025-06-18T13:05Z")
KEY = "bench-token"


def timed_update(updater: Updater, store: Store) -> tuple[float, dict]:
    t0 = time.perf_counter()
    t = updater.trigger()
    assert t.started
    updater.wait()
    wall = time.perf_counter() - t0
    run = store.get_run(t.run_id or 0) or {}
    if run.get("status") != "succeeded":
        raise SystemExit(f"update failed: {run.get('error')}")
    return wall, run


def bench(years: int) -> list[tuple[str, float, dict]]:
    start = (NOW - pd.DateOffset(years=years)).normalize()
    fake = FakeEntsoe(
        Config(token=KEY, now=NOW.timestamp(), data_start=start.strftime("%Y-%m-%dT%H:%MZ"))
    )
    url = fake.start()
    clock = [NOW.timestamp()]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # The worker child reads the key from the environment, as in production.
            os.environ["ENTSOE_API_KEY"] = KEY
            s = load_settings(
                entsoe_base_url=url,
                data_dir=Path(tmp),
                history_start=date(start.year, start.month, start.day) + pd.Timedelta(days=1),
                entsoe_min_request_interval_s=0.0,
                update_worker="process",
                log_level="warning",
            )
            store = Store(s.db_path)
            store.migrate()
            updater = Updater(s, store, clock=lambda: clock[0])
            first = timed_update(updater, store)
            clock[0] += 3600
            fake.configure(now=clock[0], revision=1)
            incr = timed_update(updater, store)
            return [("first", *first), ("incremental", *incr)]
    finally:
        fake.stop()


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--years", type=int, nargs="+", default=[3, 10])
    args = ap.parse_args()
    rows = []
    for y in args.years:
        for kind, wall, run in bench(y):
            m = run.get("metrics") or {}
            rows.append(
                (
                    y,
                    kind,
                    wall,
                    m.get("fetch_s"),
                    m.get("model_s"),
                    run.get("rows_fetched"),
                    m.get("history_points"),
                    m.get("peak_rss_mib"),
                )
            )
    print("\nUpdate time (child-process worker, real model, fake ENTSO-E on 127.0.0.1)")
    print(
        f"{'years':>5} {'update':>12} {'wall s':>7} {'fetch s':>8} {'model s':>8} "
        f"{'points fetched':>14} {'points read':>11} {'peak RSS MiB':>12}"
    )
    for y, kind, wall, fetch, model, fetched, hist, rss in rows:
        print(
            f"{y:>5} {kind:>12} {wall:>7.1f} {fetch:>8.1f} {model:>8.1f} {fetched:>14} "
            f"{hist:>11} {rss:>12}"
        )
    print("targets: incremental with 10 years < 10 s; the update child's peak RSS < 120 MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
