"""The preflight play refuses missing settings and placeholder secrets, naming them and never
printing a secret's value. Runs the real play against localhost."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from localhost_play import REPO_ROOT, ansible_playbook, write_inventory

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
