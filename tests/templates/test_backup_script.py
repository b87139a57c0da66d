"""The backup role's script and environment file, rendered as a run renders them, driving this
machine's real restic against a local repository. On Debian 12 that is restic 0.14, which exits 1
for every failure (0.15 added the codes 10 "no repository" and 12 "wrong password"); the
backup scenario runs Debian 13's restic on the VPS. Both must create a missing repository,
reopen an existing one and name a wrong password."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "molecule" / "shared" / "testlib"))
from role_render import render_role_template

PASSWORD = "test-restic-password-5e1f"


@pytest.fixture
def backup(tmp_path: Path):
    """Runs the rendered script with the rendered environment file; returns (rc, out, err)."""
    if not (shutil.which("restic") and shutil.which("jq")):
        pytest.skip("restic and jq are missing: apt-get install restic jq")
    paths = {
        "__backup_env_file": str(tmp_path / "env"),
        "__backup_password_file": str(tmp_path / "password"),
        "__backup_cache_dir": str(tmp_path / "cache"),
        "__backup_state_dir": str(tmp_path / "state"),
        "__backup_staging_dir": str(tmp_path / "staging"),
        "backup_repository": str(tmp_path / "repo"),
        "backup_ping_success_url": "https://hc.example/ping/secret-token-1",
    }
    (tmp_path / "password").write_text(PASSWORD)
    (tmp_path / "env").write_text(
        render_role_template("backup", "etc/swissenergy-backup/env.j2", **paths)
    )
    script = tmp_path / "swissenergy-backup"
    script.write_text(
        render_role_template("backup", "usr/local/sbin/swissenergy-backup.j2", **paths)
    )
    script.chmod(0o700)

    def run(*args: str) -> tuple[int, str, str]:
        result = subprocess.run(
            [str(script), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
        )
        return result.returncode, result.stdout, result.stderr

    return run


def test_init_creates_a_missing_repository_then_reopens_it(backup, tmp_path: Path):
    rc, out, err = backup("init")
    assert rc == 0, err
    assert "repository initialised" in out
    assert (tmp_path / "repo" / "config").is_file()
    rc, out, err = backup("init")
    assert rc == 0, err
    assert out.strip().endswith("repository exists")
    rc, out, err = backup("list")
    assert (rc, json.loads(out)) == (0, []), err


def test_a_wrong_password_is_named(backup, tmp_path: Path):
    assert backup("init")[0] == 0
    (tmp_path / "password").write_text("not-the-password")
    rc, _, err = backup("list")
    assert rc != 0
    assert "list the snapshots: wrong repository password" in err, err
    # init must not take a wrong password for a missing repository and create another one.
    rc, _, err = backup("init")
    assert rc != 0 and "wrong repository password" in err, err


def test_a_missing_repository_is_named(backup):
    rc, _, err = backup("list")
    assert rc != 0
    assert "list the snapshots: no restic repository at the configured backup_repository" in err


def test_the_ping_urls_live_in_the_root_only_environment_file(tmp_path: Path):
    script = render_role_template(
        "backup",
        "usr/local/sbin/swissenergy-backup.j2",
        backup_ping_success_url="https://hc.example/ping/secret-token-1",
        backup_ping_failure_url="https://hc.example/ping/secret-token-2",
    )
    assert "secret-token" not in script
    env = render_role_template(
        "backup",
        "etc/swissenergy-backup/env.j2",
        backup_ping_success_url="https://hc.example/ping/secret-token-1",
    )
    assert "BACKUP_PING_SUCCESS_URL=https://hc.example/ping/secret-token-1" in env
