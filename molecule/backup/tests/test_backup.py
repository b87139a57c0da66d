"""Backups with a tested restore: the timer's unit backs the database up to a real SFTP host;
after the data volume is destroyed, playbooks/restore.yml brings back the same forecast, run
history and rows. A wrong password or an unreachable host fails the unit with a clear journal
line and loses nothing; no secret shows in any log. The tests run in order and build on each
other (a forecast, then a backup, then a restore, ...)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from deploy_state import active

testinfra_hosts = ["ansible://backup-vps"]

SCENARIO_DIR = Path(__file__).resolve().parents[1]
REPO = SCENARIO_DIR.parents[1]
SETTINGS = yaml.safe_load((SCENARIO_DIR / "molecule.yml").read_text())["provisioner"]["inventory"][
    "group_vars"
]["vps"]
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
PASSWORD = (EPHEMERAL / "backup_password").read_text()
PING_TOKEN = (EPHEMERAL / "ping_token").read_text()
SLOTS = SETTINGS["swissenergy_release_ports"]
VOLUME = SETTINGS["swissenergy_data_volume"]
LOG = REPO / ".cache" / "backup-ansible.log"
SCRIPT = "/usr/local/sbin/swissenergy-backup"
UNIT = "swissenergy-backup.service"
STATE: dict = {}


def private_key_lines() -> list[str]:
    key = (EPHEMERAL / "backup_key").read_text()
    return [line for line in key.splitlines() if "PRIVATE KEY" not in line]


def get_json(host, path: str) -> tuple[int, dict]:
    port = str(SLOTS[active(host)["slot"]])
    result = host.run("curl -s -o /tmp/body -w '%%{http_code}' http://127.0.0.1:%s%s", port, path)
    body = host.run("cat /tmp/body").stdout
    try:
        return int(result.stdout or 0), json.loads(body)
    except json.JSONDecodeError:
        return int(result.stdout or 0), {"raw": body}


def wait_for_update(host, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, run = get_json(host, "/runs/latest")
        if status == 200 and run.get("status") != "running":
            return run
        time.sleep(3)
    pytest.fail("the update did not finish")


def database(host) -> dict:
    """What must survive: the latest forecast, every run, the row count of every table."""
    status, forecast = get_json(host, "/forecast")
    assert status == 200, forecast
    latest = get_json(host, "/runs/latest")[1]
    runs = [get_json(host, f"/runs/{i}")[1] for i in range(1, latest["id"] + 1)]
    host.run_test(f"{SCRIPT} copy-live /var/lib/swissenergy-backup/restore/check.sqlite3")
    inspected = json.loads(
        host.check_output(f"{SCRIPT} inspect /var/lib/swissenergy-backup/restore/check.sqlite3")
    )
    assert inspected["integrity"] == ["ok"]
    return {"forecast": forecast, "runs": runs, "rows": inspected["rows"]}


def backup_unit(host) -> tuple[bool, str]:
    """Starts the timer's unit as the timer does; its result and its journal lines."""
    since = host.check_output("date +%s")
    ok = host.run(f"systemctl start {UNIT}").rc == 0
    journal = host.check_output(f"journalctl -u {UNIT} --since @{since} --no-pager -o cat")
    return ok, journal


def pings() -> list[str]:
    """The paths the backup host's ping receiver was asked for, oldest first."""
    journal = subprocess.run(
        ["docker", "exec", "backup-sftp", "journalctl", "-u", "ping-receiver", "-o", "cat"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return re.findall(r'"GET (/\S+) HTTP', journal)


def snapshots(host) -> list[dict]:
    return json.loads(host.check_output(f"{SCRIPT} list"))


def playbook(name: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(REPO / name), *extra],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=os.environ
        | {
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
            "ANSIBLE_LIBRARY": str(REPO / "library"),
            "ANSIBLE_MODULE_UTILS": str(REPO / "module_utils"),
            "ANSIBLE_LOG_PATH": str(LOG),
            "ANSIBLE_DIFF_ALWAYS": "true",
        },
    )


def test_timer_is_enabled_with_a_random_delay(host):
    assert host.run("systemctl is-enabled swissenergy-backup.timer").stdout.strip() == "enabled"
    delay = host.check_output("systemctl show -P RandomizedDelayUSec swissenergy-backup.timer")
    assert delay == "30min"


def test_the_unit_runs_in_a_sandbox(host):
    show = host.check_output(
        f"systemctl show {UNIT} -P ProtectSystem -P NoNewPrivileges -P ProtectHome"
    ).split()
    assert sorted(show) == ["read-only", "strict", "yes"], show
    report = host.check_output(f"systemd-analyze security --no-pager {UNIT}")
    exposure = float(re.search(rf"Overall exposure level for {UNIT}: ([\d.]+)", report)[1])
    assert exposure < 5.0, report[-2000:]


def test_secrets_are_in_root_only_files(host):
    for path in ("/etc/swissenergy-backup/password", "/etc/swissenergy-backup/env"):
        f = host.file(path)
        assert (f.user, f.group, f.mode) == ("root", "root", 0o600), path
    assert host.file("/etc/swissenergy-backup").mode == 0o700
    assert host.file("/etc/swissenergy-backup/password").content_string == PASSWORD


def test_a_forecast_to_protect(host):
    assert get_json(host, "/update-forecast")[0] == 202
    assert wait_for_update(host)["status"] == "succeeded"
    STATE["before"] = database(host)
    assert STATE["before"]["rows"]["forecast_point"] > 0


def test_the_timer_unit_backs_up_and_checks(host):
    pinged = len(pings())
    ok, journal = backup_unit(host)
    assert ok, journal
    assert pings()[pinged:] == [f"/ok/{PING_TOKEN}"]
    assert f"backup of release {active(host)['release']} succeeded" in journal
    assert "repository check passed" in journal
    snaps = snapshots(host)
    assert len(snaps) == 1 and "swissenergy" in snaps[0]["tags"]
    STATE["first"] = snaps[0]["id"]
    # The repository on the backup host is restic's (encrypted): no SQLite file in it.
    found = subprocess.run(
        ["docker", "exec", "backup-sftp", "grep", "-rl", "SQLite format 3", "/srv/restic"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 1 and not found.stdout, found.stdout
    assert (
        subprocess.run(
            ["docker", "exec", "backup-sftp", "test", "-f", "/srv/restic/swissenergy/config"],
            check=False,
        ).returncode
        == 0
    )


def test_restore_after_losing_the_data_volume(host):
    slot = active(host)["slot"]
    host.run_test(f"docker rm -f swissenergy-backend-{slot}")
    host.run_test(f"docker volume rm {VOLUME}")
    assert host.run(f"docker volume inspect {VOLUME}").rc != 0
    run = playbook("playbooks/restore.yml")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert f"Restored snapshot {STATE['first'][:8]}" in run.stdout
    after = database(host)
    assert after["forecast"] == STATE["before"]["forecast"]
    assert after["runs"] == STATE["before"]["runs"]
    assert after["rows"] == STATE["before"]["rows"]


def test_a_backup_during_an_update_restores_to_a_sound_database(host):
    assert get_json(host, "/update-forecast")[0] == 202
    assert get_json(host, "/runs/latest")[1]["status"] == "running"
    ok, journal = backup_unit(host)
    assert ok, journal
    during = snapshots(host)[-1]["id"]
    fetched = json.loads(
        host.check_output(f"{SCRIPT} fetch {during} /var/lib/swissenergy-backup/restore/d.sqlite3")
    )
    assert fetched["integrity"] == ["ok"]
    assert wait_for_update(host)["status"] == "succeeded"
    STATE["newer"] = database(host)
    assert STATE["newer"]["forecast"]["id"] != STATE["before"]["forecast"]["id"]


def test_restore_refuses_a_newer_database_unless_forced(host):
    run = playbook("playbooks/restore.yml", "-e", f"snapshot={STATE['first']}")
    assert run.returncode != 0
    out = " ".join((run.stdout + run.stderr).split())
    assert "Refusing to restore" in out and "-e force=true" in out, out[-3000:]
    assert get_json(host, "/forecast")[1] == STATE["newer"]["forecast"]

    run = playbook("playbooks/restore.yml", "-e", f"snapshot={STATE['first']}", "-e", "force=true")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert database(host) == STATE["before"]
    assert host.file("/var/lib/swissenergy-backup/restore/pre-restore.sqlite3").exists


def test_a_wrong_password_fails_the_unit_and_loses_nothing(host):
    before = snapshots(host)
    pinged = len(pings())
    host.run_test("cp -p /etc/swissenergy-backup/password /root/password.saved")
    try:
        host.run_test("printf wrong-password > /etc/swissenergy-backup/password")
        ok, journal = backup_unit(host)
    finally:
        host.run_test("mv /root/password.saved /etc/swissenergy-backup/password")
    assert not ok
    assert host.run(f"systemctl is-failed {UNIT}").stdout.strip() == "failed"
    assert "restic backup: wrong repository password" in journal, journal
    assert snapshots(host) == before
    assert pings()[pinged:] == [f"/fail/{PING_TOKEN}"]
    host.run(f"systemctl reset-failed {UNIT}")


def test_an_unreachable_backup_host_fails_the_unit_and_loses_nothing(host):
    before = snapshots(host)
    subprocess.run(["docker", "exec", "backup-sftp", "systemctl", "stop", "ssh"], check=True)
    try:
        ok, journal = backup_unit(host)
    finally:
        subprocess.run(["docker", "exec", "backup-sftp", "systemctl", "start", "ssh"], check=True)
    assert not ok
    assert "backup host backup.test:22 is unreachable" in journal, journal
    assert snapshots(host) == before
    ok, journal = backup_unit(host)
    assert ok, journal
    # The next run works again; retention (one per day, and the oldest) decides what stays.
    after = snapshots(host)
    assert after[-1]["id"] not in [s["id"] for s in before]
    assert after[0] == before[0]


def test_no_secret_in_the_process_list_during_a_run(host):
    """Every process's command line, sampled every 50 ms while the timer's unit runs."""
    sampled = host.check_output(
        f"systemctl start --no-block {UNIT}; "
        f"for _ in $(seq 100); do [ $(systemctl show -P ActiveState {UNIT}) = activating ] "
        "&& break; sleep 0.05; done; "
        f"while [ $(systemctl show -P ActiveState {UNIT}) = activating ]; do "
        "ps -eww -o args=; sleep 0.05; done"
    )
    assert host.run(f"systemctl is-failed {UNIT}").rc != 0, "the run failed"
    assert re.search(r"^restic .*backup", sampled, re.M), "the samples must catch restic at work"
    assert PASSWORD not in sampled
    assert PING_TOKEN not in sampled
    for line in private_key_lines():
        assert line not in sampled


def _bucket_keys(when: datetime) -> tuple:
    iso = when.isocalendar()
    return (when.date(), (iso.year, iso.week), (when.year, when.month))


def expected_survivors(snaps: list[dict], keep: tuple[int, int, int]) -> set[str]:
    """restic's forget policy: newest first, each rule (daily, weekly, monthly) keeps a snapshot
    whose day, ISO week or month differs from the last one it kept, while it has count left."""
    left, last, survivors = list(keep), [None, None, None], set()
    for snap in sorted(snaps, key=lambda s: s["when"], reverse=True):
        for rule, key in enumerate(_bucket_keys(snap["when"])):
            if left[rule] and key != last[rule]:
                left[rule] -= 1
                last[rule] = key
                survivors.add(snap["id"])
    return survivors


def parse_time(text: str) -> datetime:
    # restic writes nanoseconds; Python reads at most microseconds.
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d*", r"\1", text))


def test_retention_keeps_what_the_policy_says(host):
    """Older snapshots (restic backup --time) across five months, then the timer's run, whose
    forget --prune applies backup_keep_daily/weekly/monthly."""
    days_ago = [1, 2, 4, 6, 9, 13, 20, 33, 47, 64, 95, 130]
    host.run_test(
        "set -a; . /etc/swissenergy-backup/env; set +a; "
        f"eval \"$(sed -n 's/^readonly SFTP_COMMAND=/SFTP_COMMAND=/p' {SCRIPT})\"; "
        f"for d in {' '.join(map(str, days_ago))}; do "
        'restic -o "sftp.command=$SFTP_COMMAND" backup --quiet --host "$(hostname)" '
        '--tag swissenergy --time "$(date -d "$d days ago 12:00" "+%F %T")" /etc/hostname; done'
    )
    before = [s | {"when": parse_time(s["time"])} for s in snapshots(host)]
    assert len(before) > len(days_ago)
    ok, journal = backup_unit(host)
    assert ok, journal
    after = snapshots(host)
    keep = (
        SETTINGS["backup_keep_daily"],
        SETTINGS["backup_keep_weekly"],
        SETTINGS["backup_keep_monthly"],
    )
    newest = after[-1] | {"when": parse_time(after[-1]["time"])}
    assert {s["id"] for s in after} == expected_survivors([*before, newest], keep)
    assert len(after) < len(before)


def test_the_secrets_appear_in_no_log(host):
    ansible_log = LOG.read_text()
    assert "Restored snapshot" in ansible_log, "the log must hold the restores to be a real test"
    journal = host.check_output("journalctl --no-pager -o cat")
    for text, where in ((ansible_log, "the Ansible log"), (journal, "the VPS's journal")):
        assert PASSWORD not in text, where
        assert PING_TOKEN not in text, where
        for line in private_key_lines():
            assert line not in text, where
