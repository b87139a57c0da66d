"""HTTP client of the ENTSO-E Transparency Platform for Swiss total load (actual A16,
day-ahead A01).

Follows shared/contracts/entsoe/README.md: year-sized half-open chunks, pacing below the rate
limit, bounded retries with jitter for 5xx/timeouts, 429 bans waited out, 4xx mapped to clear
errors. Parsing is `parser`'s job. The defaults below are also the settings' defaults
(`config` reads them from here), so the two cannot drift apart.
"""

from __future__ import annotations

import logging
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from .errors import (
    EntsoeAuthError,
    EntsoeRateLimited,
    EntsoeRequestError,
    EntsoeUnavailable,
    redact,
)
from .parser import Points, ack_text, parse_document

# httpx imports its command-line tool's click, rich and pygments (when installed) unless its
# `_main` cannot be imported; no process of ours runs that tool: ~4 MiB RSS in each.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
import httpx  # noqa: E402

log = logging.getLogger(__name__)

ACTUAL_LOAD = "A16"
DAY_AHEAD_FORECAST = "A01"
MAX_CHUNK = timedelta(days=365)  # "at most one year per request"; 365 d is safe in leap years
_BAN_RE = re.compile(r"banned until '([^']+)'", re.IGNORECASE)

DEFAULT_BASE_URL = "https://web-api.tp.entsoe.eu/api"
DEFAULT_ZONE = "10YCH-SWISSGRIDZ"
# A year-long query can take a while; ENTSO-E itself cuts requests off at 300 s.
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_BACKOFF_S = 1.0
DEFAULT_BACKOFF_MAX_S = 30.0
# ENTSO-E bans for about 10 minutes; waiting longer than this fails the update instead.
DEFAULT_MAX_BAN_WAIT_S = 660.0
# ENTSO-E allows 400 requests/minute per token; stay below it even on a first import.
DEFAULT_MIN_REQUEST_INTERVAL_S = 0.2


class _RedactFilter(logging.Filter):
    """httpx logs every request URL at INFO, and the token is in that URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_RedactFilter())


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
        zone: str = DEFAULT_ZONE,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_s: float = DEFAULT_BACKOFF_S,
        backoff_max_s: float = DEFAULT_BACKOFF_MAX_S,
        max_ban_wait_s: float = DEFAULT_MAX_BAN_WAIT_S,
        min_request_interval_s: float = DEFAULT_MIN_REQUEST_INTERVAL_S,
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
                    reason = redact(ack_text(resp.content), secret)
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
