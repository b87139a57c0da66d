"""caddy's Caddyfile rendered with Ansible's own templar and the role's defaults: both modes
(HTTPS with ACME, HTTP-only), the global ACME options, and the internal-route regexps checked
against the spellings they must (and must not) catch. If caddy is installed here, every
rendering is also run through `caddy validate`; molecule/caddy does that on the VPS anyway."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLE = Path(__file__).resolve().parents[2] / "roles" / "caddy"
CADDYFILE = "etc/caddy/Caddyfile.j2"

# Spellings of /update-forecast a client could try: all must be caught.
INTERNAL = [
    "/update-forecast",
    "/update-forecast/",
    "/Update-Forecast",
    "/UPDATE-FORECAST",
    "/update%2Dforecast",
    "/update%2dforecast",
    "/%75pdate-forecast",
    "/%55PDATE%2DFORECAST",
    "/update%252Dforecast",
    "/update%25252dforecast",
    "/update-forecast%2F",
    "//update-forecast",
    "/%2Fupdate-forecast",
    "/./update-forecast",
    "/x/../update-forecast",
    "/update-forecast.",
    "/update-forecast;x=1",
    "/update-forecast?x=1",
    "/update-forecast/?x=1",
    "/update-forecast%3Fx",
]
ORDINARY = ["/", "/forecast", "/update-forecasting", "/updateforecast", "/?next=/update-forecast"]


def render(**overrides) -> str:
    # The shared settings first (roles/swissenergy, the role's dependency), as a run has them;
    # derived defaults are trusted templates, as Ansible's loader makes them in a run.
    variables = {}
    for defaults in (ROLE.parent / "swissenergy", ROLE):
        for name, value in yaml.safe_load((defaults / "defaults" / "main.yml").read_text()).items():
            variables[name] = trust_as_template(value) if isinstance(value, str) else value
    variables |= yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    variables |= {"ansible_managed": "Ansible managed", "caddy_domain": "forecast.example.org"}
    variables |= overrides
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template((ROLE / "templates" / CADDYFILE).read_text()))


def global_options(text: str) -> list[str]:
    block = re.search(r"^\{\n(.*?)^\}\n", text, re.MULTILINE | re.DOTALL)
    assert block, text
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def site_block(text: str, address: str) -> str:
    block = re.search(rf"^{re.escape(address)} \{{\n(.*?)^\}}$", text, re.MULTILINE | re.DOTALL)
    assert block, f"no site block {address!r} in:\n{text}"
    return block.group(1)


def matcher_regexps(text: str) -> tuple[re.Pattern, re.Pattern]:
    """The path_regexp (on the decoded path) and the vars_regexp on {uri} (the raw target).
    Their RE2 syntax here is also Python syntax."""
    decoded = re.search(r"@internal_decoded path_regexp (\S+)$", text, re.MULTILINE)
    raw = re.search(r"@internal_raw vars_regexp \{uri\} (\S+)$", text, re.MULTILINE)
    assert decoded and raw, text
    return re.compile(decoded.group(1)), re.compile(raw.group(1))


def caught(text: str, target: str) -> bool:
    decoded, raw = matcher_regexps(text)
    return bool(decoded.search(unquote(target.partition("?")[0])) or raw.search(target))


def test_starts_with_the_managed_comment():
    assert render().startswith("#\n# Ansible managed\n#\n{\n")


def test_https_site_proxies_and_http_site_redirects_with_301():
    text = render(caddy_upstream="127.0.0.1:9000")
    https = site_block(text, "forecast.example.org")
    assert "reverse_proxy 127.0.0.1:9000" in https
    assert "import internal_routes" in https and "import common" in https
    assert 'header Strict-Transport-Security "max-age=31536000; includeSubDomains"' in https
    http = site_block(text, "http://forecast.example.org")
    assert "redir https://{host}{uri} 301" in http
    assert "import internal_routes" in http
    assert "reverse_proxy" not in http
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
    assert "reverse_proxy 127.0.0.1:8080" in site
    assert "import internal_routes" in site and "import common" in site
    assert "redir" not in text
    assert "Strict-Transport-Security" not in text
    assert "forecast.example.org" not in text


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


def test_internal_routes_answer_404_with_three_matchers():
    routes = site_block(render(), "(internal_routes)")
    assert "@internal_path path /update-forecast /update-forecast/*\n" in routes
    assert routes.count("respond 404") == 3


@pytest.mark.parametrize("target", INTERNAL)
def test_internal_spellings_are_caught(target):
    assert caught(render(), target)


@pytest.mark.parametrize("target", ORDINARY)
def test_ordinary_paths_are_not_caught(target):
    assert not caught(render(), target)


def test_several_internal_paths():
    text = render(caddy_internal_paths=["/update-forecast", "/admin/re_index"])
    assert "@internal_path path /update-forecast /admin/re_index /update-forecast/* " in text
    for target in (
        "/admin/re_index",
        "//ADMIN//re_index/",
        "/admin%2Fre%255Findex",
        "/x/admin/re_index",
    ):
        assert caught(text, target), target
    assert not caught(text, "/admin/re_indexes")


@pytest.mark.parametrize(
    "overrides",
    [{}, {"caddy_https": False}, {"caddy_acme_email": "ops@example.org", "caddy_acme_ca": ""}],
    ids=["https", "http-only", "email-default-ca"],
)
def test_renderings_validate_with_caddy(tmp_path, overrides):
    # scripts/bootstrap-venv.sh puts Debian's caddy binary into .venv/bin.
    assert shutil.which("caddy"), "no caddy on PATH: run scripts/bootstrap-venv.sh"
    path = tmp_path / "Caddyfile"
    path.write_text(render(caddy_access_log=str(tmp_path / "access.log"), **overrides))
    result = subprocess.run(
        ["caddy", "validate", "--adapter", "caddyfile", "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
