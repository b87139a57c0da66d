"""The client against the fake ENTSO-E over real HTTP: chunking, faults, secrecy."""

from __future__ import annotations

import inspect
import logging
import time
from datetime import UTC, datetime
from itertools import pairwise

import pytest
from conftest import KEY, NOW
from fake_entsoe import FakeEntsoe, load_mw
from swissenergy.config import Settings
from swissenergy.entsoe import (
    ACTUAL_LOAD,
    DAY_AHEAD_FORECAST,
    EntsoeAuthError,
    EntsoeClient,
    EntsoeRateLimited,
    EntsoeRequestError,
    EntsoeUnavailable,
)
from swissenergy.store import Store

T0 = datetime(2024, 2, 1, tzinfo=UTC)
T1 = datetime(2024, 2, 3, tzinfo=UTC)


def client(fake: FakeEntsoe, sleeps: list[float] | None = None, **kw: object) -> EntsoeClient:
    opts: dict[str, object] = {
        "timeout_s": 2.0,
        "max_retries": 3,
        "backoff_s": 0.01,
        "backoff_max_s": 0.02,
        "min_request_interval_s": 0.0,
        "max_ban_wait_s": 5.0,
    }
    opts.update(kw)

    def sleep(s: float) -> None:
        if sleeps is not None:
            sleeps.append(s)
        time.sleep(min(s, 3))

    return EntsoeClient(
        base_url=fake.base_url,
        api_key=_key(),
        sleep=sleep,  # type: ignore[attr-defined,arg-type]
        **opts,
    )  # type: ignore[arg-type]


def _key():
    from pydantic import SecretStr

    return SecretStr(KEY)


def test_fetch_matches_the_series(fake: FakeEntsoe) -> None:
    with client(fake) as c:
        pts = c.fetch(ACTUAL_LOAD, T0, T1)
    assert len(pts) == 48
    t = int(T0.timestamp()) + 5 * 3600
    assert pts[t] == (3600, load_mw(t, 3600))


def test_long_range_is_chunked_without_losing_border_points(fake: FakeEntsoe) -> None:
    fake.configure(data_start="2020-01-01T00:00Z")
    a, b = datetime(2020, 1, 1, tzinfo=UTC), datetime(2023, 7, 1, 5, tzinfo=UTC)
    with client(fake) as c:
        pts = c.fetch(ACTUAL_LOAD, a, b)
        assert c.requests_made == 4
    hours = int((b - a).total_seconds() // 3600)
    assert sorted(pts) == [int(a.timestamp()) + 3600 * i for i in range(hours)]
    spans = [(r["periodStart"], r["periodEnd"]) for r in fake.requests]
    assert all(x[1] == y[0] for x, y in pairwise(spans))


def test_whole_day_answers_do_not_leak_beyond_the_window(fake: FakeEntsoe) -> None:
    fake.configure(whole_days=True)
    a, b = datetime(2024, 2, 1, 5, tzinfo=UTC), datetime(2024, 2, 2, 7, tzinfo=UTC)
    with client(fake) as c:
        pts = c.fetch(ACTUAL_LOAD, a, b)
    assert min(pts) == int(a.timestamp()) and max(pts) == int(b.timestamp()) - 3600
    assert len(pts) == 26


def test_forecast_pt15m_a03_is_complete(fake: FakeEntsoe) -> None:
    day = datetime(2024, 3, 30, 23, tzinfo=UTC)  # 2024-03-31: a 23-hour day
    with client(fake) as c:
        pts = c.fetch(DAY_AHEAD_FORECAST, day, datetime(2024, 3, 31, 22, tzinfo=UTC))
    assert len(pts) == 23 * 4  # A03 omissions forward-filled
    assert {r for r, _ in pts.values()} == {900}


def test_mixed_resolutions_prefer_15_min(fake: FakeEntsoe) -> None:
    fake.configure(resolution_min=15, dual_resolution=True)
    with client(fake) as c:
        pts = c.fetch(ACTUAL_LOAD, T0, T1)
    assert len(pts) == 48 * 4 and {r for r, _ in pts.values()} == {900}


def test_no_data_is_empty(fake: FakeEntsoe) -> None:
    with client(fake) as c:
        future = datetime.fromtimestamp(NOW + 30 * 86400, UTC)
        assert c.fetch(ACTUAL_LOAD, future, datetime(2024, 6, 1, tzinfo=UTC)) == {}
        fake.add_fault("nodata")
        assert c.fetch(ACTUAL_LOAD, T0, T1) == {}


@pytest.mark.parametrize("style", ["html", "ack"])
def test_401_is_a_clear_error_without_the_key(fake: FakeEntsoe, style: str) -> None:
    fake.configure(auth_style=style, token="another-token")
    with client(fake) as c, pytest.raises(EntsoeAuthError) as e:
        c.fetch(ACTUAL_LOAD, T0, T1)
    assert "ENTSOE_API_KEY" in str(e.value) and KEY not in str(e.value)
    assert len(fake.requests) == 1  # not retried


def test_400_is_a_clear_error_not_retried(fake: FakeEntsoe) -> None:
    fake.add_fault("bad_request")
    with client(fake) as c, pytest.raises(EntsoeRequestError, match="Invalid query") as e:
        c.fetch(ACTUAL_LOAD, T0, T1)
    assert KEY not in str(e.value) and len(fake.requests) == 1


def test_404_points_at_the_base_url(fake: FakeEntsoe) -> None:
    fake.add_fault("status", status=404)
    with client(fake) as c, pytest.raises(EntsoeRequestError, match="ENTSOE_BASE_URL"):
        c.fetch(ACTUAL_LOAD, T0, T1)


def test_503_is_retried_then_succeeds(fake: FakeEntsoe) -> None:
    fake.add_fault("status", status=503, times=2)
    sleeps: list[float] = []
    with client(fake, sleeps) as c:
        assert len(c.fetch(ACTUAL_LOAD, T0, T1)) == 48
    assert len(fake.requests) == 3 and len(sleeps) == 2


def test_persistent_5xx_gives_up_after_bounded_retries(fake: FakeEntsoe) -> None:
    fake.add_fault("status", status=502, times=100)
    sleeps: list[float] = []
    with client(fake, sleeps) as c, pytest.raises(EntsoeUnavailable, match="HTTP 502"):
        c.fetch(ACTUAL_LOAD, T0, T1)
    assert len(fake.requests) == 4  # 1 + max_retries
    assert all(s <= 0.02 for s in sleeps)  # capped backoff


def test_timeout_and_dropped_connection_are_retried(fake: FakeEntsoe) -> None:
    fake.add_fault("slow", delay=1.5)
    fake.add_fault("drop")
    with client(fake, timeout_s=0.5) as c:
        assert len(c.fetch(ACTUAL_LOAD, T0, T1)) == 48
    assert len(fake.requests) == 3


def test_429_waits_for_the_ban_then_succeeds(fake: FakeEntsoe) -> None:
    fake.add_fault("ban", seconds=0.2)
    sleeps: list[float] = []
    with client(fake, sleeps) as c:
        assert len(c.fetch(ACTUAL_LOAD, T0, T1)) == 48
    assert len(sleeps) == 1 and 0.2 <= sleeps[0] <= 1.5  # the ban time (+1 s margin)


def test_429_longer_than_allowed_fails_without_hammering(fake: FakeEntsoe) -> None:
    fake.add_fault("ban", seconds=600)
    with client(fake) as c, pytest.raises(EntsoeRateLimited, match="banned") as e:
        c.fetch(ACTUAL_LOAD, T0, T1)
    assert KEY not in str(e.value) and len(fake.requests) == 1


def test_rate_limit_bans_like_the_platform(fake: FakeEntsoe) -> None:
    fake.configure(rate_limit_per_min=3, ban_seconds=600)
    with client(fake) as c, pytest.raises(EntsoeRateLimited):
        for _ in range(5):
            c.fetch(ACTUAL_LOAD, T0, T1)


def test_the_key_never_reaches_logs(fake: FakeEntsoe, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake.add_fault("status", status=503)
    with client(fake) as c:
        c.fetch(ACTUAL_LOAD, T0, T1)
    assert caplog.records and KEY not in caplog.text
    assert "securityToken=***" in caplog.text  # httpx's request line, redacted


def test_revisions_newer_value_wins(fake: FakeEntsoe, tmp_path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    store.migrate()
    recent = datetime.fromtimestamp(NOW - 2 * 86400, UTC)
    end = datetime.fromtimestamp(NOW - 86400, UTC)
    with client(fake) as c:
        first = c.fetch(ACTUAL_LOAD, recent, end)
        assert store.upsert_points("load_actual", first) == 24
        assert store.upsert_points("load_actual", first) == 0  # unchanged: no rewrite
        fake.configure(revision=3)
        revised = c.fetch(ACTUAL_LOAD, recent, end)
    assert store.upsert_points("load_actual", revised) == 24
    t = min(revised)
    assert store.read_points("load_actual", t, t + 1)[0][2] == pytest.approx(first[t][1] + 21)


def test_client_defaults_are_the_settings_defaults() -> None:
    """A client built without settings behaves like one built from the default settings."""
    params = inspect.signature(EntsoeClient.__init__).parameters
    fields = Settings.model_fields
    for name in (
        "zone",
        "timeout_s",
        "max_retries",
        "backoff_s",
        "backoff_max_s",
        "max_ban_wait_s",
        "min_request_interval_s",
    ):
        assert params[name].default == fields[f"entsoe_{name}"].default, name
    assert fields["entsoe_timeout_s"].default == 120.0  # one year per request takes a while


@pytest.mark.parametrize("gzip", [False, True])
@pytest.mark.parametrize("fault", [None, "nodata", "bad_request"])
def test_fake_answers_xml_as_exactly_text_xml(
    fake: FakeEntsoe, gzip: bool, fault: str | None
) -> None:
    """The contract's `text/xml`, with no charset: entsoe-py compares the header whole."""
    import httpx

    if fault:
        fake.add_fault(fault)
    params = {
        "documentType": "A65",
        "processType": "A16",
        "outBiddingZone_Domain": "10YCH-SWISSGRIDZ",
        "periodStart": "202402010000",
        "periodEnd": "202402030000",
        "securityToken": KEY,
    }
    headers = {"Accept-Encoding": "gzip" if gzip else "identity"}
    r = httpx.get(fake.base_url, params=params, headers=headers)  # type: ignore[attr-defined]
    assert r.status_code == (400 if fault == "bad_request" else 200)
    assert r.headers["content-type"] == "text/xml"
    assert r.text.lstrip().startswith("<?xml")
