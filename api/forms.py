"""Form bodies read as UTF-8 at every door, and refused rather than guessed at.

Starlette decodes a multipart text part that is not UTF-8 as Latin-1, so ``café`` sent in
Latin-1 bytes was stored as it arrived, garbled for every later reader (a form-encoded body's
percent-escapes, by contrast, are decoded as UTF-8 with U+FFFD for what is not). Here a multipart
part's name and value are decoded as UTF-8 the same way, whatever charset the request claims
(the API speaks UTF-8 only), and ``check_text`` refuses every text that holds U+FFFD by the
engine's rule (``engine.text.refuse_broken``): "broken encoding", naming the field. A form that
names a field twice is refused by ``repeated`` (which one was meant is not ours to guess).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from contextlib import aclosing

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from engine import RuleViolated
from engine.errors import printable
from engine.text import refuse_broken


def _utf8(data: bytes | bytearray) -> str:
    return bytes(data).decode("utf-8", errors="replace")


class _Utf8MultiPartParser(MultiPartParser):
    """Text parts and part names as UTF-8, U+FFFD where bytes are not (files stay bytes)."""

    def on_headers_finished(self) -> None:
        super().on_headers_finished()  # refuses a part without a name
        _, options = parse_options_header(self._current_part.content_disposition)
        self._current_part.field_name = _utf8(options[b"name"])

    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is not None:
            super().on_part_end()
            return
        self.items.append((part.field_name, _utf8(part.data)))


class Utf8FormRequest(Request):
    """A request whose multipart form is read by ``_Utf8MultiPartParser``: FastAPI's ``Form()``
    parameters and a handler's ``request.form()`` alike (routes get it from
    ``api.strict_json.StrictRoute``)."""

    async def _get_form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> FormData:
        content_type, _ = parse_options_header(self.headers.get("Content-Type"))
        if self._form is None and content_type == b"multipart/form-data":
            try:
                async with aclosing(self.stream()) as stream:
                    parser = _Utf8MultiPartParser(
                        self.headers,
                        stream,
                        max_files=max_files,
                        max_fields=max_fields,
                        max_part_size=max_part_size,
                    )
                    self._form = await parser.parse()
            except MultiPartException as exc:  # as Starlette answers it
                raise HTTPException(status_code=400, detail=exc.message) from None
        return await super()._get_form(
            max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
        )


def check_text(items: Iterable[tuple[str, str | UploadFile]]) -> None:
    """Refuse the first field whose name or text holds U+FFFD (bytes that were not UTF-8),
    naming the field as the form sent it (a name that is itself broken: "a field name")."""
    for key, value in items:
        refuse_broken(key, field="a field name")
        if isinstance(value, str):
            refuse_broken(value, field=printable(key))


def repeated(name: str) -> RuleViolated:
    """The refusal of a form field given twice, naming it."""
    shown = printable(name)
    return RuleViolated(
        f"{shown} is given more than once; send it once",
        key="repeated_field",
        params={"field": shown},
    )


def refuse_repeats(
    items: Iterable[tuple[str, str | UploadFile]], *, lists: Collection[str] = ()
) -> None:
    """``repeated`` for the first field the form names twice, but for those in ``lists``
    (several photos)."""
    seen: set[str] = set()
    for key, _ in items:
        if key in seen and key not in lists:
            raise repeated(key)
        seen.add(key)


async def page_form_fault(request: Request) -> RuleViolated | None:
    """Dependency of the pages that take a form (FastAPI's ``Form()`` keeps a repeated field's
    last value, and has read the form already): the refusal of a repeated field or of bytes
    that were not UTF-8, for the page to show in its own words; ``None`` when there is none."""
    form = await request.form()
    try:
        check_text(form.multi_items())
        refuse_repeats(form.multi_items(), lists={"photos"})
    except RuleViolated as exc:
        return exc
    return None
