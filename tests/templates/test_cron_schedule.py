"""The update job's minute on each app host, as the role derives it from the inventory group
app: staggered by cron_update_stagger_minutes per host (modulo 60), a single app host exactly
at cron_update_minute. tests/test_app_hosts_data.py checks 1, 2 and 3 app hosts through a real
ansible-playbook run; these are the edges."""

from __future__ import annotations

import sys
from pathlib import Path

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "molecule" / "shared" / "testlib"))
from role_render import role_variables


def minute(host: str, apps: list[str], **overrides: object) -> str:
    variables = role_variables("cron") | {
        "inventory_hostname": host,
        "groups": {"all": [*apps, "edge-1"], "app": apps, "edge": ["edge-1"]},
    }
    templar = Templar(loader=DataLoader(), variables=variables | overrides)
    return str(templar.template(trust_as_template("{{ __cron_minute }}"))).strip()


def test_the_stagger_wraps_within_the_hour_and_is_a_variable() -> None:
    apps = ["app-1", "app-2", "app-3"]
    assert [minute(h, apps, cron_update_minute="50") for h in apps] == ["50", "55", "0"]
    assert [minute(h, apps, cron_update_stagger_minutes=12) for h in apps] == ["15", "27", "39"]
    assert [minute(h, apps, cron_update_stagger_minutes=0) for h in apps] == ["15"] * 3


def test_a_single_app_host_keeps_any_minute_field() -> None:
    """Not only a number: a single host's field passes through untouched, as before."""
    assert minute("vps", ["vps"], cron_update_minute="*/20") == "*/20"
    assert minute("edge-1", ["app-1", "app-2"]) == "15"  # not an app host: no stagger
