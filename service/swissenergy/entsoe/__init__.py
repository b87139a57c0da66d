"""ENTSO-E Transparency Platform: the XML parser, the HTTP client and their errors."""

from .client import (
    ACTUAL_LOAD,
    DAY_AHEAD_FORECAST,
    DEFAULT_BASE_URL,
    MAX_CHUNK,
    EntsoeClient,
    chunks,
)
from .errors import (
    EntsoeAuthError,
    EntsoeError,
    EntsoeRateLimited,
    EntsoeRequestError,
    EntsoeUnavailable,
    redact,
)
from .parser import Points, parse_document, parse_duration, parse_time

__all__ = [
    "ACTUAL_LOAD",
    "DAY_AHEAD_FORECAST",
    "DEFAULT_BASE_URL",
    "MAX_CHUNK",
    "EntsoeAuthError",
    "EntsoeClient",
    "EntsoeError",
    "EntsoeRateLimited",
    "EntsoeRequestError",
    "EntsoeUnavailable",
    "Points",
    "chunks",
    "parse_document",
    "parse_duration",
    "parse_time",
    "redact",
]
