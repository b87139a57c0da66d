"""The role caddy's Caddyfile rendered with Ansible's own templar and the variables a run gives
it: the shared settings (roles/swissenergy, the role's dependency), the role's defaults (as
trusted templates, so derived ones such as caddy_upstream render) and vars; and the file
naming the active release that the Caddyfile imports. Used by the template tests
(tests/templates) and by molecule/caddy to check other renderings on the VPS."""

from __future__ import annotations

from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLES = Path(__file__).resolve().parents[3] / "roles"
TEMPLATES = ROLES / "caddy" / "templates" / "etc" / "caddy"


def _templar(overrides: dict) -> Templar:
    variables: dict = {}
    for role in ("swissenergy", "caddy"):
        defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())
        for name, value in defaults.items():
            variables[name] = trust_as_template(value) if isinstance(value, str) else value
    variables |= yaml.safe_load((ROLES / "caddy" / "vars" / "main.yml").read_text())
    variables |= {"ansible_managed": "Ansible managed"} | overrides
    return Templar(loader=DataLoader(), variables=variables)


def render_caddyfile(**overrides) -> str:
    text = (TEMPLATES / "Caddyfile.j2").read_text()
    return _templar(overrides).template(trust_as_template(text))


def render_upstream_file(**overrides) -> str:
    text = (TEMPLATES / "swissenergy-upstream.caddy.j2").read_text()
    return _templar(overrides).template(trust_as_template(text))
