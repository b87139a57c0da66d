"""swissenergy_release_env: the one mapping from a release of the deploy state to what
compose.yaml reads (the container and project by SLOT, the port by SLOT_PORT, the image tag by
RELEASE), used by forecast_service's cut-over, keep-running and stop tasks and by restore."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

ROLE = Path(__file__).resolve().parent.parent / "roles/swissenergy"
spec = importlib.util.spec_from_file_location(
    "swissenergy_releases", ROLE / "filter_plugins/releases.py"
)
assert spec and spec.loader
releases = importlib.util.module_from_spec(spec)
spec.loader.exec_module(releases)
PORTS = yaml.safe_load((ROLE / "defaults/main.yml").read_text())["swissenergy_release_ports"]


def test_each_slot_gets_its_own_port() -> None:
    env = releases.release_env({"slot": "green", "release": "0123456789ab"}, PORTS)
    assert env == {"SLOT": "green", "SLOT_PORT": str(PORTS["green"]), "RELEASE": "0123456789ab"}
    assert releases.release_env({"slot": "blue", "release": "x"}, PORTS)["SLOT_PORT"] == str(
        PORTS["blue"]
    )


def test_an_unknown_slot_is_refused_with_the_setting_named() -> None:
    with pytest.raises(AnsibleFilterError, match="'red' is not one of swissenergy_release_ports"):
        releases.release_env({"slot": "red", "release": "x"}, PORTS)
