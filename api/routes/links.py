"""Short links people get in mail, SMS and printed receipts (``/t/{code}``), and the root.

Until the citizen web pages exist (a later issue), a tracking link opens the public JSON view
of the report and the root opens the API's documentation: a link in a mail is never dead.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

router = APIRouter(include_in_schema=False)


@router.get("/t/{code}")
def track(code: str) -> RedirectResponse:
    return RedirectResponse(f"/api/v1/reports/{quote(code[:64], safe='')}", status_code=307)


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/docs", status_code=307)
