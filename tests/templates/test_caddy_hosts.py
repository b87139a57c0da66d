"""caddy's Caddyfile for several hosts: an edge balancing across the app hosts (health checks,
retries, the allowlist unchanged), an edge that runs no release, an app host behind an edge.
Every rendering goes through `caddy validate`; test_caddy_failover.py runs one in front of
backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_pki import issue, make_ca, role_paths
from test_caddy import PUBLIC, caddy_validate, render, render_app_hosts_file, site_block

APPS = ["10.0.0.2:8080", "10.0.0.3:8080"]


def test_an_edge_balances_across_every_app_host_with_health_checks_and_bounded_retries():
    text = render(caddy_app_upstreams=APPS)
    assert site_block(text, "(app_hosts)").splitlines() == [
        "\treverse_proxy {",
        "\t\timport /etc/caddy/swissenergy-app-hosts.caddy",
        "\t\tlb_policy round_robin",
        "\t\tlb_try_duration 5s",
        "\t\tlb_try_interval 250ms",
        "\t\thealth_uri /ready",
        "\t\thealth_interval 5s",
        "\t\thealth_timeout 2s",
        "\t\tfail_duration 10s",
        "\t\tmax_fails 3",
        "\t\tunhealthy_status 5xx",
        "\t\ttransport http {",
        "\t\t\tkeepalive_idle_conns_per_host 128",
        "\t\t\t# Both ends prove themselves with a certificate of the playbook's CA.",
        "\t\t\ttls",
        "\t\t\ttls_trusted_ca_certs /etc/caddy/app-tls/ca.crt",
        "\t\t\ttls_client_auth /etc/caddy/app-tls/client.crt /etc/caddy/app-tls/client.key",
        "\t\t}",
        "\t}",
    ]
    https = site_block(text, "forecast.example.org")
    assert "import app_hosts" in https and "import upstream" not in https
    assert "import public_only" in https
    # The allowlist at the edge is the single host's, word for word.
    assert site_block(text, "(public_only)") == site_block(render(), "(public_only)")
    assert f"@not_public not path {' '.join(PUBLIC)}" in text
    # The edge is an app host too: its internal site stays on its own active release.
    assert site_block(text, "http://:8080").splitlines() == [
        "\tbind 127.0.0.1",
        "\timport upstream",
    ]


def test_the_app_hosts_file_lists_every_app_host_but_the_drained_ones():
    """What the edge balances across: every app host, or all but the one a rolling release is
    switching (roles/caddy/tasks/drain.yml)."""
    assert render_app_hosts_file(caddy_app_upstreams=APPS).splitlines()[-1] == (
        "to 10.0.0.2:8080 10.0.0.3:8080"
    )
    drained = render_app_hosts_file(caddy_app_upstreams=APPS, __caddy_drained=APPS[:1])
    assert drained.splitlines()[-1] == "to 10.0.0.3:8080"


def test_balancing_settings_are_rendered():
    text = render(
        caddy_https=False,
        caddy_app_upstreams=APPS,
        caddy_lb_policy="least_conn",
        caddy_lb_try_duration="2s",
        caddy_lb_try_interval="100ms",
        caddy_health_uri="/health",
        caddy_health_passes=2,
        caddy_health_fails=3,
        caddy_unhealthy_status=["502", "503"],
    )
    block = [line.strip() for line in site_block(text, "(app_hosts)").splitlines()]
    for line in ("lb_policy least_conn", "lb_try_duration 2s", "lb_try_interval 100ms"):
        assert line in block
    assert "health_uri /health" in block and "unhealthy_status 502 503" in block
    assert "health_passes 2" in block and "health_fails 3" in block
    assert "import app_hosts" in site_block(text, ":80")


def test_health_passes_and_fails_are_left_to_caddy_by_default():
    """Debian's Caddy 2.6 refuses them: only an explicit value renders them."""
    text = render(caddy_app_upstreams=APPS)
    assert "health_passes" not in text and "health_fails" not in text


def test_an_edge_without_a_release_has_no_internal_site():
    text = render(caddy_app_upstreams=APPS, caddy_local_release=False)
    assert "(upstream)" not in text and "swissenergy-upstream.caddy" not in text
    assert "http://:8080" not in text and "import upstream" not in text
    assert "import app_hosts" in site_block(text, "forecast.example.org")
    assert "\n\n\n" not in text


def test_an_app_host_behind_an_edge_has_only_the_internal_site():
    text = render(caddy_public_site=False)
    assert "forecast.example.org" not in text and ":80 {" not in text
    assert "(app_hosts)" not in text
    assert site_block(text, "http://:8080").splitlines() == [
        "\tbind 127.0.0.1",
        "\timport upstream",
    ]
    assert "\n\n\n" not in text


@pytest.mark.parametrize(
    "overrides",
    [
        {"caddy_app_upstreams": APPS},
        {"caddy_app_upstreams": APPS, "caddy_local_release": False, "caddy_https": False},
        {"caddy_public_site": False},
        {"caddy_public_site": False, "caddy_app_internal_address": "10.0.0.2"},
        {
            "caddy_public_site": False,
            "caddy_app_internal_address": "10.0.0.2",
            "caddy_https": False,
        },
        {"caddy_app_upstreams": APPS, "caddy_app_internal_address": "10.0.0.2"},
        {"caddy_app_upstreams": APPS, "caddy_app_tls": False},
        {
            "caddy_public_site": False,
            "caddy_app_internal_address": "10.0.0.2",
            "caddy_app_tls": False,
        },
    ],
    ids=[
        "edge-and-app",
        "edge-only-http",
        "app-only",
        "app-only-tls",
        "app-only-tls-http",
        "edge-and-app-tls",
        "edge-plain",
        "app-only-plain",
    ],
)
def test_renderings_validate_with_caddy(tmp_path: Path, overrides: dict):
    """With the TLS material made by the role's parameters (caddy validate loads it)."""
    ca = make_ca(tmp_path / "pki")
    issue(ca, tmp_path / "pki", "server", "10.0.0.2")
    issue(ca, tmp_path / "pki", "client")
    result = caddy_validate(tmp_path, **role_paths(ca, tmp_path / "pki"), **overrides)
    assert result.returncode == 0, result.stderr
