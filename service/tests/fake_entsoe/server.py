"""A fake ENTSO-E Transparency Platform API for Swiss total load, over real HTTP (stdlib only).

Faithful to shared/contracts/entsoe/README.md: GL_MarketDocument with TimeSeries > Period >
Point, A01 (actual, every position) and A03 (forecast, changes only) curves, PT60M/PT15M,
periods per local day (23/25 positions on DST days), acknowledgements for "no data" (200) and
bad queries (400), 401 for a bad token, 429 with "banned until" after too many requests,
gzip when asked. Faults are queued through `FakeEntsoe.add_fault` or `POST /_admin/faults`.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .synth import forecast_mw, load_mw, local_midnight_utc, utc_offset

GL_NS = "urn:iec62325.351:tc57wg16:451-6:generationloaddocument:3:0"
ACK_NS = "urn:iec62325.351:tc57wg16:451-1:acknowledgementdocument:7:0"
ZONE = "10YCH-SWISSGRIDZ"
MAX_RANGE = 365 * 86400


@dataclass
class Config:
    token: str | None = None  # None: any non-empty token is accepted
    now: float | None = None  # fixed clock (epoch s); None = real time
    data_start: str = "2014-12-31T23:00Z"
    resolution_min: int = 60  # actual load
    switch_to_15min_at: str | None = None  # actual load becomes PT15M from this instant
    forecast_resolution_min: int = 15
    publish_lag_min: int = 60  # actual load appears this long after the interval ends
    forecast_publish_hour: int = 10  # tomorrow's forecast exists from this local hour
    revision: int = 0  # bumps values of the last `revision_days` (actual load revisions)
    revision_days: int = 7
    dual_resolution: bool = False  # also send a coarser PT60M series over PT15M windows
    whole_days: bool = False  # send whole local days even beyond the requested window
    series_per_day: bool = False  # one TimeSeries per day instead of one with many Periods
    gaps: list[list[str]] = field(default_factory=list)  # [[start, end), ...] missing
    rate_limit_per_min: int = 400
    ban_seconds: float = 600.0
    auth_style: str = "html"  # 401 body: "html" (legacy page) or "ack" (R3 acknowledgement)


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%MZ")


def ack(text: str) -> bytes:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Acknowledgement_MarketDocument\n'
        f'\txmlns="{ACK_NS}">\n\t<mRID>fake-ack</mRID>\n\t<createdDateTime>{now}'
        f"</createdDateTime>\n\t<Reason>\n\t\t<code>999</code>\n\t\t<text>{text}</text>\n"
        f"\t</Reason>\n</Acknowledgement_MarketDocument>\n"
    ).encode()


class FakeEntsoe:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.faults: list[dict[str, Any]] = []
        self.requests: list[dict[str, str]] = []
        self.banned_until = 0.0
        self._window: list[float] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control
    def now(self) -> float:
        return self.config.now if self.config.now is not None else time.time()

    def add_fault(self, kind: str, times: int = 1, **kw: Any) -> None:
        """kind: status (with status=NNN), slow (delay=s), ban (seconds=s), nodata,
        garbage, drop, bad_request, unauthorized. `process_type` restricts it to A16/A01."""
        with self._lock:
            self.faults.append({"kind": kind, "times": times, **kw})

    def configure(self, **kw: Any) -> None:
        names = {f.name for f in fields(Config)}
        unknown = set(kw) - names
        if unknown:
            raise ValueError(f"unknown config keys {sorted(unknown)}")
        with self._lock:
            for k, v in kw.items():
                setattr(self.config, k, v)

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.requests.clear()
            self.banned_until = 0.0
            self._window.clear()

    def _take_fault(self, process_type: str) -> dict[str, Any] | None:
        with self._lock:
            for f in self.faults:
                if f.get("process_type") in (None, process_type):
                    f["times"] -= 1
                    if f["times"] <= 0:
                        self.faults.remove(f)
                    return f
        return None

    # ------------------------------------------------------------------ serving
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._server = ThreadingHTTPServer((host, port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return f"http://{host}:{self._server.server_address[1]}/api"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    # ------------------------------------------------------------------ the API
    def handle(self, path: str, query: str) -> tuple[int, str, bytes, float]:
        """-> (status, content type, body, delay seconds before answering)."""
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        token = params.pop("securityToken", "")
        with self._lock:
            self.requests.append(dict(params))
        if path.rstrip("/") != "/api":
            return 404, "text/html", b"<html><body>Not Found</body></html>", 0
        now = self.now()
        if not token or (self.config.token is not None and token != self.config.token):
            return self._unauthorized()
        if self._rate_limited():
            return self._banned()
        fault = self._take_fault(params.get("processType", ""))
        delay = 0.0
        if fault:
            kind = fault["kind"]
            if kind == "status":
                status = int(fault["status"])
                body = b"Service Temporarily Unavailable\n\nScheduled maintenance is currently "
                return status, "text/plain", body + b"underway.\nPlease check back soon.\n", 0
            if kind == "ban":
                # Bans run on the wall clock even with a fixed `now`: clients wait in real time.
                self.banned_until = time.time() + float(
                    fault.get("seconds", self.config.ban_seconds)
                )
                return self._banned()
            if kind == "unauthorized":
                return self._unauthorized()
            if kind == "bad_request":
                return 400, "text/xml", ack("Invalid query attributes or parameters."), 0
            if kind == "nodata":
                return 200, "text/xml", ack(_no_data_text(params)), 0
            if kind == "garbage":
                return 200, "text/xml", b"<html><body>oops", 0
            if kind in ("slow", "drop"):
                delay = float(fault.get("delay", 0 if kind == "drop" else 5))
                if kind == "drop":
                    return 0, "", b"", delay
        status, ctype, body = self._data(params, now)
        return status, ctype, body, delay

    def _banned(self) -> tuple[int, str, bytes, float]:
        until = datetime.fromtimestamp(self.banned_until, UTC)
        stamp = until.strftime("%Y-%m-%dT%H:%M:%S.") + f"{until.microsecond // 1000:03d}Z"
        body = f"<html><body><p>Requester banned until '{stamp}'.</p></body></html>"
        return 429, "text/html", body.encode(), 0

    def _unauthorized(self) -> tuple[int, str, bytes, float]:
        if self.config.auth_style == "ack":
            return 401, "text/xml", ack("Authentication failed."), 0
        return (
            401,
            "text/html",
            (
                b"<html><head><title>Error</title></head><body>Unauthorized. Missing or invalid "
                b"security token</body></html>"
            ),
            0,
        )

    def _rate_limited(self) -> bool:
        now = time.time()
        with self._lock:
            if now < self.banned_until:
                return True
            self._window = [t for t in self._window if t > now - 60] + [now]
            if len(self._window) > self.config.rate_limit_per_min:
                self.banned_until = now + self.config.ban_seconds
                return True
        return False

    def _data(self, p: dict[str, str], now: float) -> tuple[int, str, bytes]:
        bad = (400, "text/xml", ack("Invalid query attributes or parameters."))
        required = (
            "documentType",
            "processType",
            "outBiddingZone_Domain",
            "periodStart",
            "periodEnd",
        )
        if any(k not in p for k in required):  # names are case-sensitive
            return bad
        if p["documentType"] != "A65" or p["processType"] not in ("A16", "A01"):
            return bad
        if p["outBiddingZone_Domain"] != ZONE:
            return bad
        try:
            start, end = (
                int(datetime.strptime(p[k], "%Y%m%d%H%M").replace(tzinfo=UTC).timestamp())
                for k in ("periodStart", "periodEnd")
            )
        except ValueError:
            return bad
        if end <= start:
            return bad
        if end - start > MAX_RANGE:
            return (
                400,
                "text/xml",
                ack(
                    "The amount of requested data exceeds allowed limit. Requested interval is "
                    "longer than one year."
                ),
            )
        doc = self.document(p["processType"], start, end, now)
        if doc is None:
            return 200, "text/xml", ack(_no_data_text(p))
        return 200, "text/xml", doc

    # ------------------------------------------------------------------ documents
    def available(self, process_type: str, now: float) -> tuple[int, int]:
        c = self.config
        first = _ts(c.data_start)
        if process_type == "A16":
            last = int(now) - c.publish_lag_min * 60
            return first, last - last % (15 * 60)
        local = datetime.fromtimestamp(now + utc_offset(int(now)), UTC)
        days = 2 if local.hour >= c.forecast_publish_hour else 1
        return first, local_midnight_utc(local.date() + timedelta(days=days))

    def resolution_at(self, process_type: str, ts: int) -> int:
        c = self.config
        if process_type == "A01":
            return c.forecast_resolution_min * 60
        if c.switch_to_15min_at and ts >= _ts(c.switch_to_15min_at):
            return 900
        return c.resolution_min * 60

    def document(self, process_type: str, start: int, end: int, now: float) -> bytes | None:
        first, last = self.available(process_type, now)
        lo, hi = max(start, first), min(end, last)
        if lo >= hi:
            return None
        periods: list[tuple[int, int, int]] = []  # (start, end, resolution), local days
        d = datetime.fromtimestamp(lo + utc_offset(lo), UTC).date()
        while local_midnight_utc(d) < hi:
            a, b = local_midnight_utc(d), local_midnight_utc(d + timedelta(days=1))
            res = self.resolution_at(process_type, a)
            if not self.config.whole_days:
                a = max(a, lo - lo % res)
                b = min(b, hi + (-hi) % res)
            b = min(b, last - last % res)
            if a < b:
                periods.append((a, b, res))
            d += timedelta(days=1)
        if not periods:
            return None
        series = [[p] for p in periods] if self.config.series_per_day else [periods]
        extra = []
        if self.config.dual_resolution:
            extra = [[(a, b, 3600)] for a, b, r in periods if r < 3600 and (b - a) % 3600 == 0]
        return self._gl_document(process_type, series + extra, periods[0][0], periods[-1][1])

    def _gl_document(
        self, process_type: str, series: list[list[tuple[int, int, int]]], start: int, end: int
    ) -> bytes:
        forecast = process_type == "A01"
        gaps = [(_ts(a), _ts(b)) for a, b in self.config.gaps]
        out = [
            f'<?xml version="1.0" encoding="UTF-8"?>\n<GL_MarketDocument xmlns="{GL_NS}">\n'
            f"\t<mRID>fake</mRID>\n\t<revisionNumber>1</revisionNumber>\n\t<type>A65</type>\n"
            f"\t<process.processType>{process_type}</process.processType>\n"
            f"\t<createdDateTime>{_iso(self.now())}</createdDateTime>\n"
            f"\t<time_Period.timeInterval>\n\t\t<start>{_iso(start)}</start>\n"
            f"\t\t<end>{_iso(end)}</end>\n\t</time_Period.timeInterval>\n"
        ]
        rev_from = self.now() - self.config.revision_days * 86400
        for i, periods in enumerate(series, 1):
            out.append(
                f"\t<TimeSeries>\n\t\t<mRID>{i}</mRID>\n\t\t<businessType>A04</businessType>\n"
                f"\t\t<objectAggregation>A01</objectAggregation>\n"
                f'\t\t<outBiddingZone_Domain.mRID codingScheme="A01">{ZONE}'
                f"</outBiddingZone_Domain.mRID>\n"
                f"\t\t<quantity_Measure_Unit.name>MAW</quantity_Measure_Unit.name>\n"
                f"\t\t<curveType>{'A03' if forecast else 'A01'}</curveType>\n"
            )
            for a, b, res in periods:
                out.append(
                    f"\t\t<Period>\n\t\t\t<timeInterval>\n\t\t\t\t<start>{_iso(a)}</start>\n"
                    f"\t\t\t\t<end>{_iso(b)}</end>\n\t\t\t</timeInterval>\n"
                    f"\t\t\t<resolution>PT{res // 60}M</resolution>\n"
                )
                prev = None
                for pos, t in enumerate(range(a, b, res), 1):
                    if any(ga <= t < gb for ga, gb in gaps):
                        continue
                    if forecast:
                        v = forecast_mw(t, res)
                        if v == prev and pos > 1:
                            continue  # A03: only changes are sent
                        prev = v
                    else:
                        v = load_mw(t, res)
                        if t >= rev_from:
                            v = round(v + 7.0 * self.config.revision, 2)
                    out.append(
                        f"\t\t\t<Point>\n\t\t\t\t<position>{pos}</position>\n"
                        f"\t\t\t\t<quantity>{v:g}</quantity>\n\t\t\t</Point>\n"
                    )
                out.append("\t\t</Period>\n")
            out.append("\t</TimeSeries>\n")
        out.append("</GL_MarketDocument>\n")
        return "".join(out).encode()


def _no_data_text(p: dict[str, str]) -> str:
    item = (
        "DAY_AHEAD_TOTAL_LOAD_FORECAST_R3 [6.1.B]"
        if p.get("processType") == "A01"
        else "ACTUAL_TOTAL_LOAD_R3 [6.1.A]"
    )
    return (
        f"No matching data found for Data item {item} ({ZONE}) and interval "
        f"{p.get('periodStart', '')}/{p.get('periodEnd', '')}."
    )


def _content_type(ctype: str) -> str:
    """XML goes out as exactly `text/xml`, as the platform sends it (the contract): entsoe-py
    and other clients compare the header whole, so a charset parameter breaks them. The XML
    declaration names the encoding."""
    if ctype == "text/xml":
        return ctype
    return f"{ctype}; charset=UTF-8" if ctype else "text/plain"


def _make_handler(fake: FakeEntsoe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "fake-entsoe/1"

        def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
            pass  # quiet; the request log is in fake.requests (token removed)

        def _send(self, status: int, ctype: str, body: bytes) -> None:
            if "gzip" in self.headers.get("Accept-Encoding", "") and len(body) > 256:
                body = gzip.compress(body, compresslevel=1)
                gz = True
            else:
                gz = False
            self.send_response(status)
            self.send_header("Content-Type", _content_type(ctype))
            self.send_header("Content-Length", str(len(body)))
            if gz:
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (timeout test)

        def do_GET(self) -> None:
            u = urlsplit(self.path)
            if u.path.startswith("/_admin"):
                self._send(200, "application/json", json.dumps(self._admin_state()).encode())
                return
            status, ctype, body, delay = fake.handle(u.path, u.query)
            if delay:
                time.sleep(delay)
            if status == 0:  # "drop": close without answering
                self.close_connection = True
                return
            self._send(status, ctype, body)

        def do_POST(self) -> None:
            u = urlsplit(self.path)
            n = int(self.headers.get("Content-Length") or 0)
            data = json.loads(self.rfile.read(n) or b"{}")
            try:
                if u.path == "/_admin/faults":
                    for f in data if isinstance(data, list) else [data]:
                        fake.add_fault(**f)
                elif u.path == "/_admin/config":
                    fake.configure(**data)
                elif u.path == "/_admin/reset":
                    fake.reset()
                else:
                    self._send(404, "application/json", b'{"detail": "unknown admin path"}')
                    return
            except (TypeError, ValueError) as exc:
                self._send(400, "application/json", json.dumps({"detail": str(exc)}).encode())
                return
            self._send(200, "application/json", json.dumps(self._admin_state()).encode())

        def _admin_state(self) -> dict[str, Any]:
            return {
                "config": asdict(fake.config),
                "faults": fake.faults,
                "requests": len(fake.requests),
                "banned_until": fake.banned_until,
            }

    return Handler
