"""Testinfra lists the inventory with ansible-inventory, whose output holds the vault
variables by design; it must not go to the scenario's Ansible log, which the secret-leak test
reads as the record of the site's runs (make demo, its re-run, check mode)."""

import os

os.environ.pop("ANSIBLE_LOG_PATH", None)

from outside_client import https_ready, pebble_root  # noqa: F401  (pytest finds them by name)
