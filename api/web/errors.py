"""Pages for people where a program would get a problem document: an address that leads
nowhere, asked for by a browser (see ``api.errors.wants_page``)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from api.web.pages import page_language, render


def not_found_page(request: Request) -> Response:
    """The friendly 404 in the browser's page language, with the "follow a report" box."""
    return render(
        request,
        "page_not_found.html",
        page_language(request),
        status=404,
        title="base.page_not_found_title",
    )


__all__ = ["not_found_page"]
