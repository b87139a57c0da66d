"""swissenergy-watchdog [--config FILE] [--status [--json]]

Without --status: run every enabled check, record the states, send what changed (the
systemd timer's run). With --status: run the checks and print them; change nothing, send
nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from swissenergy_watchdog import alerts, channels, checks
from swissenergy_watchdog.probes import HostProbes, Probes
from swissenergy_watchdog.result import Result

DEFAULT_CONFIG = "/etc/swissenergy-watchdog/config.json"


def load_json(path: str, default: Any = None) -> Any:
    """JSON after leading '#' lines (the config file's "managed by Ansible" header)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        if default is None:
            raise
        return default
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return json.loads("\n".join(lines))


def save_json(path: str, data: Any) -> None:
    """Atomic: a crash mid-write leaves the previous state, never half a file."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".state-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def secrets_of(config: dict[str, Any]) -> list[str]:
    found = [config.get("ping", {}).get("url", "")]
    for ch in config.get("channels", []):
        found += [ch.get("url", ""), ch.get("token", "")]
    return [s for s in found if s]


def redact(text: str, secrets: list[str]) -> str:
    for s in secrets:
        text = text.replace(s, "<redacted>")
    return text


def evaluate(config: dict[str, Any], state: dict[str, Any], p: Probes, now: float) -> list[Result]:
    results = []
    for name, cfg in config["checks"].items():
        if cfg.get("enabled"):
            remembered = state.get("remember", {}).get(name, state["created_at"])
            results.append(checks.run(name, {**cfg, "remembered": remembered}, p, now))
    return results


def notify(
    config: dict[str, Any],
    state: dict[str, Any],
    senders: dict[str, channels.Send],
    now: float,
    say: Callable[[str], None],
) -> None:
    reminder_s = float(config.get("reminder_hours", 24)) * 3600
    for n in alerts.due(state, sorted(senders), now, reminder_s):
        try:
            senders[n.channel](n, config["host"])
        except channels.DeliveryError as exc:
            say(f"{n.channel}: {n.event} of {n.check} not delivered ({exc}); retried next run")
            continue
        alerts.delivered(state, n, now)
        say(f"{n.channel}: {n.event} of {n.check} sent")
    ping = config.get("ping", {})
    if ping.get("url"):
        covered = set(ping.get("checks") or config["checks"])
        bad = [c for c in alerts.failing(state) if c in covered]
        details = {n: c["detail"] for n, c in state["checks"].items()}
        try:
            channels.ping(ping["url"], bad, details)
        except channels.DeliveryError as exc:
            say(f"ping: not delivered ({exc})")


def status_rows(results: list[Result], state: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for r in results:
        known = state.get("checks", {}).get(r.check, {})
        since = known.get("since") if known.get("status") == r.status else None
        at = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%d %H:%M") if since else ""
        rows.append({"check": r.check, "status": r.status, "since": at, "detail": r.detail})
    return rows


def main(
    argv: list[str] | None = None,
    probes: Probes | None = None,
    clock: Callable[[], float] = time.time,
) -> int:
    ap = argparse.ArgumentParser(prog="swissenergy-watchdog", description=__doc__)
    ap.add_argument("--config", default=DEFAULT_CONFIG)
    ap.add_argument("--status", action="store_true", help="print the checks; change nothing")
    ap.add_argument("--json", action="store_true", help="with --status: one JSON document")
    args = ap.parse_args(argv)
    config = load_json(args.config)
    secrets = secrets_of(config)

    def say(line: str) -> None:
        print(redact(line, secrets), flush=True)

    now = clock()
    state = load_json(config["state_file"], alerts.new_state(now))
    p = probes or HostProbes(config["service_url"], config["deploy_state_file"])
    results = evaluate(config, state, p, now)
    if args.status:
        rows = status_rows(results, state)
        if args.json:
            say(json.dumps(rows))
        else:
            for row in rows:
                say(f"{row['check']:<12} {row['status']:<8} {row['since']:<17} {row['detail']}")
        return 0
    for r in results:
        say(f"{r.check}: {r.status}: {r.detail}")
    alerts.advance(state, results, now)
    notify(config, state, channels.from_config(config.get("channels", [])), now, say)
    save_json(config["state_file"], state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
