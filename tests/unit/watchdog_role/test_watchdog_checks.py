"""The watchdog's checks against fake probes and a fake clock (roles/watchdog/files)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from swissenergy_watchdog import checks, der
from watchdog_support import NOW, FakeProbes, config


def run(name: str, p: FakeProbes, now: float = NOW, **cfg: Any) -> tuple[str, str]:
    c = {**config(Path("/x"))["checks"][name], "remembered": NOW - 7200}
    r = checks.run(name, {**c, **cfg}, p, now)
    return r.status, r.detail


def test_a_healthy_host_passes_every_check() -> None:
    p = FakeProbes()
    assert {n: run(n, p)[0] for n in checks.CHECKS} == dict.fromkeys(checks.CHECKS, "ok")


def test_updates_fail_only_when_the_last_k_finished_runs_failed() -> None:
    p = FakeProbes()
    p.add_runs("failed", "failed")
    assert run("updates", p)[0] == "ok"
    p.add_runs("failed", "running")  # the running one has no outcome yet
    status, detail = run("updates", p)
    assert status == "failing"
    assert detail == "the last 3 updates failed; last error: ENTSO-E answered 503"
    p.add_runs("succeeded")
    assert run("updates", p)[0] == "ok"
    assert run("updates", p, failed_runs=1)[0] == "ok"


def test_forecast_too_old_or_for_a_past_day() -> None:
    p = FakeProbes()
    p.forecast = (200, {"created_at": "2026-05-27T18:00:00Z", "target_day": "2026-05-29"})
    assert run("forecast", p) == ("failing", "the forecast is 26.4 h old (limit 26 h)")
    # 22:26 in Zurich: tomorrow's forecast is due since 15:00, today's is not enough.
    p.forecast = (200, {"created_at": "2026-05-28T08:00:00Z", "target_day": "2026-05-28"})
    assert run("forecast", p) == ("failing", "the forecast is for 2026-05-28, 2026-05-29 is due")
    assert run("forecast", p, tomorrow_after_hour=23)[0] == "ok"
    p.forecast = (404, {"detail": "none"})
    assert run("forecast", p) == ("failing", "no forecast is published")


def test_service_down_fails_the_service_check_only() -> None:
    p = FakeProbes()
    p.down = True
    assert run("service", p)[0] == "failing"
    assert run("forecast", p)[0] == "unknown"
    assert run("updates", p)[0] == "unknown"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"Running": True, "Restarting": True, "Status": "restarting"}, "is restarting"),
        ({"Running": True, "Health": {"Status": "unhealthy"}}, "is unhealthy"),
        ({"Running": False, "Status": "exited"}, "is exited"),
    ],
)
def test_container_unhealthy_or_restarting(state: dict[str, Any], expected: str) -> None:
    p = FakeProbes()
    p.container = state
    status, detail = run("service", p)
    assert status == "failing" and detail.endswith(expected)


def test_not_ready_names_the_reason() -> None:
    p = FakeProbes()
    p.ready = (503, {"status": "not ready", "reason": "no forecast published yet"})
    assert run("service", p) == ("failing", "not ready: no forecast published yet")


@pytest.mark.parametrize(
    "runs", [{}, {1: {"id": 1, "status": "running", "error": None}}], ids=["none", "first"]
)
def test_a_fresh_deployment_waits_for_its_first_update(runs: dict) -> None:
    """No alert before the first update could have made a forecast; once it finished (here:
    failed), the same answers fire."""
    p = FakeProbes()
    p.runs = dict(runs)
    p.forecast = (404, {"detail": "none"})
    p.metrics_values["swissenergy_actual_load_latest_timestamp_seconds"] = float("nan")
    p.ready = (503, {"status": "not ready", "reason": "no forecast published yet"})
    waiting = ("unknown", "waiting for the first update")
    assert [run(n, p) for n in ("forecast", "actual_load", "service")] == [waiting] * 3
    p.runs = {1: {"id": 1, "status": "failed", "error": "ENTSO-E answered 503"}}
    assert [run(n, p)[0] for n in ("forecast", "actual_load", "service")] == ["failing"] * 3


def test_actual_load_age() -> None:
    p = FakeProbes()
    p.metrics_values["swissenergy_actual_load_latest_timestamp_seconds"] = NOW - 13 * 3600
    assert run("actual_load", p)[0] == "failing"
    p.metrics_values["swissenergy_actual_load_latest_timestamp_seconds"] = float("nan")
    assert run("actual_load", p) == ("failing", "no actual load is stored")


def test_certificate_disk_reboot_thresholds() -> None:
    p = FakeProbes()
    p.cert_end = NOW + 13.5 * 86400
    assert run("certificate", p)[0] == "failing"
    assert "expires in 13.5 days" in run("certificate", p)[1]
    p.disk = (9, 100)
    assert run("disk", p) == (
        "failing",
        "9.0 % free on /var/lib/docker/volumes/data/_data (limit 10 %)",
    )
    assert run("disk", p, path="/srv")[1].endswith("on /srv (limit 10 %)")
    p.mtimes["/run/reboot-required"] = NOW - 6 * 86400
    assert run("reboot", p)[0] == "ok"
    p.mtimes["/run/reboot-required"] = NOW - 8 * 86400
    assert run("reboot", p) == ("failing", "a reboot has been required for 8.0 days")


def test_backup_age_survives_systemd_forgetting_it() -> None:
    p = FakeProbes()
    p.unit = {"LoadState": "loaded", "Result": "exit-code", "ExecMainStatus": "1"}
    r = checks.run(
        "backup", {"unit": "u", "max_age_hours": 30, "remembered": NOW - 29 * 3600}, p, NOW
    )
    assert (r.status, r.remember) == ("ok", NOW - 29 * 3600)
    r = checks.run(
        "backup", {"unit": "u", "max_age_hours": 30, "remembered": NOW - 31 * 3600}, p, NOW
    )
    assert r.status == "failing" and r.detail.startswith("no successful backup for 31.0 h")
    p.unit = {"LoadState": "not-found"}
    assert run("backup", p)[0] == "failing"


def _cert(not_after: dt.datetime) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "forecast.test")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.DER)


@pytest.mark.parametrize("year", [2026, 2051])  # UTCTime, then GeneralizedTime (from 2050)
def test_der_reads_not_after(year: int) -> None:
    end = dt.datetime(year, 12, 3, 4, 5, 6, tzinfo=dt.UTC)
    assert der.not_after(_cert(end)) == end.timestamp()


def test_der_refuses_truncated_input() -> None:
    with pytest.raises(ValueError, match="truncated"):
        der.not_after(_cert(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))[:100])
