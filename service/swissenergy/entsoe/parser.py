"""Parser of ENTSO-E GL_MarketDocuments: pure, bytes in, points out.

Points are `{utc_epoch_seconds: (resolution_seconds, MW)}`: a point stands for the interval
[ts, ts + resolution). A01 curves send every position; A03 only changes (filled forward within
one Period). Where several series overlap at different resolutions the finer one wins.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from .errors import EntsoeError, EntsoeRequestError

Points = dict[int, tuple[int, float]]

NO_DATA_MARKER = "No matching data found"
_DURATION_RE = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


@dataclass(frozen=True)
class Period:
    start: int  # epoch seconds, UTC
    end: int
    resolution: int  # seconds
    values: dict[int, float]  # position (1-based) -> MW, after A03 forward fill


def _local(tag: str) -> str:
    # Match by local name so a namespace version bump does not break parsing.
    return tag.rsplit("}", 1)[-1]


def _child(el: Element, name: str) -> Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _text(el: Element, name: str) -> str:
    c = _child(el, name)
    if c is None or c.text is None:
        raise EntsoeError(f"malformed document: <{_local(el.tag)}> has no <{name}>")
    return c.text.strip()


def parse_duration(value: str) -> int:
    m = _DURATION_RE.match(value.strip())
    if not m or not any(m.groups()):
        raise EntsoeError(f"unsupported resolution {value!r}")
    d, h, mi = (int(g) if g else 0 for g in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60


def parse_time(value: str) -> int:
    ts = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return int(ts.timestamp())


def _parse_period(el: Element, curve: str) -> Period:
    interval = _child(el, "timeInterval")
    if interval is None:
        raise EntsoeError("malformed document: <Period> has no <timeInterval>")
    start, end = parse_time(_text(interval, "start")), parse_time(_text(interval, "end"))
    res = parse_duration(_text(el, "resolution"))
    n = (end - start) // res
    raw: dict[int, float] = {}
    for p in el:
        if _local(p.tag) == "Point":
            pos = int(_text(p, "position"))
            if 1 <= pos <= n:
                raw[pos] = float(_text(p, "quantity"))
    if curve != "A03":
        # A01: every position is sent; a missing one is a gap, not a repeat.
        return Period(start, end, res, raw)
    # A03: only changes are sent; fill forward within this Period only, never across.
    filled: dict[int, float] = {}
    last: float | None = None
    for pos in range(1, n + 1):
        last = raw.get(pos, last)
        if last is not None:
            filled[pos] = last
    return Period(start, end, res, filled)


def _merge(periods: list[Period]) -> Points:
    """Flatten periods; where windows overlap at different resolutions the finer one wins."""
    out: Points = {}
    finer: list[tuple[int, int]] = []  # disjoint sorted intervals covered by finer periods
    for res in sorted({p.resolution for p in periods}):
        starts = [a for a, _ in finer]
        same = [p for p in periods if p.resolution == res]
        for p in same:
            for pos, mw in p.values.items():
                ts = p.start + (pos - 1) * res  # right on 23 h / 25 h DST days: all UTC
                i = bisect.bisect_right(starts, ts + res - 1) - 1
                if i >= 0 and finer[i][1] > ts:
                    continue  # a finer series covers this instant
                out[ts] = (res, mw)
        finer = _union(finer + [(p.start, p.end) for p in same])
    return out


def _union(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def parse_document(body: bytes) -> Points:
    """Parse a GL_MarketDocument; an acknowledgement saying "no data" gives no points."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except Exception as exc:  # defusedxml raises several types; all mean "not usable XML"
        raise EntsoeError(f"response is not usable XML ({type(exc).__name__})") from None
    kind = _local(root.tag)
    if kind == "Acknowledgement_MarketDocument":
        reason = ack_reason(root)
        if NO_DATA_MARKER.lower() in reason.lower():
            return {}
        raise EntsoeRequestError(f"ENTSO-E refused the query: {reason}")
    if kind != "GL_MarketDocument":
        raise EntsoeError(f"unexpected document type {kind}")
    periods = []
    for ts_el in root.iter():
        if _local(ts_el.tag) != "TimeSeries":
            continue
        curve_el = _child(ts_el, "curveType")
        curve = (curve_el.text or "A01").strip() if curve_el is not None else "A01"
        periods += [_parse_period(p, curve) for p in ts_el if _local(p.tag) == "Period"]
    return _merge(periods)


def ack_reason(root: Element) -> str:
    texts = [(t.text or "").strip() for t in root.iter() if _local(t.tag) == "text" and t.text]
    return " ".join(texts) or "no reason given"


def ack_text(body: bytes) -> str:
    try:
        return ack_reason(SafeET.fromstring(body, forbid_dtd=True))
    except Exception:
        return body[:200].decode("utf-8", "replace").strip()
