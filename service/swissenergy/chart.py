"""The `/` page: actual load, ENTSO-E's forecast and ours, drawn server-side as inline SVG.

No JavaScript and no external asset, so the page works offline and behind strict CSPs.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

W, H = 960, 380
ML, MR, MT, MB = 64, 16, 24, 48  # margins: room for the axis labels
SERIES = (  # key, label, colour, dash
    ("actual", "Actual load", "#1f2937", ""),
    ("entsoe", "ENTSO-E day-ahead forecast", "#d97706", "6 4"),
    ("ours", "Our day-ahead forecast", "#2563eb", ""),
    ("backfilled", "Ours, backfilled", "#2563eb", "1.5 2.5"),
)

Line = Sequence[tuple[int, float]]  # (utc epoch s, MW)


def _nice_step(span: float, target: int = 6) -> float:
    raw = span / max(1, target)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def _path(
    points: Line, x: Callable[[int], float], y: Callable[[float], float], max_gap: int
) -> str:
    """An SVG path that lifts the pen over gaps instead of drawing a misleading line."""
    parts: list[str] = []
    prev: int | None = None
    for ts, mw in points:
        cmd = "L" if prev is not None and ts - prev <= max_gap else "M"
        parts.append(f"{cmd}{x(ts):.1f},{y(mw):.1f}")
        prev = ts
    return "".join(parts)


def render_svg(series: dict[str, Line], start: int, end: int, now: int, tz: ZoneInfo) -> str:
    values = [mw for line in series.values() for _, mw in line]
    if not values:
        return (
            f'<svg viewBox="0 0 {W} 60" role="img" aria-label="no data">'
            '<text x="10" y="35">No data yet: trigger /update-forecast.</text></svg>'
        )
    lo, hi = min(values), max(values)
    step = _nice_step(hi - lo or 1)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    pw, ph = W - ML - MR, H - MT - MB

    def x(ts: int) -> float:
        return ML + (ts - start) / max(1, end - start) * pw

    def y(mw: float) -> float:
        return MT + (hi - mw) / max(1e-9, hi - lo) * ph

    out = [
        f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="load chart" '
        'font-family="system-ui,sans-serif" font-size="12">'
    ]
    v = lo
    while v <= hi + 1e-9:  # horizontal grid with MW labels
        out.append(
            f'<line x1="{ML}" x2="{W - MR}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e7eb"/>'
        )
        out.append(f'<text x="{ML - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
        v += step
    day = datetime.fromtimestamp(start, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    while day.timestamp() <= end:  # a tick per local midnight: DST days come out right
        ts = int(day.timestamp())
        if start <= ts < end:  # no label for the closing midnight: it would be cut off
            out.append(
                f'<line x1="{x(ts):.1f}" x2="{x(ts):.1f}" y1="{MT}" y2="{H - MB}" '
                'stroke="#e5e7eb"/>'
            )
            out.append(
                f'<text x="{x(ts) + 4:.1f}" y="{H - MB + 16}">{day.strftime("%a %d.%m")}</text>'
            )
        nxt = datetime.fromtimestamp(ts + 26 * 3600, tz)
        day = nxt.replace(hour=0, minute=0, second=0, microsecond=0)
    if start <= now <= end:
        out.append(
            f'<line x1="{x(now):.1f}" x2="{x(now):.1f}" y1="{MT}" y2="{H - MB}" '
            'stroke="#9ca3af" stroke-dasharray="2 3"/>'
        )
        out.append(f'<text x="{x(now) + 4:.1f}" y="{MT + 12}" fill="#6b7280">now</text>')
    for key, _label, colour, dash in SERIES:
        line = [(t, mw) for t, mw in series.get(key, []) if start <= t <= end]
        if line:
            d = _path(line, x, y, max_gap=2 * 3600)
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="1.6"{dash_attr}/>'
            )
    lx = ML
    for key, label, colour, dash in SERIES:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{lx}" x2="{lx + 24}" y1="{H - 12}" y2="{H - 12}" '
            f'stroke="{colour}" stroke-width="2"{dash_attr}/>'
        )
        n = len(series.get(key, []))
        out.append(
            f'<text x="{lx + 30}" y="{H - 8}">{html.escape(label)}{"" if n else " (none)"}</text>'
        )
        lx += 60 + 7 * len(label)
    out.append(f'<text x="{ML - 6}" y="{MT - 4}" text-anchor="end" fill="#6b7280">MW</text>')
    out.append("</svg>")
    return "".join(out)


def render_page(
    series: dict[str, Line],
    start: int,
    end: int,
    now: int,
    tz: ZoneInfo,
    last_updated: float | None,
    forecast: dict[str, object] | None,
    run: dict[str, object] | None,
    table: str = "",
) -> str:
    """The page; `table` is the accuracy table's HTML (chart_table)."""

    def when(ts: float | None) -> str:
        if ts is None:
            return "never"
        return datetime.fromtimestamp(ts, UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")

    fc_line = "No forecast published yet."
    if forecast:
        fc_line = (
            f"Forecast for {html.escape(str(forecast['target_day']))} "
            f"by <code>{html.escape(str(forecast['method']))}</code>, "
            f"model <code>{html.escape(str(forecast['model_version']))}</code>."
        )
    run_line = ""
    if run:
        status = html.escape(str(run["status"]))
        err = f" — {html.escape(str(run['error']))}" if run.get("error") else ""
        run_line = f"<p>Last update run #{run['id']}: <b>{status}</b>{err}</p>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Swiss electricity load: day-ahead forecast</title>
<style>
body{{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:1000px;color:#111827;
padding:0 1rem}} svg{{width:100%;height:auto;background:#fff}} code{{font-size:.9em}}
.muted{{color:#6b7280}} a{{color:#2563eb}}
table{{border-collapse:collapse;margin:1rem 0}} th,td{{padding:.25rem .75rem;text-align:right}}
caption{{text-align:left;font-weight:600}} thead th{{border-bottom:1px solid #d1d5db}}
td.bf{{color:#2563eb}}
</style></head><body>
<h1>Swiss electricity load</h1>
<p>Last updated: <b>{when(last_updated)}</b>. {fc_line}</p>
{run_line}
{render_svg(series, start, end, now, tz)}
{table}
<p class="muted">Times in {html.escape(tz.key)}. Data: ENTSO-E Transparency Platform
(actual total load and day-ahead total load forecast, bidding zone Switzerland).
JSON: <a href="forecast">forecast</a> · <a href="forecast/entsoe">ENTSO-E forecast</a> ·
<a href="loads">loads</a> · <a href="accuracy">accuracy</a> ·
<a href="runs/latest">last run</a> · <a href="openapi.json">OpenAPI</a></p>
</body></html>"""
