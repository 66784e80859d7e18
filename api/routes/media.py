"""``GET /media/{key}``: stored photos, to whoever may see them (``engine.queries.media``).

A photo the public sees is served to anyone and may be cached by anyone. Any other (staff's on
an internal note) is served only to a key that may see its ticket: sent as ``Authorization:
Bearer …``, or the staff pages' signed-in cookie (an ``<img>`` sends no header, only the
cookie); it is never cached beyond that browser's request. To everyone else it is the same 404
as a key nothing uses, never a 403 that would tell the photo is there.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import OptionalKey, ReadSessionDep, SettingsDep
from api.web.staff_session import current_holder
from engine import LocalMediaStorage, NotFound, find_stored_photo, may_fetch
from engine.errors import shown

router = APIRouter(tags=["citizens"])

PUBLIC_CACHE = "public, max-age=86400, immutable"
INTERNAL_CACHE = "private, no-store"


@router.get(
    "/media/{key:path}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
def photo(
    key: str, request: Request, session: ReadSessionDep, settings: SettingsDep, holder: OptionalKey
) -> Response:
    """A stored photo (metadata stripped on upload). A photo the public sees (the report's, the
    reporter's, staff's on a public note): to anyone. A staff photo on an internal note: only
    with a key (or a staff page sign-in) that may see its ticket; else 404 as an unknown key."""
    found = find_stored_photo(session, key)
    if found is not None and not found.public and holder is None:
        holder = current_holder(request)  # the staff pages' <img>: their cookie
    if found is None or not may_fetch(session, found, holder):
        raise NotFound(f"no photo {shown(key)}")
    return Response(
        LocalMediaStorage(settings.media_dir).get(found.storage_key),
        media_type=found.content_type,
        headers={"Cache-Control": PUBLIC_CACHE if found.public else INTERNAL_CACHE},
    )
