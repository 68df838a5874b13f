"""The Swagger UI page of a version's OpenAPI document, and the vendored assets it loads.

The assets (`adline/static/swagger-ui/`, swagger-ui-dist at the version its README pins)
are served by Adline itself under `<prefix>/docs/assets/<name>`, so a docs page works
offline and loads nothing from elsewhere; its Content-Security-Policy says so.
"""

from __future__ import annotations

import html
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from adline.core.errors import NotFound

ASSETS_PATH = "/docs/assets"

# The files a page may load, with their types (served with nosniff, so the types matter).
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "adline-docs.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
# The assets never change for one release of Adline: a day in any cache is fine.
ASSET_CACHE_CONTROL = "public, max-age=86400"

# Scripts only from Adline (no inline script: adline-docs.js starts Swagger UI); Swagger UI
# sets inline styles and uses data: images; "try it out" calls the API on the same origin.
DOCS_PAGE_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


@cache
def _asset(name: str) -> bytes:
    return resources.files("adline").joinpath("static", "swagger-ui", name).read_bytes()


def swagger_ui_page(assets_url: str, openapi_url: str, title: str) -> HTMLResponse:
    """The page: Swagger UI from `assets_url` on the document at `openapi_url`."""
    assets = html.escape(assets_url, quote=True)
    page = "\n".join(
        [
            "<!doctype html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{html.escape(title)}</title>",
            f'<link rel="stylesheet" type="text/css" href="{assets}/swagger-ui.css">',
            f'<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">',
            "</head>",
            "<body>",
            f'<div id="swagger-ui" data-openapi-url="{html.escape(openapi_url, quote=True)}">'
            "</div>",
            f'<script src="{assets}/swagger-ui-bundle.js"></script>',
            f'<script src="{assets}/adline-docs.js"></script>',
            "</body>",
            "</html>",
        ]
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": DOCS_PAGE_CSP})


def docs_assets_router(prefix: str) -> APIRouter:
    """`GET <prefix>/docs/assets/<name>`: the vendored files, by name (no other path)."""
    router = APIRouter(include_in_schema=False)

    @router.get(prefix + ASSETS_PATH + "/{name}")
    async def docs_asset(request: Request, name: str) -> Response:
        media_type = ASSET_TYPES.get(name)
        if media_type is None:
            raise NotFound("No such endpoint.", code="unknown_endpoint")
        return Response(
            _asset(name),
            media_type=media_type,
            headers={"Cache-Control": ASSET_CACHE_CONTROL},
        )

    return router


def assets_url(request: Request, prefix: str) -> str:
    """Where the assets are, as the page's links name them (behind the app's root path)."""
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/") + prefix + ASSETS_PATH
