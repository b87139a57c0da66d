"""Filters of the ssh_hardening role."""

from __future__ import annotations


def ssh_hardening_settings(lines):
    """`sshd -T` output lines -> {keyword: value}. Repeated keywords (port, hostkey, ...) are
    joined with spaces, in the order sshd printed them."""
    settings: dict[str, str] = {}
    for line in lines or []:
        keyword, _, value = str(line).strip().partition(" ")
        if not keyword:
            continue
        keyword = keyword.lower()
        settings[keyword] = f"{settings[keyword]} {value}" if keyword in settings else value
    return settings


def ssh_hardening_offered(text):
    """Lines "kex: a b c" (one per `ssh -Q` query) -> {"kex": ["a", "b", "c"], ...}."""
    offered: dict[str, list[str]] = {}
    for line in (text or "").splitlines():
        query, _, names = line.partition(":")
        if names:
            offered[query.strip()] = names.split()
    return offered


class FilterModule:
    def filters(self):
        return {
            "ssh_hardening_settings": ssh_hardening_settings,
            "ssh_hardening_offered": ssh_hardening_offered,
        }
