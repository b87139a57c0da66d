"""The dpkg filters the roles use to skip apt when everything is installed: a package counts as
installed only when dpkg says so, so apt still runs for anything else."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parent.parent / "roles/swissenergy/filter_plugins/dpkg.py"
spec = importlib.util.spec_from_file_location("swissenergy_dpkg", PLUGIN)
assert spec and spec.loader
dpkg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dpkg)

# What dpkg-query --show --showformat='${db:Status-Status} ${Package}\n' prints for an
# installed, a removed (config files kept), a never-installed-but-known and a broken package.
QUERY = "installed zsh\nconfig-files podman-docker\nnot-installed docker-ce\nhalf-installed runc\n"


def test_only_installed_packages_count() -> None:
    wanted = ["zsh", "podman-docker", "docker-ce", "runc", "unknown-to-dpkg"]
    assert dpkg.dpkg_missing(wanted, QUERY) == [
        "podman-docker",
        "docker-ce",
        "runc",
        "unknown-to-dpkg",
    ]


def test_removal_sees_every_package_not_yet_removed() -> None:
    wanted = ["zsh", "podman-docker", "docker-ce", "runc", "unknown-to-dpkg"]
    assert dpkg.dpkg_present(wanted, QUERY) == ["zsh", "runc"]


def test_empty_answer_means_everything_missing() -> None:
    assert dpkg.dpkg_missing(["git", "curl"], "") == ["git", "curl"]


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="needs dpkg-query (Debian/Ubuntu)")
def test_real_dpkg_query_output() -> None:
    # dpkg itself is always installed; the made-up name is unknown (dpkg-query exits 1).
    result = subprocess.run(
        dpkg.dpkg_query(["dpkg", "no-such-pkg-x"]),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert dpkg.dpkg_missing(["dpkg", "no-such-pkg-x"], result.stdout) == ["no-such-pkg-x"]
