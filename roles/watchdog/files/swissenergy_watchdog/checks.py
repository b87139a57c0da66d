"""The checks: each reads its probes, compares with its threshold and says ok or failing.

A check whose input cannot be read says "unknown" (no alert either way): the service's
reachability is the `service` check's to report, once, not every check's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from swissenergy_watchdog.probes import ProbeError, Probes
from swissenergy_watchdog.result import Result, failing, ok, unknown

Check = Callable[[dict[str, Any], Probes, float], Result]
HOUR, DAY = 3600.0, 86400.0


def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _hours(seconds: float) -> str:
    return f"{seconds / HOUR:.1f} h"


FIRST_UPDATE = "waiting for the first update"


def _first_update_pending(p: Probes) -> bool:
    """A fresh deployment: no update has run yet, or the first one still runs. Until then no
    forecast, no actual load and no readiness are expected (unknown, not an alert)."""
    code, latest = p.service_json("/runs/latest")
    return code == 404 or (latest.get("status") == "running" and int(latest.get("id", 0)) <= 1)


def forecast(cfg: dict[str, Any], p: Probes, now: float) -> Result:
    code, body = p.service_json("/forecast")
    if code == 404 and _first_update_pending(p):
        return unknown("forecast", FIRST_UPDATE)
    if code == 404:
        return failing("forecast", "no forecast is published")
    if code != 200:
        return unknown("forecast", f"/forecast answered {code}")
    age = now - _ts(body["created_at"])
    if age > cfg["max_age_hours"] * HOUR:
        limit = cfg["max_age_hours"]
        return failing("forecast", f"the forecast is {_hours(age)} old (limit {limit} h)")
    local = datetime.fromtimestamp(now, ZoneInfo(cfg["timezone"]))
    due = local.date() + timedelta(days=1 if local.hour >= cfg["tomorrow_after_hour"] else 0)
    target = date.fromisoformat(body["target_day"])
    if target < due:
        return failing("forecast", f"the forecast is for {target}, {due} is due")
    return ok("forecast", f"for {target}, {_hours(age)} old")


def updates(cfg: dict[str, Any], p: Probes, now: float) -> Result:
    code, latest = p.service_json("/runs/latest")
    if code == 404:
        return ok("updates", "no update has run yet")
    if code != 200:
        return unknown("updates", f"/runs/latest answered {code}")
    wanted, finished, run = int(cfg["failed_runs"]), [], latest
    # Walk back from the newest run; one still running has no outcome yet (at most one runs
    # at a time, a few more were stale ones closed since: a bounded walk).
    newest = int(latest["id"])
    for run_id in range(newest, max(0, newest - 3 * wanted), -1):
        if run_id != newest:
            code, run = p.service_json(f"/runs/{run_id}")
            if code != 200:
                continue
        if run["status"] != "running":
            finished.append(run)
        if len(finished) == wanted:
            break
    if len(finished) == wanted and all(r["status"] == "failed" for r in finished):
        error = finished[0].get("error") or "no error recorded"
        return failing("updates", f"the last {wanted} updates failed; last error: {error}")
    last = finished[0]["status"] if finished else "running"
    return ok("updates", f"last finished update {last}")


def actual_load(cfg: dict[str, Any], p: Probes, now: float) -> Result:
    newest = p.metrics().get("swissenergy_actual_load_latest_timestamp_seconds")
    if newest is None or newest != newest:  # absent, or NaN: no actual load stored yet
        if _first_update_pending(p):
            return unknown("actual_load", FIRST_UPDATE)
        return failing("actual_load", "no actual load is stored")
    age = now - newest
    if age > cfg["max_age_hours"] * HOUR:
        limit = cfg["max_age_hours"]
        detail = f"the newest actual load is {_hours(age)} old (limit {limit} h)"
        return failing("actual_load", detail)
    return ok("actual_load", f"newest {_hours(age)} old")


def service(cfg: dict[str, Any], p: Probes, now: float) -> Result:
    try:
        code, body = p.service_json("/ready")
    except ProbeError as exc:
        return failing("service", f"not answering: {exc}")
    if code != 200 and _first_update_pending(p):
        return unknown("service", FIRST_UPDATE)
    if code != 200:
        return failing("service", f"not ready: {body.get('reason', code)}")
    slot = p.deploy_state()["active"]["slot"]
    name = f"{cfg['container_prefix']}-{slot}"
    state = p.container_state(name)
    health = (state.get("Health") or {}).get("Status", "none")
    if state.get("Restarting") or not state.get("Running"):
        return failing("service", f"container {name} is {state.get('Status', 'not running')}")
    if health not in ("healthy", "none"):
        return failing("service", f"container {name} is {health}")
    return ok("service", f"ready, container {name} {health}")


def certificate(cfg: dict[str, Any], p: Probes, now: float) -> Result:
    end = p.certificate_not_after(cfg["address"], int(cfg["port"]), cfg["server_name"])
    left = (end - now) / DAY
    if left < cfg["min_days"]:
        return failing(
            "certificate",
            f"the certificate of {cfg['server_name']} expires in {left:.1f} days "
            f"(limit {cfg['min_days']})",
        )
    return ok("certificate", f"{left:.0f} days left")


def disk(cfg: dict[str, Any], p: Probes, now: float) -> Result:
    path = cfg["path"] or p.volume_mountpoint(cfg["volume"])
    free, total = p.disk_usage(path)
    percent = 100.0 * free / total if total else 0.0
    if percent < cfg["min_free_percent"]:
        return failing(
            "disk", f"{percent:.1f} % free on {path} (limit {cfg['min_free_percent']} %)"
        )
    return ok("disk", f"{percent:.0f} % free on {path}")


def backup(cfg: dict[str, Any], p: Probes, now: float) -> Result:
    """cfg["remembered"]: the last success seen before, or when the watchdog started."""
    props = p.unit_properties(cfg["unit"])
    if props.get("LoadState") != "loaded":
        return failing("backup", f"{cfg['unit']} is not installed")
    last = float(cfg["remembered"])
    if props.get("Result") == "success" and props.get("ExecMainStatus") == "0":
        stamp = props.get("ExecMainExitTimestamp", "").lstrip("@")
        if stamp.isdigit():
            last = max(last, float(stamp))
    age = now - last
    if age > cfg["max_age_hours"] * HOUR:
        limit = cfg["max_age_hours"]
        detail = f"no successful backup for {_hours(age)} (limit {limit} h)"
        return Result("backup", "failing", detail, remember=last)
    return Result("backup", "ok", f"last success {_hours(age)} ago", remember=last)


def reboot(cfg: dict[str, Any], p: Probes, now: float) -> Result:
    since = p.file_mtime(cfg["file"])
    if since is None:
        return ok("reboot", "no reboot required")
    days = (now - since) / DAY
    if days > cfg["max_days"]:
        return failing("reboot", f"a reboot has been required for {days:.1f} days")
    return ok("reboot", f"reboot required for {days:.1f} days (limit {cfg['max_days']})")


CHECKS: dict[str, Check] = {
    "forecast": forecast,
    "updates": updates,
    "actual_load": actual_load,
    "service": service,
    "certificate": certificate,
    "disk": disk,
    "backup": backup,
    "reboot": reboot,
}


def run(name: str, cfg: dict[str, Any], p: Probes, now: float) -> Result:
    try:
        return CHECKS[name](cfg, p, now)
    except ProbeError as exc:
        return unknown(name, str(exc))
    except (KeyError, ValueError, TypeError) as exc:
        return unknown(name, f"unexpected input: {type(exc).__name__}: {exc}")
