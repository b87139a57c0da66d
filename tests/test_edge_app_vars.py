"""The edge-to-app inputs derived from the inventory groups (playbooks/vars/edge_app.yml, then
caddy_hosts.yml): a single host gets no internal site and no source rule; each app host an edge
reaches gets its private address for Caddy's site and for the firewall rule that opens the
service port to the edge hosts' addresses only. Runs the real ansible-playbook on localhost."""

from __future__ import annotations

from pathlib import Path

import yaml
from localhost_play import derived_vars, local_host, write_inventory

NAMES = ["caddy_app_internal_address", "firewall_private_ports"]
PORT = 18123


def derived(tmp_path: Path, inventory: Path) -> dict[str, dict]:
    return derived_vars(tmp_path, inventory, "vps", ["edge_app.yml", "caddy_hosts.yml"], NAMES)


def test_a_single_host_gets_neither_site_nor_rule(tmp_path):
    inventory = write_inventory(tmp_path / "hosts.yml", {"swissenergy_service_port": PORT})
    assert derived(tmp_path, inventory) == {
        "testhost": {"caddy_app_internal_address": "", "firewall_private_ports": []}
    }


def test_app_hosts_open_the_service_port_to_the_edges_on_their_private_address(tmp_path):
    inventory = tmp_path / "hosts.yml"
    edges = {
        "edge1": local_host({"ansible_host": "203.0.113.10", "caddy_app_address": "10.0.0.10"}),
        "edge2": local_host({"ansible_host": "203.0.113.11"}),
    }
    apps = {
        "app1": local_host({"ansible_host": "203.0.113.21", "caddy_app_address": "10.0.0.21"}),
        "app2": local_host({"ansible_host": "10.0.0.22"}),
    }
    groups = {"edge": {"hosts": edges}, "app": {"hosts": apps}}
    vps = {"children": groups, "vars": {"swissenergy_service_port": PORT}}
    inventory.write_text(yaml.safe_dump({"vps": vps}))
    values = derived(tmp_path, inventory)
    sources = ["10.0.0.10", "203.0.113.11"]
    for host, address in (("app1", "10.0.0.21"), ("app2", "10.0.0.22")):
        assert values[host] == {
            "caddy_app_internal_address": address,
            "firewall_private_ports": [{"port": PORT, "listen": address, "sources": sources}],
        }
    for host in edges:
        assert values[host] == {"caddy_app_internal_address": "", "firewall_private_ports": []}


def test_an_edge_that_is_also_one_of_two_app_hosts_serves_the_other_edge_too(tmp_path):
    """Two app hosts: the edge's upstreams include its own private address, so it needs the
    internal site like the other app host."""
    inventory = tmp_path / "hosts.yml"
    both = {"host1": local_host({"caddy_app_address": "10.0.0.1"})}
    groups = {
        "edge": {"hosts": both},
        "app": {"hosts": {"host1": {}, "host2": local_host({"caddy_app_address": "10.0.0.2"})}},
    }
    vps = {"children": groups, "vars": {"swissenergy_service_port": PORT}}
    inventory.write_text(yaml.safe_dump({"vps": vps}))
    values = derived(tmp_path, inventory)
    assert values["host1"]["caddy_app_internal_address"] == "10.0.0.1"
    assert values["host2"]["firewall_private_ports"] == [
        {"port": PORT, "listen": "10.0.0.2", "sources": ["10.0.0.1"]}
    ]
