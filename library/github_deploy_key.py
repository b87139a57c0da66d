#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: github_deploy_key
short_description: Manage a deploy key of a GitHub repository
description:
  - Adds, replaces or removes an SSH deploy key of a GitHub or GitHub Enterprise Server
    repository through the GitHub REST API.
  - Keys are matched by their key material (type and base64 body); the comment of the public
    key is ignored. Other deploy keys of the repository are left alone, even when they have
    the same title.
  - GitHub cannot edit a deploy key. When the registered key differs in O(title) or
    O(read_only), the module deletes it and creates it again, and reports a change.
  - Check mode makes no write request at all; only the repository's keys are read.
  - Retries server errors and rate limits a bounded number of times, and fails with a message
    that says what to do on bad tokens, missing permissions, unknown repositories and keys
    already in use elsewhere.
  - The O(token) must be allowed to manage the repository's deploy keys. A classic personal
    access token needs the C(repo) scope and admin rights on the repository; a fine-grained
    token or a GitHub App installation token needs the C(Administration) repository
    permission (read to list, write to add and remove).
  - Needs only ansible-core on the host running it. Run it on the control node
    (C(delegate_to) set to C(localhost)) so that the token never reaches the managed host.
author:
  - Infrastructure team
extends_documentation_fragment:
  - action_common_attributes
  - github
  - github.repository
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
options:
  state:
    description:
      - Whether the deploy key should be registered (V(present)) or not (V(absent)).
      - With V(absent) and O(key) or O(key_path), every deploy key with that key material is
        removed. With V(absent) and only O(title), every deploy key with exactly that title is
        removed.
    type: str
    default: present
    choices: [present, absent]
  title:
    description:
      - The title of the deploy key on GitHub.
      - Required with O(state=present). With O(state=absent) it selects the keys to remove
        only when neither O(key) nor O(key_path) is given.
    type: str
    aliases: [name]
  key:
    description:
      - The SSH public key, for example the content of a C(.pub) file. A comment and
        authorized_keys options are ignored.
      - Mutually exclusive with O(key_path). One of them is required with O(state=present).
    type: str
  key_path:
    description:
      - Path of a file holding the SSH public key, on the host that runs the module (the
        control node when C(delegate_to) is C(localhost)).
      - Mutually exclusive with O(key).
    type: path
  read_only:
    description:
      - Whether the key may only read (clone, fetch). V(false) also allows pushing.
    type: bool
    default: true
notes:
  - Replacing a key (O(title) or O(read_only) changed) deletes it before creating it again,
    because GitHub refuses the same key twice in a repository. Fetches with that key fail in
    between.
  - GitHub accepts a public key only once across all repositories and users. Give every
    repository its own key pair.
seealso:
  - module: github_deploy_key_info
  - name: GitHub REST API for deploy keys
    description: The endpoints this module uses.
    link: https://docs.github.com/en/rest/deploy-keys/deploy-keys
  - name: community.crypto.openssh_keypair
    description: Generates the key pair whose public half this module registers.
    link: https://docs.ansible.com/ansible/latest/collections/community/crypto/openssh_keypair_module.html
"""

EXAMPLES = r"""
---
- name: Register the VPS's public key as a read-only deploy key, from the control node
  github_deploy_key:
    owner: example-org
    repo: forecast
    title: deploy@vps1
    key: "{{ deploy_public_key }}"
    token: "{{ vault_github_token }}"
  delegate_to: localhost

- name: Register a key from a file, with write access, on GitHub Enterprise Server
  github_deploy_key:
    owner: platform
    repo: releases
    title: release-bot
    key_path: ~/.ssh/release_bot_ed25519.pub
    read_only: false
    api_url: https://github.example.com/api/v3
    token: "{{ vault_ghe_token }}"
  delegate_to: localhost

- name: Remove a deploy key by its key material
  github_deploy_key:
    owner: example-org
    repo: forecast
    key: "{{ old_public_key }}"
    state: absent
    token: "{{ vault_github_token }}"
  delegate_to: localhost

- name: Remove every deploy key titled deploy@vps1
  github_deploy_key:
    owner: example-org
    repo: forecast
    title: deploy@vps1
    state: absent
    token: "{{ vault_github_token }}"
  delegate_to: localhost
"""

RETURN = r"""
key:
  description:
    - The deploy key as registered on GitHub after the task.
    - In check mode, a key that would be created has no RV(key.id) yet (V(null)).
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: GitHub's id of the deploy key.
      type: int
      sample: 1234567
    title:
      description: The title of the key.
      type: str
      sample: deploy@vps1
    key:
      description: The public key as GitHub stores it, type and base64 body without comment.
      type: str
      sample: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBsG5X0c7GmWdV2YtQy8C0nT0dK2yq2mJ0M7QmQf0xQx
    read_only:
      description: Whether the key may only read.
      type: bool
      sample: true
    url:
      description: API URL of the key.
      type: str
      sample: https://api.github.com/repos/example-org/forecast/keys/1234567
    created_at:
      description: When the key was registered (ISO 8601).
      type: str
      sample: "2024-05-01T12:00:00Z"
    verified:
      description: Whether GitHub verified the key.
      type: bool
      sample: true
    added_by:
      description: Login of the user (or app) that registered the key.
      type: str
      sample: ops-bot
    last_used:
      description: When the key was last used (ISO 8601), or V(null).
      type: str
      sample: "2024-05-02T08:30:00Z"
    enabled:
      description: Whether the key is enabled.
      type: bool
      sample: true
fingerprint:
  description: OpenSSH SHA256 fingerprint of the key given in O(key) or O(key_path).
  returned: when O(key) or O(key_path) is given
  type: str
  sample: SHA256:r4YCZxihVjedH2OlfjVGI6Y5xAYtdCwk8VxKyzVyYfM
deleted_keys:
  description:
    - The deploy keys deleted (or, in check mode, to be deleted), as GitHub described them.
    - On a replacement this is the old registration of the same key.
  returned: success
  type: list
  elements: dict
  sample:
    - id: 1234566
      title: deploy@vps1
      key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBsG5X0c7GmWdV2YtQy8C0nT0dK2yq2mJ0M7QmQf0xQx
      read_only: false
"""

# Imports follow the documentation, as in every Ansible module (hence the noqa: E402).
import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.github_api import GitHubError, warn_moved  # noqa: E402
from ansible.module_utils.github_deploy_keys import (  # noqa: E402
    InvalidKeyError,
    deploy_keys_for,
    fingerprint,
    normalize_key,
    plan_absent,
    plan_present,
    repository_argument_spec,
    summary,
)


def render(keys):
    """Text for --diff: one block per deploy key, defining fields only."""
    blocks = []
    for key in keys:
        key = summary(key)
        read_only = str(key["read_only"]).lower()
        blocks.append(f"title: {key['title']}\nkey: {key['key']}\nread_only: {read_only}\n")
    return "\n".join(blocks)


def wanted_key(module):
    """The normalised public key from key or key_path, or None."""
    text = module.params["key"]
    if module.params["key_path"] is not None:
        path = module.params["key_path"]
        if not os.path.isfile(path):
            module.fail_json(
                msg=f"key_path {path} is not a file on the host running the module "
                "(with delegate_to: localhost, that is the control node)."
            )
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    if text is None:
        return None
    try:
        return normalize_key(text)
    except InvalidKeyError as exc:
        source = f"key_path {module.params['key_path']}" if module.params["key_path"] else "key"
        module.fail_json(msg=f"{source}: {exc}")


def run(module, api):
    params = module.params
    key = wanted_key(module)
    existing = api.list()
    if params["state"] == "present":
        plan = plan_present(existing, key, params["title"], params["read_only"])
    else:
        plan = plan_absent(existing, key=key, title=params["title"] if key is None else None)

    result = {"changed": plan.changed, "deleted_keys": plan.delete}
    if key is not None:
        result["fingerprint"] = fingerprint(key)
    if module._diff:
        where = f"{params['owner']}/{params['repo']}"
        result["diff"] = {
            "before_header": f"deploy keys of {where} (before)",
            "after_header": f"deploy keys of {where} (after)",
            "before": render(plan.before),
            "after": render(plan.after),
        }

    created = None
    if not module.check_mode:
        for old in plan.delete:
            api.delete(old["id"])
        if plan.create:
            created = api.create(**plan.create)

    if params["state"] == "present":
        if plan.keep is not None:
            result["key"] = plan.keep
        elif created is not None:
            result["key"] = created
        else:  # check mode: what would be created
            result["key"] = dict(plan.create, id=None)
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            **repository_argument_spec(),
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
            "title": {"type": "str", "aliases": ["name"]},
            "key": {"type": "str", "no_log": False},
            "key_path": {"type": "path", "no_log": False},
            "read_only": {"type": "bool", "default": True},
        },
        mutually_exclusive=[("key", "key_path")],
        required_if=[
            ("state", "present", ("title",)),
            ("state", "present", ("key", "key_path"), True),
            ("state", "absent", ("key", "key_path", "title"), True),
        ],
        supports_check_mode=True,
    )
    try:
        api = deploy_keys_for(module)
        result = run(module, api)
    except GitHubError as error:
        module.fail_json(msg=str(error), status=error.status)
    warn_moved(module, api.client)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
