"""firewall on an app host behind an edge (firewall_private_ports, set by
playbooks/vars/edge_app.yml): the service port is accepted from the edge hosts' addresses only
and dropped for everyone else (nft --check validates the rendering), a single host's ruleset has
no such rule, and the exposure check allows that listener on exactly the private address."""

from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError
from test_hardening import NFTABLES, _check_with, firewall_filters, render

EDGES = ["10.0.0.10", "2001:db8::10", "10.0.0.11"]
APP_HOST = [{"port": 8080, "listen": "10.0.0.21", "sources": EDGES}]
firewall_exposure_problems = firewall_filters.firewall_exposure_problems
firewall_private_rules = firewall_filters.firewall_private_rules


def accept_rules(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().endswith(" accept")]


def test_the_service_port_is_accepted_from_the_edge_hosts_only():
    text = render("firewall", NFTABLES, firewall_private_ports=APP_HOST)
    naming_8080 = [rule for rule in accept_rules(text) if re.search(r"\b8080\b", rule)]
    assert naming_8080 == [
        "ip saddr { 10.0.0.10, 10.0.0.11 } tcp dport 8080 accept",
        "ip6 saddr { 2001:db8::10 } tcp dport 8080 accept",
    ]
    # Not among the ports open to everyone, nor let through for Docker: the policy drops the rest.
    assert "tcp dport { 80, 443 } accept" in text
    assert "ct original proto-dst != { 22, 80, 443 } drop" in text
    assert "policy drop;" in text
    # Everything else is the default ruleset, line for line.
    others = [line for line in text.splitlines() if "8080" not in line]
    assert others == render("firewall", NFTABLES).splitlines()


def test_a_single_host_has_no_source_rule():
    text = render("firewall", NFTABLES)
    assert "saddr {" not in text and "8080" not in text
    assert render("firewall", NFTABLES, firewall_private_ports=[]) == text


@pytest.mark.parametrize("ports", [APP_HOST, []], ids=["app-host", "single-host"])
def test_ruleset_with_source_rules_passes_nft_check(ports, tmp_path):
    text = render("firewall", NFTABLES, firewall_private_ports=ports)
    _check_with("nft", ["--check", "--file"], text, tmp_path, "nftables.conf")


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ({"port": 8080, "listen": "10.0.0.21", "sources": ["edge-1"]}, "edge-1"),
        ({"port": 8080, "listen": "app-1", "sources": EDGES}, "app-1"),
        ({"port": 8080, "listen": "10.0.0.21", "sources": []}, "at least one source"),
        ({"port": 0, "listen": "10.0.0.21", "sources": EDGES}, "port"),
    ],
)
def test_a_bad_entry_is_named(entry, named):
    with pytest.raises(AnsibleFilterError, match=re.escape(named)):
        firewall_private_rules([entry])


SS = """\
LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))
LISTEN 0 4096 127.0.0.1:8080 0.0.0.0:* users:(("caddy",pid=2,fd=7))
LISTEN 0 4096 {address}:8080 0.0.0.0:* users:(("caddy",pid=2,fd=8))
"""


def problems(address: str, private=APP_HOST, docker: str = "") -> list[str]:
    return firewall_exposure_problems(
        SS.format(address=address), docker, [22], [], [8080], firewall_private_rules(private)
    )


def test_the_exposure_check_allows_the_service_port_on_the_private_address_only():
    assert problems("10.0.0.21") == []
    assert problems("0.0.0.0") == [
        "port 8080 must listen on 127.0.0.1 only, but listens on 0.0.0.0:8080 (caddy)"
    ]
    assert problems("10.0.0.99") == [
        "port 8080 must listen on 127.0.0.1 only, but listens on 10.0.0.99:8080 (caddy)"
    ]
    # Without the rule (a single host) the private listener is the error it always was.
    assert problems("10.0.0.21", private=[]) == [
        "port 8080 must listen on 127.0.0.1 only, but listens on 10.0.0.21:8080 (caddy)"
    ]


def test_a_docker_published_port_is_never_private():
    """Docker's DNAT passes the input chain by: the source rule would not protect it."""
    docker = "web 10.0.0.21:8080->80/tcp"
    assert problems("127.0.0.1", docker=docker) == [
        "port 8080 must listen on 127.0.0.1 only, but listens on 10.0.0.21:8080 (docker:web)"
    ]
