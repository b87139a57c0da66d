#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: github_deploy_key_info
short_description: List the deploy keys of a GitHub repository
description:
  - Lists every deploy key of a GitHub or GitHub Enterprise Server repository through the
    GitHub REST API, following pagination.
  - The O(token) must be allowed to read the repository's deploy keys (classic token with the
    C(repo) scope and admin rights; fine-grained token or GitHub App with C(Administration)
    read permission).
author:
  - Infrastructure team
extends_documentation_fragment:
  - action_common_attributes
  - github
  - github.repository
attributes:
  check_mode:
    support: full
    details: This module only reads.
  diff_mode:
    support: N/A
    details: This module only reads.
  platform:
    platforms: posix
seealso:
  - module: github_deploy_key
"""

EXAMPLES = r"""
---
- name: List the deploy keys of a repository
  github_deploy_key_info:
    owner: example-org
    repo: forecast
    token: "{{ vault_github_token }}"
  delegate_to: localhost
  register: forecast_keys

- name: Show the titles of the read-write keys
  ansible.builtin.debug:
    msg: "{{ forecast_keys['keys'] | rejectattr('read_only') | map(attribute='title') }}"
"""

RETURN = r"""
keys:
  description: The deploy keys of the repository, as GitHub describes them.
  returned: success
  type: list
  elements: dict
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
      description: The public key, type and base64 body without comment.
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
"""

# Imports follow the documentation, as in every Ansible module (hence the noqa: E402).
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.github_api import GitHubError, warn_moved  # noqa: E402
from ansible.module_utils.github_deploy_keys import (  # noqa: E402
    deploy_keys_for,
    repository_argument_spec,
)


def main():
    module = AnsibleModule(argument_spec=repository_argument_spec(), supports_check_mode=True)
    try:
        api = deploy_keys_for(module)
        keys = api.list()
    except GitHubError as error:
        module.fail_json(msg=str(error), status=error.status)
    warn_moved(module, api.client)
    module.exit_json(changed=False, keys=keys)


if __name__ == "__main__":
    main()
