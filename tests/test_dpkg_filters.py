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


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="needs dpkg-query (Debian/Ubuntu)")
def test_shell_line_runs_the_same_query() -> None:
    # The raw tasks hand this line to a shell: it must reach dpkg-query as the same argv,
    # format string ($, space, newline) intact, and answer line for line as the argv does.
    packages = ["dpkg", "no-such-pkg-x"]
    by_argv = subprocess.run(dpkg.dpkg_query(packages), capture_output=True, text=True, check=False)
    by_shell = subprocess.run(
        ["/bin/sh", "-c", dpkg.dpkg_query_line(packages)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (by_shell.returncode, by_shell.stdout) == (by_argv.returncode, by_argv.stdout)
    assert dpkg.dpkg_missing(packages, by_shell.stdout) == ["no-such-pkg-x"]
