"""A role's template rendered with Ansible's own templar and the variables a run gives it: the
shared settings (roles/swissenergy, every role's dependency), the role's defaults and vars (as
trusted templates, as Ansible reads them, so derived ones such as caddy_upstream render), then
the caller's overrides. Used by the template tests (tests/templates) and by molecule scenarios
that check other renderings on the VPS."""

from __future__ import annotations

from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLES = Path(__file__).resolve().parents[3] / "roles"


def role_variables(role: str) -> dict:
    variables: dict = {}
    files = [
        ROLES / name / "defaults" / "main.yml" for name in dict.fromkeys(("swissenergy", role))
    ]
    for path in [*files, ROLES / role / "vars" / "main.yml"]:
        loaded = (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}
        # As Ansible reads a role's files: their strings are templates.
        for key, value in loaded.items():
            variables[key] = trust_as_template(value) if isinstance(value, str) else value
    return variables | {"ansible_managed": "Ansible managed"}


def render_role_template(role: str, template: str | Path, **overrides) -> str:
    """TEMPLATE is a path under the role's templates/ directory, or an absolute path."""
    path = ROLES / role / "templates" / template
    templar = Templar(loader=DataLoader(), variables=role_variables(role) | overrides)
    return templar.template(trust_as_template(path.read_text()))
