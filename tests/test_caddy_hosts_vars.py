"""The caddy play's inputs derived from the inventory groups (playbooks/vars/caddy_hosts.yml):
a single-host inventory gets the role's defaults (the public site in front of its own active
release), an edge in front of several app hosts balances across each one's address. Runs the
real ansible-playbook against localhost."""

from __future__ import annotations

from pathlib import Path

import yaml
from localhost_play import REPO_ROOT, derived_vars, local_host, write_inventory

DEFAULTS = yaml.safe_load((REPO_ROOT / "roles" / "caddy" / "defaults" / "main.yml").read_text())


def derived(tmp_path: Path, inventory: Path) -> dict[str, dict]:
    """Each edge or app host's caddy_public_site, caddy_local_release, caddy_app_upstreams."""
    names = ["caddy_public_site", "caddy_local_release", "caddy_app_upstreams"]
    return derived_vars(tmp_path, inventory, "edge:app", ["edge_app.yml", "caddy_hosts.yml"], names)


def test_a_single_host_gets_the_roles_defaults(tmp_path):
    values = derived(tmp_path, write_inventory(tmp_path / "hosts.yml"))
    assert values == {
        "testhost": {
            "caddy_public_site": DEFAULTS["caddy_public_site"],
            "caddy_local_release": DEFAULTS["caddy_local_release"],
            "caddy_app_upstreams": DEFAULTS["caddy_app_upstreams"],
        }
    }
    assert DEFAULTS["caddy_app_upstreams"] == []


def test_an_edge_balances_across_each_app_hosts_address(tmp_path):
    inventory = tmp_path / "hosts.yml"
    edge = {"edge1": local_host({"ansible_host": "192.0.2.1"})}
    app = {
        "app1": local_host({"ansible_host": "192.0.2.2"}),
        "app2": local_host({"ansible_host": "192.0.2.3", "caddy_app_address": "10.0.0.3"}),
        "app3": local_host(),
    }
    groups = {"edge": {"hosts": edge}, "app": {"hosts": app}}
    settings = {"swissenergy_service_port": 18123}
    inventory.write_text(yaml.safe_dump({"vps": {"children": groups, "vars": settings}}))
    values = derived(tmp_path, inventory)
    upstreams = ["192.0.2.2:18123", "10.0.0.3:18123", "app3:18123"]
    assert values["edge1"] == {
        "caddy_public_site": True,
        "caddy_local_release": False,
        "caddy_app_upstreams": upstreams,
    }
    for host in app:
        assert values[host]["caddy_public_site"] is False
        assert values[host]["caddy_local_release"] is True


def test_an_edge_that_is_also_one_of_two_app_hosts_balances_and_keeps_its_release(tmp_path):
    inventory = tmp_path / "hosts.yml"
    hosts = {"a": local_host({"ansible_host": "192.0.2.1"}), "b": local_host()}
    groups = {"edge": {"hosts": {"a": {}}}, "app": {"hosts": hosts}}
    settings = {"swissenergy_service_port": 8080}
    inventory.write_text(yaml.safe_dump({"vps": {"children": groups, "vars": settings}}))
    values = derived(tmp_path, inventory)
    assert values["a"] == {
        "caddy_public_site": True,
        "caddy_local_release": True,
        "caddy_app_upstreams": ["192.0.2.1:8080", "b:8080"],
    }
