"""The preflight play refuses missing settings and placeholder secrets, naming them and never
printing a secret's value. Runs the real play against localhost."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from localhost_play import REPO_ROOT, ansible_playbook, local_host, write_inventory

SECRET = "entsoe-secret-value-do-not-print"
COMPLETE = {
    "caddy_domain": "forecast.example.org",
    "caddy_acme_email": "ops@example.org",
    "deploy_key_github_owner": "example",
    "deploy_key_github_repo": "swissenergy",
    "forecast_service_entsoe_api_key": SECRET,
    "deploy_key_github_token": "ghp_token-value-do-not-print",
}


def run_preflight(tmp_path: Path, host_vars: dict) -> subprocess.CompletedProcess:
    inventory = write_inventory(tmp_path / "hosts.yml", host_vars)
    return ansible_playbook(inventory, REPO_ROOT / "playbooks" / "preflight.yml", timeout=120)


def run_preflight_on(tmp_path: Path, groups: dict) -> subprocess.CompletedProcess:
    """The preflight play on an inventory of the given groups (every host local, the complete
    settings on all of them)."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump(groups | {"all": {"vars": COMPLETE}}))
    return ansible_playbook(inventory, REPO_ROOT / "playbooks" / "preflight.yml", timeout=180)


def hosts(*names: str) -> dict:
    return {"hosts": {name: local_host() for name in names}}


def test_complete_settings_pass(tmp_path):
    run = run_preflight(tmp_path, COMPLETE)
    assert run.returncode == 0, run.stdout + run.stderr
    assert SECRET not in run.stdout + run.stderr


@pytest.mark.parametrize("missing", ["caddy_domain", "deploy_key_github_repo"])
def test_a_missing_setting_is_named(tmp_path, missing):
    run = run_preflight(tmp_path, {k: v for k, v in COMPLETE.items() if k != missing})
    assert run.returncode != 0
    assert f"Not set for testhost: {missing} (set it in" in " ".join(run.stdout.split())


@pytest.mark.parametrize("placeholder", ["", "CHANGE-ME"])
def test_a_placeholder_secret_is_named_and_no_secret_printed(tmp_path, placeholder):
    run = run_preflight(tmp_path, COMPLETE | {"deploy_key_github_token": placeholder})
    output = " ".join(run.stdout.split())
    assert run.returncode != 0
    assert "Empty or a placeholder for testhost: deploy_key_github_token." in output
    assert "vault_github_token" in output
    assert SECRET not in run.stdout + run.stderr


def test_acme_email_required_only_for_https(tmp_path):
    without_email = {k: v for k, v in COMPLETE.items() if k != "caddy_acme_email"}
    assert run_preflight(tmp_path, without_email).returncode != 0
    assert run_preflight(tmp_path, without_email | {"caddy_https": False}).returncode == 0


@pytest.mark.parametrize(
    ("stale", "replacement"),
    [
        ("forecast_service_source_dir", "swissenergy_checkout_dir"),
        ("forecast_service_url", "swissenergy_service_address and swissenergy_service_port"),
        ("caddy_internal_paths", "caddy_public_paths"),
    ],
)
def test_a_setting_that_no_longer_exists_is_named_with_its_replacement(
    tmp_path, stale, replacement
):
    run = run_preflight(tmp_path, COMPLETE | {stale: "/srv/somewhere"})
    assert run.returncode != 0
    output = " ".join(run.stdout.split())
    assert f"no longer used: {stale} (set {replacement}" in output, run.stdout[-2000:]


@pytest.mark.parametrize("setting", ["backup_repository", "backup_sftp_host"])
def test_backups_configured_need_their_password(tmp_path, setting):
    configured = COMPLETE | {setting: "sftp:backup@backup.example:/srv/restic"}
    run = run_preflight(tmp_path, configured | {"backup_password": "CHANGE-ME"})
    assert run.returncode != 0
    assert "but backup_password is empty or a placeholder" in " ".join(run.stdout.split())
    password = "restic-password-do-not-print"
    run = run_preflight(tmp_path, configured | {"backup_password": password})
    assert run.returncode == 0, run.stdout + run.stderr
    assert password not in run.stdout + run.stderr


def test_one_edge_and_two_app_hosts_pass(tmp_path):
    inventory = {"vps": {"children": {"edge": hosts("edge1"), "app": hosts("app1", "app2")}}}
    run = run_preflight_on(tmp_path, inventory)
    assert run.returncode == 0, run.stdout[-3000:]
    recap = run.stdout.split("PLAY RECAP")[-1]
    for host in ("edge1", "app1", "app2"):
        assert re.search(rf"^{host}\s+: ok=\d+ .*failed=0", recap, re.MULTILINE), recap


@pytest.mark.parametrize(
    ("children", "problem"),
    [
        ({"app": hosts("app1")}, "no host in the group edge (add the host(s) the domain points at"),
        (
            {"edge": hosts("edge1")},
            "no host in the group app (add the host(s) that run the service",
        ),
    ],
)
def test_a_missing_group_is_named_with_the_fix(tmp_path, children, problem):
    run = run_preflight_on(tmp_path, {"vps": {"children": children}})
    output = " ".join(run.stdout.split())
    assert run.returncode != 0
    assert f"The inventory's groups do not add up: {problem}" in output, output[-3000:]


def test_an_inventory_of_only_vps_names_both_groups(tmp_path):
    """An inventory written before the groups existed is refused, not half-run."""
    run = run_preflight_on(tmp_path, {"vps": hosts("oldhost")})
    output = " ".join(run.stdout.split())
    assert run.returncode != 0
    assert "no host in the group edge" in output and "no host in the group app" in output


def test_an_edge_or_app_host_outside_vps_is_named_and_nothing_else_runs(tmp_path):
    inventory = {"vps": {"children": {"app": hosts("app1")}}, "edge": hosts("edge1")}
    run = run_preflight_on(tmp_path, inventory)
    output = " ".join(run.stdout.split())
    assert run.returncode != 0
    assert "in edge or app but not in vps: edge1 (make edge and app children of vps" in output
    # Fatal for every host: no later check ran on app1, which is otherwise complete.
    assert "Assert no setting that no longer exists is set" not in output, output[-3000:]
