"""The watchdog's config file, rendered with Ansible's templar from the role's defaults, is
what its check script reads: every check configured, channels built from the variables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROLES = Path(__file__).resolve().parents[2] / "roles"
sys.path.insert(0, str(ROLES / "watchdog" / "files"))
# The renderer the molecule scenarios use too (their testlib).
sys.path.insert(0, str(ROLES.parent / "molecule" / "shared" / "testlib"))

from role_render import render_role_template  # noqa: E402
from swissenergy_watchdog import checks, cli  # noqa: E402

UNIT = "etc/systemd/system/swissenergy-watchdog.service.j2"


def render(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    out = tmp_path / "config.json"
    out.write_text(
        render_role_template(
            "watchdog",
            "etc/swissenergy-watchdog/config.json.j2",
            **{"inventory_hostname": "vps1"} | overrides,
        )
    )
    assert out.read_text().startswith("#")
    return cli.load_json(str(out))


def test_no_new_privileges_unless_mail_goes_through_the_mta() -> None:
    """sendmail drops mail through a setuid/setgid helper, which no-new-privileges disarms."""
    quiet = render_role_template("watchdog", UNIT, inventory_hostname="vps1")
    assert "NoNewPrivileges=true" in quiet and "NoNewPrivileges=false" not in quiet
    mail = render_role_template(
        "watchdog", UNIT, inventory_hostname="vps1", watchdog_email_to="ops@example.org"
    )
    assert "NoNewPrivileges=false" in mail and "NoNewPrivileges=true" not in mail


def _settings(unit: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in unit.splitlines() if "=" in line)


def test_the_sandbox_widens_only_for_the_mta() -> None:
    """No capability and a read-only system but the state; the MTA needs /var, set-id, netlink."""
    quiet = _settings(render_role_template("watchdog", UNIT, inventory_hostname="vps1"))
    assert quiet["CapabilityBoundingSet"] == ""
    assert (quiet["ProtectSystem"], quiet["ReadWritePaths"]) == (
        "strict",
        "/var/lib/swissenergy-watchdog",
    )
    assert quiet["RestrictAddressFamilies"] == "AF_UNIX AF_INET AF_INET6"
    mail = _settings(
        render_role_template(
            "watchdog", UNIT, inventory_hostname="vps1", watchdog_email_to="ops@example.org"
        )
    )
    assert mail["ProtectSystem"] == "full" and "ReadWritePaths" not in mail
    assert mail["RestrictAddressFamilies"].split()[-1] == "AF_NETLINK"
    assert set(mail["CapabilityBoundingSet"].split()) == {
        "CAP_SETUID",
        "CAP_SETGID",
        "CAP_CHOWN",
        "CAP_FOWNER",
        "CAP_DAC_OVERRIDE",
    }


def test_defaults_configure_every_check(tmp_path: Path) -> None:
    cfg = render(tmp_path, caddy_domain="forecast.example.org")
    assert set(cfg["checks"]) == set(checks.CHECKS)
    on = {name for name, c in cfg["checks"].items() if c["enabled"]}
    assert on == set(checks.CHECKS) - {"backup"}  # backups are off until configured
    assert cfg["checks"]["forecast"]["max_age_hours"] == 26
    assert cfg["checks"]["updates"]["failed_runs"] == 3
    assert cfg["checks"]["certificate"]["min_days"] == 14
    assert cfg["checks"]["certificate"]["server_name"] == "forecast.example.org"
    assert cfg["service_url"] == "http://127.0.0.1:8080"
    assert cfg["checks"]["service"]["container_prefix"] == "swissenergy-backend"
    assert cfg["channels"] == [] and cfg["ping"] == {"url": "", "checks": ["updates"]}


@pytest.mark.parametrize(
    ("overrides", "off"),
    [({"caddy_https": False, "caddy_domain": "x.example"}, "certificate"), ({}, "certificate")],
)
def test_the_certificate_check_follows_caddy(tmp_path: Path, overrides: dict, off: str) -> None:
    assert render(tmp_path, **overrides)["checks"][off]["enabled"] is False


def test_channels_and_backup(tmp_path: Path) -> None:
    cfg = render(
        tmp_path,
        watchdog_webhook_urls=["https://a.example/t1", "https://b.example/t2"],
        watchdog_ntfy_url="https://ntfy.sh/topic",
        watchdog_ntfy_token="tk",
        watchdog_email_to="ops@example.org",
        backup_sftp_host="backup.example",
    )
    assert [(c["type"], c["name"]) for c in cfg["channels"]] == [
        ("webhook", "webhook1"),
        ("webhook", "webhook2"),
        ("ntfy", "ntfy"),
        ("email", "email"),
    ]
    assert cfg["channels"][3]["from"] == "swissenergy-watchdog@vps1"
    assert cfg["checks"]["backup"]["enabled"] is True
