"""The role caddy's Caddyfile and the files it imports (the active release, the app hosts an
edge balances across), rendered as a run renders them (role_render). Used by the template tests
(tests/templates) and by molecule/caddy to check other renderings on the VPS."""

from __future__ import annotations

from role_render import render_role_template


def render_caddyfile(**overrides) -> str:
    return render_role_template("caddy", "etc/caddy/Caddyfile.j2", **overrides)


def render_upstream_file(**overrides) -> str:
    return render_role_template("caddy", "etc/caddy/swissenergy-upstream.caddy.j2", **overrides)


def render_app_hosts_file(**overrides) -> str:
    return render_role_template("caddy", "etc/caddy/swissenergy-app-hosts.caddy.j2", **overrides)
