"""The forecast's ETag, from its content, and If-None-Match matching.

Several app hosts each fetch and forecast on their own (shared-nothing), so a forecast's row
id, run id and creation time differ between hosts while what it forecasts is the same. The
ETag hashes everything but those three, so a client switched to another host still gets a
304 for the forecast it holds. The bodies then differ in those fields only, hence a weak
validator (RFC 9110 8.8.1: same meaning, not the same bytes); If-None-Match compares weakly.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

# Where the forecast came from on this host, not what it says.
PROVENANCE = frozenset({"id", "run_id", "created_at"})


def content_etag(doc: dict[str, Any]) -> str:
    """Weak ETag of a forecast document (`serving.forecast_json`) without its provenance."""
    content = {k: v for k, v in doc.items() if k not in PROVENANCE}
    digest = hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f'W/"{digest[:32]}"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def if_none_match(header: str | None, etag: str) -> bool:
    """True when an If-None-Match value (a list, or `*`) matches `etag`, weakly."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return _opaque(etag) in {_opaque(t) for t in header.split(",")}
