"""SQLite store (WAL) for observations, forecasts and update runs.

WAL lets the API read while an update writes: readers see the last committed snapshot, so a
forecast published in one transaction is seen whole or not at all. Times are UTC epoch
seconds. The schema version is SQLite's `user_version`; migrations run in order at start-up.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Table = Literal["load_actual", "entsoe_forecast"]
_TABLES = ("load_actual", "entsoe_forecast")

# Append only: each entry moves the schema from version i to i + 1.
MIGRATIONS: list[str] = [
    # 1: initial schema
    """
    CREATE TABLE load_actual (
        ts INTEGER PRIMARY KEY, resolution_s INTEGER NOT NULL, mw REAL NOT NULL,
        updated_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE entsoe_forecast (
        ts INTEGER PRIMARY KEY, resolution_s INTEGER NOT NULL, mw REAL NOT NULL,
        updated_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE update_run (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at REAL NOT NULL, finished_at REAL,
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        error TEXT, rows_fetched INTEGER NOT NULL DEFAULT 0,
        pid INTEGER, host TEXT, forecast_id INTEGER, metrics TEXT
    );
    CREATE INDEX update_run_status ON update_run (status);
    CREATE TABLE forecast (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id INTEGER REFERENCES update_run (id),
        created_at REAL NOT NULL, issue_time INTEGER NOT NULL, target_day TEXT NOT NULL,
        horizon_start INTEGER NOT NULL, horizon_end INTEGER NOT NULL,
        resolution_s INTEGER NOT NULL, method TEXT NOT NULL, model_version TEXT NOT NULL,
        backtest TEXT NOT NULL
    );
    CREATE INDEX forecast_target_day ON forecast (target_day, id);
    CREATE TABLE forecast_point (
        forecast_id INTEGER NOT NULL REFERENCES forecast (id) ON DELETE CASCADE,
        ts INTEGER NOT NULL, mw REAL NOT NULL,
        PRIMARY KEY (forecast_id, ts)
    ) WITHOUT ROWID;
    """,
]


@dataclass(frozen=True)
class NewForecast:
    issue_time: int
    target_day: str  # local date, ISO
    resolution_s: int
    method: str
    model_version: str
    backtest: dict[str, dict[str, float]]
    points: list[tuple[int, float]]  # (ts, MW), sorted


class Store:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()

    # ----------------------------------------------------------------- connections
    def conn(self) -> sqlite3.Connection:
        """One connection per thread (sqlite3 connections are not shared across threads)."""
        c: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if c is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is
            # exactly what the code says (Python 3.11 has no `autocommit=` argument).
            c = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            c.row_factory = sqlite3.Row
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("PRAGMA synchronous=NORMAL")  # durable enough in WAL, far fewer fsyncs
            c.execute("PRAGMA foreign_keys=ON")
            self._local.conn = c
        return c

    def close(self) -> None:
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            self._local.conn = None

    def _tx(self, read: bool = False) -> _Tx:
        return _Tx(self.conn(), read)

    # ----------------------------------------------------------------- schema
    def schema_version(self) -> int:
        return int(self.conn().execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> int:
        c = self.conn()
        for version in range(self.schema_version(), len(MIGRATIONS)):
            with self._tx():
                # Re-check inside the write lock: another process may have migrated meanwhile.
                if int(c.execute("PRAGMA user_version").fetchone()[0]) != version:
                    continue
                for stmt in MIGRATIONS[version].split(";"):
                    if stmt.strip():
                        c.execute(stmt)
                c.execute(f"PRAGMA user_version = {version + 1}")
        return self.schema_version()

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
            cur = c.execute(
                """INSERT INTO forecast (run_id, created_at, issue_time, target_day,
                horizon_start, horizon_end, resolution_s, method, model_version, backtest)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    run_id,
                    now,
                    f.issue_time,
                    f.target_day,
                    f.points[0][0],
                    f.points[-1][0] + f.resolution_s,
                    f.resolution_s,
                    f.method,
                    f.model_version,
                    json.dumps(f.backtest),
                ),
            )
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
        """Our forecast values in [start, end): per target day, the newest forecast."""
        rows = self.conn().execute(
            """SELECT p.ts, p.mw FROM forecast_point p
            JOIN (SELECT max(id) AS id FROM forecast GROUP BY target_day) f
              ON p.forecast_id = f.id
            WHERE p.ts >= ? AND p.ts < ? ORDER BY p.ts""",
            (start, end),
        )
        return [(int(r[0]), float(r[1])) for r in rows]


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""

    def __init__(self, conn: sqlite3.Connection, read: bool = False) -> None:
        self.c = conn
        self.read = read

    def __enter__(self) -> sqlite3.Connection:
        # IMMEDIATE takes the write lock up front so two writers queue on busy_timeout
        # instead of failing with "database is locked" on upgrade from a read lock.
        self.c.execute("BEGIN" if self.read else "BEGIN IMMEDIATE")
        return self.c

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.c.execute("ROLLBACK" if exc_type else "COMMIT")


def _run(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    out["metrics"] = json.loads(out["metrics"]) if out.get("metrics") else None
    return out
