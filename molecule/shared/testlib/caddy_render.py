"""The role caddy's Caddyfile rendered with Ansible's own templar and the variables a run gives
it: the shared settings (roles/swissenergy, the role's dependency), the role's defaults (as
trusted templates, so derived ones such as caddy_upstream render) and vars. Used by the
template tests (tests/templates) and by molecule/caddy to check other renderings on the VPS."""

from __future__ import annotations

from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLES = Path(__file__).resolve().parents[3] / "roles"
CADDYFILE = ROLES / "caddy" / "templates" / "etc" / "caddy" / "Caddyfile.j2"


def render_caddyfile(**overrides) -> str:
    variables: dict = {}
    for role in ("swissenergy", "caddy"):
        defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())
        for name, value in defaults.items():
            variables[name] = trust_as_template(value) if isinstance(value, str) else value
    variables |= yaml.safe_load((ROLES / "caddy" / "vars" / "main.yml").read_text())
    variables |= {"ansible_managed": "Ansible managed"} | overrides
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template(CADDYFILE.read_text()))
