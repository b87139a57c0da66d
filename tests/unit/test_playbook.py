"""The modules through real ansible-playbook / ansible-doc runs: argument_spec, no_log, check
mode and --diff as Ansible applies them, against the fake GitHub API over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fake_github import FakeGitHub, random_ed25519
from gh_support import FULL, OWNER, REPO, ROOT, TOKEN, ansible_env, load_module

BIN = Path(sys.executable).parent

PLAYBOOK = """
- name: Exercise github_deploy_key and github_deploy_key_info
  hosts: localhost
  gather_facts: false
  module_defaults:
    github_deploy_key: &github
      owner: "{{ gh_owner }}"
      repo: "{{ gh_repo }}"
      api_url: "{{ gh_api }}"
      token: "{{ gh_token }}"
    github_deploy_key_info: *github
  tasks:
    - name: Register in check mode (its listing meets a 502 first, then is retried)
      github_deploy_key: {title: vps, key: "{{ gh_key }}"}
      check_mode: true
      register: checked
    - name: Register
      github_deploy_key: {title: vps, key: "{{ gh_key }}"}
      register: created
    - name: Register again
      github_deploy_key: {title: vps, key: "{{ gh_key }}"}
      register: again
    - name: Allow writing (read_only drift, repaired by delete and create)
      github_deploy_key: {title: vps, key: "{{ gh_key }}", read_only: false}
      register: drift
    - name: Remove in check mode
      github_deploy_key: {key: "{{ gh_key }}", state: absent}
      check_mode: true
      register: absent_checked
    - name: List before removal
      github_deploy_key_info:
      register: listed
    - name: Remove
      github_deploy_key: {key: "{{ gh_key }}", state: absent}
      register: removed
    - name: A bad token
      github_deploy_key: {title: vps, key: "{{ gh_key }}", token: "{{ gh_token }}x"}
      ignore_errors: true
      register: bad_token
    - name: Both key and key_path
      github_deploy_key: {title: vps, key: "{{ gh_key }}", key_path: /dev/null}
      ignore_errors: true
      register: both
    - name: Neither key nor key_path
      github_deploy_key: {title: vps}
      ignore_errors: true
      register: neither
    - name: Results as documented
      ansible.builtin.assert:
        that:
          - checked is changed and checked.key.id is none
          - created is changed and created.key.id is integer and created.key.read_only
          - again is not changed and again.key.id == created.key.id
          - drift is changed and not drift.key.read_only
          - drift.deleted_keys | map(attribute='id') | list == [created.key.id]
          - absent_checked is changed
          - listed['keys'] | map(attribute='id') | list == [drift.key.id]
          - removed is changed and removed.deleted_keys[0].id == drift.key.id
          - bad_token is failed and bad_token.status == 401
          - "'Bad credentials' in bad_token.msg"
          - both is failed and 'mutually exclusive' in both.msg
          - neither is failed and 'key, key_path' in neither.msg
"""


@pytest.fixture
def live_fake():
    """The fake on the real clock (ansible-playbook runs in another process)."""
    server = FakeGitHub()
    server.add_repo(FULL)
    server.add_token(TOKEN, {FULL: "admin"})
    with server:
        yield server


def play_locally(tmp_path: Path, env: dict[str, str], *args: str) -> str:
    """ansible-playbook play.yml in tmp_path against this machine; its whole output, which
    must report success."""
    run = subprocess.run(
        [BIN / "ansible-playbook", "-i", "localhost,", "-c", "local", "play.yml", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    return output


def test_playbook_run_through_ansible(live_fake, tmp_path):
    key = random_ed25519() + " deploy@vps1"
    live_fake.inject({"method": "GET", "path": "/keys$", "status": 502})
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    (tmp_path / "vars.json").write_text(
        json.dumps(
            {
                "gh_owner": OWNER,
                "gh_repo": REPO,
                "gh_api": live_fake.url,
                "gh_token": TOKEN,
                "gh_key": key,
            }
        )
    )
    output = play_locally(tmp_path, ansible_env(tmp_path), "--diff", "-vvv", "-e", "@vars.json")
    assert "failed=0" in output and "ignored=3" in output
    assert TOKEN not in output
    assert "read_only: true" in output and "read_only: false" in output  # the --diff
    # Check mode wrote nothing: only register, replace (delete + create) and remove did.
    writes = [r["method"] for r in live_fake.write_requests()]
    assert writes == ["POST", "DELETE", "POST", "DELETE"]
    assert [r["status"] for r in live_fake.requests[:2]] == [502, 200]


def test_playbook_ad_hoc_info(live_fake, tmp_path):
    live_fake.add_keys(FULL, 101)
    env = ansible_env(tmp_path)
    env["GITHUB_TOKEN"] = TOKEN
    run = subprocess.run(
        [
            BIN / "ansible",
            "localhost",
            "-c",
            "local",
            "-i",
            "localhost,",
            "-m",
            "github_deploy_key_info",
            "-a",
            f"owner={OWNER} repo={REPO} api_url={live_fake.url}",
            "--check",
            "-o",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout[run.stdout.index("{") :])
    assert len(result["keys"]) == 101
    assert TOKEN not in run.stdout + run.stderr


VAULTED_PLAY = """
- name: A vaulted token with its trailing newline, then one broken inside
  hosts: localhost
  gather_facts: false
  module_defaults:
    github_deploy_key_info:
      {owner: "{{ gh_owner }}", repo: "{{ gh_repo }}", api_url: "{{ gh_api }}"}
  tasks:
    - name: List with the vaulted token
      github_deploy_key_info: {token: "{{ vaulted_token }}"}
      register: listed
    - name: List with a control character inside the token
      github_deploy_key_info: {token: "{{ vaulted_token | trim }}\\x07{{ vaulted_token }}"}
      ignore_errors: true
      register: broken
    - name: The first worked, the second failed naming the option
      ansible.builtin.assert:
        that:
          - listed['keys'] | length == 1
          - broken is failed and 'option token' in broken.msg
"""


def test_vaulted_token_with_newline_works_and_is_never_printed(live_fake, tmp_path):
    """`echo TOKEN | ansible-vault encrypt_string`: at default verbosity, as an operator runs."""
    live_fake.add_keys(FULL, 1)
    env = ansible_env(tmp_path)
    (tmp_path / "pw").write_text("unit-test-vault\n")
    vaulted = subprocess.run(
        [
            BIN / "ansible-vault",
            "encrypt_string",
            "--vault-password-file",
            "pw",
            "--stdin-name",
            "vaulted_token",
        ],
        input=TOKEN + "\n",
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (tmp_path / "vault.yml").write_text(vaulted.stdout)
    (tmp_path / "play.yml").write_text(VAULTED_PLAY)
    settings = {"gh_owner": OWNER, "gh_repo": REPO, "gh_api": live_fake.url}
    output = play_locally(
        tmp_path, env, "-e", "@vault.yml", "--vault-password-file", "pw", "-e", json.dumps(settings)
    )
    assert "failed=0" in output and "ignored=1" in output
    assert TOKEN not in output
    # Only the first task reached the API: the broken token was refused before any request.
    assert [r["auth_scheme"] for r in live_fake.requests] == ["Bearer"]


def ansible_doc(tmp_path, *args):
    """ansible-doc with the repository's ansible.cfg, which names the doc fragments' directory."""
    env = ansible_env(tmp_path) | {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    run = subprocess.run(
        [BIN / "ansible-doc", "-M", ROOT / "library", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "ERROR" not in run.stderr
    return run


def test_ansible_doc_renders(tmp_path):
    run = ansible_doc(tmp_path, "github_deploy_key", "github_deploy_key_info")
    text = run.stdout.replace("\x1b[1m", "").replace("\x1b[0m", "")
    for name in ("github_deploy_key", "github_deploy_key_info"):
        assert f"MODULE {name} " in text
    assert run.stdout.count("RETURN VALUES") == 2
    # The shared options come from the doc fragment: rendered in both modules.
    assert text.count("GITHUB_TOKEN") == 2
    assert text.count("The user or organisation that owns the repository.") == 2


class _Captured(Exception):
    pass


def argument_spec(module) -> dict:
    captured = {}

    def fake_module(**kwargs):
        captured.update(kwargs)
        raise _Captured

    module.AnsibleModule = fake_module
    with pytest.raises(_Captured):
        module.main()
    return captured["argument_spec"]


@pytest.mark.parametrize("name", ["github_deploy_key", "github_deploy_key_info"])
def test_documentation_matches_argument_spec(name, tmp_path):
    """The documentation as ansible-doc merges it (module + doc fragments) documents every
    option of the argument_spec with its type, default, choices, required and aliases, and
    nothing else."""
    module = load_module(name)
    spec = argument_spec(module)
    merged = json.loads(ansible_doc(tmp_path, "--json", name).stdout)[name]
    documented = merged["doc"]["options"]
    assert sorted(documented) == sorted(spec)
    for option, doc in documented.items():
        assert doc["description"], option
        assert doc["type"] == spec[option]["type"], option
        assert doc.get("default") == spec[option].get("default"), option
        assert doc.get("choices") == spec[option].get("choices"), option
        assert doc.get("required", False) == spec[option].get("required", False), option
        assert doc.get("aliases") == spec[option].get("aliases"), option
    yaml.safe_load(module.EXAMPLES)
    assert merged["return"]


@pytest.mark.parametrize("name", ["github_deploy_key", "github_deploy_key_info"])
def test_shared_options_are_documented_once_in_the_fragment(name):
    own = yaml.safe_load(load_module(name).DOCUMENTATION)
    shared = {"owner", "repo", "token", "api_url", "validate_certs", "timeout"}
    assert {"github", "github.repository"} <= set(own["extends_documentation_fragment"])
    assert not shared & set(own.get("options") or {})
