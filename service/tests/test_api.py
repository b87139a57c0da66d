"""The HTTP API, with the pipeline running against the fake ENTSO-E and a stub model."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import KEY, NOW, StubModel, make_settings
from fake_entsoe import FakeEntsoe
from fastapi.testclient import TestClient
from swissenergy.api import create_app
from swissenergy.config import Settings
from swissenergy.store import Store


@pytest.fixture
def client(settings: Settings, store: Store, stub_model: StubModel) -> Iterator[TestClient]:
    app = create_app(settings, store=store, clock=lambda: NOW)
    with TestClient(app) as c:
        c.app_state = app.state  # type: ignore[attr-defined]
        yield c
    app.state.updater.wait(30)


def run_update(client: TestClient) -> dict:
    r = client.get("/update-forecast")
    assert r.status_code == 202, r.text
    run_id = r.json()["run_id"]
    assert r.headers["location"] == f"/runs/{run_id}"
    client.app_state.updater.wait(30)  # type: ignore[attr-defined]
    run = client.get(f"/runs/{run_id}").json()
    assert run["status"] == "succeeded", run
    return run


def test_run_shows_how_many_history_values_the_model_repaired(
    client: TestClient, stub_model: StubModel
) -> None:
    stub_model.repaired = 5
    assert run_update(client)["metrics"]["repaired_points"] == 5


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "release": "unknown"}
    r = client.get("/ready")
    assert r.status_code == 503 and "no forecast" in r.json()["reason"]
    assert client.get("/forecast").status_code == 404
    assert client.get("/runs/latest").status_code == 404
    run_update(client)
    assert client.get("/ready").status_code == 200


def test_health_reports_the_release(tmp_path: Path, fake: FakeEntsoe) -> None:
    settings = make_settings(tmp_path, fake.base_url, swissenergy_release="0123abcd4567")  # type: ignore[attr-defined]
    with TestClient(create_app(settings)) as c:
        assert c.get("/health").json() == {"status": "ok", "release": "0123abcd4567"}


def test_forecast_payload_and_cache(client: TestClient) -> None:
    run = run_update(client)
    r = client.get("/forecast")
    assert r.status_code == 200
    f = r.json()
    assert f["id"] == run["forecast_id"] and f["target_day"] == "2024-04-04"
    assert f["horizon"] == {
        "start": "2024-04-03T22:00:00Z",
        "end": "2024-04-04T22:00:00Z",
        "steps": 24,
        "resolution_minutes": 60,
    }
    assert f["issue_time"] == "2024-04-03T10:00:00Z"
    assert f["method"] == "weekly_naive" and f["model_version"].startswith("stub/1")
    assert len(f["points"]) == 24 and f["points"][0]["ts"] == "2024-04-03T22:00:00Z"
    assert f["backtest"]["weekly_naive"]["mape"] == 3.0
    etag = r.headers["etag"]
    assert client.get("/forecast", headers={"If-None-Match": etag}).status_code == 304
    # A newer forecast replaces the cached one as soon as its run ends.
    run2 = run_update(client)
    assert client.get("/forecast").json()["id"] == run2["forecast_id"] != f["id"]


def test_update_while_running_is_409_with_the_run_id(
    client: TestClient, stub_model: StubModel
) -> None:
    stub_model.delay = 0.5
    first = client.get("/update-forecast")
    second = client.get("/update-forecast")
    assert first.status_code == 202 and second.status_code == 409
    assert second.json()["run_id"] == first.json()["run_id"]
    latest = client.get("/runs/latest").json()
    assert latest["status"] == "running" and latest["id"] == first.json()["run_id"]
    client.app_state.updater.wait(30)  # type: ignore[attr-defined]


def test_concurrent_http_triggers_start_one_update(
    client: TestClient, stub_model: StubModel
) -> None:
    stub_model.delay = 0.3
    codes: list[int] = []
    barrier = threading.Barrier(6)

    def hit() -> None:
        barrier.wait()
        codes.append(client.get("/update-forecast").status_code)

    threads = [threading.Thread(target=hit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [202] + [409] * 5
    client.app_state.updater.wait(30)  # type: ignore[attr-defined]


def test_failed_update_keeps_serving_the_last_forecast(
    client: TestClient, fake: FakeEntsoe
) -> None:
    good = run_update(client)
    fake.add_fault("status", status=503, times=100)
    r = client.get("/update-forecast")
    client.app_state.updater.wait(30)  # type: ignore[attr-defined]
    run = client.get("/runs/latest").json()
    assert run["id"] == r.json()["run_id"] and run["status"] == "failed"
    assert "503" in run["error"] and KEY not in run["error"]
    assert client.get("/forecast").json()["id"] == good["forecast_id"]
    assert client.get("/ready").status_code == 200


def test_loads_range_and_validation(client: TestClient) -> None:
    run_update(client)
    r = client.get("/loads", params={"start": "2024-04-01", "end": "2024-04-02"})
    assert r.status_code == 200
    body = r.json()
    assert body["start"] == "2024-03-31T22:00:00Z"  # local midnight, CEST
    assert len(body["points"]) == 24 and body["points"][0]["resolution_minutes"] == 60
    r = client.get(
        "/loads", params={"start": "2024-04-01T00:00:00+02:00", "end": "2024-04-01T06:00:00Z"}
    )
    assert r.status_code == 200 and len(r.json()["points"]) == 8
    # Default: the last 7 days up to now (13:15); actual load is published an hour late.
    assert len(client.get("/loads").json()["points"]) == 7 * 24 - 2


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"start": "yesterday"}, "start must be an ISO 8601 date"),
        ({"end": "2024-13-01"}, "end must be an ISO 8601 date"),
        ({"start": "2024-04-02", "end": "2024-04-01"}, "end must be after start"),
        ({"start": "2023-01-01", "end": "2024-01-01"}, "at most 92 days"),
        ({"start": "1900-01-01"}, "between the years 2000 and 2100"),
    ],
)
def test_loads_bad_input_is_422_saying_why(
    client: TestClient, params: dict[str, str], fragment: str
) -> None:
    r = client.get("/loads", params=params)
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert fragment in detail["msg"] and detail["loc"][0] == "query"


def test_entsoe_forecast_default_window(client: TestClient) -> None:
    run_update(client)
    body = client.get("/forecast/entsoe").json()
    assert body["start"] == "2024-04-02T22:00:00Z" and body["end"] == "2024-04-04T22:00:00Z"
    assert len(body["points"]) == 2 * 24 * 4  # today and tomorrow at 15 min
    assert client.get("/forecast/entsoe", params={"start": "x"}).status_code == 422


def test_routes_follow_the_configured_time_zone(tmp_path: Path, store: Store) -> None:
    # Tokyo is UTC+9 all year: every local midnight below differs from Zurich's.
    settings = make_settings(tmp_path, "http://127.0.0.1:9", timezone="Asia/Tokyo")
    with TestClient(create_app(settings, store=store, clock=lambda: NOW)) as c:
        body = c.get("/forecast/entsoe").json()  # NOW is 22:15 on 3 April in Tokyo
        assert body["start"] == "2024-04-02T15:00:00Z" and body["end"] == "2024-04-04T15:00:00Z"
        body = c.get("/loads", params={"start": "2024-04-01", "end": "2024-04-01T12:00"}).json()
        assert body["start"] == "2024-03-31T15:00:00Z" and body["end"] == "2024-04-01T03:00:00Z"
        assert "Times in Asia/Tokyo." in c.get("/").text


def test_accuracy(client: TestClient, store: Store) -> None:
    run = run_update(client)
    body = client.get("/accuracy").json()
    assert set(body["windows"]) == {"day", "week", "four_weeks"}
    four = body["windows"]["four_weeks"]
    ent = four["entsoe"]
    assert ent["points"] > 500 and 0 < ent["mape"] < 10 and ent["mae"] > 0
    # The published forecast covers tomorrow only, but the first update backfilled the 28
    # days before it: ours is scored from the first update on, those days marked.
    assert run["metrics"]["backfill"] == {"stored": 28, "skipped": {}}
    backfilled = [f"2024-03-{d:02d}" for d in range(7, 32)] + ["2024-04-01", "2024-04-02"]
    assert four["backfilled_days"] == [*backfilled, "2024-04-03"]
    assert four["ours"]["points"] >= 27 * 24 and 0 < four["ours"]["mape"] < 20
    assert body["windows"]["day"]["backfilled_days"] == ["2024-04-02", "2024-04-03"]
    assert body["windows"]["day"]["ours"]["points"] >= 20
    # A published forecast of a past day replaces the backfilled one (and is scored).
    from swissenergy.store import NewForecast

    day_pts = [(t, 7000.0) for t in range(NOW - 86400 - NOW % 3600, NOW - NOW % 3600, 3600)]
    run_id = store.start_run(1, "test")
    store.publish(
        run_id, NewForecast(NOW - 2 * 86400, "2024-04-02", 3600, "m", "v", {}, day_pts), {}
    )
    day = client.get("/accuracy").json()["windows"]["day"]
    assert day["ours"]["points"] >= 20 and day["ours"]["mape"] > 0
    assert day["backfilled_days"] == ["2024-04-03"]


def test_forecasts_lists_ours_published_and_backfilled(client: TestClient) -> None:
    run_update(client)
    body = client.get("/forecasts").json()
    assert body["start"] == "2024-03-05T23:00:00Z" and body["end"] == "2024-04-04T22:00:00Z"
    days = [(f["target_day"], f["backfilled"], len(f["points"])) for f in body["forecasts"]]
    backfilled = [f"2024-03-{d:02d}" for d in range(7, 32)] + [f"2024-04-0{d}" for d in (1, 2, 3)]
    assert days == [(d, True, 23 if d == "2024-03-31" else 24) for d in backfilled] + [
        ("2024-04-04", False, 24)
    ]
    first = body["forecasts"][0]
    assert first["issue_time"] == "2024-03-06T11:00:00Z" and first["method"] == "weekly_naive"
    assert first["points"][0] == {"ts": "2024-03-06T23:00:00Z", "mw": first["points"][0]["mw"]}
    # A range cuts the points to it.
    part = client.get("/forecasts", params={"start": "2024-04-02T12:00", "end": "2024-04-03"})
    (only,) = part.json()["forecasts"]
    assert only["target_day"] == "2024-04-02" and len(only["points"]) == 12
    assert client.get("/forecasts", params={"end": "2024-01-01"}).json()["forecasts"] == []
    bad = client.get("/forecasts", params={"start": "2024-04-05", "end": "2024-04-04"})
    assert bad.status_code == 422


def test_metrics(client: TestClient) -> None:
    run_update(client)
    client.get("/forecast")
    text = client.get("/metrics").text
    assert 'swissenergy_update_runs{status="succeeded"} 1.0' in text
    assert "swissenergy_forecast_age_seconds" in text
    assert "swissenergy_last_update_duration_seconds" in text
    assert re.search(
        r'swissenergy_http_requests_total\{method="GET",route="/forecast",'
        r'status="200"\} 1\.0',
        text,
    )


def test_chart_page_is_self_contained(client: TestClient) -> None:
    assert "No data yet" in client.get("/").text
    run_update(client)
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    # Actual, ENTSO-E's, ours published and ours backfilled (the first update's 28 days).
    assert "<svg" in html and html.count("<path") == 4 and "Last updated" in html
    assert 'stroke-dasharray="1.5 2.5"' in html and "Ours, backfilled<" in html
    table = html[html.index('<table id="accuracy">') : html.index("</table>")]
    rows = re.findall(
        r'<tr data-window="(\w+)">.*?class="ours">([\d.]+) %<.*?'
        r'class="entsoe">([\d.]+) %<.*?(\d+) backfilled\*',
        table,
    )
    assert [r[0] for r in rows] == ["day", "week", "four_weeks"]
    # Windows end with the actual load (04-03 noon): the week touches 8 local days.
    assert [r[3] for r in rows] == ["2", "8", "28"]
    assert all(0 < float(r[1]) < 20 and 0 < float(r[2]) < 20 for r in rows)
    assert "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from elsewhere
    assert "2024-04-04" in html  # the forecast day


def test_openapi_lists_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/update-forecast",
        "/runs/latest",
        "/forecast",
        "/forecast/entsoe",
        "/forecasts",
        "/loads",
        "/accuracy",
        "/health",
        "/ready",
        "/metrics",
        "/",
    ):
        assert p in paths


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"start": ""}, "start must be an ISO 8601 date"),
        ({"start": " 2024-04-01"}, "start must be an ISO 8601 date"),
        ({"start": "20240401"}, "start must be an ISO 8601 date"),
        ({"end": "2024-02-30"}, "end must be an ISO 8601 date"),
        ({"end": "2101-01-01T00:00Z"}, "between the years 2000 and 2100"),
    ],
)
def test_range_values_outside_the_documented_pattern_are_422(
    client: TestClient, params: dict[str, str], fragment: str
) -> None:
    # The OpenAPI pattern is the contract: what it refuses, the service refuses too.
    for route in ("/loads", "/forecast/entsoe"):
        r = client.get(route, params=params)
        assert r.status_code == 422, (route, params)
        assert fragment in r.json()["detail"][0]["msg"]


def test_offset_whose_plus_arrived_as_a_space_is_accepted(client: TestClient) -> None:
    r = client.get("/loads?start=2024-04-01T00:00:00+02:00&end=2024-04-01T06:00:00Z")
    assert r.status_code == 200 and r.json()["start"] == "2024-03-31T22:00:00Z"


@pytest.mark.parametrize("run_id", ["0", "9223372036854775808", "x"])
def test_run_ids_outside_sqlite_integers_are_422_not_500(client: TestClient, run_id: str) -> None:
    assert client.get(f"/runs/{run_id}").status_code == 422


def test_metrics_are_prometheus_text_0_0_4(client: TestClient) -> None:
    r = client.get("/metrics")
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "# TYPE swissenergy_update_runs gauge" in r.text


def test_openapi_documents_every_status_a_route_returns(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    statuses = {p: set(ops["get"]["responses"]) for p, ops in paths.items()}
    assert statuses["/update-forecast"] == {"202", "409"}
    assert statuses["/runs/latest"] == {"200", "404"}
    assert statuses["/runs/{run_id}"] == {"200", "404", "422"}
    assert statuses["/forecast"] == {"200", "304", "404"}
    assert statuses["/forecast/entsoe"] == statuses["/loads"] == {"200", "422"}
    assert statuses["/ready"] == {"200", "503"}
    metrics = paths["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain; version=0.0.4"]
    start = next(p for p in paths["/loads"]["get"]["parameters"] if p["name"] == "start")
    assert start["schema"]["pattern"].startswith("^") and start["examples"]
    assert "/redoc" not in paths and "/docs" not in paths
