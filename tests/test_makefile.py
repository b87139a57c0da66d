"""`make help` lists every Makefile target with its one-line description."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (REPO_ROOT / "Makefile").read_text()
TARGETS = re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.M)


@pytest.fixture(scope="module")
def listing() -> dict[str, str]:
    assert shutil.which("make"), "make is missing: apt-get install make"
    # Plain `make`: help is the first target, so nothing heavy starts by accident.
    run = subprocess.run(
        ["make", "--no-print-directory"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return dict(re.findall(r"^  make (\S+) +(.+)$", run.stdout, re.M))


def test_the_makefile_has_the_entry_points():
    assert {"demo", "down", "test", "help"} <= set(TARGETS)
    assert TARGETS[0] == "help"


def test_every_target_is_listed_with_a_description(listing: dict[str, str]):
    assert sorted(listing) == sorted(TARGETS)
    assert all(len(description) > 10 for description in listing.values()), listing


def test_every_target_is_phony():
    phony = set(re.search(r"^\.PHONY: (.+)$", MAKEFILE, re.M)[1].split())
    assert phony == set(TARGETS)
