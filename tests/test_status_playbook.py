"""playbooks/status.yml prints one table of every host's watchdog checks, and a row naming
the problem for a host where the watchdog is missing (a real run on this machine)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
ROWS = [
    {"check": "forecast", "status": "ok", "since": "", "detail": "for 2026-11-30, 1.0 h old"},
    {"check": "disk", "status": "failing", "since": "2026-11-30 01:00", "detail": "5 % free"},
]


def test_one_table_for_every_host(tmp_path: Path) -> None:
    fake = tmp_path / "watchdog"
    fake.write_text(f"#!/bin/sh\n[ \"$*\" = '--status --json' ] && echo '{json.dumps(ROWS)}'\n")
    fake.chmod(0o755)
    local = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "ansible_become": False,
    }
    hosts = {
        "vps1": local | {"__status_command": str(fake)},
        "vps2": local | {"__status_command": str(tmp_path / "missing")},
    }
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"vps": {"hosts": hosts}}))
    run = subprocess.run(
        [
            Path(sys.executable).parent / "ansible-playbook",
            "-i",
            inventory,
            REPO_ROOT / "playbooks" / "status.yml",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=REPO_ROOT,
        env=os.environ | {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"changed=0 ", run.stdout)
    out = run.stdout.splitlines()
    start = out.index("    msg: |-") + 1
    table = [line.strip() for line in out[start : start + 4]]
    assert [line.split()[:3] for line in table] == [
        ["host", "check", "status"],
        ["vps1", "forecast", "ok"],
        ["vps1", "disk", "failing"],
        ["vps2", "-", "error"],
    ], run.stdout
    assert table[2].endswith("2026-11-30 01:00  5 % free")
    assert table[3].endswith("site.yml --tags watchdog installs it"), table[3]
