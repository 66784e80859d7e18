"""Reading a report from JSON or multipart (with photos), before any engine call.

The HTTP layer only decides what HTTP decides — too many bytes (413), not an image at all
(415), malformed fields (422); whether an image is a good photo stays the engine's call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from api import forms, strict_json
from api.errors import PayloadTooLarge, UnsupportedMediaType, invalid
from api.schemas.public import ReportCreate
from engine import RuleViolated, Settings
from engine.errors import printable, shown
from engine.photos import PhotoFile, too_large

#: What an accepted image starts with: JPEG, PNG, WebP (RIFF....WEBP).
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


#: The names a multipart request may give its photo files.
PHOTO_FIELDS = ("photos", "photo", "media", "media[]")


def not_a_file(key: str) -> RequestValidationError:
    """A photo field sent as text (``-F photos=notafile``): said of that field, as files."""
    name = printable(key.removesuffix("[]")) or "photos"
    return invalid(
        "body", name, f"{printable(key)} must be files (JPEG, PNG or WebP image uploads), not text"
    )


def _is_image(head: bytes) -> bool:
    return head.startswith(_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def check_photo(
    data: bytes,
    settings: Settings,
    name: str = "photo",
    *,
    size: int | None = None,
    field: str = "photos",
) -> bytes:
    """``size``: the whole file's (a form's upload knows it), as ``data`` may be only its first
    ``limit + 1`` bytes: a reader stops there, so that length alone says "larger", not a size.
    ``field``: the request's name for its photos, which the refusal names."""
    limit = settings.max_photo_bytes
    if len(data) > limit:
        whole = size if size is not None else (len(data) if len(data) > limit + 1 else None)
        params: dict[str, object] = {"field": field, "name": name, "limit": limit}
        if whole is not None:
            params["size"] = whole
        raise PayloadTooLarge(too_large(name, limit=limit, size=whole), params=params)
    if not _is_image(data[:16]):
        raise UnsupportedMediaType(
            f"{name} is not a JPEG, PNG or WebP image", params={"field": field, "name": name}
        )
    return PhotoFile(data, name)  # the engine's refusal of its pixels names it too


M = TypeVar("M", bound=BaseModel)


def _validate(model: type[M], data: Any, *, json: bool) -> M:
    """``model`` from a body; refused as FastAPI refuses a body it parses itself: each error's
    ``loc`` begins with where it came from ("body"), so a field that happens to be called
    ``body`` or ``query`` is never read as the place (``api.errors.field_name``)."""
    try:
        if json:
            return model.model_validate_json(data)
        return model.model_validate(data, context={"form": True})
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=True)
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in errors]
        ) from None


def media_type(request: Request) -> str:
    """The body's media type, without parameters: ``multipart/form-data``."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def sent_as_json(request: Request) -> bool:
    """Whether the body came as JSON: a door with no room for photos (``read_body``)."""
    return media_type(request) == "application/json"


#: What a JSON caller must do for a category that needs a photo: "add a photo" is not
#: something a JSON body can do (``photos`` is no field of it).
PHOTO_BY_MULTIPART = (
    "a JSON body cannot carry photos: send the report as multipart/form-data, with the photo "
    "as a photos file"
)


@contextmanager
def photos_only_as_files(as_json: bool) -> Iterator[None]:
    """Around a report's engine call: on the JSON door, a category's ``photo_required`` says
    how to send the photo (multipart), not to add one to a body that cannot hold it."""
    try:
        yield
    except RuleViolated as exc:
        if not as_json or exc.code != "photo_required":
            raise
        raise RuleViolated(
            f"{exc.message}; {PHOTO_BY_MULTIPART}", key=exc.code, params=exc.params
        ) from None


async def read_report(
    request: Request, settings: Settings, model: type[ReportCreate] = ReportCreate
) -> tuple[ReportCreate, list[bytes]]:
    return await read_body(request, settings, model, json_limit=64 * 1024)


def photos_json_limit(settings: Settings) -> int:
    """The largest JSON body that may carry the most photos allowed, base64-encoded (4/3 of
    their bytes), plus room for the other fields."""
    return settings.max_photos * settings.max_photo_bytes * 4 // 3 + 64 * 1024


async def read_body(
    request: Request, settings: Settings, model: type[M], *, json_limit: int
) -> tuple[M, list[bytes]]:
    """``model`` from a JSON body, or from multipart fields with the files as photos."""
    content_type = media_type(request)
    if content_type == "application/json":
        body = await request.body()
        if len(body) > json_limit:
            raise PayloadTooLarge(
                too_large("the JSON body", limit=json_limit, size=len(body))
                + "; send photos as multipart/form-data"
            )
        strict_json.check(body)  # a key given twice is refused, not read as its last value
        return _validate(model, body or b"null", json=True), []
    if content_type != "multipart/form-data":
        raise UnsupportedMediaType("send application/json, or multipart/form-data with photos")
    try:
        async with request.form(max_files=settings.max_photos + 1, max_fields=40) as form:
            return await _read_form(form, settings, model)
    except forms.TooManyFiles:
        raise too_many_photos(settings) from None


def too_many_photos(settings: Settings) -> RuleViolated:
    """The refusal of more photos than one report takes (however many more were sent)."""
    return RuleViolated(
        f"at most {settings.max_photos} photos at once",
        key="too_many_photos",
        params={"field": "photos", "limit": settings.max_photos},
    )


async def _read_form(form: Any, settings: Settings, model: type[M]) -> tuple[M, list[bytes]]:
    photos: list[bytes] = []
    fields: dict[str, Any] = {}
    forms.check_text(form.multi_items())  # bytes that were not UTF-8: refused, never stored
    for key, value in form.multi_items():
        if key in PHOTO_FIELDS and isinstance(value, str) and value != "":
            raise not_a_file(key)
        if isinstance(value, UploadFile):
            if key not in PHOTO_FIELDS:
                raise RuleViolated(
                    f"unexpected file field {shown(key)}; send photos as 'photos'",
                    params={"field": printable(key)},
                )
            if len(photos) == settings.max_photos:
                raise too_many_photos(settings)
            data = await value.read(settings.max_photo_bytes + 1)
            name = printable(value.filename or "") or "photo"
            photos.append(check_photo(data, settings, name, size=value.size))
        elif value != "":
            _put(fields, key, value)
    return _validate(model, fields, json=False), photos


def validate_form(model: type[M], fields: Any) -> M:
    """``model`` from a form's fields (all text), refused as a request's fields are."""
    return _validate(model, fields, json=False)


#: ``answers[code]`` or ``answers[code][]`` (repeated for several values), as PHP and Open311
#: clients spell a mapping in a form.
_NESTED = re.compile(r"^(\w+)\[([^\[\]]{1,60})\](\[\])?$")


def _put(fields: dict[str, Any], key: str, value: str) -> None:
    match = _NESTED.match(key)
    if match is None:
        if "[" in key:
            raise _not_nested(key)
        if key in fields:
            # two values for one: which was meant is not ours to guess
            name = printable(key)
            raise invalid("body", name, f"{name} is given more than once; send it once")
        fields[key] = value
        return
    name, inner, many = match.groups()
    nested = fields.setdefault(name, {})
    if not isinstance(nested, dict):
        raise invalid("body", name, f"{name} is given both as a value and as {name}[…]")
    if many or inner in nested:
        previous = nested.get(inner, [])
        nested[inner] = [*(previous if isinstance(previous, list) else [previous]), value]
    else:
        nested[inner] = value


def _not_nested(key: str) -> RequestValidationError:
    """``answers[]`` or ``answers[a][b]``: brackets that name no one answer. Said of the field
    before the brackets (``answers``), as the caller wrote it."""
    name = printable(key.partition("[")[0]) or printable(key)
    written = printable(key)
    if name == "answers":
        return invalid(
            "body", name, f"{written} is not an answer: send each as answers[question_code]"
        )
    return invalid("body", name, f"{written} is not a field of this request")


def with_photos(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a body sent as JSON or as multipart with ``photos`` files.

    ``model`` must be added to the document's components (``api.app`` does that)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    schema["properties"]["photos"] = {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "maxItems": 5,
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}},
                "multipart/form-data": {"schema": schema},
            },
        }
    }
