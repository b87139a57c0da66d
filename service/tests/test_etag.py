"""Several app hosts, shared-nothing: two independent stores fed the same ENTSO-E data
through the real update path publish the same forecast content under the same ETag, so a
client moved from one host to the other keeps its 304s; other content, another ETag."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import NOW, StubModel, make_settings
from fake_entsoe import FakeEntsoe
from fastapi.testclient import TestClient
from swissenergy.api import create_app
from swissenergy.etag import PROVENANCE, content_etag, if_none_match
from swissenergy.store import Store


@contextmanager
def host(tmp_path: Path, name: str, fake: FakeEntsoe) -> Iterator[TestClient]:
    """One app host: its own data directory, database and API, the shared fake ENTSO-E."""
    settings = make_settings(tmp_path / name, fake.base_url)  # type: ignore[attr-defined]
    store = Store(settings.db_path)
    app = create_app(settings, store=store, clock=lambda: NOW)
    with TestClient(app) as c:
        c.app_state = app.state  # type: ignore[attr-defined]
        yield c
    app.state.updater.wait(30)
    store.close()


def update(c: TestClient) -> dict[str, Any]:
    r = c.get("/update-forecast")
    assert r.status_code == 202, r.text
    c.app_state.updater.wait(30)  # type: ignore[attr-defined]
    return c.get(f"/runs/{r.json()['run_id']}").json()


def content(body: bytes) -> bytes:
    """The body without where it came from, canonically serialized."""
    doc = {k: v for k, v in orjson.loads(body).items() if k not in PROVENANCE}
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def test_two_hosts_publish_the_same_etag_and_content(
    tmp_path: Path, fake: FakeEntsoe, stub_model: StubModel
) -> None:
    with host(tmp_path, "app-1", fake) as a, host(tmp_path, "app-2", fake) as b:
        # app-2 first fails (ENTSO-E down), then updates twice: its ids differ from app-1's.
        fake.add_fault("status", status=503, times=10)
        assert update(b)["status"] == "failed"
        fake.reset()
        assert [update(h)["status"] for h in (a, b, b)] == ["succeeded"] * 3
        ra, rb = a.get("/forecast"), b.get("/forecast")
        assert ra.status_code == rb.status_code == 200
        ids = [(r.json()["id"], r.json()["run_id"]) for r in (ra, rb)]
        assert ids == [(1, 1), (2, 3)]  # per-host provenance differs
        assert ra.headers["etag"] == rb.headers["etag"]
        assert re.fullmatch(r'W/"[0-9a-f]{32}"', ra.headers["etag"])
        assert content(ra.content) == content(rb.content)
        # A client that got the forecast from app-1 keeps its 304 on app-2.
        again = b.get("/forecast", headers={"If-None-Match": ra.headers["etag"]})
        assert again.status_code == 304 and again.headers["etag"] == ra.headers["etag"]

        # Revised actual load: other content on app-1, another ETag, the old one is a 200.
        fake.configure(revision=1)
        assert update(a)["status"] == "succeeded"
        new = a.get("/forecast", headers={"If-None-Match": ra.headers["etag"]})
        assert new.status_code == 200
        assert content(new.content) != content(ra.content)
        assert new.headers["etag"] != ra.headers["etag"]
        assert a.get("/forecast", headers={"If-None-Match": new.headers["etag"]}).status_code == 304


def test_the_etag_ignores_provenance_only() -> None:
    doc = {"id": 1, "run_id": 1, "created_at": "t0", "points": [{"ts": "x", "mw": 1.0}]}
    same = doc | {"id": 7, "run_id": 9, "created_at": "t1"}
    assert content_etag(doc) == content_etag(same)
    assert content_etag(doc) != content_etag(doc | {"points": [{"ts": "x", "mw": 1.001}]})
    assert content_etag(doc) != content_etag(doc | {"model_version": "other"})


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('W/"abc"', True),
        ('"abc"', True),  # weak comparison, RFC 9110 13.1.2
        ('"x", W/"abc"', True),
        ("*", True),
        ('W/"abd"', False),
        ("", False),
        (None, False),
    ],
)
def test_if_none_match(header: str | None, matches: bool) -> None:
    assert if_none_match(header, 'W/"abc"') is matches
