"""`python -m swissenergy backup DEST`: a consistent, checked copy, written atomically."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from swissenergy.__main__ import main
from swissenergy.backup import BackupError, backup
from swissenergy.store import NewForecast, Store


def _populate(store: Store) -> int:
    store.upsert_points("load_actual", {t * 900: (900, 6000.0 + t) for t in range(500)})
    run = store.start_run(1, "test")
    return store.publish(
        run,
        NewForecast(
            issue_time=0,
            target_day="2024-04-04",
            resolution_s=900,
            method="stub",
            model_version="1",
            backtest={"stub": {"mae": 1.0}},
            points=[(t * 900, 7000.0 + t) for t in range(96)],
        ),
        {"mae": 1.0},
    )


def _counts(path: Path) -> dict[str, int]:
    c = sqlite3.connect(path)
    try:
        names = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: c.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        c.close()


@pytest.fixture
def db(tmp_path: Path) -> Store:
    s = Store(tmp_path / "data" / "swissenergy.sqlite3")
    s.migrate()
    return s


def test_backup_is_a_full_checked_copy(db: Store, tmp_path: Path) -> None:
    fid = _populate(db)
    dest = tmp_path / "out.sqlite3"
    r = backup(db.path, dest)
    # A single self-contained file: nothing left beside it, no temp file.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out.sqlite3"]
    copy = Store(dest)
    assert copy.get_forecast(fid) == db.get_forecast(fid)
    assert copy.run_counts() == db.run_counts()
    assert _counts(dest) == _counts(db.path)
    assert r.tables["load_actual"] == 500 and r.tables["forecast_point"] == 96
    assert r.schema_version == db.schema_version()


def test_open_write_transaction_is_not_in_the_copy(db: Store, tmp_path: Path) -> None:
    _populate(db)
    writer = sqlite3.connect(db.path, isolation_level=None, timeout=1)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM load_actual")
    writer.execute("INSERT INTO load_actual VALUES (1, 900, 1.0, 0)")
    try:
        # Does not wait for the writer (WAL) and copies the last committed state.
        r = backup(db.path, tmp_path / "out.sqlite3")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert r.tables["load_actual"] == 500


def test_backup_during_a_stream_of_updates_is_consistent(db: Store, tmp_path: Path) -> None:
    """Each update writes the same number of rows to two tables in one transaction: a copy
    taken mid-stream must hold equal counts (one committed state) and pass integrity_check."""
    stop = threading.Event()
    commits = 0

    def update() -> None:
        nonlocal commits
        w = Store(db.path)
        i = 0
        while not stop.is_set():
            pts = {(i * 50 + k) * 900: (900, float(k)) for k in range(50)}
            with w._tx() as c:
                for table in ("load_actual", "entsoe_forecast"):
                    c.executemany(
                        f"INSERT INTO {table} VALUES (?, ?, ?, 0)",
                        [(ts, res, mw) for ts, (res, mw) in pts.items()],
                    )
            i += 1
            commits = i
        w.close()

    t = threading.Thread(target=update)
    t.start()
    try:
        results = []
        for n in range(5):
            while commits < (n + 1) * 3:
                stop.wait(0.005)
            results.append(backup(db.path, tmp_path / f"out{n}.sqlite3"))
    finally:
        stop.set()
        t.join()
    for r in results:
        assert r.tables["load_actual"] == r.tables["entsoe_forecast"] > 0
        assert r.tables["load_actual"] % 50 == 0
    # The copies were taken at different points of the stream, not all before or after it.
    assert len({r.tables["load_actual"] for r in results}) > 1


def test_a_corrupt_copy_never_replaces_the_previous_backup(tmp_path: Path) -> None:
    src = tmp_path / "bad.sqlite3"
    c = sqlite3.connect(src, isolation_level=None)
    c.executescript("CREATE TABLE t (a); CREATE INDEX ia ON t (a) WHERE a < 0;")
    c.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])
    # Make the index claim every row while it holds none: integrity_check reports them.
    c.execute("PRAGMA writable_schema=ON")
    c.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX ia ON t (a)' WHERE name = 'ia'")
    c.close()
    dest = tmp_path / "out.sqlite3"
    dest.write_bytes(b"previous backup")
    with pytest.raises(BackupError, match="integrity_check: row 1 missing from index ia"):
        backup(src, dest)
    assert dest.read_bytes() == b"previous backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.sqlite3", "out.sqlite3"]


def test_cli_backup(
    db: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _populate(db)
    # No ENTSOE_API_KEY: the backup needs only DATA_DIR.
    monkeypatch.delenv("ENTSOE_API_KEY", raising=False)
    monkeypatch.setenv("DATA_DIR", str(db.path.parent))
    dest = tmp_path / "cli.sqlite3"
    assert main(["backup", str(dest)]) == 0
    out = capsys.readouterr().out
    assert f"backup {dest}:" in out and "integrity ok" in out and "load_actual=500" in out
    assert _counts(dest) == _counts(db.path)


@pytest.mark.parametrize(
    ("args", "data_dir", "code", "message"),
    [
        (["backup"], "data", 2, "name the file to write"),
        (["backup", "{tmp}/missing/x.sqlite3"], "data", 1, "does not exist: create it first"),
        (["backup", "{tmp}"], "data", 1, "is a directory"),
        (["backup", "{tmp}/x.sqlite3"], "empty", 1, "no database at"),
    ],
)
def test_cli_backup_errors(
    db: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    data_dir: str,
    code: int,
    message: str,
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("DATA_DIR", str(tmp_path / data_dir))
    assert main([a.format(tmp=tmp_path) for a in args]) == code
    assert message in capsys.readouterr().err
    assert not (tmp_path / "empty" / "swissenergy.sqlite3").exists()
