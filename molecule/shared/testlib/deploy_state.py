"""The release forecast_service put live on a VPS, read from its deploy state
(swissenergy_deploy_state_file) through a testinfra host: the tests of the scenarios that
deploy the service (default, service_stack, backup) name containers and images by it."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

STATE_FILE = yaml.safe_load(
    (Path(__file__).resolve().parents[3] / "roles/swissenergy/defaults/main.yml").read_text()
)["swissenergy_deploy_state_file"]
IMAGE = "swissenergy-backend"


def active(host) -> dict:
    """The active release: {"release", "slot", "config"}."""
    return json.loads(host.file(STATE_FILE).content_string)["active"]


def container(host) -> str:
    """The container of the active release (compose's container_name: IMAGE-SLOT)."""
    return f"{IMAGE}-{active(host)['slot']}"


def image(host) -> str:
    """The active release's image (its tag is the release)."""
    return f"{IMAGE}:{active(host)['release']}"
