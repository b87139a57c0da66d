"""ENTSO-E Transparency Platform client for Swiss total load (actual A16, day-ahead A01).

Follows shared/contracts/entsoe/README.md. The parser is pure (bytes in, points out) so its
edge cases are tested without HTTP; the client adds chunking, retries and error mapping.
Points are `{utc_epoch_seconds: (resolution_seconds, MW)}`: a point stands for the interval
[ts, ts + resolution).
"""

from __future__ import annotations

import bisect
import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree.ElementTree import Element

import httpx
from defusedxml import ElementTree as SafeET
from pydantic import SecretStr

log = logging.getLogger(__name__)

Points = dict[int, tuple[int, float]]

ACTUAL_LOAD = "A16"
DAY_AHEAD_FORECAST = "A01"
MAX_CHUNK = timedelta(days=365)  # "at most one year per request"; 365 d is safe in leap years
NO_DATA_MARKER = "No matching data found"
_TOKEN_RE = re.compile(r"(securityToken=)[^&\s'\"]*", re.IGNORECASE)
_BAN_RE = re.compile(r"banned until '([^']+)'", re.IGNORECASE)
_DURATION_RE = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


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


class _RedactFilter(logging.Filter):
    """httpx logs every request URL at INFO, and the token is in that URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_RedactFilter())


# --------------------------------------------------------------------------- parsing
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


def _ack_text(body: bytes) -> str:
    try:
        return ack_reason(SafeET.fromstring(body, forbid_dtd=True))
    except Exception:
        return body[:200].decode("utf-8", "replace").strip()


def chunks(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Half-open [start, end) windows of at most MAX_CHUNK; borders are shared, not skipped."""
    cur = start
    while cur < end:
        nxt = min(cur + MAX_CHUNK, end)
        yield cur, nxt
        cur = nxt


def _fmt(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y%m%d%H%M")


# --------------------------------------------------------------------------- client
class EntsoeClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr,
        zone: str = "10YCH-SWISSGRIDZ",
        timeout_s: float = 60.0,
        max_retries: int = 5,
        backoff_s: float = 1.0,
        backoff_max_s: float = 30.0,
        max_ban_wait_s: float = 660.0,
        min_request_interval_s: float = 0.2,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._key = api_key
        self._zone = zone
        self._max_retries = max_retries
        self._backoff = backoff_s
        self._backoff_max = backoff_max_s
        self._max_ban_wait = max_ban_wait_s
        self._min_interval = min_request_interval_s
        self._sleep = sleep
        self._last_request = 0.0
        self.requests_made = 0
        self._http = httpx.Client(
            base_url="",
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 15.0)),
            transport=transport,
            headers={"Accept-Encoding": "gzip", "User-Agent": "swissenergy/0.1"},
            follow_redirects=False,  # a redirect would re-send the token somewhere else
        )
        self._url = base_url

    @classmethod
    def from_settings(cls, s: Any, **kw: Any) -> EntsoeClient:
        return cls(
            base_url=s.entsoe_base_url,
            api_key=s.entsoe_api_key,
            zone=s.entsoe_zone,
            timeout_s=s.entsoe_timeout_s,
            max_retries=s.entsoe_max_retries,
            backoff_s=s.entsoe_backoff_s,
            backoff_max_s=s.entsoe_backoff_max_s,
            max_ban_wait_s=s.entsoe_max_ban_wait_s,
            min_request_interval_s=s.entsoe_min_request_interval_s,
            **kw,
        )

    def __enter__(self) -> EntsoeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def fetch(self, process_type: str, start: datetime, end: datetime) -> Points:
        """All points in [start, end), fetched in chunks of at most a year."""
        out: Points = {}
        for part in self.iter_fetch(process_type, start, end):
            out.update(part)
        return out

    def iter_fetch(self, process_type: str, start: datetime, end: datetime) -> Iterator[Points]:
        """The points of each chunk of [start, end), oldest chunk first."""
        for a, b in chunks(start, end):
            lo, hi = int(a.timestamp()), int(b.timestamp())
            body = self._get(
                {
                    "documentType": "A65",
                    "processType": process_type,
                    "outBiddingZone_Domain": self._zone,
                    "periodStart": _fmt(a),
                    "periodEnd": _fmt(b),
                }
            )
            # Keep only this chunk's own half-open window: the server may return whole
            # periods beyond it, and the neighbouring chunk owns those points.
            yield {t: v for t, v in parse_document(body).items() if lo <= t < hi}

    def _pace(self) -> None:
        wait = self._last_request + self._min_interval - time.monotonic()
        if wait > 0:
            self._sleep(wait)
        self._last_request = time.monotonic()

    def _backoff_delay(self, attempt: int) -> float:
        base = min(self._backoff_max, self._backoff * 2**attempt)
        return base * (0.5 + random.random() / 2)  # jitter: don't retry in lock-step

    def _get(self, params: dict[str, str]) -> bytes:
        secret = self._key.get_secret_value()
        attempt = bans = 0
        while True:
            self._pace()
            self.requests_made += 1
            try:
                resp = self._http.get(self._url, params={**params, "securityToken": secret})
            except httpx.TimeoutException:
                problem = "timed out"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            else:
                status = resp.status_code
                if status == 200:
                    return resp.content
                if status == 401 or status == 403:
                    raise EntsoeAuthError(
                        f"ENTSO-E rejected the API key (HTTP {status}); check ENTSOE_API_KEY"
                    )
                if status == 429:
                    wait = self._ban_wait(resp)
                    if wait > self._max_ban_wait or bans >= 2:
                        raise EntsoeRateLimited(
                            f"ENTSO-E rate limit: token banned for {wait:.0f} s more "
                            f"({redact(resp.text[:200], secret).strip()})"
                        )
                    bans += 1
                    log.warning("ENTSO-E ban (HTTP 429); waiting %.0f s", wait)
                    self._sleep(wait)
                    continue
                if status == 404:
                    raise EntsoeRequestError(
                        "ENTSO-E answered 404 Not Found: the API may have moved; "
                        "check ENTSOE_BASE_URL"
                    )
                if 400 <= status < 500:
                    reason = redact(_ack_text(resp.content), secret)
                    raise EntsoeRequestError(f"ENTSO-E refused the query (HTTP {status}): {reason}")
                problem = f"HTTP {status}"
            if attempt >= self._max_retries:
                raise EntsoeUnavailable(
                    f"ENTSO-E unavailable: {problem} after {attempt + 1} attempts"
                )
            delay = self._backoff_delay(attempt)
            log.warning("ENTSO-E %s; retry %d in %.1f s", problem, attempt + 1, delay)
            self._sleep(delay)
            attempt += 1

    @staticmethod
    def _ban_wait(resp: httpx.Response) -> float:
        m = _BAN_RE.search(resp.text)
        if m:
            try:
                until = datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
                if until.tzinfo is None:
                    until = until.replace(tzinfo=UTC)
                return max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.0
            except ValueError:
                pass
        retry_after = resp.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return float(retry_after)
        return 600.0  # the documented ban length when the page gives no time
