"""The store's queries on backfilled forecasts: as-of forecasts of past days (`backfill`),
kept apart from the published ones so they never become "the latest forecast", and the
listing of our forecasts of past days, published or backfilled."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from swissenergy.database import Database

if TYPE_CHECKING:
    from swissenergy.store import NewForecast


class BackfillQueries(Database):
    def forecast_days(self) -> set[str]:
        """Target days (local, ISO) with a forecast of ours, published or backfilled."""
        rows = self.conn().execute(
            "SELECT target_day FROM forecast UNION SELECT target_day FROM backfill_forecast"
        )
        return {str(r[0]) for r in rows}

    def add_backfill(self, run_id: int, f: NewForecast) -> bool:
        """Store an as-of forecast of a past day unless that day has one of ours already
        (so backfilling is idempotent and never overrides a published forecast)."""
        c = self.conn()
        with self._tx():
            if c.execute(
                "SELECT 1 FROM forecast WHERE target_day = ? "
                "UNION ALL SELECT 1 FROM backfill_forecast WHERE target_day = ?",
                (f.target_day, f.target_day),
            ).fetchone():
                return False
            c.execute(f.insert_sql("backfill_forecast"), f.row(run_id, time.time()))
            c.executemany(
                "INSERT INTO backfill_point (target_day, ts, mw) VALUES (?, ?, ?)",
                ((f.target_day, ts, mw) for ts, mw in f.points),
            )
        return True

    def backfilled_days(self, start: int, end: int) -> list[tuple[str, int, int]]:
        """(target_day, horizon start, end) of the days in [start, end) whose forecast of
        ours is the backfilled one (no published forecast for that day)."""
        rows = self.conn().execute(
            """SELECT target_day, horizon_start, horizon_end FROM backfill_forecast
            WHERE horizon_end > ? AND horizon_start < ?
              AND target_day NOT IN (SELECT target_day FROM forecast)
            ORDER BY target_day""",
            (start, end),
        )
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]

    # ----------------------------------------------------------------- both, listed
    def forecasts_between(self, start: int, end: int) -> list[dict[str, Any]]:
        """Our forecast of each local day overlapping [start, end): the newest published one,
        else the backfilled one (`backfilled` says which), with its points in the range."""
        c = self.conn()
        with self._tx(read=True):  # headers and points from one snapshot
            heads = c.execute(
                """SELECT f.id, f.target_day, f.issue_time, f.method, f.model_version,
                    0 AS backfilled
                FROM forecast f JOIN (SELECT max(id) AS id FROM forecast GROUP BY target_day) m
                  ON f.id = m.id
                WHERE f.horizon_end > ? AND f.horizon_start < ?
                UNION ALL
                SELECT NULL, b.target_day, b.issue_time, b.method, b.model_version, 1
                FROM backfill_forecast b
                WHERE b.horizon_end > ? AND b.horizon_start < ?
                  AND b.target_day NOT IN (SELECT target_day FROM forecast)
                ORDER BY 2""",
                (start, end, start, end),
            ).fetchall()
            out = []
            for h in heads:
                pts = c.execute(
                    "SELECT ts, mw FROM backfill_point WHERE target_day = ? "
                    "AND ts >= ? AND ts < ? ORDER BY ts"
                    if h["backfilled"]
                    else "SELECT ts, mw FROM forecast_point WHERE forecast_id = ? "
                    "AND ts >= ? AND ts < ? ORDER BY ts",
                    (h["target_day"] if h["backfilled"] else h["id"], start, end),
                ).fetchall()
                row = {k: h[k] for k in ("target_day", "issue_time", "method", "model_version")}
                row["backfilled"] = bool(h["backfilled"])
                row["points"] = [(int(p[0]), float(p[1])) for p in pts]
                out.append(row)
        return out
