"""The whole site seen from outside: a client on the same network as the VPS (the Pebble
container), resolving the VPS's domain like the internet would."""

from __future__ import annotations

import json
import shlex
import time

import pytest
import testinfra
from local_settings import local_settings, service_url
from outside_client import DOMAIN, INTERNAL_SPELLINGS

SERVICE = service_url()
SERVICE_PORT = local_settings()["swissenergy_service_port"]

testinfra_hosts = ["swissenergy-local-pebble"]


@pytest.fixture(scope="module")
def forecast_published() -> None:
    """A forecast exists: started on the VPS itself, where the update route is reachable."""
    vps = testinfra.get_host("docker://swissenergy-local-vps")
    vps.run(f"curl -s {SERVICE}/update-forecast")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        runs = vps.run(f"curl -s {SERVICE}/runs/latest").stdout
        if runs and json.loads(runs).get("status") in ("succeeded", "failed"):
            break
        time.sleep(5)
    assert json.loads(runs).get("status") == "succeeded", runs


def status_of(host, url: str, *extra: str) -> str:
    command = ["curl", "-sS", "--path-as-is", "-o", "/dev/null"]
    command += ["-w", "%{http_code} %{redirect_url}", *extra, url]
    return host.check_output(shlex.join(command))


def test_http_redirects_to_https_with_301(host):
    assert status_of(host, f"http://{DOMAIN}/") == f"301 https://{DOMAIN}/"


def test_https_serves_the_forecast_with_a_pebble_certificate(
    host, pebble_root, https_ready, forecast_published
):
    # Verified against Pebble's root: no -k anywhere.
    result = host.run(
        "curl -sS --cacert %s -o /dev/null -w '%%{http_code}' https://%s/forecast",
        pebble_root,
        DOMAIN,
    )
    assert result.stdout == "200", result.stderr
    issuer = host.check_output(
        "echo | openssl s_client -connect %s:443 -servername %s 2>/dev/null "
        "| openssl x509 -noout -issuer",
        DOMAIN,
        DOMAIN,
    )
    assert "Pebble" in issuer
    # And not trusted by the system store: the chain really is Pebble's (curl's 60: the peer
    # certificate cannot be authenticated with the known CA certificates).
    assert host.run("curl -sS -o /dev/null https://%s/", DOMAIN).rc == 60


def test_chart_page_is_served(host, pebble_root, https_ready, forecast_published):
    page = host.check_output("curl -sSf --cacert %s https://%s/", pebble_root, DOMAIN)
    # The chart of a published forecast, not the "No data yet" page (which has an svg too).
    assert 'aria-label="load chart"' in page


@pytest.fixture(scope="module")
def internal_probes(host, pebble_root, https_ready, forecast_published) -> dict:
    """Every spelling of the internal route, over HTTPS and HTTP, sent once: (spelling, scheme)
    -> (status, body), plus the backend's newest run before and after. The backend keeps no
    access log; its record of the route is the update run each call of it starts."""
    vps = testinfra.get_host("docker://swissenergy-local-vps")

    def latest_run() -> dict:
        for _ in range(60):
            run = json.loads(vps.check_output(f"curl -sSf {SERVICE}/runs/latest"))
            # Cron starts a run at minute 15: keep its run out of the probes' window.
            minute = int(vps.check_output("date +%M"))
            if run["status"] != "running" and minute not in (14, 15):
                return run
            time.sleep(5)
        pytest.fail(f"the backend stayed busy: {run}")

    before = latest_run()
    answers = {}
    for path in INTERNAL_SPELLINGS:
        for scheme, extra in (("https", ["--cacert", pebble_root]), ("http", [])):
            command = ["curl", "-sS", "--path-as-is", "-w", "\n%{http_code}", *extra]
            out = host.check_output(shlex.join([*command, f"{scheme}://{DOMAIN}{path}"]))
            body, _, status = out.rpartition("\n")
            answers[path, scheme] = (status, body)
    return {"answers": answers, "before": before, "after": latest_run()}


@pytest.mark.parametrize("path", INTERNAL_SPELLINGS)
def test_update_route_is_404_from_outside(internal_probes, path):
    for scheme in ("https", "http"):
        # Caddy's own empty 404, not the backend's JSON one ({"detail":"Not Found"}).
        assert internal_probes["answers"][path, scheme] == ("404", ""), scheme


def test_update_route_is_never_reached_from_outside(internal_probes):
    assert internal_probes["after"]["id"] == internal_probes["before"]["id"], internal_probes


@pytest.mark.parametrize("path", ["/metrics", "/ready", "/runs/latest", "/runs/1", "/nope"])
def test_paths_outside_the_allowlist_are_404_from_outside(host, pebble_root, https_ready, path):
    """caddy_public_paths is an allowlist: the service's other routes answer 404 through Caddy
    (the service itself serves them on the loopback, where test_site_vps.py reads them)."""
    assert status_of(host, f"https://{DOMAIN}{path}", "--cacert", pebble_root).startswith("404")


@pytest.mark.parametrize("path", ["/health", "/openapi.json", "/docs"])
def test_public_service_routes_are_served(host, pebble_root, https_ready, path):
    assert status_of(host, f"https://{DOMAIN}{path}", "--cacert", pebble_root).startswith("200")


@pytest.mark.parametrize("port", [22, 80, 443])
def test_served_ports_answer(host, port):
    assert host.run("timeout 5 bash -c %s", f"exec 3<>/dev/tcp/{DOMAIN}/{port}").rc == 0


@pytest.mark.parametrize("port", [SERVICE_PORT, 2375, 8000])
def test_other_ports_do_not_answer(host, port):
    # The firewall drops them: no answer at all, not even a refusal. curl's exit code 28 is a
    # connect timeout (7 would be a refused connection, 6 a name that does not resolve).
    result = host.run("curl -sS --connect-timeout 5 -o /dev/null http://%s:%s/", DOMAIN, str(port))
    assert result.rc == 28, result.stderr
