"""Rendering pages: one Jinja2 environment (autoescaped), the page's language, safe headers.

A page handler reads through the engine's read side (``engine.queries``) like the API does and
hands plain values to ``render``; every change a page makes goes through the JSON API from the
page's script, so the API stays the one write path.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from api.deps import get_settings
from api.query import refuse_repeated
from api.web.i18n import DEFAULT, Translator, language_of
from engine import Language, Settings
from engine.text import BIDI_CONTROLS

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LANG_COOKIE = "lang"
_YEAR = 365 * 24 * 3600

#: Characters a page never sends as they came: C0 and C1 controls (but tab and line breaks),
#: the bidirectional embeddings, overrides and isolates that reorder what is displayed, what
#: is not text at all (surrogates, noncharacters: HTML calls them parse errors), and U+FFFD,
#: the mark of bytes that were not UTF-8 (an address's ``/t/%FF``; stored text never holds it).
_UNSHOWN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffd"
    + "".join(sorted(BIDI_CONTROLS))
    + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17))
    + "]"
)


def shown(value: Any) -> Any:
    """Every value a template writes, as a page may show it: each character above becomes "?".
    Stored citizen text never holds one (the engine refuses them); this is for what a request
    brings back (a code typed in the address bar, a refused note kept for copying)."""
    if isinstance(value, str) and _UNSHOWN.search(value):
        cleaned = _UNSHOWN.sub("?", value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"], default_for_string=True, default=True),
    finalize=shown,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def asked_language(request: Request) -> Language | None:
    """The language ``?lang=`` names; none when it is given twice (the page is refused,
    ``language_switch``, in the cookie's language)."""
    asked = request.query_params.getlist("lang")
    return language_of(asked[0]) if len(asked) == 1 else None


def page_language(request: Request) -> Language:
    """``?lang=`` first (the header's switch), then the cookie it left, then Indonesian."""
    return asked_language(request) or language_of(request.cookies.get(LANG_COOKIE)) or DEFAULT


def language_switch(
    request: Request, lang: Annotated[str | None, Query(include_in_schema=False)] = None
) -> str | None:
    """Declares ``?lang=`` on every page (``install`` adds it to each page router): every page
    reads the switch (``page_language``, ``render``'s cookie), so a repeated one is refused as
    any repeated single-valued parameter is (``api.query.one_value_each``), never read as its
    last value. (Added by ``install`` to a router, it is no parameter of the route itself,
    which ``one_value_each`` reads.)"""
    refuse_repeated(request, "lang")
    return lang


LanguageDep = Annotated[Language, Depends(page_language)]


def _when(settings: Settings, t: Translator) -> Any:
    zone = ZoneInfo(settings.timezone)

    def when(moment: datetime | None) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(zone)
        month = t(f"base.month_{local.month}")
        return f"{local.day} {month} {local.year}, {local:%H:%M} {local.tzname()}"

    return when


def zone_names(zone: str, since: datetime, now: datetime) -> dict[int, str]:
    """The city zone's names (``WIB``) by UTC offset in minutes, over ``since`` (capped at ten
    years back) to ``now``: a page's script writes a time it was handed as ``when`` does, with
    the zone's own name, though it knows only the offset."""
    tz = ZoneInfo(zone)
    names: dict[int, str] = {}
    moment = max(since, now - timedelta(days=3653))
    while True:
        local = moment.astimezone(tz)
        offset = local.utcoffset()
        if offset is not None:
            names[int(offset.total_seconds() // 60)] = local.tzname() or ""
        if moment >= now:
            return names
        moment = min(moment + timedelta(days=14), now)


def _content_security_policy(settings: Settings) -> str:
    """Only the app itself (and the tile server, when one is set) may be reached."""
    images = "'self' data: blob:"
    if settings.map_tile_url:
        # Leaflet fills "{s}" with a subdomain: allow them all.
        parts = urlsplit(settings.map_tile_url.replace("{s}", "*"))
        images += f" {parts.scheme}://{parts.netloc}"
    return "; ".join(
        (
            "default-src 'self'",
            f"img-src {images}",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        )
    )


def render(
    request: Request,
    template: str,
    language: Language,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    title: str = "",
) -> HTMLResponse:
    """Render ``template`` in ``language``. Every template gets ``t`` (messages), ``pick`` (one of
    the engine's two labels), ``when`` (a local time in words), ``lang``, ``other_lang``,
    ``path``, ``tiles`` (the map tile setting) and ``title``."""
    settings = get_settings(request)
    t = Translator(language)
    other = Language.EN if language is Language.ID else Language.ID
    values: dict[str, Any] = {
        "t": t,
        "pick": t.pick,
        "when": _when(settings, t),
        "lang": language.value,
        "other_lang": other.value,
        "path": request.url.path,
        "tiles": {"url": settings.map_tile_url, "attribution": settings.map_tile_attribution},
        "title": title,
    }
    values.update(context or {})
    html = environment.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Security-Policy"] = _content_security_policy(settings)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    if asked_language(request) is language:
        response.set_cookie(LANG_COOKIE, language.value, max_age=_YEAR, samesite="lax")
    return response


__all__ = [
    "STATIC",
    "LanguageDep",
    "asked_language",
    "environment",
    "get_settings",
    "language_switch",
    "page_language",
    "render",
    "zone_names",
]
