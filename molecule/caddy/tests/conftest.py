"""Fixtures shared with the whole-site scenario (molecule/shared/testlib/outside_client.py)."""

from outside_client import https_ready, pebble_root  # noqa: F401  (pytest finds them by name)
