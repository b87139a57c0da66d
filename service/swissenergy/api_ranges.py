"""The `start`/`end` query parameters of the range routes: one documented format, checked by
the same regular expression that the OpenAPI schema publishes, so a client (or a fuzzer)
that follows the schema is never refused for the format, and one that does not always is.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Query

from swissenergy import timeseries as tsx

MAX_RANGE_DAYS = 92

# Calendar-valid dates of the years 2000-2100 only (leap days included), so every string the
# pattern admits parses: 2024-02-30 or 1999-12-31 never pass the pattern and then fail later.
_YEAR = "(?:20[0-9]{2}|2100)"
_DATE = (
    f"(?:{_YEAR}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    "|20(?:0[048]|[2468][048]|[13579][26])-02-29)"
)
_TIME = "T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,6})?)?"
# An unencoded '+' in a query string arrives as a space, so ' ' stands for '+' here.
_OFFSET = "(?:Z|[+ -](?:[01][0-9]|2[0-3]):[0-5][0-9])"
WHEN_PATTERN = f"^{_DATE}(?:{_TIME}{_OFFSET}?)?$"
_WHEN = re.compile(f"{_DATE}(?:{_TIME}{_OFFSET}?)?")

_FORMAT_HELP = (
    "ISO 8601 date `YYYY-MM-DD` (local midnight) or date-time "
    "`YYYY-MM-DDThh:mm[:ss[.ffffff]]` with an optional `Z` or `±hh:mm` offset "
    "(without one: local time of TIMEZONE, Europe/Zurich by default); years 2000 to 2100."
)


def _examples(day: str) -> dict[str, Any]:
    return {
        "date": {"summary": "a local day", "value": day},
        "utc": {"summary": "a UTC instant", "value": f"{day}T06:00:00Z"},
        "offset": {"summary": "with an offset", "value": f"{day}T00:00:00+02:00"},
        "local": {"summary": "naive: local time", "value": f"{day}T08:30"},
    }


def when_query(role: str, example_day: str) -> Any:
    """The Query() declaration of `start` or `end` (schema only: parse_when validates).

    Examples of `end` take a later day than those of `start`, so any pair of them is valid.
    """
    return Query(
        description=f"{role}. {_FORMAT_HELP}",
        json_schema_extra={"pattern": WHEN_PATTERN, "maxLength": 32},
        openapi_examples=_examples(example_day),
    )


def _bad(name: str, msg: str) -> HTTPException:
    # Same shape as FastAPI's own validation errors, so clients handle one format.
    return HTTPException(422, detail=[{"loc": ["query", name], "msg": msg, "type": "value_error"}])


def parse_when(name: str, raw: str, tz: ZoneInfo) -> datetime:
    """A `start`/`end` value as a UTC datetime; 422 naming the parameter when malformed."""
    if not _WHEN.fullmatch(raw):
        year = re.match("[0-9]{4}-", raw)
        if year and not 2000 <= int(raw[:4]) <= 2100:
            raise _bad(name, f"{name} must be between the years 2000 and 2100; got {raw[:40]!r}")
        raise _bad(
            name,
            f"{name} must be an ISO 8601 date or date-time such as 2024-01-15 or "
            f"2024-01-15T12:00:00Z; got {raw[:40]!r}",
        )
    text = raw.replace(" ", "+")  # the pattern admits a space only as an offset's sign
    if len(text) == 10:
        d = date.fromisoformat(text)
        return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC)
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(UTC)


def parse_range(
    start: str | None, end: str | None, tz: ZoneInfo, default: tuple[int, int]
) -> tuple[int, int]:
    """[lo, hi) in epoch seconds; a missing bound is the other one -/+ the default span."""
    lo = int(parse_when("start", start, tz).timestamp()) if start is not None else None
    hi = int(parse_when("end", end, tz).timestamp()) if end is not None else None
    span = default[1] - default[0]
    if lo is None and hi is None:
        lo, hi = default
    elif lo is None:
        lo = hi - span  # type: ignore[operator]
    elif hi is None:
        hi = lo + span
    assert lo is not None and hi is not None
    if lo >= hi:
        raise _bad("end", "end must be after start")
    if hi - lo > MAX_RANGE_DAYS * tsx.DAY:
        raise _bad(
            "end",
            f"the range spans {(hi - lo) / tsx.DAY:.1f} days; "
            f"at most {MAX_RANGE_DAYS} days per request",
        )
    return lo, hi
