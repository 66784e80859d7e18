"""The web pages (issue 11): server-rendered Jinja2, Indonesian and English, served by the app.

``install(app)`` mounts the vendored static files at ``/static`` and adds every page module
present: ``report_form`` (report at ``/``), ``citizen`` (track at ``/t/{code}``) and, when they
exist, the staff worklist and supervisor dashboard modules (``staff``, ``dashboard``), each
exposing ``router``.
"""

from __future__ import annotations

import importlib
import importlib.util

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api.query import one_value_each
from api.web.pages import STATIC, language_switch

#: Page modules under ``api/web/``, added in this order when present.
PAGE_MODULES = ("report_form", "citizen", "staff", "dashboard", "docs")


def _favicon() -> FileResponse:
    """Browsers ask for ``/favicon.ico`` on their own; the pages also link the same SVG."""
    return FileResponse(
        STATIC / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/favicon.ico", _favicon, methods=["GET"], include_in_schema=False)
    for name in PAGE_MODULES:
        module_name = f"{__name__}.{name}"
        if importlib.util.find_spec(module_name) is not None:
            # A single-valued parameter given twice (``/web/nearby?lat=…&lat=…``, a page's
            # GET form, the language switch) is refused as on the API, not read as its last
            # value.
            app.include_router(
                importlib.import_module(module_name).router,
                dependencies=[Depends(one_value_each), Depends(language_switch)],
            )


__all__ = ["PAGE_MODULES", "install"]
