# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one rule for the GitHub token every module takes.

``echo TOKEN | ansible-vault encrypt_string`` vaults the token with a trailing newline, and a
token pasted from a browser may carry spaces around it. Sent as is, http.client refuses the
header with an exception whose message quotes the header value, token and all. So whitespace
around the token is stripped, and anything else that cannot be part of a token (a control
character, whitespace or a non-ASCII character inside it) is refused before any request, with
a message that says where the token came from and how to fix it but never quotes it.
"""

from __future__ import annotations

SOURCE = "The GitHub token (option token, or the GITHUB_TOKEN environment variable)"


class TokenError(ValueError):
    """The token is missing or unusable. The message never quotes the token."""


def clean_token(value: str | None) -> str:
    """The token without surrounding whitespace; TokenError when missing or malformed."""
    token = (value or "").strip()
    if not token:
        raise TokenError(
            "No GitHub token: set the token option or the GITHUB_TOKEN environment variable "
            "on the host running the module (the control node with delegate_to: localhost)."
        )
    # GitHub's tokens are printable ASCII; a header value must not hold CR or LF at all.
    if any(not "!" <= char <= "~" for char in token):
        raise TokenError(
            f"{SOURCE} has a control character, a space or a non-ASCII character inside it "
            "(only whitespace around it is stripped). Vault the token alone again "
            "(printf '%s' \"$GITHUB_TOKEN\" | ansible-vault encrypt_string --stdin-name "
            "vault_github_token)."
        )
    return token


def module_token(module) -> str:
    """The cleaned token of an AnsibleModule with the github options.

    Its no_log masking knows only the value as given (``TOKEN\\n``), so the stripped form is
    added: a message that quoted it would be masked too.
    """
    raw = module.params.get("token")
    if isinstance(raw, str) and raw.strip():
        module.no_log_values.add(raw.strip())
    return clean_token(raw)
