"""A consistent copy of the live database for backups: `python -m swissenergy backup DEST`.

SQLite's online backup API copies the database inside one read transaction, so the copy is
the last committed state even while an update writes (WAL lets the reader and the writer run
side by side). The copy is checked with `PRAGMA integrity_check` and only then renamed onto
DEST, so DEST is either the previous good backup or the new good one, never a torn file.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path


class BackupError(RuntimeError):
    """The backup was not written; the message says why and what to check."""


@dataclass(frozen=True)
class BackupResult:
    dest: Path
    size_bytes: int
    schema_version: int
    tables: dict[str, int]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check(path: Path) -> tuple[int, dict[str, int]]:
    """integrity_check on the copy; its schema version and row counts (for the log line)."""
    c = sqlite3.connect(path, isolation_level=None)
    try:
        problems = [r[0] for r in c.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"the copy fails PRAGMA integrity_check: {'; '.join(problems[:5])}")
        version = int(c.execute("PRAGMA user_version").fetchone()[0])
        names = [
            r[0]
            for r in c.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = {n: int(c.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}
    finally:
        c.close()
    return version, counts


def backup(source: Path, dest: Path) -> BackupResult:
    if not source.is_file():
        raise BackupError(
            f"no database at {source}: nothing to back up (is DATA_DIR the service's data volume?)"
        )
    if dest.is_dir():
        raise BackupError(f"DEST {dest} is a directory: name the file, e.g. {dest}/db.sqlite3")
    if not dest.parent.is_dir():
        raise BackupError(f"DEST's directory {dest.parent} does not exist: create it first")
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(tmp, isolation_level=None)
            try:
                # pages=-1: the whole database in one step, i.e. one read transaction, so the
                # copy is one committed state however busy the writer is.
                src.backup(dst, pages=-1)
                # A self-contained single file (the service turns WAL back on when it opens it).
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        version, counts = _check(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"cannot copy {source} to {dest}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return BackupResult(dest, dest.stat().st_size, version, counts)
