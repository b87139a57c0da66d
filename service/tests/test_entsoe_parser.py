"""Parser edge cases, against the contract's sample files and hand-made documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from conftest import DATA
from swissenergy.entsoe import (
    MAX_CHUNK,
    EntsoeError,
    EntsoeRequestError,
    chunks,
    parse_document,
    parse_duration,
)


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def doc(
    *series: str, ns: str = "urn:iec62325.351:tc57wg16:451-6:generationloaddocument:3:0"
) -> bytes:
    return f'<GL_MarketDocument xmlns="{ns}">{"".join(series)}</GL_MarketDocument>'.encode()


def ts_el(curve: str, *periods: str) -> str:
    return f"<TimeSeries><curveType>{curve}</curveType>{''.join(periods)}</TimeSeries>"


def period(start: str, end: str, res: str, points: dict[int, float]) -> str:
    pts = "".join(
        f"<Point><position>{p}</position><quantity>{q}</quantity></Point>"
        for p, q in points.items()
    )
    return (
        f"<Period><timeInterval><start>{start}</start><end>{end}</end></timeInterval>"
        f"<resolution>{res}</resolution>{pts}</Period>"
    )


def test_sample_actual_pt60m_a01() -> None:
    pts = parse_document((DATA / "ch_A65_A16_actual_PT60M_A01_2024-01-15.xml").read_bytes())
    assert len(pts) == 24
    first = ts("2024-01-14T23:00Z")
    assert sorted(pts) == [first + 3600 * i for i in range(24)]
    assert pts[first] == (3600, 6712.40)
    assert pts[first + 23 * 3600] == (3600, 7095.20)


def test_sample_forecast_pt15m_a03_forward_fills_within_period() -> None:
    pts = parse_document((DATA / "ch_A65_A01_forecast_PT15M_A03_excerpt.xml").read_bytes())
    start = ts("2026-01-14T23:00Z")
    # 2 h at 15 min = 8 positions; 3 and 4 repeat 2, and 8 repeats 7 up to the period end.
    assert sorted(pts) == [start + 900 * i for i in range(8)]
    values = [pts[start + 900 * i][1] for i in range(8)]
    assert values == [7120, 7085, 7085, 7085, 7010, 6985, 6990, 6990]
    assert all(r == 900 for r, _ in pts.values())


def test_a03_never_fills_across_periods() -> None:
    body = doc(
        ts_el(
            "A03",
            period("2024-01-01T00:00Z", "2024-01-01T02:00Z", "PT60M", {1: 10, 2: 20}),
            period("2024-01-01T02:00Z", "2024-01-01T04:00Z", "PT60M", {2: 40}),
        )
    )
    pts = parse_document(body)
    assert ts("2024-01-01T02:00Z") not in pts  # position 1 of the 2nd period was not sent
    assert pts[ts("2024-01-01T03:00Z")] == (3600, 40)


def test_a01_missing_position_is_a_gap() -> None:
    body = doc(
        ts_el("A01", period("2024-01-01T00:00Z", "2024-01-01T03:00Z", "PT60M", {1: 10, 3: 30}))
    )
    pts = parse_document(body)
    assert sorted(pts) == [ts("2024-01-01T00:00Z"), ts("2024-01-01T02:00Z")]


def test_positions_beyond_the_period_are_ignored() -> None:
    body = doc(
        ts_el("A01", period("2024-01-01T00:00Z", "2024-01-01T01:00Z", "PT60M", {1: 10, 2: 99}))
    )
    assert list(parse_document(body)) == [ts("2024-01-01T00:00Z")]


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2024-03-30T23:00Z", "2024-03-31T22:00Z", 23),  # spring forward
        ("2024-10-26T22:00Z", "2024-10-27T23:00Z", 25),
    ],  # fall back
)
def test_dst_days_are_placed_in_utc(start: str, end: str, hours: int) -> None:
    body = doc(
        ts_el("A01", period(start, end, "PT15M", {i: float(i) for i in range(1, hours * 4 + 1)}))
    )
    pts = parse_document(body)
    assert len(pts) == hours * 4
    assert max(pts) == ts(end) - 900
    assert pts[ts(start) + 900 * 10] == (900, 11.0)


def test_several_series_finer_resolution_wins() -> None:
    body = doc(
        ts_el(
            "A01",
            period("2024-01-01T00:00Z", "2024-01-01T03:00Z", "PT60M", {1: 100, 2: 200, 3: 300}),
        ),
        ts_el(
            "A01",
            period("2024-01-01T01:00Z", "2024-01-01T02:00Z", "PT15M", {1: 1, 2: 2, 3: 3, 4: 4}),
        ),
    )
    pts = parse_document(body)
    h = ts("2024-01-01T00:00Z")
    assert pts[h] == (3600, 100)  # not covered by the 15-min series
    assert pts[h + 3600] == (900, 1)  # covered: the 15-min value, not the hourly one
    assert pts[h + 3600 + 900] == (900, 2)
    assert pts[h + 7200] == (3600, 300)
    assert len(pts) == 6


def test_namespace_version_bump_still_parses() -> None:
    body = doc(
        ts_el("A01", period("2024-01-01T00:00Z", "2024-01-01T01:00Z", "PT60M", {1: 5})),
        ns="urn:iec62325.351:tc57wg16:451-6:generationloaddocument:4:1",
    )
    assert parse_document(body) == {ts("2024-01-01T00:00Z"): (3600, 5.0)}


def test_no_matching_data_is_empty_not_an_error() -> None:
    assert parse_document((DATA / "ack_999_no_matching_data_HTTP200.xml").read_bytes()) == {}


def test_other_acknowledgement_is_an_error_with_its_reason() -> None:
    with pytest.raises(EntsoeRequestError, match="Invalid query attributes"):
        parse_document((DATA / "ack_999_invalid_params_HTTP400.xml").read_bytes())


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>oops",
        (DATA / "http401_legacy_html.html").read_bytes(),
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    ],
)
def test_unusable_or_hostile_xml_is_rejected(body: bytes) -> None:
    with pytest.raises(EntsoeError):
        parse_document(body)


def test_durations() -> None:
    assert parse_duration("PT15M") == 900
    assert parse_duration("PT60M") == 3600
    assert parse_duration("PT1H") == 3600
    assert parse_duration("P1D") == 86400
    with pytest.raises(EntsoeError):
        parse_duration("P1Y")


def test_chunks_are_half_open_contiguous_and_at_most_a_year() -> None:
    a = datetime(2015, 1, 1, tzinfo=UTC)
    b = datetime(2024, 6, 30, 13, tzinfo=UTC)
    parts = list(chunks(a, b))
    assert parts[0][0] == a and parts[-1][1] == b
    assert all(x[1] == y[0] for x, y in pairwise(parts))
    assert all(lo < hi and hi - lo <= MAX_CHUNK for lo, hi in parts)
    assert list(chunks(a, a)) == []


def test_ban_time_is_read_from_the_429_page() -> None:
    import httpx
    from swissenergy.entsoe import EntsoeClient

    past = httpx.Response(429, text=(DATA / "http429_banned.html").read_text())
    assert EntsoeClient._ban_wait(past) == 1.0  # already over: just the safety margin
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    page = f"<html><body><p>Requester banned until '{until.isoformat()}'.</p></body></html>"
    assert 595 <= EntsoeClient._ban_wait(httpx.Response(429, text=page)) <= 601
    assert EntsoeClient._ban_wait(httpx.Response(429, headers={"Retry-After": "42"})) == 42
