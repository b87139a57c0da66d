"""/docs works offline: Swagger UI and its assets come from the service itself."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import KEY
from fastapi.testclient import TestClient
from swissenergy.api import create_app
from swissenergy.config import load_settings

EXPECTED_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with tempfile.TemporaryDirectory() as tmp:
        # No ENTSO-E server: nothing here fetches; the URL only has to be well formed.
        settings = load_settings(
            entsoe_api_key=KEY, entsoe_base_url="http://127.0.0.1:9/api", data_dir=Path(tmp)
        )
        with TestClient(create_app(settings)) as c:
            yield c


def test_docs_page_loads_only_same_origin_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert {Path(u).suffix for u in urls} == {".js", ".css", ".png"}, urls
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"].startswith(EXPECTED_TYPES[Path(url).suffix]), url
        assert len(r.content) > 100, url
    bundle = next(u for u in urls if u.endswith("swagger-ui-bundle.js"))
    assert "SwaggerUIBundle" in client.get(bundle).text
    init = next(u for u in urls if u.endswith("init.js"))
    assert '"/openapi.json"' in client.get(init).text
    assert "http" not in client.get(init).text  # nothing loaded from elsewhere


def test_only_the_known_assets_are_served(client: TestClient) -> None:
    page = client.get("/docs").text
    base = re.search(r'src="(/docs/assets/[^/"]+)/', page).group(1)  # type: ignore[union-attr]
    assert client.get(f"{base}/index.html").status_code == 404
    assert client.get(f"{base}/..%2F..%2Fapi.py").status_code == 404
    assert client.get("/redoc").status_code == 404
