"""Pages for people where a program would get a problem document: an address that leads
nowhere, asked for by a browser (see ``api.errors.wants_page``)."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import Response

from api.web.i18n import Translator
from api.web.pages import page_language, render
from api.web.problems import words


def not_found_page(request: Request) -> Response:
    """The friendly 404 in the browser's page language, with the "follow a report" box."""
    return render(
        request,
        "page_not_found.html",
        page_language(request),
        status=404,
        title="base.page_not_found_title",
    )


def refused_page(
    request: Request, status: int, code: str, params: Mapping[str, object] | None
) -> Response:
    """A page's request refused before any page could answer it (a form field FastAPI could not
    read): the refusal in the page's words, never a problem document."""
    language = page_language(request)
    message = words(Translator(language), code, params)
    return render(
        request,
        "request_refused.html",
        language,
        {"message": message},
        status=status,
        title="base.request_refused_title",
    )


__all__ = ["not_found_page", "refused_page"]
