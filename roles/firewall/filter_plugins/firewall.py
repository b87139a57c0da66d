"""Filters of the firewall role: port lists and the exposure check.

firewall_ports               [80, "51820/udp"] -> [{"port": 80, "proto": "tcp"}, ...]
firewall_listeners           `ss -H -ltnp` output -> [{"address", "port", "process"}, ...]
firewall_docker_published    `docker ps --format '{{.Names}} {{.Ports}}'` output -> same shape
firewall_private_rules       [{"port", "listen", "sources"}] -> same, sources split by family
firewall_exposure_problems   both outputs and the policy -> list of messages (empty: all good)
"""

from __future__ import annotations

import ipaddress
import re

from ansible.errors import AnsibleFilterError

_PORT_ITEM = re.compile(r"^(\d{1,5})(?:/(tcp|udp))?$")
_DOCKER_MAPPING = re.compile(
    r"^(?P<address>.*):(?P<first>\d+)(?:-(?P<last>\d+))?->\d+(?:-\d+)?/(?P<proto>tcp|udp|sctp)$"
)


def firewall_ports(items):
    """Normalise a list of ports (number = TCP, or "PORT/tcp", "PORT/udp")."""
    result = []
    for item in items or []:
        match = _PORT_ITEM.match(str(item).strip())
        if not match or not 1 <= int(match.group(1)) <= 65535:
            raise AnsibleFilterError(
                f"firewall: '{item}' is not a port; use a number (TCP) or 'PORT/tcp' or 'PORT/udp'"
            )
        result.append({"port": int(match.group(1)), "proto": match.group(2) or "tcp"})
    return result


def _address(value: str, what: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(str(value).strip("[]"))
    except ValueError:
        raise AnsibleFilterError(
            f"firewall: {what} '{value}' is not an IP address; nftables needs one. Set the"
            " host's caddy_app_address (or ansible_host) to its address on the private network"
        ) from None


def firewall_private_rules(items):
    """Check firewall_private_ports; sources split into IPv4 and IPv6 for the nftables rules."""
    rules = []
    for item in items or []:
        port = int(item["port"])
        if not 1 <= port <= 65535 or not item.get("sources"):
            raise AnsibleFilterError(
                f"firewall: firewall_private_ports entry {item} needs a port (1-65535) and at"
                " least one source address"
            )
        sources = sorted({_address(source, "source") for source in item["sources"]}, key=str)
        rules.append(
            {
                "port": port,
                "listen": str(_address(item["listen"], "listen address")),
                "v4": [str(a) for a in sources if a.version == 4],
                "v6": [str(a) for a in sources if a.version == 6],
            }
        )
    return rules


def _split_address(local: str) -> tuple[str, int]:
    address, _, port = local.rpartition(":")
    return address.strip("[]"), int(port)


def _is_loopback(address: str) -> bool:
    address, _, scope = address.partition("%")
    if scope == "lo":
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # "*" and anything odd count as public
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def firewall_listeners(ss_output):
    """Parse `ss -H -ltnp` (TCP listeners; the process column is optional)."""
    listeners = []
    for line in (ss_output or "").splitlines():
        fields = line.split(None, 5)
        if len(fields) < 5 or not fields[3][-1:].isdigit():
            continue
        address, port = _split_address(fields[3])
        process = fields[5] if len(fields) > 5 else ""
        names = re.findall(r'\("([^"]+)"', process)
        listeners.append({"address": address, "port": port, "process": ",".join(names)})
    return listeners


def firewall_docker_published(docker_output):
    """Parse `docker ps --format '{{.Names}} {{.Ports}}'`: the host side of each mapping."""
    published = []
    for line in (docker_output or "").splitlines():
        name, _, ports = line.strip().partition(" ")
        for mapping in (part.strip() for part in ports.split(",")):
            match = _DOCKER_MAPPING.match(mapping)
            if not match or match.group("proto") != "tcp":
                continue
            first = int(match.group("first"))
            last = int(match.group("last") or first)
            address = match.group("address").strip("[]") or "::"
            for port in range(first, last + 1):
                published.append({"address": address, "port": port, "process": f"docker:{name}"})
    return published


def _same_address(one: str, other: str) -> bool:
    try:
        return ipaddress.ip_address(one.partition("%")[0]) == ipaddress.ip_address(other)
    except ValueError:
        return False


def firewall_exposure_problems(
    ss_output, docker_output, open_tcp_ports, ignore_ports=(), loopback_ports=(), private=()
):
    """Every TCP port reachable on a non-loopback address that the policy does not allow.
    PRIVATE (firewall_private_rules): a port allowed on exactly its listen address, where the
    ruleset lets only its sources reach it."""
    allowed = {int(port) for port in open_tcp_ports} | {int(port) for port in ignore_ports}
    loopback_only = {int(port) for port in loopback_ports}
    problems = []
    seen = set()
    entries = firewall_listeners(ss_output) + firewall_docker_published(docker_output)
    for entry in entries:
        # Docker's published ports bypass the input chain, so its source rule: never private.
        if _is_loopback(entry["address"]) or any(
            entry["port"] == rule["port"]
            and _same_address(entry["address"], rule["listen"])
            and not entry["process"].startswith("docker:")
            for rule in private
        ):
            continue
        key = (entry["address"], entry["port"], entry["process"])
        if key in seen:
            continue
        seen.add(key)
        address = f"[{entry['address']}]" if ":" in entry["address"] else entry["address"]
        where = f"{address}:{entry['port']} ({entry['process'] or 'unknown process'})"
        if entry["port"] in loopback_only:
            problems.append(
                f"port {entry['port']} must listen on 127.0.0.1 only, but listens on {where}"
            )
        elif entry["port"] not in allowed:
            problems.append(f"{where} listens on a public address and is not an allowed port")
    return problems


class FilterModule:
    def filters(self):
        return {
            "firewall_ports": firewall_ports,
            "firewall_listeners": firewall_listeners,
            "firewall_docker_published": firewall_docker_published,
            "firewall_private_rules": firewall_private_rules,
            "firewall_exposure_problems": firewall_exposure_problems,
        }
