"""firewall, ssh_hardening and auto_updates on the converged VPS containers (Debian 13 and 12),
seen from inside and from the client container on the same network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = AnsibleRunner(INVENTORY).get_hosts("vps")
SCENARIO_DIR = Path(__file__).resolve().parent.parent
# The ansible-playbook next to this Python (the project's venv), else the one on PATH.
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
if not Path(ANSIBLE_PLAYBOOK).exists():
    ANSIBLE_PLAYBOOK = shutil.which("ansible-playbook") or "ansible-playbook"
CLIENT = "hardening-client"
KEY = "/root/.ssh/id_ed25519"
SSH = (
    "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
    "-o ConnectTimeout=5 -o LogLevel=ERROR"
)
# Tries every port at once (bounded: one attempt each, 2 s) and reports open, refused or
# filtered (no answer: the firewall dropped it).
PROBE = """
import json, socket, sys
from concurrent.futures import ThreadPoolExecutor
def probe(port):
    s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET)
    s.settimeout(2)
    try:
        s.connect((sys.argv[1], port))
        return 'open'
    except ConnectionRefusedError:
        return 'refused'
    except TimeoutError:
        return 'filtered'
    except OSError as error:
        return 'error %s' % error.errno
    finally:
        s.close()
ports = [int(p) for p in sys.argv[2].split(',')]
with ThreadPoolExecutor(len(ports)) as pool:
    print(json.dumps(dict(zip(map(str, ports), pool.map(probe, ports)))))
"""


@pytest.fixture(scope="module")
def client():
    return testinfra.get_host(f"ansible://{CLIENT}", ansible_inventory=INVENTORY)


def name(host) -> str:
    return host.backend.get_hostname()


def probe(host, target: str, ports: list[int], netns: str = "") -> dict[int, str]:
    prefix = f"ip netns exec {netns} " if netns else ""
    out = host.check_output(
        f"{prefix}python3 -c %s %s %s", PROBE, target, ",".join(map(str, ports))
    )
    return {int(port): state for port, state in json.loads(out).items()}


def sshd_settings(host) -> dict[str, str]:
    settings: dict[str, str] = {}
    for line in host.check_output("sshd -T").splitlines():
        keyword, _, value = line.partition(" ")
        settings[keyword] = f"{settings[keyword]} {value}" if keyword in settings else value
    return settings


# --- firewall -----------------------------------------------------------------------------


def test_only_ssh_and_web_ports_answer_from_outside(host, client):
    # 5432 listens on every address and 8080 on 127.0.0.1; 9000 is published Docker-style and
    # not allowed; 8443 is published and allowed (firewall_extra_ports); 9999 has no listener.
    states = probe(client, name(host), [22, 80, 443, 8443, 5432, 8080, 9000, 9999])
    assert states == {
        22: "open",
        80: "open",
        443: "open",
        8443: "open",
        5432: "filtered",
        8080: "filtered",
        9000: "filtered",
        9999: "filtered",
    }


def test_ipv6_is_filtered_too(host):
    # From the namespace on the VPS's IPv6 network: 80/443 (dual-stack listeners) answer,
    # 5432 (also dual-stack, answered before the firewall: see prepare.yml) does not.
    assert probe(host, "fd00:99::1", [80, 443, 5432, 9999], netns="fakectr") == {
        80: "open",
        443: "open",
        5432: "filtered",
        9999: "filtered",
    }


def test_ssh_is_rate_limited_per_source(host):
    # 14 new connections in a row from one address (the namespace, not the client): the
    # burst of 10 gets through, then the rest is dropped.
    script = (
        "import socket\n"
        "states = []\n"
        "for _ in range(14):\n"
        "    s = socket.socket(); s.settimeout(1)\n"
        "    try:\n"
        "        s.connect(('10.99.0.1', 22)); states.append('open')\n"
        "    except TimeoutError:\n"
        "        states.append('filtered')\n"
        "    finally:\n"
        "        s.close()\n"
        "print(' '.join(states))\n"
    )
    states = host.check_output("ip netns exec fakectr python3 -c %s", script).split()
    assert 8 <= states.count("open") <= 12, states
    assert states[-1] == "filtered", states


def test_service_port_is_bound_to_loopback_only(host):
    listeners = host.check_output("ss -H -ltn 'sport = :8080'").splitlines()
    assert listeners, "nothing listens on 8080"
    assert all(line.split()[3] == "127.0.0.1:8080" for line in listeners), listeners


def test_ruleset_is_loaded_and_leaves_other_tables_alone(host):
    table = host.check_output("nft list table inet firewall")
    assert "policy drop" in table
    assert "ip6 saddr limit rate over 10/minute" in table
    assert "ct original proto-dst" in table  # the Docker guard
    # Reloading (as the handler and a reboot do) keeps the Docker stand-in's nat table.
    host.check_output("systemctl reload nftables")
    assert "dnat to 10.99.0.2:80" in host.check_output("nft list table ip fakedocker")
    service = host.service("nftables")
    assert service.is_enabled and service.is_running
    exec_stop = host.check_output("systemctl show nftables --property=ExecStop")
    assert "delete table inet firewall" in exec_stop and "flush" not in exec_stop
    assert host.run("systemctl is-active firewall-rollback.timer").stdout.strip() != "active"


# --- ssh_hardening ------------------------------------------------------------------------


def test_sshd_effective_settings(host):
    settings = sshd_settings(host)
    assert settings["passwordauthentication"] == "no"
    assert settings["kbdinteractiveauthentication"] == "no"
    assert settings["permitemptypasswords"] == "no"
    assert settings["permitrootlogin"] == "without-password"  # = prohibit-password
    assert settings["pubkeyauthentication"] == "yes"
    assert settings["authenticationmethods"] == "publickey"
    assert settings["allowusers"] == "admin root"
    assert settings["maxauthtries"] == "3"
    assert settings["x11forwarding"] == "no"
    assert settings["ciphers"] == (
        "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,"
        "aes256-ctr,aes192-ctr,aes128-ctr"
    )
    assert settings["macs"] == (
        "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com"
    )
    common_kex = (
        "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
        "curve25519-sha256@libssh.org,diffie-hellman-group18-sha512,diffie-hellman-group16-sha512"
    )
    # ML-KEM exists from OpenSSH 9.9 (trixie has 10.0, bookworm 9.2).
    mlkem = "mlkem768x25519-sha256," if name(host).endswith("trixie") else ""
    assert settings["kexalgorithms"] == mlkem + common_kex


def test_dropin_sorts_first_and_cloud_init_cannot_turn_passwords_on(host):
    names = host.check_output("ls /etc/ssh/sshd_config.d").split()
    assert names[0] == "00-hardening.conf"
    dropin = host.file("/etc/ssh/sshd_config.d/00-hardening.conf")
    assert dropin.mode == 0o644 and dropin.content_string.startswith("#")
    cloud = host.file("/etc/ssh/sshd_config.d/50-cloud-init.conf").content_string
    assert cloud.strip() == "PasswordAuthentication no"
    assert (
        "ssh_pwauth: false"
        in host.file("/etc/cloud/cloud.cfg.d/99-ssh-hardening.cfg").content_string
    )


def test_password_login_is_refused(host, client):
    # admin has a password (set in prepare.yml, where this same command was offered a password).
    result = client.run(
        f"{SSH} -o PubkeyAuthentication=no "
        f"-o PreferredAuthentications=password,keyboard-interactive admin@{name(host)} true"
    )
    assert result.rc == 255
    assert "Permission denied (publickey)" in result.stderr


def test_key_login_works_with_modern_algorithms(host, client):
    result = client.run(f"{SSH} -v -i {KEY} admin@{name(host)} whoami")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "admin"
    expected_kex = (
        "mlkem768x25519-sha256" if name(host).endswith("trixie") else "sntrup761x25519-sha512"
    )
    assert f"kex: algorithm: {expected_kex}" in result.stderr


def test_weak_algorithms_are_refused(host, client):
    # LogLevel INFO (first -o wins): the negotiation failure is logged at that level.
    result = client.run(
        f"ssh -o LogLevel=INFO {SSH.removeprefix('ssh ')} -i {KEY} -o Ciphers=aes128-cbc "
        f"admin@{name(host)} true"
    )
    assert result.rc == 255
    assert "no matching cipher found" in result.stderr


def test_user_outside_allow_users_is_refused(host, client):
    # intruder has the same key as admin but is not in AllowUsers.
    result = client.run(f"{SSH} -i {KEY} intruder@{name(host)} true")
    assert result.rc == 255
    assert "Permission denied" in result.stderr


def test_fail2ban_follows_its_setting(host):
    # Enabled on the Debian 13 container only: the other one checks that off means absent.
    if not name(host).endswith("trixie"):
        assert not host.package("fail2ban").is_installed
        return
    assert host.service("fail2ban").is_running
    status = host.check_output("fail2ban-client status sshd")
    assert "Journal matches:" in status and "_SYSTEMD_UNIT=ssh.service" in status


# --- auto_updates -------------------------------------------------------------------------


def test_unattended_upgrades_is_enabled(host):
    assert host.package("unattended-upgrades").is_installed
    periodic = host.check_output("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Update-Package-Lists "1";' in periodic
    assert 'APT::Periodic::Unattended-Upgrade "1";' in periodic
    config = host.check_output("apt-config dump Unattended-Upgrade")
    assert "origin=Debian,codename=${distro_codename}-security,label=Debian-Security" in config
    # The packaged 50unattended-upgrades' list was cleared, not added to.
    assert config.count("Unattended-Upgrade::Origins-Pattern:: ") == 2
    assert 'Unattended-Upgrade::Automatic-Reboot "true";' in config
    assert 'Unattended-Upgrade::Automatic-Reboot-Time "04:15";' in config
    for timer in ("apt-daily.timer", "apt-daily-upgrade.timer"):
        assert host.service(timer).is_enabled and host.service(timer).is_running


def test_unattended_upgrade_accepts_the_configuration(host):
    result = host.run("unattended-upgrade --dry-run --debug")
    assert result.rc == 0, result.stderr
    assert "Allowed origins are:" in result.stdout + result.stderr


# --- runs that must fail ------------------------------------------------------------------

NEGATIVE_RUNS = {
    # The lock-out guard: nokey has no authorized_keys, badkey's holds no valid key. The
    # changed MaxAuthTries would show if the guard let the run go on.
    "guard": (
        "hardening-trixie",
        "ssh_hardening",
        "main",
        {"ssh_hardening_key_users": ["nokey", "badkey"], "ssh_hardening_max_auth_tries": 6},
    ),
    # A drop-in sshd rejects is never installed.
    "invalid": (
        "hardening-bookworm",
        "ssh_hardening",
        "main",
        {
            "ssh_hardening_key_users": ["admin"],
            "ssh_hardening_allow_users": ["admin", "root"],
            "ssh_hardening_extra_settings": {"NoSuchKeyword": "yes"},
        },
    ),
    # The exposure check: 5432 listens on all addresses and is not in the ignore list.
    "exposure": ("hardening-trixie", "firewall", "exposure", {"firewall_listen_ignore_ports": []}),
}


def _run_role(
    target: str, role: str, tasks_from: str, variables: dict
) -> subprocess.CompletedProcess:
    extra = {"hardening_target": target, "hardening_role": role, "hardening_tasks_from": tasks_from}
    return subprocess.run(
        [
            ANSIBLE_PLAYBOOK,
            "-i",
            INVENTORY,
            str(SCENARIO_DIR / "apply_role.yml"),
            "-e",
            json.dumps(extra | variables),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env=os.environ | {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"},
    )


@pytest.fixture(scope="module")
def negative_runs() -> dict[str, subprocess.CompletedProcess]:
    """The three failing runs, at once (they only read the hosts)."""
    dropin = "/etc/ssh/sshd_config.d/00-hardening.conf"
    hosts = {
        target: testinfra.get_host(f"ansible://{target}", ansible_inventory=INVENTORY)
        for target, *_ in NEGATIVE_RUNS.values()
    }
    before = {target: h.file(dropin).sha256sum for target, h in hosts.items()}
    with ThreadPoolExecutor(len(NEGATIVE_RUNS)) as pool:
        futures = {key: pool.submit(_run_role, *run) for key, run in NEGATIVE_RUNS.items()}
        results = {key: future.result() for key, future in futures.items()}
    after = {target: h.file(dropin).sha256sum for target, h in hosts.items()}
    results["dropin_unchanged"] = before == after
    return results


def test_guard_refuses_to_lock_out_a_user_without_a_key(negative_runs):
    run = negative_runs["guard"]
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "refuses to turn password login off" in output
    assert "nokey has no working authorized key" in output
    assert "badkey has no working authorized key" in output
    assert "holds no valid public key" in output
    assert "ssh-copy-id" in output
    assert negative_runs["dropin_unchanged"]


def test_invalid_sshd_setting_never_goes_live(negative_runs):
    run = negative_runs["invalid"]
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "NoSuchKeyword" in output and "failed to validate" in output
    assert negative_runs["dropin_unchanged"]


def test_exposure_check_fails_on_a_public_listener(negative_runs):
    run = negative_runs["exposure"]
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "5432 (python3) listens on a public address and is not an allowed port" in output
