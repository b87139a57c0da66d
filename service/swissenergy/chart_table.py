"""The chart page's accuracy table: MAPE of our forecast and ENTSO-E's over the last day, week
and four weeks (the `/accuracy` figures), with the backfilled days in each window marked."""

from __future__ import annotations

import html
from typing import Any

LABELS = {"day": "Last day", "week": "Last week", "four_weeks": "Last four weeks"}


def _mape(errors: dict[str, Any]) -> str:
    mape = errors.get("mape")
    return "n/a" if mape is None else f"{mape:.2f} %"


def render_accuracy_table(acc: dict[str, Any]) -> str:
    """`acc` is timeseries.accuracy's result."""
    windows: dict[str, Any] = acc.get("windows") or {}
    if not windows:
        return '<p class="muted">Accuracy: no actual load yet.</p>'
    rows: list[str] = []
    any_backfilled = False
    for key, label in LABELS.items():
        w = windows.get(key)
        if w is None:
            continue
        days: list[str] = w.get("backfilled_days", [])
        any_backfilled |= bool(days)
        mark = (
            f'<td class="bf" title="{html.escape(", ".join(days))}">{len(days)} backfilled*</td>'
            if days
            else "<td>none</td>"
        )
        rows.append(
            f'<tr data-window="{key}"><th scope="row">{label}</th>'
            f'<td class="ours">{_mape(w["ours"])}</td>'
            f'<td class="entsoe">{_mape(w["entsoe"])}</td>{mark}</tr>'
        )
    note = (
        '<p class="muted">* Backfilled days: our forecast was made after the fact, as of that '
        "day's own issue time (noon the day before) from the load known then.</p>"
        if any_backfilled
        else ""
    )
    return (
        '<table id="accuracy"><caption>Mean absolute percentage error (MAPE) against the '
        "actual load</caption><thead><tr><th>window</th><th>ours</th><th>ENTSO-E</th>"
        "<th>days of ours backfilled</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + note
    )
