"""Real ansible-playbook runs against this machine, as the one host of the `vps` group and of
its children `edge` and `app` (what site.yml's plays target, as in inventory/local), for the
tests that check a play's behaviour rather than a template."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent


def local_host(host_vars: dict | None = None) -> dict:
    """A host's variables for reaching this machine locally with this interpreter."""
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    return host | (host_vars or {})


def write_inventory(path: Path, host_vars: dict | None = None) -> Path:
    """hosts.yml with `testhost` as the edge and the app host, as a single-host inventory."""
    children = {
        "edge": {"hosts": {"testhost": local_host(host_vars)}},
        "app": {"hosts": {"testhost": {}}},
    }
    path.write_text(yaml.safe_dump({"vps": {"children": children}}))
    return path


def ansible_playbook(inventory: Path, playbook: Path, timeout: float = 180):
    return subprocess.run(
        [Path(sys.executable).parent / "ansible-playbook", "-i", inventory, playbook],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=REPO_ROOT,
        env=os.environ | {"ANSIBLE_NOCOLOR": "1"},
    )
