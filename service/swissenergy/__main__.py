"""Command line: `python -m swissenergy [serve|update|backfill [--days N]|migrate|backup DEST]`
(default: serve)."""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from pathlib import Path

from swissenergy.config import ConfigError, load_settings


def _backup(dest: Path | None) -> int:
    """Needs only DATA_DIR, not the ENTSO-E key: it runs in a one-off container beside the
    service, and never migrates or creates the database it copies."""
    from swissenergy.backup import BackupError, backup
    from swissenergy.config import DB_FILENAME, Settings

    if dest is None:
        print("swissenergy backup: name the file to write (backup DEST)", file=sys.stderr)
        return 2
    data_dir = Path(os.environ.get("DATA_DIR") or Settings.model_fields["data_dir"].default)
    try:
        r = backup(data_dir / DB_FILENAME, dest)
    except BackupError as exc:
        print(f"swissenergy backup: {exc}", file=sys.stderr)
        return 1
    rows = " ".join(f"{k}={v}" for k, v in r.tables.items())
    print(f"backup {r.dest}: {r.size_bytes} bytes, schema {r.schema_version}, integrity ok, {rows}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="swissenergy", description=__doc__)
    p.add_argument(
        "command",
        nargs="?",
        default="serve",
        choices=["serve", "update", "backfill", "migrate", "backup"],
    )
    p.add_argument("dest", nargs="?", type=Path, help="backup: the file to write")
    p.add_argument(
        "--days",
        type=int,
        default=None,
        help="backfill: past days to forecast as of their own issue time (default 28)",
    )
    args = p.parse_args(argv)
    if args.days is not None and (args.command != "backfill" or args.days < 1):
        p.error("--days takes a number of days >= 1, with the backfill command only")
    if args.command == "backup":
        return _backup(args.dest)
    try:
        settings = load_settings()
    except ConfigError as exc:
        # A clear one-line reason and a non-zero exit: the container restarts visibly
        # instead of serving errors for an hour.
        print(f"swissenergy: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from swissenergy.store import Store

    store = Store(settings.db_path)
    try:
        version = store.migrate()
    except (OSError, sqlite3.Error) as exc:
        print(
            f"swissenergy: cannot open or migrate the database {settings.db_path}: {exc} "
            "(DATA_DIR must be a writable directory)",
            file=sys.stderr,
        )
        return 2
    if args.command == "migrate":
        print(f"schema version {version} at {settings.db_path}")
        return 0
    if args.command in ("update", "backfill"):
        # Same lock as the API: refuses to run beside an update started over HTTP.
        from swissenergy.backfill import BACKFILL_DAYS
        from swissenergy.worker import Updater

        updater = Updater(settings.model_copy(update={"update_worker": "thread"}), store)
        t = updater.trigger((args.days or BACKFILL_DAYS) if args.command == "backfill" else None)
        if not t.started:
            print(f"an update is already running (run {t.run_id})", file=sys.stderr)
            return 1
        updater.wait()
        run = store.get_run(t.run_id or 0) or {}
        print(f"run {t.run_id}: {run.get('status')} {run.get('error') or ''}".rstrip())
        if done := (run.get("metrics") or {}).get("backfill"):
            print(f"backfilled {done['stored']} days, skipped {len(done['skipped'])}")
            for day, why in done["skipped"].items():
                print(f"  {day}: {why}")
        return 0 if run.get("status") == "succeeded" else 1

    import uvicorn

    from swissenergy.api import create_app

    app = create_app(settings, store)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        proxy_headers=False,
        server_header=False,
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
