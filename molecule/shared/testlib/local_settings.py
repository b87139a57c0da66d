"""The local demo's settings, read from inventory/local (the one place they are written), for
the scripts and tests that run outside Ansible: scripts/demo.sh, the test command's demo stage
and the outside client's fixtures. Beneath them, the shared settings' defaults
(roles/swissenergy), so e.g. the service's port is known where inventory/local leaves it at its
default. Plain values only: a templated default is not rendered here.

    python3 molecule/shared/testlib/local_settings.py caddy_domain demo_https_port
prints each value on a line of its own; a name that is not set is an error."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
SETTINGS_FILE = REPO_ROOT / "inventory" / "local" / "group_vars" / "all" / "vars.yml"
SHARED_DEFAULTS = REPO_ROOT / "roles" / "swissenergy" / "defaults" / "main.yml"


def local_settings() -> dict:
    return yaml.safe_load(SHARED_DEFAULTS.read_text()) | yaml.safe_load(SETTINGS_FILE.read_text())


def service_url() -> str:
    """The service's base URL on the VPS (loopback), as the roles derive it."""
    settings = local_settings()
    return (
        f"http://{settings['swissenergy_service_address']}:{settings['swissenergy_service_port']}"
    )


def main(names: list[str]) -> int:
    settings = local_settings()
    missing = [name for name in names if name not in settings]
    if missing:
        print(f"not set in {SETTINGS_FILE}: {', '.join(missing)}", file=sys.stderr)
        return 1
    for name in names:
        print(settings[name])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
