"""Who runs an update, and only one at a time: the update lock and the background worker.

Locking: an exclusive `flock` on DATA_DIR/update.lock. The kernel drops it when the holder
dies however it dies (kill -9, OOM), so a crash never leaves the service stuck. Whoever takes
the lock knows no update runs, so any run row still marked 'running' is stale and is closed
as failed. The lock's file descriptor is handed to the worker (thread or child process),
which holds it until it ends.

Runs never block requests: the default worker is a child process (`python -m
swissenergy.worker`), so training does not compete with the API for the GIL. The child gets
the parent's settings without the API key over stdin and reads the key itself, from the
environment, `.env` or /run/secrets like the parent: the secret crosses no pipe and shows in
no `ps` output.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from swissenergy.config import ConfigError, Settings, load_settings
from swissenergy.entsoe import EntsoeClient
from swissenergy.store import Store
from swissenergy.update import ClientFactory, run_update

log = logging.getLogger(__name__)
# The child's exit code when it cannot load its settings (e.g. no ENTSOE_API_KEY of its own).
CONFIG_EXIT = 3


@dataclass(frozen=True)
class Trigger:
    started: bool
    run_id: int | None


class Updater:
    """Starts updates without waiting for them; at most one at a time (see module doc)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        client_factory: ClientFactory = EntsoeClient.from_settings,
        on_done: Callable[[int], None] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.client_factory = client_factory
        self.on_done = on_done
        self._mutex = threading.Lock()
        self._workers: list[threading.Thread] = []

    def _try_lock(self) -> int | None:
        path = self.settings.lock_path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    def recover_stale(self) -> list[int]:
        """Close runs left 'running' by a dead worker. Only valid while holding the lock."""
        stale = self.store.running_runs()
        for run in stale:
            self.store.fail_run(
                run["id"],
                f"interrupted: the worker (pid {run['pid']} on {run['host']}) stopped "
                "before finishing (crash, kill or restart)",
            )
        return [r["id"] for r in stale]

    def recover_at_startup(self) -> None:
        fd = self._try_lock()
        if fd is not None:
            try:
                if ids := self.recover_stale():
                    log.warning("closed stale update runs %s", ids)
            finally:
                os.close(fd)

    def running_run_id(self) -> int | None:
        # The holder writes its run id into the lock file right after taking the lock;
        # wait a moment for it rather than answer 409 without an id.
        for _ in range(20):
            try:
                text = self.settings.lock_path.read_text().strip()
            except OSError:
                text = ""
            if text.isdigit():
                return int(text)
            runs = self.store.running_runs()
            if runs:
                return int(runs[0]["id"])
            time.sleep(0.01)
        return None

    def trigger(self, backfill_days: int | None = None) -> Trigger:
        """Start an update; `backfill_days` also backfills that many past days (`backfill`)."""
        with self._mutex:
            fd = self._try_lock()
            if fd is None:
                return Trigger(False, self.running_run_id())
            try:
                self.recover_stale()
                run_id = self.store.start_run(os.getpid(), socket.gethostname())
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(run_id).encode(), 0)
                now = int(self.clock())
                if self.settings.update_worker == "thread":
                    self._start_thread(fd, run_id, now, backfill_days)
                else:
                    self._start_process(fd, run_id, now, backfill_days)
            except BaseException:
                os.close(fd)
                raise
            return Trigger(True, run_id)

    def _finish(self, fd: int, run_id: int) -> None:
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # releases the lock
        if self.on_done:
            self.on_done(run_id)

    def _start_thread(self, fd: int, run_id: int, now: int, backfill_days: int | None) -> None:
        def work() -> None:
            try:
                run_update(
                    self.settings, self.store, run_id, now, self.client_factory, backfill_days
                )
            finally:
                self.store.close()  # this thread's connection
                self._finish(fd, run_id)

        t = threading.Thread(target=work, name=f"update-{run_id}", daemon=True)
        self._workers.append(t)
        t.start()

    def _start_process(self, fd: int, run_id: int, now: int, backfill_days: int | None) -> None:
        cmd = [
            sys.executable,
            "-m",
            "swissenergy.worker",
            "--run-id",
            str(run_id),
            "--lock-fd",
            str(fd),
            "--now",
            str(now),
            *(["--backfill-days", str(backfill_days)] if backfill_days else []),
        ]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, pass_fds=(fd,))
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(public_settings(self.settings)).encode())
        proc.stdin.close()

        def reap() -> None:
            rc = proc.wait()
            # The child closed its run unless it died; then the run is failed here.
            if rc == CONFIG_EXIT:
                why = "the update worker could not load its settings (see the service log)"
            else:
                why = f"interrupted: the update worker exited with code {rc}"
            self.store.fail_run(run_id, why)
            self.store.close()
            self._finish(fd, run_id)

        # Our copy of the fd stays open until the reaper runs, so the lock outlives neither
        # the child nor this process; closing it earlier would be equally correct.
        t = threading.Thread(target=reap, name=f"reap-{run_id}", daemon=True)
        self._workers.append(t)
        t.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for workers started by this Updater (tests, CLI)."""
        for t in list(self._workers):
            t.join(timeout)


def public_settings(s: Settings) -> dict[str, Any]:
    """Every setting except the API key, which the child reads from where the parent did."""
    return s.model_dump(mode="json", exclude={"entsoe_api_key"})


def _child_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="internal: run one update (started by the API)")
    p.add_argument("--run-id", type=int, required=True)
    p.add_argument("--lock-fd", type=int, required=True)
    p.add_argument("--now", type=int, required=True)
    p.add_argument("--backfill-days", type=int)
    args = p.parse_args(argv)
    try:
        settings = load_settings(**json.loads(sys.stdin.read()))
    except ConfigError as exc:
        print(f"swissenergy update worker: {exc}", file=sys.stderr)
        return CONFIG_EXIT
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s update: %(message)s"
    )
    # The image has no scikit-learn (requirements.lock); development venvs do (pmdarima, the
    # accuracy benchmark's data). LightGBM imports it whenever it can, for wrappers the model
    # does not use: ~60 MiB RSS and ~3 s more per update. Blocked, the child runs as in the image.
    sys.modules.setdefault("sklearn", None)  # type: ignore[arg-type]
    store = Store(settings.db_path)
    fid = run_update(settings, store, args.run_id, args.now, backfill_days=args.backfill_days)
    return 0 if fid is not None else 1


if __name__ == "__main__":
    sys.exit(_child_main())
