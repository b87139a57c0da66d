"""What the internet sees of the converged VPS, asked from the Pebble container (the outside
client): HTTP->HTTPS 301, a certificate issued by Pebble, every public route proxied to the
backend, everything else (unknown paths, the internal routes, /update-forecast in every
spelling) answering 404 without ever reaching the backend, security headers, compression."""

from __future__ import annotations

import base64
import json
import shlex

import pytest
import testinfra
from outside_client import DOMAIN, INTERNAL_SPELLINGS

testinfra_hosts = ["caddy-pebble"]

VPS = "caddy-vps"
BACKEND_LOG = "/var/log/echo-backend.log"

# The role's default caddy_public_paths, a file under /docs/*, and a query that names an
# internal route: all reach the backend.
PUBLIC = [
    "/",
    "/forecast",
    "/forecast/entsoe",
    "/loads",
    "/accuracy",
    "/health",
    "/openapi.json",
    "/docs",
    "/docs/swagger-ui.css",
    "/?next=/update-forecast",
]
# The service's other routes (served on the loopback only), near misses and unknown paths.
NOT_PUBLIC = [
    "/metrics",
    "/Metrics",
    "//metrics",
    "/%6detrics",
    "/metrics.",
    "/ready",
    "/runs/latest",
    "/runs/1",
    "/docs/../metrics",
    "/docs/%2e%2e/runs/latest",
    "/forecast/%2E%2E/update-forecast",
    "/update-forecasting",
    "/forecastx",
    "/wp-login.php",
]


def _requests() -> dict[str, list[str]]:
    """Probe id -> curl arguments (after the common ones)."""
    requests: dict[str, list[str]] = {}
    for index, spelling in enumerate(INTERNAL_SPELLINGS):
        for scheme in ("https", "http"):
            requests[f"internal-{scheme}-{index}"] = [f"{scheme}://{DOMAIN}{spelling}"]
    target = f"https://{DOMAIN}/update-forecast"
    requests |= {
        "internal-post": ["-X", "POST", "--data", "", target],
        "internal-head": ["--head", target],
        "internal-http2": ["--http2", target],
        "internal-http1.0": ["--http1.0", target],
        "internal-absolute-form": ["--request-target", target, f"https://{DOMAIN}/"],
        "internal-host-case": ["-H", "Host: FORECAST.TEST", target],
    }
    for index, path in enumerate(NOT_PUBLIC):
        for scheme in ("https", "http"):
            requests[f"internal-other-{scheme}-{index}"] = [f"{scheme}://{DOMAIN}{path}"]
    for index, path in enumerate(PUBLIC):
        requests[f"public-{index}"] = [f"https://{DOMAIN}{path}"]
    return requests


REQUESTS = _requests()


@pytest.fixture(scope="module")
def vps(pytestconfig):
    return testinfra.get_host(
        f"ansible://{VPS}", ansible_inventory=pytestconfig.option.ansible_inventory
    )


def curl(host, pebble_root, *args: str) -> str:
    return host.check_output(
        shlex.join(["curl", "-sS", "--path-as-is", "--cacert", pebble_root, *args])
    )


@pytest.fixture(scope="module")
def responses(host, vps, pebble_root, https_ready) -> dict[str, dict]:
    """Send every request in REQUESTS once (one shell on the client), each tagged with an
    X-Probe header, and return probe id -> {status, body, reached_backend}."""
    lines = []
    for probe, args in REQUESTS.items():
        command = [
            "curl", "-sS", "--path-as-is", "--cacert", pebble_root, "-H", f"X-Probe: {probe}",
            "-o", "/tmp/probe-body", "-w", "%{http_code}", *args,
        ]  # fmt: skip
        lines.append(
            f"printf '%s\\t%s\\t%s\\n' {probe} \"$({shlex.join(command)})\" "
            '"$(base64 -w0 /tmp/probe-body)"; rm -f /tmp/probe-body'
        )
    script = base64.b64encode("\n".join(lines).encode()).decode()
    output = host.check_output("echo %s | base64 -d | bash", script)
    results = {}
    for line in output.splitlines():
        probe, status, body = line.split("\t")
        results[probe] = {"status": status, "body": base64.b64decode(body).decode()}
    reached = {
        json.loads(line)["probe"]
        for line in vps.file(BACKEND_LOG).content_string.splitlines()
        if line.strip()
    }
    for probe, result in results.items():
        result["reached_backend"] = probe in reached
    return results


def test_http_redirects_with_301_to_https(host):
    out = host.check_output(
        "curl -sS -o /dev/null -w '%%{http_code} %%{redirect_url}' 'http://%s/forecast?x=1&y=2'",
        DOMAIN,
    )
    assert out == f"301 https://{DOMAIN}/forecast?x=1&y=2"


def test_https_is_served_by_the_backend_with_a_certificate_pebble_issued(
    host, pebble_root, https_ready
):
    # --cacert with Pebble's root only, no -k: the chain must verify.
    assert curl(host, pebble_root, f"https://{DOMAIN}/forecast") == "backend saw: /forecast"
    issuer = host.check_output(
        "openssl s_client -connect %s:443 -servername %s </dev/null 2>/dev/null "
        "| openssl x509 -noout -issuer",
        DOMAIN,
        DOMAIN,
    )
    assert "Pebble Intermediate CA" in issuer
    verify = host.run(
        "openssl s_client -connect %s:443 -servername %s -verify_return_error -CAfile %s "
        "</dev/null",
        DOMAIN,
        DOMAIN,
        pebble_root,
    )
    assert verify.rc == 0 and "Verify return code: 0 (ok)" in verify.stdout


def test_certificate_does_not_verify_against_the_system_store(host, https_ready):
    """Proves the check above means something: the certificate is Pebble's, not a public one."""
    assert host.run("curl -sS -o /dev/null https://%s/", DOMAIN).rc == 60


@pytest.mark.parametrize("probe", [p for p in REQUESTS if p.startswith("internal-")])
def test_internal_route_is_404_from_outside_and_never_reaches_the_backend(responses, probe):
    result = responses[probe]
    assert result["status"] == "404", (REQUESTS[probe], result)
    assert "backend saw" not in result["body"]
    assert not result["reached_backend"], REQUESTS[probe]


@pytest.mark.parametrize("probe", [p for p in REQUESTS if p.startswith("public-")])
def test_public_paths_reach_the_backend(responses, probe):
    result = responses[probe]
    path = REQUESTS[probe][-1].removeprefix(f"https://{DOMAIN}")
    assert result["status"] == "200", (path, result)
    assert result["body"] == f"backend saw: {path}\n"
    assert result["reached_backend"]


def test_security_headers(host, pebble_root, https_ready):
    headers = curl(host, pebble_root, "--head", f"https://{DOMAIN}/").lower()
    assert "strict-transport-security: max-age=31536000; includesubdomains" in headers
    assert "x-content-type-options: nosniff" in headers
    assert "x-frame-options: deny" in headers
    assert "content-security-policy: frame-ancestors 'none'" in headers
    assert "referrer-policy: strict-origin-when-cross-origin" in headers
    assert "\nserver:" not in headers


def test_security_headers_on_the_404_too(host, pebble_root, https_ready):
    headers = curl(host, pebble_root, "--head", f"https://{DOMAIN}/update-forecast").lower()
    assert headers.startswith("http/2 404")
    assert "x-frame-options: deny" in headers and "strict-transport-security" in headers


@pytest.mark.parametrize("encoding", ["zstd", "gzip"])
def test_responses_are_compressed(host, pebble_root, https_ready, encoding):
    headers = curl(
        host, pebble_root, "-o", "/dev/null", "-D", "-", "-H", f"Accept-Encoding: {encoding}",
        f"https://{DOMAIN}/forecast?padded",
    ).lower()  # fmt: skip
    assert f"content-encoding: {encoding}" in headers
