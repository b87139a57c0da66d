# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the options every GitHub module shares: `github` for the API connection
(module_utils/github_api.py: github_argument_spec), `github.repository` for the repository
(module_utils/github_deploy_keys.py: repository_argument_spec)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  token:
    description:
      - A GitHub token with the permissions the module's description names.
      - Whitespace around it is stripped, such as the trailing newline a token vaulted with
        C(echo TOKEN | ansible-vault encrypt_string) carries. A control character, space or
        non-ASCII character inside it fails the task before any request, with a message that
        does not show the token.
      - If not given, the E(GITHUB_TOKEN) environment variable of the host running the module
        is used, for example one exported before running C(ansible-playbook).
      - Pass the token here (or once for a block or play with C(module_defaults)) rather than
        through the C(environment) task keyword, which Ansible prints in clear at verbosity 3
        (C(-vvv)).
    type: str
  api_url:
    description:
      - Base URL of the GitHub REST API. For GitHub Enterprise Server use
        C(https://HOSTNAME/api/v3).
    type: str
    default: https://api.github.com
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate. Set V(false) only for a test server.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each answer of the API.
    type: int
    default: 30
notes:
  - Server errors (5xx) and network errors are retried up to 5 times with exponential backoff
    (1 s doubling, at most 30 s). Secondary rate limits are waited out when GitHub asks for
    at most 60 s, the primary rate limit when it resets within 60 s; otherwise the module fails
    and says when to run again.
  - Redirects (GitHub's answer for a renamed or transferred repository) are followed with the
    same method and body when they stay on the API's scheme, host and port, at most 5 times,
    with a warning to update O(owner) and O(repo).
    A redirect anywhere else is not followed, so the token is never sent there; the module
    fails and names the new owner/repo when the new location shows it.
  - The token never appears in results or messages.
"""

    REPOSITORY = r"""
options:
  owner:
    description:
      - The user or organisation that owns the repository.
    type: str
    required: true
  repo:
    description:
      - The name of the repository, without the owner.
    type: str
    required: true
"""
