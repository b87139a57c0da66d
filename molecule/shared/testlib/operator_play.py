"""A playbook run the way an operator runs it, for the tests that drive the site after
converge (releases, rollbacks, status, a re-applied role): ansible-playbook from the
repository's root (its ansible.cfg), output captured without colour, never raising."""

from __future__ import annotations

import os
import subprocess
import time

from local_settings import REPO_ROOT


def run_playbook(
    inventory: str, *args: str, timeout: float = 1200
) -> tuple[subprocess.CompletedProcess, float]:
    """ansible-playbook -i INVENTORY ARGS...: the finished run and how long it took (s)."""
    started = time.monotonic()
    run = subprocess.run(
        ["ansible-playbook", "-i", inventory, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=os.environ | {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"},
    )
    return run, time.monotonic() - started
