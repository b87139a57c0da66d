"""The one rule for secrets left at a placeholder, as a Jinja test:

    forecast_service_entsoe_api_key is swissenergy_placeholder

The service refuses the same values at start-up (swissenergy.secrets_rule); a repository test
proves the two agree value for value."""

from __future__ import annotations

import re

# Values people leave in a copied example file; compared stripped and lower-cased.
PLACEHOLDER_SECRETS = frozenset(
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
# <your key>, ${ENTSOE_API_KEY}, and masks such as xxxx, ****, ---.
_PLACEHOLDER_SHAPES = re.compile(r"<.*>|\$\{.*\}|[x*.-]*", re.DOTALL)


def is_placeholder(value: object) -> bool:
    text = ("" if value is None else str(value)).strip().lower()
    return text in PLACEHOLDER_SECRETS or _PLACEHOLDER_SHAPES.fullmatch(text) is not None


class TestModule:
    def tests(self) -> dict:
        return {"swissenergy_placeholder": is_placeholder}
