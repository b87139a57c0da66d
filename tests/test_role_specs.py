"""Every role input is documented: defaults/main.yml and meta/argument_specs.yml agree, and
the README's variables table is the one generated from the specs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
ROLES = sorted(p for p in (REPO_ROOT / "roles").iterdir() if (p / "tasks").is_dir())


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {} if path.exists() else {}


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_defaults_match_argument_specs(role: Path):
    defaults = _load(role / "defaults" / "main.yml")
    specs = _load(role / "meta" / "argument_specs.yml")
    assert specs, f"{role.name}: meta/argument_specs.yml is missing"
    options = specs["argument_specs"]["main"]["options"]
    assert set(defaults) - set(options) == set(), f"{role.name}: defaults without a spec"
    undocumented_defaults = {
        name for name, option in options.items() if name in defaults and "default" not in option
    }
    assert not undocumented_defaults, f"{role.name}: spec lacks default for {undocumented_defaults}"
    for name, option in options.items():
        assert name.startswith(f"{role.name}_"), f"{name} is not prefixed with the role name"
        assert option.get("description"), f"{name} has no description"
        if name in defaults and isinstance(defaults[name], (bool, int, str, list, dict)):
            if isinstance(defaults[name], str) and "{{" in defaults[name]:
                continue
            assert option["default"] == defaults[name], f"{name}: spec default differs"
        elif name not in defaults:
            assert option.get("required"), f"{name} has no default and is not required"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_internal_variables_are_prefixed(role: Path):
    for path in (role / "vars").glob("*.yml"):
        for name in _load(path):
            assert name.startswith(f"__{role.name}_"), f"{path}: {name} should be __{role.name}_*"


def test_role_readmes_are_generated_from_the_specs():
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "role_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
