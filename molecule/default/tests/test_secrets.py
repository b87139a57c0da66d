"""No secret leaks: the known secrets of inventory/local appear in no Ansible output of this
site (make demo, its re-run and check mode in the test command, and molecule's own runs log to
.cache/site-ansible.log, with diffs on), in
no log on the VPS, in no image layer or history, and not in `docker inspect`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

testinfra_hosts = ["swissenergy-local-vps"]

REPO_ROOT = Path(__file__).resolve().parents[3]
VAULT = REPO_ROOT / "inventory/local/group_vars/all/vault.yml"
# Where molecule's runs (molecule.yml) and the test command's own site.yml runs (make demo,
# its re-run, check mode: scripts/test.sh) write their output.
ANSIBLE_LOG = REPO_ROOT / ".cache/site-ansible.log"
SECRETS = yaml.safe_load(VAULT.read_text())
LOG_DIRS = "/var/log /tmp /root /home /etc /srv"


@pytest.fixture(scope="module", params=sorted(SECRETS))
def secret(request) -> str:
    value = SECRETS[request.param]
    assert len(value) >= 16, "secrets must be distinctive for this test to mean anything"
    return value


def test_ansible_output_holds_no_secret(secret):
    text = ANSIBLE_LOG.read_text(errors="replace")
    # Guards the guard: the log really has the site's runs, diffs included.
    assert "forecast_service : Write the ENTSO-E key as a compose secret" in text
    assert "--- before" in text
    assert secret not in text


def test_vps_logs_hold_no_secret(host, secret):
    assert host.run("journalctl --no-pager -o cat | grep -cF -- %s", secret).stdout.strip() == "0"
    found = host.run("grep -rlF --devices=skip -- %s %s", secret, LOG_DIRS).stdout.split()
    # The one place the ENTSO-E key must be: the compose secret file the container reads.
    assert set(found) <= {"/opt/swissenergy/src/service/secrets/entsoe_api_key"}
    assert (
        host.run("docker logs swissenergy-backend 2>&1 | grep -cF -- %s", secret).stdout.strip()
        == "0"
    )


def test_images_and_inspect_hold_no_secret(host, secret):
    assert (
        host.run("docker inspect swissenergy-backend | grep -cF -- %s", secret).stdout.strip()
        == "0"
    )
    assert (
        host.run(
            "docker history --no-trunc swissenergy-backend:latest | grep -cF -- %s", secret
        ).stdout.strip()
        == "0"
    )
    # docker save writes every layer uncompressed: a plain search covers every file in them.
    assert (
        host.run("docker save swissenergy-backend:latest | grep -caF -- %s", secret).stdout.strip()
        == "0"
    )


def test_the_github_token_never_reaches_the_vps(host):
    token = SECRETS["vault_github_token"]
    found = host.run("grep -rlF --devices=skip -- %s %s /opt /var/lib", token, LOG_DIRS)
    assert found.stdout == ""
