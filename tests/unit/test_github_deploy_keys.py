"""module_utils/github_deploy_keys.py: key normalisation, matching and planning."""

from __future__ import annotations

import subprocess

import pytest
from ansible.module_utils.github_deploy_keys import (
    InvalidKeyError,
    fingerprint,
    normalize_key,
    plan_absent,
    plan_present,
    same_key,
)
from fake_github import random_ed25519


@pytest.fixture(scope="module")
def real_key(tmp_path_factory):
    """A key pair made by ssh-keygen: (public key line, private key text, fingerprint)."""
    path = tmp_path_factory.mktemp("key") / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "me@host", "-f", str(path)],
        check=True,
    )
    listed = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[1]
    return path.with_suffix(".pub").read_text(), path.read_text(), listed


def test_normalize_drops_comment_and_options(real_key):
    line = real_key[0].strip()
    key_type, body = line.split()[:2]
    assert normalize_key(line) == f"{key_type} {body}"
    assert normalize_key(f'restrict,command="x y" {line}\n') == f"{key_type} {body}"
    assert normalize_key(f"# a comment\n\n  {key_type} {body}  \n") == f"{key_type} {body}"


def test_fingerprint_matches_ssh_keygen(real_key):
    assert fingerprint(normalize_key(real_key[0])) == real_key[2]


def test_private_key_is_refused_without_quoting_it(real_key):
    with pytest.raises(InvalidKeyError) as caught:
        normalize_key(real_key[1])
    assert "private key" in str(caught.value)
    assert real_key[1].splitlines()[1][:20] not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "found 0 lines"),
        ("ssh-ed25519 AAAA\nssh-ed25519 BBBB", "found 2 lines"),
        ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "type GitHub accepts"),
        ("ssh-ed25519 !!!notbase64", "damaged"),
        ("ssh-rsa " + random_ed25519().split()[1], "holds a ssh-ed25519 key"),
    ],
)
def test_invalid_keys(text, message):
    with pytest.raises(InvalidKeyError, match=message):
        normalize_key(text)


def test_same_key_ignores_comments():
    key = random_ed25519()
    assert same_key(key + " one", key + " two")
    assert not same_key(key, random_ed25519())


def _existing(key, title="t", read_only=True, key_id=1):
    return {"id": key_id, "key": key, "title": title, "read_only": read_only}


def test_plan_present_creates_a_missing_key():
    key = random_ed25519()
    plan = plan_present([_existing(random_ed25519())], key, "t", True)
    assert plan.changed
    assert plan.delete == []
    assert plan.create == {"title": "t", "key": key, "read_only": True}


def test_plan_present_keeps_an_identical_key():
    key = random_ed25519()
    registered = _existing(key)
    plan = plan_present([registered], key + " comment", "t", True)
    assert not plan.changed
    assert plan.keep is registered


@pytest.mark.parametrize(("title", "read_only"), [("t", False), ("other", True)])
def test_plan_present_replaces_on_drift(title, read_only):
    key = random_ed25519()
    registered = _existing(key)
    plan = plan_present([registered, _existing(random_ed25519(), key_id=2)], key, title, read_only)
    assert plan.delete == [registered]
    assert plan.create == {"title": title, "key": key, "read_only": read_only}
    assert plan.before == [registered]


def test_plan_absent_by_key_and_by_title():
    key = random_ed25519()
    mine = _existing(key, title="mine", key_id=1)
    same_title = _existing(random_ed25519(), title="mine", key_id=2)
    other = _existing(random_ed25519(), title="other", key_id=3)
    assert plan_absent([mine, same_title, other], key=key).delete == [mine]
    assert plan_absent([mine, same_title, other], title="mine").delete == [mine, same_title]
    assert not plan_absent([other], key=key).changed
