"""`/docs`: Swagger UI served from the pinned swagger-ui-bundle-v2 package, not from a CDN,
so the API description is browsable on a host without Internet access. A strict
Content-Security-Policy keeps the page from loading anything from elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

_DIST = Path(swagger_ui_path)
# Versioned URLs: a new package version is a new URL, so browsers may cache them for good.
ASSETS = f"/docs/assets/{_DIST.name}"
_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_INIT_JS = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
});
"""
_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{title}} - API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/init.js"></script>
</body>
</html>
"""
# Swagger UI sets inline styles and draws icons as data: URIs; nothing leaves this origin.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'"
)
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


def install(app: FastAPI) -> None:
    """Add /docs and its assets; the app must be made with docs_url=None, redoc_url=None."""
    page = _PAGE.replace("{title}", app.title)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": _CSP})

    @app.get(ASSETS + "/init.js", include_in_schema=False)
    def init_js() -> Response:
        return Response(_INIT_JS, media_type=_FILES["swagger-ui-bundle.js"])

    @app.get(ASSETS + "/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        if name not in _FILES:
            raise HTTPException(404, f"no asset {name}")
        return FileResponse(_DIST / name, media_type=_FILES[name], headers=_IMMUTABLE)
