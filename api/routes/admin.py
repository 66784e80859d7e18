"""Admin API: api keys and the catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import AdminKey, NowDep, ReadSessionDep, SessionDep
from api.errors import request_fields
from api.schemas.staff import CatalogueLoaded, KeyCreate, KeyCreated, KeyRead
from api.strict_json import YAML_MEDIA_TYPE, StrictRoute, yaml_body
from engine import Role, create_key, list_keys, load_catalogue, revoke_key

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=StrictRoute)


@router.get("/keys", response_model=list[KeyRead])
def keys(_key: AdminKey, session: ReadSessionDep) -> list[KeyRead]:
    return [KeyRead.of(k) for k in list_keys(session)]


@router.post("/keys", response_model=KeyCreated, status_code=201)
def new_key(body: KeyCreate, _key: AdminKey, session: SessionDep, now: NowDep) -> KeyCreated:
    """Create a key; the secret is in this response only."""
    with request_fields({"key name": "name"}):
        made = create_key(
            session,
            role=Role(body.role),
            name=body.name,
            agency=body.agency,
            area=body.area,
            staff=body.staff,
            now=now,
        )
    return KeyCreated(**KeyRead.of(made.key).model_dump(), key=made.secret)


@router.delete("/keys/{prefix}", response_model=KeyRead)
def revoke(prefix: str, _key: AdminKey, session: SessionDep, now: NowDep) -> KeyRead:
    """Revoke a key by its prefix (as listed), or by the whole key (a leaked one, pasted):
    checked as authentication checks it. A 404 never repeats a secret given: it names the
    prefix when one is recognisable."""
    return KeyRead.of(revoke_key(session, prefix, now=now))


@router.put(
    "/catalogue",
    response_model=CatalogueLoaded,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {YAML_MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
def reload_catalogue(
    _key: AdminKey,
    text: Annotated[str, Depends(yaml_body)],
    session: SessionDep,
    now: NowDep,
) -> CatalogueLoaded:
    """Replace the catalogue with this YAML, validated whole first (as `tanggap config load`)."""
    summary = load_catalogue(session, text, source="api upload", now=now)
    return CatalogueLoaded(
        changed=summary.changed,
        summary=summary.as_dict(),
        address_changes=summary.address_changes,
        retired_holding=summary.retired_holding,
    )
