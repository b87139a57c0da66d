"""Shell scripts that roles install from Jinja templates, rendered with Ansible's templar and
the role's defaults (plus the variations below) and checked with shellcheck: the lint stage's
scripts/shellcheck.sh covers the scripts that are shell as committed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The renderer the molecule scenarios use too (their testlib).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "molecule" / "shared" / "testlib"))
from role_render import ROLES, render_role_template

SHELL_SHEBANG = re.compile(r"#! *(/usr)?/bin/(env +)?(ba|da)?sh\b")
# Templates whose optional parts only render with non-default inputs.
VARIATIONS: dict[str, list[dict[str, str]]] = {
    "cron": [
        {
            "cron_ping_success_url": "https://hc.example/ping/ok",
            "cron_ping_failure_url": "https://hc.example/ping/fail",
        }
    ],
    "backup": [
        {
            "backup_sftp_host": "backup.example",
            "backup_ping_success_url": "https://hc.example/ping/ok",
            "backup_ping_failure_url": "https://hc.example/ping/fail",
        }
    ],
}


def shell_templates() -> list[Path]:
    return sorted(
        path
        for path in ROLES.glob("*/templates/**/*.j2")
        if SHELL_SHEBANG.match(path.read_text().partition("\n")[0])
    )


def render(template: Path, overrides: dict[str, str]) -> str:
    return render_role_template(template.relative_to(ROLES).parts[0], template, **overrides)


def cases() -> list:
    return [
        pytest.param(template, overrides, id=f"{template.relative_to(ROLES)}-{index}")
        for template in shell_templates()
        for index, overrides in enumerate(
            [{}, *VARIATIONS.get(template.relative_to(ROLES).parts[0], [])]
        )
    ]


def test_the_scan_finds_the_cron_script():
    assert any(path.name == "swissenergy-update-forecast.j2" for path in shell_templates())


@pytest.mark.parametrize(("template", "overrides"), cases())
def test_rendered_shell_template_is_shellcheck_clean(template: Path, overrides: dict[str, str]):
    assert shutil.which("shellcheck"), "shellcheck is missing: apt-get install shellcheck"
    result = subprocess.run(
        ["shellcheck", "-"], input=render(template, overrides), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
