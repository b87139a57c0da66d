"""The store: observations, update runs and published forecasts (queries over `database`).

Times are UTC epoch seconds. A forecast published in one transaction is seen by readers
whole or not at all.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from swissenergy.store_backfill import BackfillQueries

Table = Literal["load_actual", "entsoe_forecast"]
_TABLES = ("load_actual", "entsoe_forecast")


@dataclass(frozen=True)
class NewForecast:
    issue_time: int
    target_day: str  # local date, ISO
    resolution_s: int
    method: str
    model_version: str
    backtest: dict[str, dict[str, float]]
    points: list[tuple[int, float]]  # (ts, MW), sorted

    # The columns of a forecast's row, in row()'s order: the forecast and backfill_forecast
    # tables both have them.
    COLUMNS: ClassVar[str] = (
        "run_id, created_at, issue_time, target_day, horizon_start, horizon_end, "
        "resolution_s, method, model_version, backtest"
    )

    def insert_sql(self, table: str) -> str:
        placeholders = ", ".join("?" for _ in self.COLUMNS.split(","))
        return f"INSERT INTO {table} ({self.COLUMNS}) VALUES ({placeholders})"

    def row(self, run_id: int, created_at: float) -> tuple[Any, ...]:
        return (
            run_id,
            created_at,
            self.issue_time,
            self.target_day,
            self.points[0][0],
            self.points[-1][0] + self.resolution_s,
            self.resolution_s,
            self.method,
            self.model_version,
            json.dumps(self.backtest),
        )


class Store(BackfillQueries):
    # ----------------------------------------------------------------- observations
    def upsert_points(self, table: Table, points: dict[int, tuple[int, float]]) -> int:
        """Insert or revise points; returns how many rows were new or changed.

        Newer values win (revisions), except that a coarser point never replaces a finer one
        at the same instant ("prefer the finer resolution").
        """
        assert table in _TABLES
        now = time.time()
        c = self.conn()
        with self._tx():
            before = c.total_changes
            c.executemany(
                f"""INSERT INTO {table} (ts, resolution_s, mw, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (ts) DO UPDATE SET resolution_s = excluded.resolution_s,
                    mw = excluded.mw, updated_at = excluded.updated_at
                WHERE excluded.resolution_s <= {table}.resolution_s
                  AND (excluded.mw != {table}.mw
                       OR excluded.resolution_s != {table}.resolution_s)""",
                ((ts, res, mw, now) for ts, (res, mw) in points.items()),
            )
            return c.total_changes - before

    def max_ts(self, table: Table) -> int | None:
        assert table in _TABLES
        row = self.conn().execute(f"SELECT max(ts) FROM {table}").fetchone()
        return None if row[0] is None else int(row[0])

    def read_points(
        self, table: Table, start: int | None = None, end: int | None = None
    ) -> list[tuple[int, int, float]]:
        """(ts, resolution_s, mw) with start <= ts < end, ordered by ts."""
        assert table in _TABLES
        rows = self.conn().execute(
            f"SELECT ts, resolution_s, mw FROM {table} WHERE ts >= ? AND ts < ? ORDER BY ts",
            (start if start is not None else -(2**62), end if end is not None else 2**62),
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def read_matrix(self, table: Table, start: int, end: int) -> np.ndarray:
        """read_points as an (n, 3) float64 array of (ts, resolution_s, MW), streamed from
        the cursor: 24 bytes a point where a tuple costs ~120, for the update's history."""
        assert table in _TABLES
        cur = self.conn().cursor()
        cur.row_factory = None  # plain tuples, flattened straight into the array
        cur.execute(
            f"SELECT ts, resolution_s, mw FROM {table} WHERE ts >= ? AND ts < ? ORDER BY ts",
            (start, end),
        )
        return np.fromiter(itertools.chain.from_iterable(cur), dtype="float64").reshape(-1, 3)

    # ----------------------------------------------------------------- runs
    def start_run(self, pid: int, host: str) -> int:
        with self._tx():
            cur = self.conn().execute(
                "INSERT INTO update_run (started_at, status, pid, host) "
                "VALUES (?, 'running', ?, ?)",
                (time.time(), pid, host),
            )
            return int(cur.lastrowid or 0)

    def set_run_rows(self, run_id: int, rows: int) -> None:
        with self._tx():
            self.conn().execute(
                "UPDATE update_run SET rows_fetched = ? WHERE id = ?", (rows, run_id)
            )

    def fail_run(self, run_id: int, error: str) -> None:
        with self._tx():
            self.conn().execute(
                "UPDATE update_run SET status = 'failed', finished_at = ?, error = ? "
                "WHERE id = ? AND status = 'running'",
                (time.time(), error[:2000], run_id),
            )

    def running_runs(self) -> list[dict[str, Any]]:
        rows = self.conn().execute(
            "SELECT * FROM update_run WHERE status = 'running' ORDER BY id DESC"
        )
        return [_run(r) for r in rows]

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        r = self.conn().execute("SELECT * FROM update_run WHERE id = ?", (run_id,)).fetchone()
        return _run(r) if r else None

    def latest_run(self, status: str | None = None) -> dict[str, Any] | None:
        q = "SELECT * FROM update_run"
        q += " WHERE status = ?" if status else ""
        r = self.conn().execute(q + " ORDER BY id DESC LIMIT 1", (status,) if status else ())
        row = r.fetchone()
        return _run(row) if row else None

    def run_counts(self) -> dict[str, int]:
        rows = self.conn().execute("SELECT status, count(*) FROM update_run GROUP BY status")
        return {r[0]: int(r[1]) for r in rows}

    # ----------------------------------------------------------------- forecasts
    def publish(self, run_id: int, f: NewForecast, metrics: dict[str, Any]) -> int:
        """Store a forecast and close its run in ONE transaction: readers see all or nothing."""
        c = self.conn()
        now = time.time()
        with self._tx():
            cur = c.execute(f.insert_sql("forecast"), f.row(run_id, now))
            fid = int(cur.lastrowid or 0)
            c.executemany(
                "INSERT INTO forecast_point (forecast_id, ts, mw) VALUES (?, ?, ?)",
                ((fid, ts, mw) for ts, mw in f.points),
            )
            # Hourly runs re-issue the same target day; keep only the newest one's points
            # (headers stay, for the record) so the table grows by one day per day.
            c.execute(
                "DELETE FROM forecast_point WHERE forecast_id IN "
                "(SELECT id FROM forecast WHERE target_day = ? AND id < ?)",
                (f.target_day, fid),
            )
            c.execute(
                "UPDATE update_run SET status = 'succeeded', finished_at = ?, forecast_id = ?, "
                "metrics = ?, error = NULL WHERE id = ?",
                (time.time(), fid, json.dumps(metrics), run_id),
            )
        return fid

    def latest_forecast_id(self) -> int | None:
        row = self.conn().execute("SELECT max(id) FROM forecast").fetchone()
        return None if row[0] is None else int(row[0])

    def get_forecast(self, forecast_id: int) -> dict[str, Any] | None:
        c = self.conn()
        with self._tx(read=True):  # header and points from one snapshot
            r = c.execute("SELECT * FROM forecast WHERE id = ?", (forecast_id,)).fetchone()
            if r is None:
                return None
            pts = c.execute(
                "SELECT ts, mw FROM forecast_point WHERE forecast_id = ? ORDER BY ts",
                (forecast_id,),
            ).fetchall()
        out = dict(r)
        out["backtest"] = json.loads(out["backtest"])
        out["points"] = [(int(p[0]), float(p[1])) for p in pts]
        return out

    def published_points(self, start: int, end: int) -> list[tuple[int, float]]:
        """Our forecast values in [start, end): per target day, the newest published forecast,
        else the backfilled one."""
        rows = self.conn().execute(
            """SELECT p.ts, p.mw FROM forecast_point p
            JOIN (SELECT max(id) AS id FROM forecast GROUP BY target_day) f
              ON p.forecast_id = f.id
            WHERE p.ts >= ? AND p.ts < ?
            UNION ALL
            SELECT b.ts, b.mw FROM backfill_point b
            WHERE b.ts >= ? AND b.ts < ?
              AND b.target_day NOT IN (SELECT target_day FROM forecast)
            ORDER BY 1""",
            (start, end, start, end),
        )
        return [(int(r[0]), float(r[1])) for r in rows]


def _run(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    out["metrics"] = json.loads(out["metrics"]) if out.get("metrics") else None
    return out
