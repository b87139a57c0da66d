"""requirements.yml lists every collection the repository uses, in a range that the
installed (pinned `ansible` package) versions satisfy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import ansible_collections
import yaml
from ansible.module_utils.compat.version import LooseVersion

REPO_ROOT = Path(__file__).resolve().parent.parent
SCANNED = ["site.yml", "playbooks", "roles", "molecule", "inventory", "library"]
# namespace.collection.name: as a task key (a module, installed or not), or anywhere else when
# it names an installed collection (connection, filter and lookup plugins).
TASK_KEY = re.compile(r"^\s*(?:- )?([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*:", re.M)
FQCN = re.compile(r"\b([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*\b")
COLLECTIONS_ROOT = Path(next(iter(ansible_collections.__path__)))
BUILTIN = {("ansible", "builtin"), ("ansible", "legacy")}
NOT_COLLECTIONS = {("ansible", "module_utils"), ("ansible", "plugins")}


def used_collections() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for entry in SCANNED:
        path = REPO_ROOT / entry
        files = [path] if path.is_file() else [*path.rglob("*.yml"), *path.rglob("*.j2")]
        for file in files:
            text = file.read_text(errors="replace")
            references = set(TASK_KEY.findall(text)) | {
                ref for ref in FQCN.findall(text) if (COLLECTIONS_ROOT / ref[0] / ref[1]).is_dir()
            }
            for namespace, name in references:
                if (namespace, name) in BUILTIN | NOT_COLLECTIONS:
                    continue
                used.setdefault(f"{namespace}.{name}", set()).add(str(file.relative_to(REPO_ROOT)))
    return used


def required() -> dict[str, str]:
    data = yaml.safe_load((REPO_ROOT / "requirements.yml").read_text())
    return {item["name"]: item["version"] for item in data["collections"]}


def installed_version(collection: str) -> str:
    namespace, name = collection.split(".")
    manifest = json.loads((COLLECTIONS_ROOT / namespace / name / "MANIFEST.json").read_text())
    return manifest["collection_info"]["version"]


def in_range(version: str, spec: str) -> bool:
    checks = {
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        "==": lambda a, b: a == b,
    }
    for clause in spec.split(","):
        match = re.fullmatch(r"\s*(>=|<=|==|<|>)\s*(\S+)\s*", clause)
        assert match, f"unsupported version clause {clause!r} in requirements.yml"
        if not checks[match[1]](LooseVersion(version), LooseVersion(match[2])):
            return False
    return True


def test_the_scan_finds_collections_in_use():
    # Guards the guard: the repository does use non-builtin collections.
    assert "community.general" in used_collections()


def test_every_used_collection_is_required():
    missing = {c: sorted(files) for c, files in used_collections().items() if c not in required()}
    assert not missing, f"add these to requirements.yml (used in): {missing}"


def test_installed_collections_are_within_the_required_ranges():
    outside = {
        name: (installed_version(name), spec)
        for name, spec in required().items()
        if not in_range(installed_version(name), spec)
    }
    assert not outside, f"installed version outside the requirements.yml range: {outside}"


def test_range_check_rejects_a_version_outside():
    assert in_range("5.4.0", ">=5.0.0,<6.0.0")
    assert not in_range("6.0.0", ">=5.0.0,<6.0.0")
    assert not in_range("4.9.9", ">=5.0.0,<6.0.0")
