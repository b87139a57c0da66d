"""The outside client's view shared by the scenarios that test the site from the internet's
side (caddy, default): the client is the Pebble container, on the VPS's network, resolving the
VPS's domain like the internet would and trusting only what Pebble issued.

Each scenario's tests/conftest.py imports the fixtures by name; molecule puts this directory on
the verifier's PYTHONPATH (.config/molecule/config.yml)."""

from __future__ import annotations

import time

import pytest
from local_settings import local_settings

# The domain the local settings give the site (inventory/local): the caddy and default
# scenarios name their VPS by it on the scenario network.
DOMAIN = local_settings()["caddy_domain"]
# The CA of Pebble's own listeners (ACME directory, management API) and where the client keeps
# Pebble's issuing root once fetched.
LISTENER_CA = "/etc/pebble/listener-ca.pem"
PEBBLE_ROOT = "/tmp/pebble-root.pem"

# Every spelling of the internal route a client could try. Those above the line reach the
# backend's route when sent straight to it (uvicorn decodes %XX once, Starlette matches the
# exact path, redirect_slashes turns the trailing slash into a redirect to it); the others only
# would behind a proxy or framework that normalises more. All must be 404 from outside.
INTERNAL_SPELLINGS = [
    "/update-forecast",
    "/update-forecast/",
    "/update%2Dforecast",
    "/update%2dforecast",
    "/%75pdate-forecast",
    "/update-forecast?x=1",
    "/update-forecast?",
    # ---
    "/Update-Forecast",
    "/UPDATE-FORECAST",
    "/%55PDATE%2DFORECAST",
    "/update-forecast%2F",
    "/update-forecast%2f?x=1",
    "/update%252Dforecast",
    "/update%25252dforecast",
    "/%2575pdate-forecast",
    "//update-forecast",
    "///update-forecast//",
    "/%2Fupdate-forecast",
    "/./update-forecast",
    "/%2e/update-forecast",
    "/x/../update-forecast",
    "/x/%2E%2E/update-forecast",
    "/update-forecast/.",
    "/update-forecast.",
    "/update-forecast;x=1",
    "/update-forecast%3Fx=1",
    "/update-forecast%20",
    "/update-forecast/x",
]


@pytest.fixture(scope="module")
def pebble_root(host) -> str:
    """Pebble's issuing root (a new one each time Pebble starts), from its management API."""
    host.run_test(
        "curl -sSf --cacert %s -o %s https://pebble.test:15000/roots/0", LISTENER_CA, PEBBLE_ROOT
    )
    return PEBBLE_ROOT


@pytest.fixture(scope="module")
def https_ready(host, pebble_root) -> None:
    """Caddy gets its certificate in the background after start: wait for it (normally 1-5 s)."""
    for _ in range(90):
        if host.run("curl -sS -o /dev/null --cacert %s https://%s/", pebble_root, DOMAIN).rc == 0:
            return
        time.sleep(1)
    pytest.fail(f"https://{DOMAIN}/ never answered with a certificate Pebble issued")
