"""The SQLite database under the store: per-thread connections in WAL mode, transactions, and
the schema with its migrations.

WAL lets the API read while an update writes: readers see the last committed snapshot. The
schema version is SQLite's `user_version`; migrations run in order at start-up, each in its
own transaction, so a failed one leaves the previous version.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

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
    # 2: backfilled forecasts (as-of forecasts of past days, see swissenergy.backfill). Own
    # tables, not a flag on `forecast`: an older release on this schema serves max(forecast.id)
    # as the latest forecast, and a backfilled one must never become that.
    """
    CREATE TABLE backfill_forecast (
        target_day TEXT PRIMARY KEY,
        run_id INTEGER REFERENCES update_run (id),
        created_at REAL NOT NULL, issue_time INTEGER NOT NULL,
        horizon_start INTEGER NOT NULL, horizon_end INTEGER NOT NULL,
        resolution_s INTEGER NOT NULL, method TEXT NOT NULL, model_version TEXT NOT NULL,
        backtest TEXT NOT NULL
    );
    CREATE TABLE backfill_point (
        target_day TEXT NOT NULL REFERENCES backfill_forecast (target_day) ON DELETE CASCADE,
        ts INTEGER NOT NULL, mw REAL NOT NULL,
        PRIMARY KEY (target_day, ts)
    ) WITHOUT ROWID;
    CREATE INDEX backfill_point_ts ON backfill_point (ts);
    """,
]


class Database:
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
