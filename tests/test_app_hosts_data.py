"""Data on several app hosts (shared-nothing), as real ansible-playbook runs see an inventory:
each app host's update job at its own staggered minute, the backup and restore plays on the
first app host only, and the watchdog's backup check on that host only (elsewhere it would
alert about backups that never run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from localhost_play import REPO_ROOT, ansible_playbook, local_host

# Not in name order: "first" is the inventory's order, for the plays and the roles alike.
APPS = ["app-c", "app-a", "app-b"]
BACKUP = {"backup_sftp_host": "backup.example", "backup_password": "not-a-real-secret-0123"}


def inventory(tmp_path: Path, apps: list[str], edge: str = "edge-1") -> Path:
    hosts = {name: local_host() for name in [edge, *apps]}
    children = {
        "edge": {"hosts": {edge: hosts[edge]}},
        "app": {"hosts": {name: hosts[name] for name in apps}},
    }
    path = tmp_path / "hosts.yml"
    path.write_text(
        yaml.safe_dump({"vps": {"children": children, "vars": BACKUP}}, sort_keys=False)
    )
    return path


def play_hosts(inv: Path, playbook: str) -> list[list[str]]:
    """Each play's hosts, from ansible-playbook --list-hosts."""
    run = subprocess.run(
        [Path(sys.executable).parent / "ansible-playbook", "-i", inv, playbook, "--list-hosts"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    plays: list[list[str]] = []
    for line in run.stdout.splitlines():
        if line.strip().startswith("hosts ("):
            plays.append([])
        elif plays and line.startswith("      ") and line.strip():
            plays[-1].append(line.strip())
    return plays


def per_host(tmp_path: Path, inv: Path) -> dict[str, dict]:
    """The cron job's minute and the watchdog's backup switch each app host gets (the roles'
    defaults and vars, their tasks skipped)."""
    out = tmp_path / "out"
    out.mkdir()
    play = [
        {
            "name": "What each app host gets",
            "hosts": "app",
            "gather_facts": False,
            "roles": [{"role": role, "when": False} for role in ("cron", "watchdog")],
            "tasks": [
                {
                    "name": "Write them",
                    "ansible.builtin.copy": {
                        "content": "{{ {'minute': __cron_minute | string | trim, "
                        "'backup_check': watchdog_backup_enabled | bool} | to_json }}",
                        "dest": f"{out}/{{{{ inventory_hostname }}}}.json",
                    },
                }
            ],
        }
    ]
    playbook = tmp_path / "per_host.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    run = ansible_playbook(inv, playbook)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return {p.stem: json.loads(p.read_text()) for p in out.iterdir()}


@pytest.mark.parametrize("count", [1, 2, 3])
def test_updates_are_staggered_and_one_host_backs_up(tmp_path: Path, count: int) -> None:
    apps = APPS[:count]
    got = per_host(tmp_path, inventory(tmp_path, apps))
    assert {h: got[h]["minute"] for h in apps} == dict(zip(apps, ["15", "20", "25"], strict=False))
    assert {h: got[h]["backup_check"] for h in apps} == {h: h == "app-c" for h in apps}


def test_the_backup_and_restore_plays_target_the_first_app_host_only(tmp_path: Path) -> None:
    inv = inventory(tmp_path, APPS)
    assert play_hosts(inv, "playbooks/backup.yml") == [["app-c"]]
    assert play_hosts(inv, "playbooks/restore.yml") == [["app-c"]]
    # Every app host updates (--list-hosts does not keep the inventory's order).
    assert [sorted(p) for p in play_hosts(inv, "playbooks/cron.yml")] == [sorted(APPS)]


def test_a_single_host_still_backs_up(tmp_path: Path) -> None:
    inv = tmp_path / "hosts.yml"
    both = {"hosts": {"vps": local_host()}}
    inv.write_text(
        yaml.safe_dump({"vps": {"children": {"edge": both, "app": {"hosts": {"vps": {}}}}}})
    )
    assert play_hosts(inv, "playbooks/backup.yml") == [["vps"]]


def test_a_minute_that_cannot_be_staggered_is_refused_with_the_fix(tmp_path: Path) -> None:
    inv = inventory(tmp_path, APPS[:2])
    play = [
        {
            "name": "The update job",
            "hosts": APPS[1],  # the second app host: its minute is staggered
            "gather_facts": False,
            # Nothing on this machine changes, even if the check let the job through.
            "check_mode": True,
            "vars": {"cron_update_minute": "*/20"},
            # The role's defaults and vars, its job's tasks alone (no facts, no packages).
            "roles": [{"role": "cron", "when": False}],
            "tasks": [
                {
                    "name": "Schedule it",
                    "ansible.builtin.include_tasks": str(REPO_ROOT / "roles/cron/tasks/job.yml"),
                }
            ],
        }
    ]
    playbook = tmp_path / "job.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    run = ansible_playbook(inv, playbook)
    assert run.returncode != 0
    assert "cron_update_minute is */20" in run.stdout
    assert "Set one, or cron_update_stagger_minutes: 0" in run.stdout
    # It stopped at the check, before the job's first task (the role's listed, skipped run
    # comes before it).
    _, after = run.stdout.split(f"fatal: [{APPS[1]}]", 1)
    assert "TASK [" not in after
