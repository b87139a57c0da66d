"""Schemathesis hooks for tests/test_schemathesis.py (loaded via SCHEMATHESIS_HOOKS).

OpenAPI describes each query parameter alone, so it cannot say "end after start, at most
92 days later". Generated `start`/`end` pairs that are each valid but break that rule are
mended here (the 422s for such pairs are asserted in test_api.py); everything else the
fuzzer generates, valid or not, goes out unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import schemathesis
from fastapi import HTTPException
from swissenergy.api_ranges import MAX_RANGE_DAYS, parse_when

RANGE_PATHS = {"/loads", "/forecast/entsoe", "/forecasts"}
TZ = ZoneInfo("Europe/Zurich")


def _parsed(value: Any, name: str) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_when(name, value, TZ)
    except HTTPException:
        return None


def _fits(lo: datetime, hi: datetime) -> bool:
    # Whole seconds, as parse_range compares them.
    span = int(hi.timestamp()) - int(lo.timestamp())
    return 0 < span <= MAX_RANGE_DAYS * 86400


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    if case.operation.path not in RANGE_PATHS or not isinstance(case.query, dict):
        return case
    lo = _parsed(case.query.get("start"), "start")
    hi = _parsed(case.query.get("end"), "end")
    if lo is None or hi is None or _fits(lo, hi):
        return case
    end = lo + timedelta(hours=1)
    if end.year <= 2100:
        case.query["end"] = end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    else:  # past the documented years: let end default to start + the route's span
        del case.query["end"]
    return case
