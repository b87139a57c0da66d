"""The placeholder-secret rule: is a configured secret a value left from a template?

One rule, public, so the service's start-up check and the deployment's checks (an Ansible
filter with the same semantics) refuse the same values. A value is a placeholder when, after
stripping and lower-casing, it is in PLACEHOLDER_SECRETS, or looks like `<...>` or `${...}`,
or consists only of the characters x * - . (the empty string included).
"""

from __future__ import annotations

# Values people leave in a copied .env.example; starting with one would only produce 401s
# an hour later, so they are refused at start-up instead.
PLACEHOLDER_SECRETS: frozenset[str] = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "change_me",
        "replace-me",
        "replace_me",
        "replaceme",
        "your-api-key",
        "your_api_key",
        "your-key",
        "your-token",
        "placeholder",
        "todo",
        "xxx",
        "none",
        "null",
        "secret",
        "entsoe_api_key",
    }
)
_FILLER = frozenset("x*-.")


def is_placeholder(value: str) -> bool:
    v = value.strip().lower()
    return (
        v in PLACEHOLDER_SECRETS
        or (v.startswith("<") and v.endswith(">"))
        or (v.startswith("${") and v.endswith("}"))
        or set(v) <= _FILLER
    )
