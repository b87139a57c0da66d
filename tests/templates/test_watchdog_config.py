"""The watchdog's config file, rendered with Ansible's templar from the role's defaults, is
what its check script reads: every check configured, channels built from the variables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLES = Path(__file__).resolve().parents[2] / "roles"
TEMPLATE = ROLES / "watchdog" / "templates" / "etc" / "swissenergy-watchdog" / "config.json.j2"
sys.path.insert(0, str(ROLES / "watchdog" / "files"))

from swissenergy_watchdog import checks, cli  # noqa: E402


def render(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    variables: dict[str, Any] = {"ansible_managed": "Ansible managed", "inventory_hostname": "vps1"}
    for file in ("swissenergy/defaults", "watchdog/defaults", "watchdog/vars"):
        loaded = yaml.safe_load((ROLES / file / "main.yml").read_text())
        # As Ansible does with a role's files: their strings are templates.
        variables |= {
            k: trust_as_template(v) if isinstance(v, str) else v for k, v in loaded.items()
        }
    templar = Templar(loader=DataLoader(), variables=variables | overrides)
    out = tmp_path / "config.json"
    out.write_text(templar.template(trust_as_template(TEMPLATE.read_text())))
    assert out.read_text().startswith("#")
    return cli.load_json(str(out))


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
