"""Role deploy_key against the fake GitHub API and a real OpenSSH git server.

The git server lets in exactly the keys registered through the fake API (its sshd asks the
fake for them), so what git can do from the VPS is what GitHub would allow. The tests run in
file order (every test takes the host fixture: pytest runs the ones without it last):
rotation and then revocation come last, since they change the key.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest
import testinfra
import yaml
from testinfra.utils.ansible_runner import AnsibleRunner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
# Molecule's runs log to this file (see molecule.yml); testinfra's own `ansible-inventory --list`
# would add the inventory, token included, so the tests' runs are checked on their output instead.
ANSIBLE_LOG = Path(os.environ.pop("ANSIBLE_LOG_PATH"))
testinfra_hosts = AnsibleRunner(INVENTORY).get_hosts("vps")
SCENARIO_DIR = Path(__file__).resolve().parents[1]
# The deploy_key settings converge uses (inventory group_vars in molecule.yml).
MOLECULE_YML = yaml.safe_load((SCENARIO_DIR / "molecule.yml").read_text())
SETTINGS = MOLECULE_YML["provisioner"]["inventory"]["group_vars"]["all"]
TOKEN = SETTINGS["deploy_key_github_token"]
OWNER, NAME = SETTINGS["deploy_key_github_owner"], SETTINGS["deploy_key_github_repo"]
REPO = f"{OWNER}/{NAME}"
BRANCH = SETTINGS["deploy_key_repo_version"]
API = SETTINGS["deploy_key_github_api_url"]

GIT_SERVER = "deploy-key-git"
SERVER_REPO = f"/srv/git/{REPO}.git"
# The role's defaults for the deploy user deploy.
KEY = f"/home/deploy/.ssh/deploy_key_{OWNER}_{NAME}"
ALIAS = f"github-{NAME}"
SSH_CONFIG = f"/home/deploy/.ssh/config.d/{ALIAS}.conf"
KNOWN_HOSTS = f"/home/deploy/.ssh/known_hosts.d/{ALIAS}"
CHECKOUT = SETTINGS["swissenergy_checkout_dir"]
# git as the deploy user, with its own HOME (runuser keeps root's).
DEPLOY = "runuser -u deploy -- env HOME=/home/deploy"
GIT_ID = "-c user.name=Molecule -c user.email=molecule@example.invalid"


@pytest.fixture(scope="module")
def git_server():
    return testinfra.get_host(f"ansible://{GIT_SERVER}", ansible_inventory=INVENTORY)


def material(public_key: str) -> str:
    """'TYPE BASE64' of an OpenSSH public key line, without its comment."""
    return " ".join(public_key.split()[:2])


def admin(path: str, body: dict | None = None) -> object:
    """The fake GitHub API's test-only /_admin endpoints (no token)."""
    request = urllib.request.Request(
        API + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def delete_key(key_id: int) -> None:
    """DELETE a deploy key through the API, as GitHub's clients do."""
    request = urllib.request.Request(
        f"{API}/repos/{REPO}/keys/{key_id}",
        method="DELETE",
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Accept": "application/vnd.github+json",
            "User-Agent": "molecule-deploy-key-test",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


def registered_keys() -> list[dict]:
    return admin(f"/_admin/keys?repo={REPO}")


def server_refs(git_server) -> dict[str, str]:
    """The git server's branches and their commits."""
    out = git_server.check_output(
        "runuser -u git -- git --git-dir %s for-each-ref --format='%%(refname) %%(objectname)'",
        SERVER_REPO,
    )
    return dict(line.split() for line in out.splitlines())


def ssh_with(key: str, known_hosts: str = KNOWN_HOSTS) -> str:
    """An ssh command for git that offers this private key alone (not the deploy user's alias)."""
    return (
        f"ssh -F /dev/null -i {key} -o IdentitiesOnly=yes -o BatchMode=yes "
        f"-o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=yes"
    )


def ls_remote_with(host, key: str, known_hosts: str = KNOWN_HOSTS):
    """git ls-remote as root with this private key alone."""
    return host.run(
        "GIT_SSH_COMMAND=%s git ls-remote git@git.test:%s.git", ssh_with(key, known_hosts), REPO
    )


def run_converge(*extra: str) -> subprocess.CompletedProcess:
    """Run the scenario's converge playbook again, as molecule does, with -v."""
    return subprocess.run(
        [
            "ansible-playbook",
            "-v",
            "-i",
            INVENTORY,
            str(SCENARIO_DIR / "converge.yml"),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=os.environ | {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"},
    )


def assert_ran_cleanly(run: subprocess.CompletedProcess) -> None:
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert TOKEN not in run.stdout + run.stderr


# --- after converge -----------------------------------------------------------------------


def test_the_vps_key_is_the_one_registered_read_only(host):
    private = host.file(KEY)
    assert (private.user, private.mode) == ("deploy", 0o600)
    public = host.file(f"{KEY}.pub").content_string
    assert public.startswith("ssh-ed25519 ")
    keys = registered_keys()
    assert [key["key"] for key in keys] == [material(public)]
    assert keys[0]["read_only"] is True
    assert keys[0]["title"] == "deploy@deploy-key-vps"


def test_the_git_server_accepts_exactly_the_registered_keys(host, git_server):
    # What sshd's AuthorizedKeysCommand answers, as the user sshd runs it as.
    lines = git_server.check_output("runuser -u nobody -- /usr/local/bin/fake-github-keys")
    registered = registered_keys()
    assert lines.splitlines() == [
        f'restrict,command="/usr/local/bin/git-gate ro {REPO}" {key["key"]}' for key in registered
    ]
    # A key the API does not know is refused.
    host.run_test("rm -f /root/stranger* && ssh-keygen -q -t ed25519 -N '' -f /root/stranger")
    refused = ls_remote_with(host, "/root/stranger")
    assert refused.rc != 0
    assert "Permission denied (publickey)" in refused.stderr


def test_the_ssh_alias_pins_the_git_servers_host_key(host, git_server):
    config = host.file(SSH_CONFIG).content_string
    for line in ("HostName git.test", f"IdentityFile {KEY}", "IdentitiesOnly yes"):
        assert line in config
    server_key = material(git_server.file("/etc/ssh/ssh_host_ed25519_key.pub").content_string)
    pinned = [
        line for line in host.file(KNOWN_HOSTS).content_string.splitlines() if line[:1] != "#"
    ]
    assert pinned == [f"git.test {server_key}"]


def test_the_checkout_is_at_the_servers_branch(host, git_server):
    head = host.check_output(f"{DEPLOY} git -C {CHECKOUT} rev-parse HEAD")
    assert head == server_refs(git_server)[f"refs/heads/{BRANCH}"]
    origin = host.check_output(f"{DEPLOY} git -C {CHECKOUT} remote get-url origin")
    assert origin == f"{ALIAS}:{REPO}.git"
    assert host.file(CHECKOUT).user == "deploy"


def test_a_clone_with_the_registered_key_works(host):
    host.run_test("rm -rf /tmp/clone")
    host.run_test(f"{DEPLOY} git clone --quiet {ALIAS}:{REPO}.git /tmp/clone")
    assert host.file("/tmp/clone/README").exists


def test_a_push_with_the_read_only_key_is_refused(host, git_server):
    before = server_refs(git_server)
    host.run_test("rm -rf /tmp/push && cp -a /tmp/clone /tmp/push")
    host.run_test(f"{DEPLOY} git -C /tmp/push {GIT_ID} commit --quiet --allow-empty -m push")
    for target in (f"HEAD:refs/heads/{BRANCH}", "HEAD:refs/heads/from-the-vps"):
        push = host.run(f"{DEPLOY} git -C /tmp/push push origin {target}")
        assert push.rc != 0, push.stdout
        assert "marked as read only" in push.stderr
    assert server_refs(git_server) == before


def test_the_server_lets_a_read_write_key_push(host, git_server):
    """The counter-check: the refusal above is about read_only, not a broken server."""
    host.run_test("rm -f /root/writer* && ssh-keygen -q -t ed25519 -N '' -f /root/writer")
    writer = material(host.file("/root/writer.pub").content_string)
    admin("/_admin/keys", {"repo": REPO, "key": writer, "title": "writer", "read_only": False})
    try:
        push = host.run(
            "GIT_SSH_COMMAND=%s git -c safe.directory=/tmp/push -C /tmp/push "
            "push git@git.test:%s.git HEAD:refs/heads/from-a-writer",
            ssh_with("/root/writer"),
            REPO,
        )
        assert push.rc == 0, push.stderr
        assert "refs/heads/from-a-writer" in server_refs(git_server)
    finally:
        for key in registered_keys():
            if key["key"] == writer:
                delete_key(key["id"])
        git_server.run(
            "runuser -u git -- git --git-dir %s update-ref -d refs/heads/from-a-writer",
            SERVER_REPO,
        )
    assert [key["title"] for key in registered_keys()] == ["deploy@deploy-key-vps"]


def test_a_vaulted_token_with_its_newline_works_and_is_never_printed(host, tmp_path):
    """`echo TOKEN | ansible-vault encrypt_string` keeps the newline: the module strips it.
    deploy_key_no_log off, so what keeps the token out of the output is the module itself
    (a token with its newline once made http.client print it, at default verbosity)."""
    password = tmp_path / "vault-password"
    password.write_text("molecule-deploy-key\n")
    vaulted = subprocess.run(
        [
            "ansible-vault",
            "encrypt_string",
            "--vault-password-file",
            str(password),
            "--stdin-name",
            "deploy_key_github_token",
        ],
        input=TOKEN + "\n",  # what echo gives ansible-vault
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert TOKEN not in vaulted.stdout
    extra = tmp_path / "vaulted.yml"
    extra.write_text(vaulted.stdout)
    run = run_converge(
        "-e",
        f"@{extra}",
        "--vault-password-file",
        str(password),
        "-e",
        '{"deploy_key_no_log": false}',
    )
    assert_ran_cleanly(run)
    # The registration ran with that token and found the key in place.
    assert re.search(r"deploy-key-vps\s*:.*changed=0\s", run.stdout), run.stdout[-3000:]
    assert "Register the public key as a deploy key" in run.stdout
    assert [key["title"] for key in registered_keys()] == ["deploy@deploy-key-vps"]


# --- rotation, then revocation (last) -----------------------------------------------------


def test_rotation_leaves_one_new_key_and_the_clone_still_works(host):
    old = material(host.file(f"{KEY}.pub").content_string)
    host.run_test(f"install -m 0600 {KEY} /root/old_deploy_key")

    assert_ran_cleanly(run_converge("-e", "deploy_key_rotate=true"))

    new = material(host.file(f"{KEY}.pub").content_string)
    assert new != old
    keys = registered_keys()
    assert [key["key"] for key in keys] == [new]
    assert keys[0]["read_only"] is True
    assert not host.file(f"{KEY}.new").exists
    assert not host.file(f"{KEY}.new.pub").exists
    # The new private key is the one on disk, and it is the one the server lets in.
    derived = host.check_output(f"{DEPLOY} ssh-keygen -y -f {KEY}")
    assert material(derived) == new
    host.run_test(f"{DEPLOY} git -C {CHECKOUT} fetch --quiet origin")
    host.run_test(f"rm -rf /tmp/clone && {DEPLOY} git clone --quiet {ALIAS}:{REPO}.git /tmp/clone")
    # The old key no longer gets in.
    refused = ls_remote_with(host, "/root/old_deploy_key")
    assert refused.rc != 0
    assert "Permission denied (publickey)" in refused.stderr


def test_a_run_after_rotation_changes_nothing(host):  # host: keeps the tests in file order
    run = run_converge()
    assert_ran_cleanly(run)
    assert re.search(r"deploy-key-vps\s*:.*changed=0\s", run.stdout), run.stdout[-3000:]


def test_revocation_leaves_no_key_and_the_fetch_fails(host, git_server):
    host.run_test(f"install -m 0600 {KEY} /root/revoked_deploy_key")
    host.run_test(f"cp {KNOWN_HOSTS} /root/git_server_known_hosts")

    assert_ran_cleanly(run_converge("-e", "deploy_key_state=absent"))

    assert registered_keys() == []
    assert git_server.check_output("runuser -u nobody -- /usr/local/bin/fake-github-keys") == ""
    for path in (KEY, f"{KEY}.pub", SSH_CONFIG, KNOWN_HOSTS):
        assert not host.file(path).exists, path
    assert host.file(f"{CHECKOUT}/.git").is_directory  # the checkout stays
    fetch = host.run(f"{DEPLOY} git -C {CHECKOUT} fetch origin")
    assert fetch.rc != 0
    # Not only is the key gone from the VPS: the server refuses it.
    refused = ls_remote_with(host, "/root/revoked_deploy_key", "/root/git_server_known_hosts")
    assert refused.rc != 0
    assert "Permission denied (publickey)" in refused.stderr


def test_the_token_never_reached_the_vps(host):
    found = host.run(
        # Binary files too (no -I): a token in a database or a compiled file is a leak.
        "grep -rlF --devices=skip --exclude-dir=proc --exclude-dir=sys -e %s"
        " /home /root /opt /etc /tmp /var",
        TOKEN,
    )
    assert found.rc == 1, found.stdout  # 1: searched everything, found nothing
    assert TOKEN not in host.check_output("journalctl --no-pager -o cat")


def test_the_token_was_never_printed(host):  # host: keeps the tests in file order
    """Not by molecule's runs: prepare, converge, idempotence, check (the tests' own runs are
    checked by assert_ran_cleanly)."""
    text = ANSIBLE_LOG.read_text()
    # From this sequence's create on (molecule prunes the file only after a whole sequence).
    text = text[max(text.rfind("PLAY [Create the scenario's containers]"), 0) :]
    assert "deploy_key : Register the public key as a deploy key" in text
    assert TOKEN not in text
