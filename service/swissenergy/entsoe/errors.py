"""ENTSO-E errors and the redaction of the API key from any text that may be shown or logged."""

from __future__ import annotations

import re

_TOKEN_RE = re.compile(r"(securityToken=)[^&\s'\"]*", re.IGNORECASE)


class EntsoeError(RuntimeError):
    """Any failure talking to ENTSO-E. Messages never contain the API key."""


class EntsoeAuthError(EntsoeError):
    pass


class EntsoeRequestError(EntsoeError):
    pass


class EntsoeRateLimited(EntsoeError):
    pass


class EntsoeUnavailable(EntsoeError):
    pass


def redact(text: str, secret: str | None = None) -> str:
    text = _TOKEN_RE.sub(r"\1***", text)
    if secret:
        text = text.replace(secret, "***")
    return text
