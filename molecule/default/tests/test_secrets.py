"""No secret leaks: the known secrets of inventory/local appear in no Ansible output of this
site (make demo, its re-run and check mode in the test command, and molecule's own runs log to
.cache/site-ansible.log, with diffs on), in
no log on the VPS, in no image layer or history, and not in `docker inspect`."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml
from deploy_state import container, image

testinfra_hosts = ["swissenergy-local-vps"]

REPO_ROOT = Path(__file__).resolve().parents[3]
VAULT = REPO_ROOT / "inventory/local/group_vars/all/vault.yml"
# Where molecule's runs (molecule.yml) and the test command's own site.yml runs (make demo,
# its re-run, check mode: scripts/test.sh) write their output.
ANSIBLE_LOG = REPO_ROOT / ".cache/site-ansible.log"
SECRETS = yaml.safe_load(VAULT.read_text())
# Part of the command, not an argument: quoted as one it would name no directory.
LOG_DIRS = "/var/log /tmp /root /home /etc /srv /opt /var/lib"


@pytest.fixture(scope="module", params=sorted(SECRETS))
def secret(request) -> str:
    value = SECRETS[request.param]
    assert len(value) >= 16, "secrets must be distinctive for this test to mean anything"
    return value


def count_in_output(host, command: str, secret: str) -> str:
    """Lines of `command`'s output holding secret; fails if the command itself fails (a
    failing docker would otherwise count 0, as grep -c of no input)."""
    pipeline = f"{command} | {{ grep -caF -- {shlex.quote(secret)} || true; }}"
    result = host.run("bash -o pipefail -c %s", pipeline)
    assert result.rc == 0, f"{command}: {result.stderr}"
    return result.stdout.strip()


def test_ansible_output_holds_no_secret(secret):
    text = ANSIBLE_LOG.read_text(errors="replace")
    # Guards the guard: the log really has the site's runs, diffs included.
    assert "forecast_service : Write the ENTSO-E key as a compose secret" in text
    assert "--- before" in text
    assert secret not in text


def test_vps_logs_hold_no_secret(host, secret):
    assert count_in_output(host, "journalctl --no-pager -o cat", secret) == "0"
    # grep: 0 found, 1 none found; 2 is an error (a tree not searched).
    search = host.run(f"grep -rlF --devices=skip -- %s {LOG_DIRS}", secret)
    assert search.rc in (0, 1), search.stderr
    # The one place the ENTSO-E key must be: the compose secret file the container reads.
    assert set(search.stdout.split()) <= {"/opt/swissenergy/src/service/secrets/entsoe_api_key"}
    assert count_in_output(host, f"docker logs {container(host)} 2>&1", secret) == "0"


def test_images_and_inspect_hold_no_secret(host, secret):
    assert count_in_output(host, f"docker inspect {container(host)}", secret) == "0"
    history = f"docker history --no-trunc {image(host)}"
    assert count_in_output(host, history, secret) == "0"
    # docker save writes every layer uncompressed: a plain search covers every file in them.
    assert count_in_output(host, f"docker save {image(host)}", secret) == "0"


def test_the_github_token_never_reaches_the_vps(host):
    token = SECRETS["vault_github_token"]
    found = host.run(f"grep -rlF --devices=skip -- %s {LOG_DIRS}", token)
    assert found.rc == 1, found.stdout + found.stderr  # 1: searched everything, found nothing
