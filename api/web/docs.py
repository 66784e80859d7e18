"""The API documentation at ``/docs``: Swagger UI from the app's own ``/static`` (the vendored
``swagger-ui-dist``, see ``static/vendor/README.md``), never from a CDN.

FastAPI's own ``/docs`` loads Swagger UI from cdn.jsdelivr.net and its favicon from
fastapi.tiangolo.com; ``api.app`` turns it (and ``/redoc``) off and this page takes its place.
The page starts Swagger UI with one inline script, allowed by its hash in the page's
Content-Security-Policy and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from api.handlers import ThreadedRoute

router = APIRouter(include_in_schema=False, route_class=ThreadedRoute)

SWAGGER = "/static/vendor/swagger-ui-dist-5.35.0"
_INLINE = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _csp(html: str) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE.findall(html)
    )
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {hashes}",
            # Swagger UI sets element styles from its script, and its CSS embeds SVG icons.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        )
    )


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    openapi_url = request.app.openapi_url or "/openapi.json"
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{request.app.title} — API",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url="/favicon.ico",
    )
    html = bytes(page.body).decode()
    response = HTMLResponse(html)
    response.headers["Content-Security-Policy"] = _csp(html)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


__all__ = ["SWAGGER", "router"]
