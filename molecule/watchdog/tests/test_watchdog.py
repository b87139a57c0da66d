"""The watchdog on a VPS with the real service: updates fail (the fake ENTSO-E answers 503)
-> one firing alert naming the check and the error; they succeed again -> one resolved
alert; a 3-day certificate and a filling 4 MiB disk fire too; never a duplicate, never a
secret. The tests run in order, each on the state the one before left."""

from __future__ import annotations

import email
import email.policy
import hashlib
import itertools
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from operator_play import run_playbook

SCENARIO_DIR = Path(__file__).resolve().parents[1]
PROJECT_DIR = SCENARIO_DIR.parents[1]
SETTINGS = yaml.safe_load((SCENARIO_DIR / "vars" / "scenario.yml").read_text())
PORT = "18290"  # swissenergy_service_port in molecule.yml
RECEIVER = SETTINGS["watchdog_test_receiver"]
TOKENS = (SETTINGS["watchdog_test_hook_token"], SETTINGS["watchdog_test_ntfy_token"])
FAKE = "http://entsoe.test:8000/_admin"
STATE = "/var/lib/swissenergy-watchdog/state.json"
UNIT = "swissenergy-watchdog.service"
# `systemd-analyze security` of the unit, highest allowed: as measured on Debian 13 (systemd
# 257) with the sandbox, 1.6, and with e-mail on (set-id MTA, writable /var), 2.9. Before it
# (ProtectSystem=full, ProtectHome, PrivateTmp, NoNewPrivileges only): 8.7, and 8.9 with e-mail.
EXPOSURE_MAX = 1.6
EXPOSURE_MAX_EMAIL = 2.9


def received(host) -> list[dict[str, Any]]:
    return json.loads(host.check_output("curl -sf %s/_received", RECEIVER))


def events(host, check: str) -> list[str]:
    """The webhook's events for one check, in order."""
    bodies = [json.loads(p["body"]) for p in received(host) if p["path"].startswith("/hook/")]
    return [b["event"] for b in bodies if b["check"] == check]


def hook_bodies(host, check: str) -> list[dict[str, Any]]:
    bodies = [json.loads(p["body"]) for p in received(host) if p["path"].startswith("/hook/")]
    return [b for b in bodies if b["check"] == check]


def watchdog_runs(host, times: int) -> None:
    """The timer's service, as the timer starts it."""
    for _ in range(times):
        run = host.run("systemctl start swissenergy-watchdog.service")
        assert run.rc == 0, run.stderr


def update(host, timeout: float = 400) -> dict[str, Any]:
    """Start an update and wait for its outcome."""
    started = json.loads(host.check_output("curl -s http://127.0.0.1:%s/update-forecast", PORT))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = json.loads(
            host.check_output("curl -s http://127.0.0.1:%s/runs/%s", PORT, str(started["run_id"]))
        )
        if run["status"] != "running":
            return run
        time.sleep(3)
    pytest.fail(f"update {started['run_id']} still running after {timeout} s")


def test_installed_with_a_root_only_config(host):
    config = host.file("/etc/swissenergy-watchdog/config.json")
    assert (config.user, config.group, config.mode) == ("root", "root", 0o600)
    assert host.file("/var/lib/swissenergy-watchdog").mode == 0o700
    timer = host.service("swissenergy-watchdog.timer")
    assert timer.is_enabled and timer.is_running


def exposure(host) -> float:
    out = host.check_output("systemd-analyze security --no-pager %s", UNIT)
    [level] = re.findall(rf"Overall exposure level for {re.escape(UNIT)}: ([0-9.]+)", out)
    return float(level)


def unit_properties(host, *names: str) -> dict[str, str]:
    out = host.check_output("systemctl show %s --property=%s", UNIT, ",".join(names))
    return dict(line.split("=", 1) for line in out.splitlines())


def test_the_unit_runs_in_a_sandbox(host):
    # Every test after this one runs the checks (HTTP, TLS, docker, systemctl, statfs) in it.
    assert exposure(host) <= EXPOSURE_MAX
    props = unit_properties(
        host, "CapabilityBoundingSet", "NoNewPrivileges", "ProtectSystem", "SystemCallFilter"
    )
    assert props["CapabilityBoundingSet"] == ""
    assert (props["NoNewPrivileges"], props["ProtectSystem"]) == ("yes", "strict")
    allowed = set(props["SystemCallFilter"].split())
    assert "socket" in allowed and "setuid" not in allowed


def test_a_healthy_service_alerts_only_the_short_certificate(host):
    assert update(host)["status"] == "succeeded"
    watchdog_runs(host, 2)
    assert events(host, "updates") == []
    assert events(host, "disk") == []
    [cert] = hook_bodies(host, "certificate")
    assert cert["event"] == "firing" and cert["host"] == "watchdog-vps"
    assert re.fullmatch(
        r"the certificate of short\.test expires in [23]\.\d days \(limit 14\)", cert["detail"]
    ), cert
    state = json.loads(host.file(STATE).content_string)
    assert {n: c["status"] for n, c in state["checks"].items()} == {
        "forecast": "ok",
        "updates": "ok",
        "actual_load": "ok",
        "service": "ok",
        "certificate": "failing",
        "disk": "ok",
        "reboot": "ok",
    }


def test_failing_updates_fire_once_naming_the_error(host):
    host.run_test(
        """curl -sf -d '{"kind": "status", "status": 503, "times": 100000}' %s/faults""", FAKE
    )
    for _ in range(3):
        assert update(host)["status"] == "failed"
        watchdog_runs(host, 1)
    watchdog_runs(host, 2)
    [fired] = hook_bodies(host, "updates")
    assert fired["event"] == "firing"
    assert fired["detail"].startswith("the last 3 updates failed; last error: ")
    assert "HTTP 503" in fired["detail"]
    ntfy = [p for p in received(host) if p["path"] == "/ntfy/alerts"]
    assert [p["headers"]["Title"] for p in ntfy].count("watchdog-vps updates firing") == 1


def test_succeeding_updates_resolve_once(host):
    host.run_test("curl -sf -X POST %s/reset", FAKE)
    assert update(host)["status"] == "succeeded"
    watchdog_runs(host, 3)
    assert events(host, "updates") == ["firing", "resolved"]


def test_a_filling_disk_fires_and_resolves(host):
    disk = SETTINGS["watchdog_test_disk"]
    host.run_test("dd if=/dev/zero of=%s/fill bs=1M count=3 status=none", disk)
    watchdog_runs(host, 2)
    fired_all = hook_bodies(host, "disk")
    assert len(fired_all) == 1, (
        fired_all,
        host.check_output("df -k %s; ls -l %s", disk, disk),
        host.check_output("journalctl -u swissenergy-watchdog -n 40 --no-pager -o short-precise"),
    )
    [fired] = fired_all
    assert fired["event"] == "firing" and f"free on {disk} (limit 50 %)" in fired["detail"]
    host.run_test("rm %s/fill", disk)
    watchdog_runs(host, 2)
    assert events(host, "disk") == ["firing", "resolved"]


def test_no_duplicate_alert_on_any_channel(host):
    seen: dict[tuple[str, str], list[str]] = {}
    for p in received(host):
        if p["path"].startswith("/hook/"):
            body = json.loads(p["body"])
            seen.setdefault(("hook", body["check"]), []).append(body["event"])
        elif p["path"] == "/ntfy/alerts":
            check, event = p["headers"]["Title"].split()[1:]
            seen.setdefault(("ntfy", check), []).append(event)
    for key, sequence in seen.items():
        assert all(a != b for a, b in itertools.pairwise(sequence)), (key, sequence)
    assert seen[("ntfy", "updates")] == seen[("hook", "updates")] == ["firing", "resolved"]


def test_no_secret_in_alerts_journal_or_ansible_log(host):
    posts = received(host)
    assert posts
    for p in posts:
        assert not any(t in p["body"] for t in TOKENS), p
        assert not any(t in p["headers"].get("Title", "") for t in TOKENS), p
    # The ntfy token travels where it must, in the Authorization header only.
    assert {p["headers"].get("Authorization") for p in posts if p["path"] == "/ntfy/alerts"} == {
        f"Bearer {TOKENS[1]}"
    }
    journal = host.check_output("journalctl -u swissenergy-watchdog --no-pager -o cat")
    assert "updates: failing: the last 3 updates failed" in journal
    assert not any(t in journal for t in TOKENS)
    log = (PROJECT_DIR / ".cache" / "watchdog-ansible.log").read_text()
    assert "Watch it" in log or "watchdog" in log
    assert not any(t in log for t in TOKENS)


def test_status_changes_nothing_and_sends_nothing(host):
    before = hashlib.sha256(host.file(STATE).content).hexdigest(), len(received(host))
    table = host.check_output("swissenergy-watchdog --status")
    rows = {line.split()[0]: line.split()[1] for line in table.splitlines()}
    assert rows["certificate"] == "failing" and rows["updates"] == "ok", table
    assert (hashlib.sha256(host.file(STATE).content).hexdigest(), len(received(host))) == before


def test_the_status_playbook_prints_one_table():
    run, _ = run_playbook(
        os.environ["MOLECULE_INVENTORY_FILE"],
        str(PROJECT_DIR / "playbooks" / "status.yml"),
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "changed=0" in run.stdout
    lines = [line for line in run.stdout.splitlines() if "watchdog-vps" in line]
    assert any("certificate" in line and "failing" in line for line in lines), run.stdout[-3000:]
    assert any(" updates " in line and " ok " in line for line in lines), run.stdout[-3000:]


def root_mails(host) -> list[email.message.EmailMessage]:
    mbox = host.file("/var/mail/root")
    if not mbox.exists:
        return []
    raw = re.split(r"^From \S+ .*\n", mbox.content_string, flags=re.MULTILINE)
    return [email.message_from_string(m, policy=email.policy.default) for m in raw if m.strip()]


def test_email_alerts_pass_the_sandbox_and_reach_the_mta(host):
    """Last: the role re-applied with e-mail on; postfix's setgid postdrop runs in the unit."""
    run, _ = run_playbook(
        os.environ["MOLECULE_INVENTORY_FILE"], str(SCENARIO_DIR / "email.yml"), timeout=300
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert exposure(host) <= EXPOSURE_MAX_EMAIL
    assert unit_properties(host, "NoNewPrivileges")["NoNewPrivileges"] == "no"
    disk = SETTINGS["watchdog_test_disk"]
    host.run_test("dd if=/dev/zero of=%s/fill bs=1M count=3 status=none", disk)
    try:
        watchdog_runs(host, 1)
    finally:
        host.run_test("rm %s/fill", disk)
    # The new channel gets what is failing now: the short certificate and the filled disk.
    deadline = time.monotonic() + 60
    while len(mails := root_mails(host)) < 2 and time.monotonic() < deadline:
        time.sleep(2)
    journal = host.check_output("journalctl -u %s -n 20 --no-pager -o cat", UNIT)
    # A long subject may be folded right after "Subject:", leaving a leading space.
    subjects = sorted(str(m["Subject"]).strip().split(":")[0] for m in mails)
    assert subjects == [
        "[FIRING] watchdog-vps certificate",
        "[FIRING] watchdog-vps disk",
    ], journal
    for mail in mails:
        assert mail["From"] == "swissenergy-watchdog@watchdog-vps"
        assert json.loads(mail.get_content())["event"] == "firing"
        assert not any(t in str(mail) for t in TOKENS)
