"""Filters of the os_hardening role."""

from __future__ import annotations


def os_hardening_sysctl_drift(
    wanted: dict, live: list[str], prefixes: list[str] | None = None
) -> dict[str, str]:
    """The sysctls to set now: those in `wanted` whose live value differs.

    `live` holds one "key=value" line per key this kernel has (keys it lacks are absent, so
    they are never set). `prefixes`, when given, limits the result to keys starting with one
    of them (a container sets only its own namespace's keys). Values compare with runs of
    whitespace collapsed, as sysctl prints multi-value keys with tabs."""
    current: dict[str, str] = {}
    for line in live or []:
        key, sep, value = line.partition("=")
        if sep:
            current[key.strip()] = " ".join(value.split())
    return {
        key: " ".join(str(value).split())
        for key, value in sorted(wanted.items())
        if key in current
        and current[key] != " ".join(str(value).split())
        and (prefixes is None or key.startswith(tuple(prefixes)))
    }


class FilterModule:
    def filters(self):
        return {"os_hardening_sysctl_drift": os_hardening_sysctl_drift}
