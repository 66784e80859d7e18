"""``GET /media/{key}``: stored photos, to whoever may see them (``engine.queries.media``).

A photo the public sees is served to anyone and may be cached by anyone for a few minutes
(``PUBLIC_CACHE``: it stops being public when its report is taken off the public record). Any
other (staff's on an internal note) is served only to a key that may see its ticket: sent as
``Authorization: Bearer …``, or the staff pages' signed-in cookie (an ``<img>`` sends no
header, only the cookie); it is never cached beyond that browser's request. To everyone else it
is the same 404 as a key nothing uses, never a 403 that would tell the photo is there.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from itsdangerous import BadData

from api.deps import OptionalKey, ReadSessionDep, SettingsDep
from api.handlers import ThreadedRoute
from api.web.staff_session import current_holder, signer
from engine import LocalMediaStorage, NotFound, Settings, find_stored_photo, may_fetch
from engine.errors import shown

router = APIRouter(tags=["citizens"], route_class=ThreadedRoute)

#: Minutes a cache may serve a public photo without asking again. A photo is public until a
#: supervisor takes its report off the public record (a face, a number plate): after that the
#: origin answers 404, and no browser or proxy may go on serving it for longer than this. After
#: that a cache asks again (``ETag``: the stored key, a digest of the bytes) and gets a 304 while
#: the photo is still public, the 404 once it is not.
PUBLIC_CACHE_SECONDS = 300
PUBLIC_CACHE = f"public, max-age={PUBLIC_CACHE_SECONDS}, must-revalidate"
INTERNAL_CACHE = "private, no-store"

_OWN_SALT = "tanggap.own-photo"
#: How long the address of a photo on a reporter's own page (``own_photo_url``) opens it.
OWN_PHOTO_SECONDS = 3600


def own_photo_url(settings: Settings, storage_key: str) -> str:
    """The address of a photo on the page a reporter opened with their token (a report the
    public may not see, whose photos the public address does not open): signed for this key,
    for an hour. It opens only what that page shows them."""
    return f"/media/{storage_key}?own={signer(settings, _OWN_SALT).dumps(storage_key)}"


def _signed_for(settings: Settings, storage_key: str, own: str | None) -> bool:
    if not own:
        return False
    try:
        signed = signer(settings, _OWN_SALT).loads(own, max_age=OWN_PHOTO_SECONDS)
    except BadData:
        return False
    return bool(signed == storage_key)


@router.get(
    "/media/{key:path}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
def photo(
    key: str,
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    holder: OptionalKey,
    own: Annotated[str | None, Query(max_length=400, include_in_schema=False)] = None,
) -> Response:
    """A stored photo (metadata stripped on upload). A photo the public sees (the report's, the
    reporter's, staff's on a public note): to anyone. A staff photo on an internal note: only
    with a key (or a staff page sign-in) that may see its ticket; else 404 as an unknown key.
    A photo of a report the public may not see: as an internal one, or by the signed address
    of its reporter's own page."""
    found = find_stored_photo(session, key)
    if found is not None and not found.public and holder is None:
        holder = current_holder(request)  # the staff pages' <img>: their cookie
    signed = found is not None and not found.public and _signed_for(settings, key, own)
    if found is None or not (signed or may_fetch(session, found, holder)):
        raise NotFound(f"no photo {shown(key)}")
    if not found.public:
        return Response(
            LocalMediaStorage(settings.media_dir).get(found.storage_key),
            media_type=found.content_type,
            headers={"Cache-Control": INTERNAL_CACHE},
        )
    headers = {"Cache-Control": PUBLIC_CACHE, "ETag": f'"{found.storage_key}"'}
    if headers["ETag"] in _tags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(
        LocalMediaStorage(settings.media_dir).get(found.storage_key),
        media_type=found.content_type,
        headers=headers,
    )


def _tags(header: str) -> set[str]:
    """The entity tags of an ``If-None-Match`` header (weak ones as strong: RFC 9110 compares
    them weakly for this header)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
