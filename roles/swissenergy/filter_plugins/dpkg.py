"""Which packages dpkg has, from one dpkg-query call, as Jinja filters. The roles ask dpkg-query
first (milliseconds) and run apt (seconds: it reads the whole package database) only when
there is something for it to do:

    argv: "{{ PACKAGES | swissenergy_dpkg_query }}"
    when: PACKAGES | swissenergy_dpkg_missing(query.stdout) | length > 0

or, as one shell line for ansible.builtin.raw (no Python module to ship and start: about
0.15 s less per query over SSH), "{{ PACKAGES | swissenergy_dpkg_query_line }}".

dpkg-query prints nothing for a name it has never seen (and exits 1): such a name, a virtual
package, or one half-installed or removed counts as missing, so apt gets to decide. For a
removal, swissenergy_dpkg_present lists what apt would remove."""

from __future__ import annotations

import shlex

# "STATUS NAME" per package, the format the filters below read.
QUERY = ["dpkg-query", "--show", "--showformat=${db:Status-Status} ${Package}\n"]


def dpkg_query(packages: list[str]) -> list[str]:
    """The one dpkg-query command line that asks about `packages`."""
    return [*QUERY, *packages]


def dpkg_query_line(packages: list[str]) -> str:
    """The same command line, quoted for a shell (ansible.builtin.raw)."""
    return shlex.join(dpkg_query(packages))


def _installed(query_stdout: str) -> set[str]:
    pairs = (line.split() for line in query_stdout.splitlines())
    return {fields[1] for fields in pairs if len(fields) == 2 and fields[0] == "installed"}


def dpkg_missing(wanted: list[str], query_stdout: str) -> list[str]:
    installed = _installed(query_stdout)
    return [name for name in wanted if name not in installed]


def dpkg_present(wanted: list[str], query_stdout: str) -> list[str]:
    """The packages apt's state=absent would remove: on the system in any state, even
    half-installed, but not those removed already (not-installed, config-files)."""
    gone = {"not-installed", "config-files"}
    pairs = (line.split() for line in query_stdout.splitlines())
    present = {fields[1] for fields in pairs if len(fields) == 2 and fields[0] not in gone}
    return [name for name in wanted if name in present]


class FilterModule:
    def filters(self) -> dict:
        return {
            "swissenergy_dpkg_query": dpkg_query,
            "swissenergy_dpkg_query_line": dpkg_query_line,
            "swissenergy_dpkg_missing": dpkg_missing,
            "swissenergy_dpkg_present": dpkg_present,
        }
