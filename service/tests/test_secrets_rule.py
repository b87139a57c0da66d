"""The placeholder-secret rule: its exact semantics are shared with the deployment's check."""

from __future__ import annotations

import pytest
from swissenergy.secrets_rule import PLACEHOLDER_SECRETS, is_placeholder


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "changeme",
        "  ChangeMe \n",
        "YOUR-API-KEY",
        "entsoe_api_key",
        "<your key>",
        "<>",
        "${ENTSOE_KEY}",
        "${}",
        "xxxxxxxx",
        "XXX-XXX",
        "***",
        "...",
        "-",
        "x.x*x-",
    ],
)
def test_placeholders_are_recognised(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value",
    [
        "test-key-0123456789abcdef",
        "0b1f2c3d-aaaa-bbbb-cccc-1234567890ab",
        "xyz",  # only x * - . count as filler
        "<your key",  # must be closed to count as a template
        "{ENTSOE_KEY}",  # a shell-style template needs the $
        "$ENTSOE_KEY",
        "changeme2",
        "my secret",
    ],
)
def test_real_looking_values_pass(value: str) -> None:
    assert not is_placeholder(value)


def test_the_list_is_lower_case_and_each_entry_is_refused() -> None:
    assert isinstance(PLACEHOLDER_SECRETS, frozenset)
    assert all(v == v.strip().lower() for v in PLACEHOLDER_SECRETS)
    assert {"", "changeme", "todo", "none", "null", "secret"} <= PLACEHOLDER_SECRETS
    for v in PLACEHOLDER_SECRETS:
        assert is_placeholder(v) and is_placeholder(f" {v.upper()} ")
