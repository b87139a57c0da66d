"""The converged VPS itself: Caddy installed, enabled and running with the validated Caddyfile
applied by a reload, the internal routes still served on the loopback, the JSON access log; and
the role's other renderings (HTTP-only, other public paths) accepted by this caddy."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

import pytest
from caddy_render import render_caddyfile

testinfra_hosts = ["caddy-vps"]

CADDYFILE = "/etc/caddy/Caddyfile"
ACCESS_LOG = "/var/log/caddy/access.log"


render = render_caddyfile


def test_caddy_is_installed_enabled_and_running(host):
    assert host.package("caddy").is_installed
    service = host.service("caddy")
    assert service.is_enabled
    assert service.is_running
    assert host.socket("tcp://0.0.0.0:443").is_listening or host.socket("tcp://:::443").is_listening


def test_caddy_runs_in_its_sandbox(host):
    """The drop-in is in force (the package started Caddy inside it: no restart, see below),
    Caddy still wrote its certificate and log (the only writable paths), and systemd scores
    the unit far less exposed than the package's own (8.8 measured without the drop-in)."""
    show = host.check_output(
        "systemctl show caddy -P ProtectSystem -P NoNewPrivileges -P CapabilityBoundingSet"
    ).splitlines()
    assert sorted(show) == ["cap_net_bind_service", "strict", "yes"], show
    pid = host.check_output("systemctl show -P MainPID caddy")
    # In the running process's mount namespace the system is read-only, its data is not.
    probe = host.run(f"nsenter -t {pid} -m touch /etc/caddy/sandbox-probe")
    assert probe.rc != 0 and "Read-only file system" in probe.stderr, probe.stderr
    host.run_test(f"nsenter -t {pid} -m touch /var/lib/caddy/sandbox-probe")
    host.run_test("rm /var/lib/caddy/sandbox-probe")
    report = host.check_output("systemd-analyze security --no-pager caddy.service")
    exposure = float(re.search(r"Overall exposure level for caddy.service: ([\d.]+)", report)[1])
    assert exposure < 3.0, report[-2000:]


def test_caddyfile_is_valid_formatted_and_managed(host):
    caddyfile = host.file(CADDYFILE)
    assert caddyfile.user == "root" and caddyfile.mode == 0o644
    assert caddyfile.content_string.startswith("#\n# Ansible managed")
    host.run_test("caddy validate --adapter caddyfile --config %s", CADDYFILE)
    # caddy fmt prints the canonical form; the template already is in it.
    assert host.check_output("caddy fmt %s", CADDYFILE) == caddyfile.content_string.rstrip("\n")


def test_config_was_applied_by_a_reload_not_a_restart(host):
    """The package started Caddy before the role wrote the Caddyfile; the running process must
    be that same one (reloaded) and serve the role's config (admin API)."""
    started = host.check_output("systemctl show -P ExecMainStartTimestamp --timestamp=us+utc caddy")
    started_at = datetime.strptime(started, "%a %Y-%m-%d %H:%M:%S.%f UTC").replace(tzinfo=UTC)
    written = host.check_output("stat -c %%.6Y %s", CADDYFILE)
    written_at = datetime.fromtimestamp(float(written), UTC)
    assert started_at < written_at
    assert host.check_output("systemctl show -P NRestarts caddy") == "0"
    config = json.loads(host.check_output("curl -sS http://localhost:2019/config/"))
    assert "forecast.test" in json.dumps(config["apps"]["http"])


@pytest.mark.parametrize("path", ["/update-forecast", "/metrics"])
def test_internal_routes_are_still_served_on_the_loopback(host, path):
    # Caddy's internal site (the stable address) passes every route to the active release.
    assert host.check_output("curl -sS http://127.0.0.1:8080%s", path) == f"backend saw: {path}"
    listeners = host.check_output("ss -Hltnp")
    assert re.search(r"127\.0\.0\.1:8080\s.*caddy", listeners), listeners
    assert not re.search(r"(0\.0\.0\.0|\*|\[::\]):8080\s", listeners), listeners


def test_access_log_is_json_and_written_by_caddy(host):
    for path in ("/forecast?log-probe", "/metrics?log-probe"):
        host.run_test("curl -sS -o /dev/null -H 'Host: forecast.test' http://127.0.0.1%s", path)
    log = host.file(ACCESS_LOG)
    assert log.user == "caddy"
    entries = [json.loads(line) for line in log.content_string.splitlines()]
    status = {e["request"]["uri"]: e["status"] for e in entries}
    assert status.get("/forecast?log-probe") == 301  # public: redirected to HTTPS
    assert status.get("/metrics?log-probe") == 404  # not public: the 404 is logged too
    assert all(e["request"]["host"] == "forecast.test" for e in entries if "log-probe" in str(e))


def test_certificate_was_obtained_over_http_01(host):
    """converge allows only HTTP-01: the challenge passed through the explicit http:// site."""
    entries = [
        json.loads(line)
        for line in host.check_output("journalctl -u caddy --no-pager -o cat").splitlines()
        if line.startswith("{")
    ]
    solved = [e for e in entries if e.get("msg") == "trying to solve challenge"]
    assert solved and {e["challenge_type"] for e in solved} == {"http-01"}
    assert any(e.get("msg") == "certificate obtained successfully" for e in entries)


@pytest.mark.parametrize(
    "overrides",
    [
        {"caddy_https": False},
        {"caddy_https": False, "caddy_domain": "203.0.113.7"},
        {"caddy_domain": "forecast.test", "caddy_acme_email": ""},
        {"caddy_domain": "forecast.test", "caddy_public_paths": ["/forecast", "/static/*"]},
        {"caddy_domain": "forecast.test", "caddy_acme_ca": ""},
        {"caddy_domain": "forecast.test", "caddy_acme_challenges": ["tls-alpn-01"]},
    ],
    ids=[
        "http-only",
        "http-only-with-ip",
        "no-email",
        "other-public-paths",
        "default-ca",
        "tls-alpn-only",
    ],
)
def test_other_renderings_validate_with_this_caddy(host, overrides):
    text = render(**overrides)
    encoded = base64.b64encode(text.encode()).decode()
    host.run_test("echo %s | base64 -d > /tmp/render.caddyfile", encoded)
    host.run_test("caddy validate --adapter caddyfile --config /tmp/render.caddyfile")
    assert host.check_output("caddy fmt /tmp/render.caddyfile") == text.rstrip("\n")
