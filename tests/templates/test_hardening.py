"""firewall, ssh_hardening and auto_updates: templates rendered with Ansible's own templar and
the roles' defaults, the roles' filters, and the lock-out guard's key check."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import add_all_plugin_dirs
from ansible.template import Templar, trust_as_template

ROLES = Path(__file__).resolve().parents[2] / "roles"
for _role in ("firewall", "ssh_hardening"):
    add_all_plugin_dirs(str(ROLES / _role))  # the roles' filters, for the templar


def _load_filters(role: str):
    path = ROLES / role / "filter_plugins" / f"{role}.py"
    spec = importlib.util.spec_from_file_location(f"{role}_filters", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


firewall_filters = _load_filters("firewall")
ssh_hardening_filters = _load_filters("ssh_hardening")
firewall_docker_published = firewall_filters.firewall_docker_published
firewall_exposure_problems = firewall_filters.firewall_exposure_problems
firewall_listeners = firewall_filters.firewall_listeners
firewall_ports = firewall_filters.firewall_ports

BOOKWORM_SUPPORTED = {
    "kex": [
        "curve25519-sha256",
        "curve25519-sha256@libssh.org",
        "diffie-hellman-group16-sha512",
        "diffie-hellman-group18-sha512",
        "diffie-hellman-group14-sha256",
        "sntrup761x25519-sha512",
        "sntrup761x25519-sha512@openssh.com",
    ],
    "cipher": [
        "aes128-ctr",
        "aes192-ctr",
        "aes256-ctr",
        "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
        "chacha20-poly1305@openssh.com",
        "aes128-cbc",
    ],
    "mac": ["hmac-sha1", "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"],
}
TRIXIE_SUPPORTED = BOOKWORM_SUPPORTED | {
    "kex": ["mlkem768x25519-sha256", *BOOKWORM_SUPPORTED["kex"]]
}


def _trusted(data: dict) -> dict:
    return {k: trust_as_template(v) if isinstance(v, str) else v for k, v in data.items()}


def render(role: str, template: str, **overrides) -> str:
    variables = _trusted(yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()))
    variables |= _trusted(yaml.safe_load((ROLES / role / "vars" / "main.yml").read_text()))
    variables |= {"ansible_managed": "Ansible managed"} | overrides
    templar = Templar(loader=DataLoader(), variables=variables)
    source = (ROLES / role / "templates" / template).read_text()
    return templar.template(trust_as_template(source))


def _check_with(tool: str, args: list[str], text: str, tmp_path: Path, name: str):
    """Run a real validator on the rendered file where the tool can run (root, Debian)."""
    if shutil.which(tool) is None or os.geteuid() != 0:
        pytest.skip(f"{tool} (as root) is not available here")
    path = tmp_path / name
    path.write_text(text)
    result = subprocess.run([tool, *args, str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --- firewall -----------------------------------------------------------------------------

NFTABLES = "etc/nftables.conf.j2"


def test_ruleset_replaces_only_its_own_table():
    text = render("firewall", NFTABLES)
    assert text.startswith("#!/usr/sbin/nft -f\n#")
    assert "flush ruleset" not in text.replace('no "flush ruleset"', "")
    assert "table inet firewall\ndelete table inet firewall\n" in text
    assert "type filter hook input priority filter; policy drop;" in text


def test_default_ruleset_opens_ssh_rate_limited_and_web_for_ipv4_and_ipv6():
    text = render("firewall", NFTABLES)
    assert "ct state established,related accept" in text
    assert (
        "tcp dport 22 ct state new add @ssh_rate_v4 { ip saddr limit rate over 10/minute "
        "burst 10 packets } drop" in text
    )
    assert "add @ssh_rate_v6 { ip6 saddr limit rate over 10/minute" in text
    assert "tcp dport 22 accept" in text
    assert "tcp dport { 80, 443 } accept" in text
    assert "udp dport { 443 } accept" in text
    assert "nd-neighbor-solicit" in text  # IPv6 keeps working
    assert "ct original proto-dst != { 22, 80, 443 } drop" in text  # the Docker guard


def test_extra_ports_ssh_port_and_options():
    text = render(
        "firewall",
        NFTABLES,
        firewall_ssh_port=2222,
        firewall_extra_ports=[8443, "51820/udp", "9000/tcp"],
        firewall_http3=False,
        firewall_ssh_rate_limit="",
        firewall_trusted_interfaces=["docker0"],
        firewall_log_dropped=True,
        firewall_allow_ping=False,
    )
    assert "tcp dport 2222 accept" in text and "ssh_rate_v4" not in text
    assert "tcp dport { 80, 443, 8443, 9000 } accept" in text
    assert "udp dport { 51820 } accept" in text
    assert 'iifname "docker0" accept' in text
    assert 'log prefix "firewall drop: "' in text
    assert "echo-request" not in text
    assert "ct original proto-dst != { 80, 443, 2222, 8443, 9000 } drop" in text


def test_docker_guard_without_udp_ports_drops_all_published_udp():
    text = render("firewall", NFTABLES, firewall_http3=False)
    assert "ct status dnat meta l4proto udp drop" in text
    assert "chain forward" not in render("firewall", NFTABLES, firewall_docker_guard=False)


@pytest.mark.parametrize(
    "overrides",
    [{}, {"firewall_extra_ports": [8443, "51820/udp"], "firewall_log_dropped": True}],
    ids=["defaults", "extras"],
)
def test_ruleset_passes_nft_check(overrides, tmp_path):
    text = render("firewall", NFTABLES, **overrides)
    _check_with("nft", ["--check", "--file"], text, tmp_path, "nftables.conf")


def test_nftables_stop_removes_only_the_table():
    text = render("firewall", "etc/systemd/system/nftables.service.d/firewall.conf.j2")
    assert "ExecStop=\nExecStop=-/usr/sbin/nft delete table inet firewall\n" in text


def test_port_items_are_normalised_and_checked():
    assert firewall_ports([80, "8443", "51820/udp"]) == [
        {"port": 80, "proto": "tcp"},
        {"port": 8443, "proto": "tcp"},
        {"port": 51820, "proto": "udp"},
    ]
    for bad in ("http", "80/icmp", 70000, "0"):
        with pytest.raises(AnsibleError):
            firewall_ports([bad])


SS_OUTPUT = """\
LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))
LISTEN 0 128 [::]:22 [::]:* users:(("sshd",pid=1,fd=4))
LISTEN 0 5 *:80 *:* users:(("caddy",pid=2,fd=7))
LISTEN 0 4096 127.0.0.1:8080 0.0.0.0:* users:(("docker-proxy",pid=3,fd=4))
LISTEN 0 4096 127.0.0.53%lo:53 0.0.0.0:* users:(("systemd-resolve",pid=4,fd=14))
LISTEN 0 4096 [::1]:25 [::]:* users:(("exim4",pid=5,fd=4))
LISTEN 0 4096 [::ffff:127.0.0.1]:6379 *:* users:(("redis",pid=6,fd=6))
LISTEN 0 5 [::]:5432 [::]:* users:(("postgres",pid=7,fd=3))
"""
DOCKER_OUTPUT = (
    "forecast 127.0.0.1:8080->8080/tcp\n"
    "metrics 0.0.0.0:9100->9100/tcp, :::9100->9100/tcp, 53/udp\n"
    "range 0.0.0.0:7000-7001->7000-7001/tcp\n"
    "quiet\n"
)


def test_ss_output_is_parsed():
    listeners = firewall_listeners(SS_OUTPUT)
    assert listeners[0] == {"address": "0.0.0.0", "port": 22, "process": "sshd"}
    assert {"address": "*", "port": 80, "process": "caddy"} in listeners
    assert {"address": "127.0.0.53%lo", "port": 53, "process": "systemd-resolve"} in listeners
    assert len(listeners) == 8


def test_docker_published_ports_are_parsed():
    published = firewall_docker_published(DOCKER_OUTPUT)
    assert {"address": "127.0.0.1", "port": 8080, "process": "docker:forecast"} in published
    assert {"address": "::", "port": 9100, "process": "docker:metrics"} in published
    assert [p["port"] for p in published if p["process"] == "docker:range"] == [7000, 7001]
    assert not [p for p in published if p["port"] == 53]  # UDP and unpublished are ignored


def test_exposure_problems_name_what_is_exposed():
    problems = firewall_exposure_problems(SS_OUTPUT, DOCKER_OUTPUT, [22, 80, 443], [], [8080])
    assert problems == [
        "[::]:5432 (postgres) listens on a public address and is not an allowed port",
        "0.0.0.0:9100 (docker:metrics) listens on a public address and is not an allowed port",
        "[::]:9100 (docker:metrics) listens on a public address and is not an allowed port",
        "0.0.0.0:7000 (docker:range) listens on a public address and is not an allowed port",
        "0.0.0.0:7001 (docker:range) listens on a public address and is not an allowed port",
    ]
    assert firewall_exposure_problems(SS_OUTPUT, "", [22, 80, 443], [5432], [8080]) == []


def test_loopback_only_port_on_a_public_address_is_a_problem_even_if_allowed():
    ss = 'LISTEN 0 5 0.0.0.0:8080 0.0.0.0:* users:(("python3",pid=9,fd=3))\n'
    docker = "forecast 0.0.0.0:8080->8080/tcp\n"
    problems = firewall_exposure_problems(ss, docker, [22, 80, 443, 8080], [], [8080])
    assert problems == [
        "port 8080 must listen on 127.0.0.1 only, but listens on 0.0.0.0:8080 (python3)",
        "port 8080 must listen on 127.0.0.1 only, but listens on 0.0.0.0:8080 (docker:forecast)",
    ]


# --- ssh_hardening ------------------------------------------------------------------------

DROPIN = "etc/ssh/sshd_config.d/00-hardening.conf.j2"


def _settings(text: str) -> dict[str, str]:
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return dict(line.split(" ", 1) for line in lines)


def test_dropin_defaults_are_key_only():
    settings = _settings(
        render("ssh_hardening", DROPIN, __ssh_hardening_supported=TRIXIE_SUPPORTED)
    )
    assert settings["PasswordAuthentication"] == "no"
    assert settings["KbdInteractiveAuthentication"] == "no"
    assert settings["PermitEmptyPasswords"] == "no"
    assert settings["PermitRootLogin"] == "prohibit-password"
    assert settings["AuthenticationMethods"] == "publickey"
    assert "AllowUsers" not in settings and "AllowGroups" not in settings


def test_dropin_keeps_only_algorithms_the_release_offers():
    trixie = _settings(render("ssh_hardening", DROPIN, __ssh_hardening_supported=TRIXIE_SUPPORTED))
    bookworm = _settings(
        render("ssh_hardening", DROPIN, __ssh_hardening_supported=BOOKWORM_SUPPORTED)
    )
    assert trixie["KexAlgorithms"].startswith("mlkem768x25519-sha256,sntrup761x25519-sha512,")
    assert bookworm["KexAlgorithms"].startswith("sntrup761x25519-sha512,")
    assert "mlkem" not in bookworm["KexAlgorithms"]
    assert "diffie-hellman-group14-sha256" not in trixie["KexAlgorithms"]  # offered, not wanted
    assert "cbc" not in trixie["Ciphers"]
    assert bookworm["MACs"] == "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com"


def test_dropin_allow_lists_passwords_and_extras():
    text = render(
        "ssh_hardening",
        DROPIN,
        __ssh_hardening_supported=TRIXIE_SUPPORTED,
        ssh_hardening_allow_users=["admin", "deploy@10.0.0.*"],
        ssh_hardening_allow_groups=["ssh-users"],
        ssh_hardening_password_authentication=True,
        ssh_hardening_permit_root_login="no",
        ssh_hardening_extra_settings={"AllowTcpForwarding": "no", "Banner": "none"},
    )
    settings = _settings(text)
    assert settings["AllowUsers"] == "admin deploy@10.0.0.*"
    assert settings["AllowGroups"] == "ssh-users"
    assert settings["PasswordAuthentication"] == "yes"
    assert settings["PermitRootLogin"] == "no"
    assert "AuthenticationMethods" not in settings
    assert text.rstrip().endswith("AllowTcpForwarding no\nBanner none")


def test_dropin_validation_command_keeps_one_placeholder():
    variables = yaml.safe_load((ROLES / "ssh_hardening" / "vars" / "main.yml").read_text())
    validate = variables["__ssh_hardening_validate"]
    # Ansible fills it with `validate % path`: one %s for the path, printf's escaped.
    command = validate % "/tmp/candidate"
    assert command.endswith("' validate /tmp/candidate")
    assert 'printf "Include %s\\nInclude /etc/ssh/sshd_config\\n" "$1"' in command
    assert "/usr/sbin/sshd -t -f" in command


def test_cloud_init_and_fail2ban_templates():
    cloud = render("ssh_hardening", "etc/cloud/cloud.cfg.d/99-ssh-hardening.cfg.j2")
    assert yaml.safe_load(cloud) == {"ssh_pwauth": False}
    jail = render(
        "ssh_hardening",
        "etc/fail2ban/jail.d/ssh-hardening.local.j2",
        __ssh_hardening_effective_before={"port": "22 2222"},
        ssh_hardening_fail2ban_ignoreip=["192.0.2.0/24"],
    )
    assert "[sshd]\nenabled = true\nport = 22,2222\nbackend = systemd\n" in jail
    assert "ignoreip = 127.0.0.1/8 ::1 192.0.2.0/24" in jail
    assert "banaction = nftables-multiport" in jail


def test_offered_algorithms_filter():
    text = "kex: a b\ncipher: c\nmac: \n"
    assert ssh_hardening_filters.ssh_hardening_offered(text) == {
        "kex": ["a", "b"],
        "cipher": ["c"],
        "mac": [],
    }


def test_guard_names_a_missing_user(tmp_path):
    result = subprocess.run(
        ["sh", str(GUARD), "no-such-user-here", ".ssh/authorized_keys", ""],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "user no-such-user-here does not exist" in result.stdout


def test_sshd_settings_filter_joins_repeated_keywords():
    assert ssh_hardening_filters.ssh_hardening_settings(
        ["Port 22", "port 2222", "PasswordAuthentication no", ""]
    ) == {
        "port": "22 2222",
        "passwordauthentication": "no",
    }


# --- the lock-out guard's key check -------------------------------------------------------

GUARD = ROLES / "ssh_hardening" / "files" / "check_authorized_keys.sh"


@pytest.fixture
def home(tmp_path):
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    home.chmod(0o755)
    (home / ".ssh").chmod(0o700)
    return home


def _guard(home: Path, files: str = ".ssh/authorized_keys .ssh/authorized_keys2", groups=""):
    user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout
    return subprocess.run(
        ["sh", str(GUARD), user.strip(), files, groups, str(home)],
        capture_output=True,
        text=True,
        check=False,
    )


def _keygen(tmp_path: Path) -> str:
    key = tmp_path / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", str(key)], check=True
    )
    return (tmp_path / "id_ed25519.pub").read_text()


def test_guard_accepts_a_valid_key(home, tmp_path):
    keys = home / ".ssh" / "authorized_keys"
    keys.write_text('# comment\nfrom="192.0.2.1",no-pty ' + _keygen(tmp_path))
    keys.chmod(0o600)
    result = _guard(home)
    assert result.returncode == 0, result.stdout
    assert f"ok {keys}: 256 SHA256:" in result.stdout


def test_guard_expands_authorized_keys_file_tokens(home, tmp_path):
    keys = home / "keys"
    keys.write_text(_keygen(tmp_path))
    keys.chmod(0o600)
    assert _guard(home, "%h/keys").returncode == 0


@pytest.mark.parametrize(
    ("content", "mode", "message"),
    [
        (None, None, "no usable authorized key"),
        ("", 0o600, "is empty"),
        ("ssh-ed25519 AAAAnotakey x\n", 0o600, "holds no valid public key"),
        ("KEY", 0o666, "writable by group or others (mode 666"),
    ],
    ids=["missing", "empty", "garbage", "world-writable"],
)
def test_guard_rejects_unusable_keys(home, tmp_path, content, mode, message):
    keys = home / ".ssh" / "authorized_keys"
    if content is not None:
        keys.write_text(_keygen(tmp_path) if content == "KEY" else content)
        keys.chmod(mode)
    result = _guard(home)
    assert result.returncode != 0
    assert message in result.stdout


def test_guard_rejects_a_group_writable_ssh_directory(home, tmp_path):
    keys = home / ".ssh" / "authorized_keys"
    keys.write_text(_keygen(tmp_path))
    keys.chmod(0o600)
    (home / ".ssh").chmod(0o770)
    result = _guard(home)
    assert result.returncode != 0
    assert f"{home / '.ssh'} is writable by group or others" in result.stdout


def test_guard_checks_allow_groups(home, tmp_path):
    keys = home / ".ssh" / "authorized_keys"
    keys.write_text(_keygen(tmp_path))
    keys.chmod(0o600)
    result = _guard(home, groups="no-such-group-here")
    assert result.returncode != 0
    assert "in none of AllowGroups (no-such-group-here)" in result.stdout


# --- auto_updates -------------------------------------------------------------------------

LOCAL = "etc/apt/apt.conf.d/52unattended-upgrades-local.j2"


def test_periodic_settings_turn_on_daily_upgrades(tmp_path):
    text = render("auto_updates", "etc/apt/apt.conf.d/20auto-upgrades.j2")
    assert text.startswith("//")
    assert 'APT::Periodic::Update-Package-Lists "1";' in text
    assert 'APT::Periodic::Unattended-Upgrade "1";' in text
    _check_with("apt-config", ["dump", "--config-file"], text, tmp_path, "20auto-upgrades")


def test_debian_security_origins_replace_the_packaged_list(tmp_path):
    text = render("auto_updates", LOCAL, ansible_facts={"distribution": "Debian"})
    assert "#clear Unattended-Upgrade::Origins-Pattern;" in text
    assert '"origin=Debian,codename=${distro_codename}-security,label=Debian-Security";' in text
    assert "Ubuntu" not in text
    assert 'Unattended-Upgrade::Automatic-Reboot "false";' in text
    assert 'Unattended-Upgrade::Automatic-Reboot-Time "03:30";' in text
    assert "Unattended-Upgrade::Mail " not in text
    _check_with("apt-config", ["dump", "--config-file"], text, tmp_path, "52local")


def test_ubuntu_security_pockets_reboot_and_mail(tmp_path):
    text = render(
        "auto_updates",
        LOCAL,
        ansible_facts={"distribution": "Ubuntu"},
        auto_updates_reboot=True,
        auto_updates_reboot_time="04:45",
        auto_updates_mail="ops@example.org",
        auto_updates_extra_origins=["origin=Docker,label=Docker CE"],
        auto_updates_package_blacklist=["docker-ce"],
    )
    assert '"origin=Ubuntu,archive=${distro_codename}-security,label=Ubuntu";' in text
    assert '"origin=Docker,label=Docker CE";' in text
    assert 'Unattended-Upgrade::Automatic-Reboot "true";' in text
    assert 'Unattended-Upgrade::Automatic-Reboot-Time "04:45";' in text
    assert 'Unattended-Upgrade::Mail "ops@example.org";' in text
    assert 'Unattended-Upgrade::MailReport "only-on-error";' in text
    assert '        "docker-ce";' in text
    _check_with("apt-config", ["dump", "--config-file"], text, tmp_path, "52local")
