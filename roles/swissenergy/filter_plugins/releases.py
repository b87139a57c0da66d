"""What compose needs to address one release's slot, as a Jinja filter: every task that starts,
keeps, stops or restores a release passes these variables to compose.yaml, which names the
container, the image tag and the loopback port by them.

    environment: "{{ __state.active | swissenergy_release_env(swissenergy_release_ports) }}"
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def release_env(release: dict, ports: dict) -> dict[str, str]:
    """{"slot", "release"} (an entry of the deploy state) -> SLOT, SLOT_PORT and RELEASE."""
    slot = release.get("slot")
    if slot not in ports:
        raise AnsibleFilterError(
            f"swissenergy_release_env: slot {slot!r} is not one of swissenergy_release_ports "
            f"({', '.join(sorted(ports))}); fix the deploy state file or the setting"
        )
    return {"SLOT": slot, "SLOT_PORT": str(ports[slot]), "RELEASE": str(release["release"])}


class FilterModule:
    def filters(self) -> dict:
        return {"swissenergy_release_env": release_env}
