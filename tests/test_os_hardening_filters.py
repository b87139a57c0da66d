"""The os_hardening sysctl filter: only keys this kernel has and whose live value differs are
set, and in a container only those of its own network namespace."""

from __future__ import annotations

import importlib.util
from pathlib import Path

PLUGIN = (
    Path(__file__).resolve().parent.parent / "roles/os_hardening/filter_plugins/os_hardening.py"
)
spec = importlib.util.spec_from_file_location("os_hardening_filters", PLUGIN)
assert spec and spec.loader
filters = importlib.util.module_from_spec(spec)
spec.loader.exec_module(filters)

WANTED = {
    "kernel.kptr_restrict": 2,
    "net.ipv4.tcp_syncookies": 1,
    "net.ipv4.conf.all.rp_filter": 1,
    "net.ipv4.ip_local_port_range": "32768\t60999",
    "fs.protected_regular": 2,
}
# What the role's read prints: one key=value line per key the kernel has (no fs.protected_regular).
LIVE = [
    "kernel.kptr_restrict=0",
    "net.ipv4.tcp_syncookies=1",
    "net.ipv4.conf.all.rp_filter=2",
    "net.ipv4.ip_local_port_range=32768 \t 60999",
]


def test_only_differing_keys_the_kernel_has_are_set() -> None:
    assert filters.os_hardening_sysctl_drift(WANTED, LIVE) == {
        "kernel.kptr_restrict": "2",
        "net.ipv4.conf.all.rp_filter": "1",
    }


def test_a_container_sets_only_its_namespace_keys() -> None:
    assert filters.os_hardening_sysctl_drift(WANTED, LIVE, ["net."]) == {
        "net.ipv4.conf.all.rp_filter": "1"
    }


def test_nothing_to_set_when_nothing_was_read() -> None:
    assert filters.os_hardening_sysctl_drift(WANTED, []) == {}
