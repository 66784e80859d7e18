"""Signing in to the staff and supervisor pages with an api key, then a signed cookie.

The sign-in form posts the key once. The cookie then holds the key's id and public prefix,
signed and dated with ``itsdangerous`` (``TANGGAP_SESSION_SECRET``), never the key itself;
every request checks that the key still exists and is not revoked (``engine.sign_ins``). The
cookie is ``Secure``, ``HttpOnly`` and ``SameSite=Strict``.

Cross-site request forgery: a ``SameSite=Strict`` cookie is not sent with a request that another
site starts, and every POST must also carry an ``Origin`` (or, failing that, ``Referer``) of this
app; together that is enough for form posts without a token.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.deps import ReadSessionDep, Transactions, get_settings
from api.forms import page_form_fault
from api.strict_json import StrictRoute
from api.web.i18n import Translator, language_of
from api.web.pages import LanguageDep, render
from api.web.problems import explain
from engine import ClientKeyRefused, Forbidden, KeyHolder, Language, RuleViolated, Settings
from engine.sign_ins import sign_in, signed_in

log = logging.getLogger(__name__)

COOKIE = "tanggap_staff"
_SALT = "tanggap.staff-session"
#: Used when no TANGGAP_SESSION_SECRET is set: sign-ins then last as long as this process.
_PROCESS_SECRET = secrets.token_urlsafe(32)

router = APIRouter(include_in_schema=False, route_class=StrictRoute)


def page(
    request: Request,
    template: str,
    language: Language,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    title: str = "",
) -> Response:
    """``api.web.pages.render`` for the staff pages, with ``Referrer-Policy: same-origin``:
    under the citizen pages' ``no-referrer`` Chromium sends ``Origin: null`` with a form post,
    and the origin check below could not tell our own forms from anyone's."""
    response = render(request, template, language, context, status=status, title=title)
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def signer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    """A signer with this app's secret (``session_secret``, else one of this process), for
    ``salt``: the sign-in cookie's, or a reporter's photo address (``api.routes.media``)."""
    if settings.session_secret is None:
        return URLSafeTimedSerializer(_PROCESS_SECRET, salt=salt)
    return URLSafeTimedSerializer(settings.session_secret.get_secret_value(), salt=salt)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return signer(settings, _SALT)


def _max_age(settings: Settings) -> int:
    return int(settings.session_hours * 3600)


def current_holder(request: Request) -> KeyHolder | None:
    """Who is signed in, or None (no cookie, a forged or expired one, a revoked key).

    Reads in a short transaction of its own (as ``api.deps.get_key`` does), closed before the
    handler writes."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    settings = get_settings(request)
    try:
        data: Any = _serializer(settings).loads(cookie, max_age=_max_age(settings))
        key_id, prefix = int(data["k"]), str(data["p"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    transactions: Transactions = request.app.state.transactions
    with transactions.read() as session:
        try:
            return signed_in(session, key_id, prefix)
        except Forbidden:
            return None


HolderDep = Annotated[KeyHolder | None, Depends(current_holder)]


def local_path(target: str | None, default: str = "/staff") -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if not target.isprintable():  # a control or direction mark: no path of this site has one
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def to_sign_in(request: Request) -> RedirectResponse:
    """To the sign-in page, and back here after. A cookie that no longer signs anyone in (its
    key revoked, or the sign-in expired) is dropped, and the sign-in page says why. A page
    asked for in a language (a digest's link, ``?lang=en``) signs in in that language too."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        here = "/staff"  # a form post cannot be replayed by a redirect
    ended = "&ended=1" if request.cookies.get(COOKIE) else ""
    asked = language_of(request.query_params.get("lang"))
    lang = f"&lang={asked.value}" if asked is not None else ""
    response = RedirectResponse(
        f"/staff/sign-in?next={quote(here, safe='/')}{ended}{lang}", status_code=303
    )
    if ended:
        response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


def sign_in_again(request: Request, language: Language, *, next: str, kept: str | None) -> Response:
    """A form sent after the sign-in ended: the sign-in page says why and shows what was typed,
    so nothing is lost (a redirect would drop the post)."""
    response = page(
        request,
        "staff/sign_in.html",
        language,
        {"next": local_path(next), "holder": None, "error": "staff.sign_in_ended", "kept": kept},
        status=401,
        title="staff.sign_in_title",
    )
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: Request) -> bool:
    """True when a POST comes from a page of this app (``Origin``, else ``Referer``)."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent or sent == "null":
        return False
    own = {_origin(str(request.base_url)), _origin(get_settings(request).public_base_url)}
    return _origin(sent) in own


def refuse_cross_site(request: Request, language: Language) -> Response:
    return page(
        request,
        "staff/refused.html",
        language,
        {"message": "staff.cross_site"},
        status=403,
        title="staff.refused_title",
    )


@router.get("/staff/sign-in")
def sign_in_page(
    request: Request,
    language: LanguageDep,
    holder: HolderDep,
    next: str | None = None,
    ended: str | None = None,
) -> Response:
    return page(
        request,
        "staff/sign_in.html",
        language,
        {
            "next": local_path(next),
            "holder": holder,
            "error": "staff.sign_in_ended" if ended and holder is None else None,
        },
        title="staff.sign_in_title",
    )


#: Host names a browser treats as a secure origin over plain http (the W3C's "potentially
#: trustworthy" loopback): a ``Secure`` cookie set there is kept.
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def keeps_secure_cookies(request: Request, settings: Settings) -> bool:
    """Whether the browser that sent ``request`` keeps the ``Secure`` sign-in cookie: it came
    over HTTPS (as uvicorn reads the request, proxy headers from a trusted proxy included), or
    to a loopback name, or the city's public address is HTTPS (a proxy elsewhere terminates
    it). Otherwise — plain http to a network address — the browser would drop the cookie and
    the sign-in would silently not hold: the page says why instead."""
    host = (request.url.hostname or "").lower()
    return (
        request.url.scheme == "https"
        or host in _LOOPBACK
        or host.endswith(".localhost")
        or settings.public_base_url.lower().startswith("https://")
    )


@router.post("/staff/sign-in")
def sign_in_post(
    request: Request,
    language: LanguageDep,
    session: ReadSessionDep,
    # No length limits here that FastAPI would answer in JSON: a key too long is simply no key
    # (the page says so), a return address too long is dropped.
    key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/staff",
    fault: Annotated[RuleViolated | None, Depends(page_form_fault)] = None,
) -> Response:
    next = next if len(next) <= 2000 else "/staff"
    if not same_origin(request):
        return refuse_cross_site(request, language)
    settings = get_settings(request)
    if fault is not None:  # a field sent twice, or bytes that were not UTF-8: no guessing
        return page(
            request,
            "staff/sign_in.html",
            language,
            {
                "next": "/staff",
                "holder": None,
                "error": "staff.sign_in_wrong",
                "error_words": explain(Translator(language), fault),
            },
            status=422,
            title="staff.sign_in_title",
        )

    def refused(error: str, status: int) -> Response:
        context = {"next": local_path(next), "holder": None, "error": error}
        return page(
            request, "staff/sign_in.html", language, context, status=status,
            title="staff.sign_in_title",
        )  # fmt: skip

    try:
        if len(key) > 300:
            raise Forbidden("that is not a Tanggap api key")
        holder, prefix = sign_in(session, key)
    except ClientKeyRefused:
        return refused("staff.sign_in_client", 403)
    except Forbidden:
        return refused("staff.sign_in_wrong", 401)
    if not keeps_secure_cookies(request, settings):
        return refused("staff.sign_in_needs_https", 400)
    if settings.session_secret is None:
        log.warning("TANGGAP_SESSION_SECRET is not set: sign-ins end when this process stops")
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(
        COOKIE,
        _serializer(settings).dumps({"k": holder.key_id, "p": prefix}),
        max_age=_max_age(settings),
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/staff/sign-out")
def sign_out(request: Request, language: LanguageDep) -> Response:
    if not same_origin(request):
        return refuse_cross_site(request, language)
    response = RedirectResponse("/staff/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response
