"""Real ansible-playbook runs against this machine, as the one host of the `vps` group and of
its children `edge` and `app` (what site.yml's plays target, as in inventory/local), for the
tests that check a play's behaviour rather than a template."""

from __future__ import annotations

import json
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


def derived_vars(
    tmp_path: Path, inventory: Path, hosts: str, vars_files: list[str], names: list[str]
) -> dict[str, dict]:
    """The values of `names` on each host of `hosts` once the playbooks' `vars_files` (names
    under playbooks/vars) are loaded, by a real ansible-playbook run: host -> name -> value."""
    out = tmp_path / "out"
    out.mkdir()
    play = {
        "name": "The derived values",
        "hosts": hosts,
        "gather_facts": False,
        "vars_files": [str(REPO_ROOT / "playbooks" / "vars" / name) for name in vars_files],
        "tasks": [
            {
                "name": "Write them",
                "ansible.builtin.copy": {
                    "content": "{{ {" + ", ".join(f"'{n}': {n}" for n in names) + "} | to_json }}",
                    "dest": f"{out}/{{{{ inventory_hostname }}}}.json",
                    "mode": "0644",
                },
            }
        ],
    }
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([play]))
    run = ansible_playbook(inventory, playbook)
    assert run.returncode == 0, run.stdout[-3000:]
    return {path.stem: json.loads(path.read_text()) for path in out.glob("*.json")}
