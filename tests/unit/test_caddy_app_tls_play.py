"""roles/caddy/tasks/app_tls.yml run by the real ansible-playbook against this machine, as an
app host behind an edge that is also an edge (both certificates): the CA and the host's pairs
are made on the controller with the documented modes, the certificates chain to the CA with
the right names and uses, a second run changes nothing, a certificate close to expiry is
renewed, and no key (nor the CA's passphrase) ever appears in the output, even with --diff -vvv."""

from __future__ import annotations

import grp
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# --diff and -vvv: everything a run can show.
ARGS = ["--diff", "-vvv", "-e", "@vars.json"]
PASSPHRASE = "correct horse battery staple 4711"

PLAYBOOK = """
- name: The edge-to-app TLS tasks
  hosts: localhost
  gather_facts: true
  gather_subset: [min]
  tasks:
    - name: Run them
      ansible.builtin.include_role:
        name: caddy
        tasks_from: app_tls
"""

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="installs files owned by root")


def play(tmp_path: Path, **extra: object) -> str:
    """One run with --diff -vvv; its output, which must report success."""
    settings = {
        "ansible_python_interpreter": sys.executable,
        "caddy_local_release": True,
        "caddy_app_internal_address": "127.0.0.2",
        "caddy_app_upstreams": ["127.0.0.2:8080"],
        "caddy_app_tls_controller_dir": str(tmp_path / "pki"),
        "caddy_app_tls_ca_passphrase": PASSPHRASE,
        "__caddy_app_tls_dir": str(tmp_path / "host"),
        "__caddy_group": grp.getgrgid(os.getgid()).gr_name,
        # No Caddy here to reload: the handler is skipped as in a check-mode preview.
        "__caddy_pending": True,
    } | extra
    (tmp_path / "vars.json").write_text(json.dumps(settings))
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    run = subprocess.run(
        [BIN / "ansible-playbook", "-i", "localhost,", "-c", "local", "play.yml", *ARGS],
        cwd=tmp_path,
        env=os.environ | {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    return output


def changed(output: str) -> int:
    recap = re.search(r"localhost\s+: ok=\d+\s+changed=(\d+)", output)
    assert recap, output[-2000:]
    return int(recap.group(1))


def assert_no_secret(output: str, pki: Path) -> None:
    """Neither a key's private value (decimal, hex, or the PEM line that carries it: the rest
    of an EC key's PEM is its public key, which modules may show) nor the passphrase."""
    assert "PRIVATE KEY" not in output and PASSPHRASE not in output
    for path in pki.glob("*.key"):
        password = PASSPHRASE.encode() if path.name == "ca.key" else None
        key = serialization.load_pem_private_key(path.read_bytes(), password)
        assert isinstance(key, ec.EllipticCurvePrivateKey), path.name
        value = key.private_numbers().private_value
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        scalar_line = pem.decode().splitlines()[1]
        for secret in (str(value), f"{value:x}", scalar_line):
            assert secret not in output, path.name


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_ca_and_certificates_are_made_once_and_never_printed(tmp_path: Path):
    pki, host = tmp_path / "pki", tmp_path / "host"
    first = play(tmp_path)
    assert changed(first) > 0
    assert_no_secret(first, pki)
    assert mode(pki) == 0o700
    assert {p.name: mode(p) for p in pki.glob("*.key")} == {
        "ca.key": 0o600,
        "localhost-server.key": 0o600,
        "localhost-client.key": 0o600,
    }
    # The CA's key is stored encrypted under the passphrase.
    assert "ENCRYPTED" in (pki / "ca.key").read_text()
    assert {p.name: mode(p) for p in host.iterdir()} == {
        "ca.crt": 0o644,
        "server.crt": 0o644,
        "server.key": 0o640,
        "client.crt": 0o644,
        "client.key": 0o640,
    }
    ca = load(host / "ca.crt")
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    server, client = load(host / "server.crt"), load(host / "client.crt")
    for cert in (server, client):
        cert.verify_directly_issued_by(ca)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.2"]
    usage = x509.ExtendedKeyUsage
    assert list(server.extensions.get_extension_for_class(usage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH
    ]
    assert list(client.extensions.get_extension_for_class(usage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    before = {p.name: p.read_bytes() for p in [*pki.iterdir(), *host.iterdir()]}

    second = play(tmp_path)
    assert changed(second) == 0, second[-3000:]
    assert_no_secret(second, pki)
    assert {p.name: p.read_bytes() for p in [*pki.iterdir(), *host.iterdir()]} == before

    # Every certificate (2 years) now counts as expiring: both are renewed, the CA is kept.
    third = play(tmp_path, caddy_app_tls_renew_days=1000)
    assert changed(third) > 0
    assert_no_secret(third, pki)
    assert (pki / "ca.crt").read_bytes() == before["ca.crt"]
    assert (host / "server.crt").read_bytes() != before["server.crt"]
    load(host / "server.crt").verify_directly_issued_by(ca)
