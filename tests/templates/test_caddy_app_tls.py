"""Edge to app host over TLS with the playbook's CA, run by the real caddy binary on the
loopback: an app host's Caddy (its loopback site on 127.0.0.1 and, on the same port, its site
for the edges on 127.0.0.2, standing in for its private address) in front of a local backend,
and an edge's Caddy balancing to that site. A request through the edge reaches the backend; a
direct client without a certificate, or with one of another CA, fails the TLS handshake; the
plain-HTTP opt-out renders plain. Only loopback addresses and free ports."""

from __future__ import annotations

import http.client
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from app_pki import Ca, issue, make_ca, role_paths
from test_caddy import render, render_app_hosts_file, render_upstream_file, site_block
from test_caddy_allowlist import caddy_front
from test_caddy_failover import AppHost

LOOPBACK = "127.0.0.1"
PRIVATE = "127.0.0.2"
# The TLS alert the server sends when the client's certificate is missing or not the CA's.
REFUSED = "ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA)"


@dataclass
class Pair:
    port: int
    edge_port: int
    pki: Path
    ca: Ca
    backend: AppHost


def no_admin(text: str) -> str:
    """Two caddy processes: neither may take the admin endpoint's port."""
    assert text.count("\n{\n") == 1, text
    return text.replace("\n{\n", "\n{\n\tadmin off\n")


def start(text: str, workdir: Path, port: int) -> subprocess.Popen[bytes]:
    workdir.mkdir()
    return caddy_front.start(no_admin(text), workdir, port, [], workdir / "caddy.out")


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    """The app host's Caddy on port P (loopback and private site) and the edge's on port E."""
    if reason := caddy_front.unavailable():
        pytest.skip(reason)
    pki = tmp_path / "pki"
    ca = make_ca(pki)
    issue(ca, pki, "server", PRIVATE)
    issue(ca, pki, "client")
    paths = role_paths(ca, pki)
    backend = AppHost("app1")
    backend.start()
    app_port, edge_port = caddy_front.free_port(), caddy_front.free_port()
    upstream = tmp_path / "swissenergy-upstream.caddy"
    upstream.write_text(render_upstream_file(caddy_upstream=f"{LOOPBACK}:{backend.port}"))
    app = render(
        caddy_public_site=False,
        caddy_app_internal_address=PRIVATE,
        swissenergy_service_port=app_port,
        swissenergy_active_upstream_file=str(upstream),
        **paths,
    )
    app_hosts = tmp_path / "swissenergy-app-hosts.caddy"
    edge_settings = {
        "caddy_https": False,
        "caddy_local_release": False,
        "caddy_app_upstreams": [f"{PRIVATE}:{app_port}"],
        "caddy_access_log": str(tmp_path / "access.log"),
        "__caddy_app_hosts_file": str(app_hosts),
    }
    app_hosts.write_text(render_app_hosts_file(**edge_settings))
    edge = render(**edge_settings, **paths)
    assert edge.count("\n:80 {\n") == 1, edge
    edge = edge.replace("\n:80 {\n", f"\n:{edge_port} {{\n\tbind {LOOPBACK}\n")
    processes = [start(app, tmp_path / "app", app_port)]
    try:
        processes.append(start(edge, tmp_path / "edge", edge_port))
        yield Pair(app_port, edge_port, pki, ca, backend)
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        backend.stop()


def get(port: int, target: str, address: str = LOOPBACK) -> tuple[int, str]:
    connection = http.client.HTTPConnection(address, port, timeout=10)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def tls_get(port: int, ca: Path, client: tuple[Path, Path] | None, target: str) -> int:
    """GET TARGET from the app host's private site, trusting CA, with CLIENT's pair or none."""
    context = ssl.create_default_context(cafile=str(ca))
    if client:
        context.load_cert_chain(*map(str, client))
    connection = http.client.HTTPSConnection(PRIVATE, port, timeout=10, context=context)
    try:
        connection.request("GET", target)
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_request_through_the_edge_reaches_the_app_host_over_tls(pair: Pair):
    """The app host's private site speaks only TLS: a 200 through the edge is a TLS hop."""
    before = len(pair.backend.served)
    assert get(pair.edge_port, "/forecast") == (200, "app1")
    assert pair.backend.served[before:] == ["/forecast"]
    # The allowlist stays at the edge: the app host never sees an internal route from it.
    assert get(pair.edge_port, "/metrics") == (404, "")
    assert len(pair.backend.served) == before + 1


def test_the_private_site_serves_a_client_of_the_ca_every_route(pair: Pair):
    client = (pair.pki / "client.crt", pair.pki / "client.key")
    assert tls_get(pair.port, pair.ca.path, client, "/forecast") == 200
    assert tls_get(pair.port, pair.ca.path, client, "/metrics") == 200
    assert pair.backend.served[-2:] == ["/forecast", "/metrics"]


def test_the_loopback_site_stays_plain_http_for_local_callers(pair: Pair):
    assert get(pair.port, "/update-forecast") == (200, "app1")


def handshake(port: int, ca: Path, client: tuple[Path, Path] | None) -> None:
    """A TLS 1.2 handshake with the private site: there the server checks the client's
    certificate inside the handshake (TLS 1.3 checks it after the client has finished, so a
    refusal shows as an alert or a reset on the first read, whichever comes first)."""
    context = ssl.create_default_context(cafile=str(ca))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    if client:
        context.load_cert_chain(*map(str, client))
    with socket.create_connection((PRIVATE, port), timeout=10) as raw:
        context.wrap_socket(raw, server_hostname=PRIVATE).close()


def test_the_handshake_succeeds_with_a_client_certificate_of_the_ca(pair: Pair):
    handshake(pair.port, pair.ca.path, (pair.pki / "client.crt", pair.pki / "client.key"))


def test_a_client_without_a_certificate_fails_the_handshake(pair: Pair):
    before = len(pair.backend.served)
    with pytest.raises(ssl.SSLError, match=REFUSED):
        handshake(pair.port, pair.ca.path, None)
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        tls_get(pair.port, pair.ca.path, None, "/forecast")
    assert len(pair.backend.served) == before


def test_a_client_with_a_certificate_of_another_ca_fails_the_handshake(pair: Pair, tmp_path):
    other = make_ca(tmp_path / "other", "someone else's CA")
    client = issue(other, tmp_path / "other", "client")
    before = len(pair.backend.served)
    with pytest.raises(ssl.SSLError, match=REFUSED):
        handshake(pair.port, pair.ca.path, client)
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        tls_get(pair.port, pair.ca.path, client, "/forecast")
    assert len(pair.backend.served) == before


def test_plain_http_opt_out_renders_plain_on_both_ends():
    app = render(
        caddy_public_site=False, caddy_app_internal_address="10.0.0.21", caddy_app_tls=False
    )
    assert site_block(app, "http://:8080").count("bind") == 1
    blocks = app.split("\nhttp://:8080 {\n")
    assert len(blocks) == 3, app
    assert blocks[2].startswith("\tbind 10.0.0.21\n\timport upstream\n}")
    assert "https://:" not in app and "\ttls " not in app and "strict_sni_host" not in app
    edge = render(caddy_app_upstreams=["10.0.0.21:8080"], caddy_app_tls=False)
    transport = site_block(edge, "(app_hosts)")
    assert "tls" not in transport and "/etc/caddy/app-tls" not in edge


def test_tls_renders_the_private_site_and_the_edge_transport():
    app = render(caddy_public_site=False, caddy_app_internal_address="10.0.0.21")
    assert site_block(app, "https://:8080").splitlines() == [
        "\tbind 10.0.0.21",
        "\ttls /etc/caddy/app-tls/server.crt /etc/caddy/app-tls/server.key {",
        "\t\tclient_auth {",
        "\t\t\tmode require_and_verify",
        "\t\t\ttrusted_ca_cert_file /etc/caddy/app-tls/ca.crt",
        "\t\t}",
        "\t}",
        "\timport upstream",
    ]
    assert "\tservers 10.0.0.21:8080 {\n\t\tstrict_sni_host insecure_off\n\t}\n" in app
    assert "\\" not in app  # the comments' apostrophes come out as written
    # The loopback site is the single host's, word for word.
    assert site_block(app, "http://:8080") == site_block(render(), "http://:8080")
    edge = site_block(render(caddy_app_upstreams=["10.0.0.21:8080"]), "(app_hosts)")
    assert [line.strip() for line in edge.splitlines()][-7:] == [
        "keepalive_idle_conns_per_host 128",
        "# Both ends prove themselves with a certificate of the playbook's CA.",
        "tls",
        "tls_trusted_ca_certs /etc/caddy/app-tls/ca.crt",
        "tls_client_auth /etc/caddy/app-tls/client.crt /etc/caddy/app-tls/client.key",
        "}",
        "}",
    ]


def test_a_single_host_renders_exactly_as_before():
    """No internal address and no app hosts: none of the new lines, whatever caddy_app_tls."""
    assert render() == render(caddy_app_tls=False)
    assert "app-tls" not in render() and "https://:" not in render()
