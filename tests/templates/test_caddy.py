"""caddy's Caddyfile rendered with Ansible's own templar and the role's defaults: both modes
(HTTPS with ACME, HTTP-only), the global ACME options, the allowlist of public paths and the
check on its entries. Every rendering also goes through `caddy validate`; test_caddy_allowlist.py
runs the rendering in front of a backend."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

# The renderer molecule/caddy uses too (its testlib, on the verifier's PYTHONPATH there).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "molecule" / "shared" / "testlib"))
from caddy_render import render_app_hosts_file, render_caddyfile, render_upstream_file

ROLE = Path(__file__).resolve().parents[2] / "roles" / "caddy"

PUBLIC = [
    "/",
    "/forecast",
    "/forecast/entsoe",
    "/loads",
    "/accuracy",
    "/health",
    "/openapi.json",
    "/docs",
    "/docs/*",
]


def render(**overrides) -> str:
    return render_caddyfile(**({"caddy_domain": "forecast.example.org"} | overrides))


def global_options(text: str) -> list[str]:
    block = re.search(r"^\{\n(.*?)^\}\n", text, re.MULTILINE | re.DOTALL)
    assert block, text
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def site_block(text: str, address: str) -> str:
    block = re.search(rf"^{re.escape(address)} \{{\n(.*?)^\}}$", text, re.MULTILINE | re.DOTALL)
    assert block, f"no site block {address!r} in:\n{text}"
    return block.group(1)


def test_starts_with_the_managed_comment():
    assert render().startswith("#\n# Ansible managed\n#\n{\n")


def test_https_site_proxies_and_http_site_redirects_with_301():
    text = render()
    https = site_block(text, "forecast.example.org")
    assert "import upstream" in https
    assert site_block(text, "(upstream)").splitlines() == [
        "\treverse_proxy {",
        "\t\timport /etc/caddy/swissenergy-upstream.caddy",
        "\t\ttransport http {",
        "\t\t\tkeepalive_idle_conns_per_host 128",
        "\t\t}",
        "\t}",
    ]
    assert "import public_only" in https and "import common" in https
    assert 'header Strict-Transport-Security "max-age=31536000; includeSubDomains"' in https
    http = site_block(text, "http://forecast.example.org")
    assert "redir https://{host}{uri} 301" in http
    assert "import public_only" in http
    assert "import upstream" not in http
    assert "auto_https" not in text


def test_acme_global_options():
    options = global_options(
        render(
            caddy_acme_email="ops@example.org",
            caddy_acme_ca="https://pebble.test:14000/dir",
            caddy_acme_ca_root="/usr/local/share/pebble-ca.pem",
        )
    )
    assert options == [
        "email ops@example.org",
        "acme_ca https://pebble.test:14000/dir",
        "acme_ca_root /usr/local/share/pebble-ca.pem",
    ]


def test_acme_defaults_are_lets_encrypt_without_email_or_extra_root():
    assert global_options(render()) == ["acme_ca https://acme-v02.api.letsencrypt.org/directory"]
    assert "acme_ca" not in render(caddy_acme_ca="")


def test_both_challenges_need_no_explicit_issuer():
    assert "cert_issuer" not in render()


@pytest.mark.parametrize(
    ("challenges", "disabled"),
    [(["http-01"], "disable_tlsalpn_challenge"), (["tls-alpn-01"], "disable_http_challenge")],
)
def test_leaving_out_a_challenge_disables_it_in_an_explicit_issuer(challenges, disabled):
    options = global_options(render(caddy_acme_challenges=challenges))
    start = options.index("cert_issuer acme {")
    assert options[start + 1 :] == [disabled, "}"]


def test_http_only_mode():
    text = render(caddy_https=False, caddy_acme_email="ops@example.org")
    assert global_options(text)[-1] == "auto_https off"
    assert "acme" not in text and "email" not in text
    site = site_block(text, ":80")
    assert "import upstream" in site
    assert "import /etc/caddy/swissenergy-upstream.caddy" in site_block(text, "(upstream)")
    assert "import public_only" in site and "import common" in site
    assert "redir" not in text
    assert "Strict-Transport-Security" not in text
    assert "forecast.example.org" not in text


def test_the_active_release_file_names_the_upstream():
    # Until a release switches it: the first slot of roles/swissenergy's release ports.
    assert render_upstream_file().splitlines()[-1] == "to 127.0.0.1:8081"
    moved = render_upstream_file(swissenergy_release_ports={"a": 9101, "b": 9102})
    assert moved.splitlines()[-1] == "to 127.0.0.1:9101"
    assert render_upstream_file(caddy_upstream="127.0.0.1:9000").splitlines()[-1] == (
        "to 127.0.0.1:9000"
    )
    assert render_upstream_file().startswith("#\n# Ansible managed\n#\n")


@pytest.mark.parametrize("https", [True, False], ids=["https", "http-only"])
def test_internal_site_passes_every_route_on_loopback_only(https):
    text = render(caddy_https=https)
    internal = site_block(text, "http://:8080").splitlines()
    # No allowlist here: the cron job and local callers need /update-forecast, /metrics, /ready.
    assert internal == ["\tbind 127.0.0.1", "\timport upstream"]
    moved = render(swissenergy_service_port=18123, swissenergy_service_address="::1")
    assert site_block(moved, "http://:18123").splitlines()[0] == "\tbind ::1"


def test_headers_compression_and_json_access_log_with_rotation():
    common = site_block(render(), "(common)")
    for header in (
        "X-Content-Type-Options nosniff",
        "X-Frame-Options DENY",
        "?Content-Security-Policy \"frame-ancestors 'none'\"",
        'Referrer-Policy "strict-origin-when-cross-origin"',
        "-Server",
    ):
        assert header in common
    assert "encode zstd gzip" in common
    assert "output file /var/log/caddy/access.log {" in common
    assert "roll_size 50MiB" in common and "roll_keep 10" in common
    assert "roll_keep_for 2160h" in common
    assert "format json" in common


def test_everything_but_the_public_paths_answers_404_from_caddy():
    routes = site_block(render(), "(public_only)")
    assert routes.splitlines() == [
        f"\t@not_public not path {' '.join(PUBLIC)}",
        "\thandle @not_public {",
        "\t\trespond 404",
        "\t}",
    ]
    assert "regexp" not in render()


def test_public_paths_are_the_service_routes_for_outside_callers():
    """The allowlist is what the service serves to the internet; its internal routes are not
    in it (they stay reachable on the loopback)."""
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    assert defaults["caddy_public_paths"] == PUBLIC
    for internal in ("/update-forecast", "/metrics", "/ready", "/runs/*", "/runs/latest"):
        assert internal not in PUBLIC


def test_other_public_paths():
    text = render(caddy_public_paths=["/forecast", "/static/*"])
    assert "@not_public not path /forecast /static/*\n" in text


def public_path_pattern() -> re.Pattern:
    variables = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    return re.compile(variables["__caddy_public_path_pattern"])


@pytest.mark.parametrize("path", [*PUBLIC, "/a/b_c", "/a.b/c~d-e", "/static/*", "/*"])
def test_public_path_check_accepts(path):
    assert public_path_pattern().match(path)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "forecast",
        "/Forecast",  # the matcher lower-cases the request path: never matches
        "/forecast/",
        "//forecast",
        "/a//b",  # a // in a pattern stops the matcher merging slashes
        "/update%2Dforecast",  # a % makes the matcher compare the escaped path
        "/..",
        "/./forecast",
        "/docs/../metrics",
        "/docs*",
        "/docs/*/x",
        "/forecast?x=1",
        "/forecast forecast",
    ],
)
def test_public_path_check_rejects(path):
    assert not public_path_pattern().match(path)


def caddy_validate(tmp_path: Path, **overrides) -> subprocess.CompletedProcess:
    """`caddy validate` of the rendering, with the files it imports beside it."""
    # scripts/bootstrap-venv.sh puts Debian's caddy binary into .venv/bin.
    assert shutil.which("caddy"), "no caddy on PATH: run scripts/bootstrap-venv.sh"
    path = tmp_path / "Caddyfile"
    upstream_file = tmp_path / "swissenergy-upstream.caddy"
    upstream_file.write_text(render_upstream_file())
    app_hosts_file = tmp_path / "swissenergy-app-hosts.caddy"
    if overrides.get("caddy_app_upstreams"):
        app_hosts_file.write_text(render_app_hosts_file(**overrides))
    settings = {
        "swissenergy_active_upstream_file": str(upstream_file),
        "__caddy_app_hosts_file": str(app_hosts_file),
    } | overrides
    path.write_text(render(caddy_access_log=str(tmp_path / "access.log"), **settings))
    return subprocess.run(
        ["caddy", "validate", "--adapter", "caddyfile", "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"caddy_https": False},
        {"caddy_acme_email": "ops@example.org", "caddy_acme_ca": ""},
        {"caddy_public_paths": ["/forecast", "/static/*"]},
    ],
    ids=["https", "http-only", "email-default-ca", "other-public-paths"],
)
def test_renderings_validate_with_caddy(tmp_path, overrides):
    result = caddy_validate(tmp_path, **overrides)
    assert result.returncode == 0, result.stderr
