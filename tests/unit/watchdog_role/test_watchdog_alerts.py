"""The watchdog's runs end to end in-process: fake probes and clock, real HTTP deliveries to a
recording receiver on 127.0.0.1, the state file in a temp dir."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from swissenergy_watchdog import cli
from watchdog_support import NOW, FakeClock, FakeProbes, config, receiver

TOKEN = "tok-5e3cret-91"


def setup(tmp_path: Path, channels: list[dict[str, str]]) -> tuple[Path, dict[str, Any]]:
    cfg = config(tmp_path / "state.json", channels)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    return path, cfg


def run(path: Path, p: FakeProbes, clock: FakeClock, *extra: str) -> None:
    assert cli.main(["--config", str(path), *extra], probes=p, clock=clock) == 0


def updates_events(bodies: list[dict[str, Any]]) -> list[str]:
    return [b["event"] for b in bodies if b["check"] == "updates"]


def test_one_firing_one_resolved_and_a_reminder(tmp_path: Path, capsys: Any) -> None:
    with receiver() as rec:
        path, _ = setup(
            tmp_path, [{"type": "webhook", "name": "webhook1", "url": f"{rec.url}/hook/{TOKEN}"}]
        )
        p, clock = FakeProbes(), FakeClock()
        run(path, p, clock)
        assert rec.posts == []  # healthy: nothing to say
        p.add_runs("failed", "failed", "failed")
        for _ in range(3):
            clock.now += 300
            run(path, p, clock)
        fired = rec.bodies()
        assert [(b["check"], b["event"]) for b in fired] == [("updates", "firing")]
        assert fired[0]["detail"] == "the last 3 updates failed; last error: ENTSO-E answered 503"
        assert fired[0]["host"] == "vps1"
        # A day later (the fake's forecast and load have aged too: they fire on their own).
        clock.now += 24 * 3600
        run(path, p, clock)
        assert updates_events(rec.bodies()) == ["firing", "reminder"]
        p.add_runs("succeeded")
        for _ in range(3):
            clock.now += 300
            run(path, p, clock)
        assert updates_events(rec.bodies()) == ["firing", "reminder", "resolved"]
        assert all(TOKEN not in post["body"] for post in rec.posts)
    assert TOKEN not in capsys.readouterr().out


def test_a_failed_delivery_is_retried_and_never_printed(tmp_path: Path, capsys: Any) -> None:
    with receiver() as rec:
        url = f"{rec.url}/hook/{TOKEN}"
        path, _ = setup(tmp_path, [{"type": "webhook", "name": "webhook1", "url": url}])
        p, clock = FakeProbes(), FakeClock()
        p.disk = (1, 100)
        rec.status = 500
        run(path, p, clock)
        rec.status = 200
        clock.now += 300
        run(path, p, clock)
        clock.now += 300
        run(path, p, clock)
        assert [(b["check"], b["event"]) for b in rec.bodies()] == [("disk", "firing")] * 2
        out = capsys.readouterr().out
    assert "webhook1: firing of disk not delivered (HTTP 500); retried next run" in out
    assert TOKEN not in out and rec.url not in out


def test_status_changes_nothing_and_sends_nothing(tmp_path: Path, capsys: Any) -> None:
    with receiver() as rec:
        path, cfg = setup(tmp_path, [{"type": "webhook", "name": "w", "url": rec.url + "/hook"}])
        p, clock = FakeProbes(), FakeClock()
        p.cert_end = NOW + 3 * 86400
        run(path, p, clock, "--status", "--json")
        assert rec.posts == [] and not Path(cfg["state_file"]).exists()
        rows = json.loads(capsys.readouterr().out)
        assert {r["check"]: r["status"] for r in rows}["certificate"] == "failing"
        run(path, p, clock)
        before = Path(cfg["state_file"]).read_bytes()
        clock.now += 3600
        run(path, p, clock, "--status")
        assert Path(cfg["state_file"]).read_bytes() == before and len(rec.posts) == 1
    table = capsys.readouterr().out.splitlines()
    assert any(
        line.split()[:2] == ["certificate", "failing"] and "2026-05-28 20:26" in line
        for line in table
    )


def test_ntfy_and_ping_channels(tmp_path: Path) -> None:
    with receiver() as rec:
        path, cfg = setup(
            tmp_path,
            [{"type": "ntfy", "name": "ntfy", "url": rec.url + "/ntfy/alerts", "token": TOKEN}],
        )
        cfg["ping"] = {"url": f"{rec.url}/ping/{TOKEN}", "checks": ["updates"]}
        path.write_text(json.dumps(cfg))
        p, clock = FakeProbes(), FakeClock()
        p.disk = (1, 100)  # not covered by the ping
        run(path, p, clock)
        p.add_runs("failed", "failed", "failed")
        run(path, p, clock)
        pings = [x["path"] for x in rec.posts if x["path"].startswith("/ping")]
        assert pings == [f"/ping/{TOKEN}", f"/ping/{TOKEN}/fail"]
        ntfy = [x for x in rec.posts if x["path"] == "/ntfy/alerts"]
        assert [x["headers"]["Title"] for x in ntfy] == ["vps1 disk firing", "vps1 updates firing"]
        assert ntfy[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
        assert all(TOKEN not in x["body"] for x in rec.posts)


def test_email_goes_through_sendmail(tmp_path: Path) -> None:
    spool = tmp_path / "mail"
    sendmail = tmp_path / "sendmail"
    sendmail.write_text(f"#!/bin/sh\ncat >> {spool}\n")
    sendmail.chmod(0o755)
    path, _ = setup(
        tmp_path,
        [
            {
                "type": "email",
                "name": "email",
                "to": "ops@example.org",
                "from": "watchdog@vps1",
                "sendmail": str(sendmail),
            }
        ],
    )
    p, clock = FakeProbes(), FakeClock()
    p.mtimes["/run/reboot-required"] = NOW - 9 * 86400
    run(path, p, clock)
    mail = spool.read_text()
    assert "To: ops@example.org" in mail
    assert "Subject: [FIRING] vps1 reboot: a reboot has been required for 9.0 days" in mail


def test_a_check_turned_off_is_forgotten(tmp_path: Path) -> None:
    with receiver() as rec:
        path, cfg = setup(tmp_path, [{"type": "webhook", "name": "w", "url": rec.url + "/hook"}])
        p, clock = FakeProbes(), FakeClock()
        p.disk = (1, 100)
        run(path, p, clock)
        cfg["checks"]["disk"]["enabled"] = False
        path.write_text(json.dumps(cfg))
        run(path, p, clock)
        assert [b["event"] for b in rec.bodies()] == ["firing"]
        assert "disk" not in json.loads(Path(cfg["state_file"]).read_text())["checks"]


@pytest.mark.parametrize("kind", ["pager"])
def test_an_unknown_channel_type_is_named(tmp_path: Path, kind: str) -> None:
    path, _ = setup(tmp_path, [{"type": kind, "name": "c1", "url": "x"}])
    with pytest.raises(ValueError, match="channel c1: unknown type 'pager'"):
        run(path, FakeProbes(), FakeClock())
