"""Form bodies read as UTF-8 at every door, and refused rather than guessed at.

Starlette decodes a multipart text part that is not UTF-8 as Latin-1 (or as the charset the
request claims), and a form-encoded body's unescaped bytes as Latin-1 too: right only when the
sender's system happened to use Latin-1, garbage for any other (UTF-8's ``é`` became ``Ã©``,
windows-1252 or Shift-JIS bytes became other letters), stored for every later reader. Here every
part's name and text, and every form-encoded name and value (escaped or not), is decoded as
UTF-8 with U+FFFD where bytes are not, as Starlette already decodes percent-escapes, and
``check_text`` refuses every text that holds U+FFFD by the engine's rule
(``engine.text.refuse_broken``): "broken encoding", naming the field. A form that names a field
twice is refused by ``repeated`` (which one was meant is not ours to guess), and one that
names a field the page's route does not take by ``unknown_field`` (nothing sent is dropped
unread): ``check_fields`` applies both by the fields a route declares (``form_fields``).
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin
from urllib.parse import unquote_to_bytes

from fastapi.dependencies.models import Dependant
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

from engine import RuleViolated
from engine.errors import printable
from engine.text import refuse_broken


def _utf8(data: bytes | bytearray) -> str:
    return bytes(data).decode("utf-8", errors="replace")


#: The media types of a route whose parameters are ``Form()`` or ``File()`` fields.
FORM_MEDIA_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
#: Why a multipart body that stops before its closing delimiter (``--boundary--``) is refused.
CUT_SHORT = "it ends before its closing boundary (the body was cut short)"


class _Utf8MultiPartParser(MultiPartParser):
    """Text parts and part names as UTF-8, U+FFFD where bytes are not (files stay bytes); a
    body cut short before its closing delimiter refused (``MultiPartException``) as a body
    without a boundary is: python-multipart stops quietly wherever the bytes end, so a lost
    connection's first half would be read as a whole form missing its later fields ("category
    is required" for a form that had one)."""

    _ended = False

    def on_end(self) -> None:
        self._ended = True

    async def parse(self) -> FormData:
        form = await super().parse()
        if not self._ended:
            await form.close()
            raise MultiPartException(CUT_SHORT)
        return form

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


class _Utf8FormParser(FormParser):
    """A form-encoded body as UTF-8: percent-escapes and bytes sent unescaped alike (Starlette
    read unescaped bytes as Latin-1: UTF-8 ``é`` became ``Ã©``)."""

    def on_field_end(self) -> None:
        super().on_field_end()  # counts the fields
        name, value = (
            _utf8(unquote_to_bytes(bytes(raw).replace(b"+", b" ")))
            for raw in (self._field_name, self._field_value)
        )
        self._items[-1] = (name, value)


class Utf8FormRequest(Request):
    """A request whose form is read as UTF-8 by the parsers above: FastAPI's ``Form()``
    parameters and a handler's ``request.form()`` alike (routes get it from
    ``api.strict_json.StrictRoute``)."""

    #: The refusal of a form ``read_form_first`` could not read.
    form_refusal: FormUnread | None = None
    #: The fields the route's form may send (``api.strict_json.StrictRoute``).
    form_fields: FormFields | None = None

    async def _get_form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> FormData:
        content_type, _ = parse_options_header(self.headers.get("Content-Type"))
        if self._form is None and content_type == b"multipart/form-data":
            parser = None
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
            except MultiPartException as exc:
                raise _refused(exc, parser, (max_files, max_fields, max_part_size)) from None
        elif self._form is None and content_type == b"application/x-www-form-urlencoded":
            form_parser = None
            try:
                async with aclosing(self.stream()) as stream:
                    form_parser = _Utf8FormParser(
                        self.headers, stream, max_fields=max_fields, max_part_size=max_part_size
                    )
                    self._form = await form_parser.parse()
            except MultiPartException as exc:
                limits = (max_files, max_fields, max_part_size)
                raise _refused(exc, form_parser, limits) from None
        return await super()._get_form(
            max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
        )


class FormRefused(RuleViolated):
    """A page's form refused before its route reads it (a browser's page gets the refusal in
    its words, a program the problem document: ``api.errors``)."""


class FormUnread(FormRefused):
    """A form Starlette stopped reading; ``fields``: its text fields read before it stopped (a
    page shows them again, as typed)."""

    fields: list[tuple[str, str]]


class TooManyFiles(FormUnread):
    """More files than the door reads: the door words it for what its files are (photos)."""


def _refused(
    exc: MultiPartException,
    parser: _Utf8MultiPartParser | _Utf8FormParser | None,
    limits: tuple[float, float, int],
) -> FormUnread:
    """``_refusal`` with the text fields the parser read before it stopped."""
    if isinstance(parser, _Utf8MultiPartParser):
        part = getattr(parser, "_current_part", None)
        name = getattr(part, "field_name", "") or ""
        items: list[tuple[str, Any]] = list(parser.items)
    elif parser is not None:
        raw = bytes(getattr(parser, "_field_name", b""))
        name = _utf8(unquote_to_bytes(raw.replace(b"+", b" ")))
        items = list(getattr(parser, "_items", []))
    else:
        name, items = "", []
    refusal = _refusal(exc, name, *limits)
    refusal.fields = [(k, v) for k, v in items if isinstance(k, str) and isinstance(v, str)]
    return refusal


def _refusal(
    exc: MultiPartException, name: str, max_files: float, max_fields: float, max_part_size: int
) -> FormUnread:
    """Starlette's refusal of a form it stopped reading, in the engine's words with a code the
    pages word in their language, naming the field where there is one: never its English
    ("Field exceeded maximum size of 1024KB.")."""
    message = exc.message
    if message.startswith("Too many files"):
        return TooManyFiles(
            f"at most {max_files:g} files at once",
            key="too_many_files",
            params={"limit": max_files},
        )
    if message.startswith("Too many fields"):
        return FormUnread(
            f"the form has more than {max_fields:g} fields",
            key="too_many_fields",
            params={"limit": max_fields},
        )
    if message.startswith(("Field exceeded", "Part exceeded")):
        shown = printable(name) or "a field"
        return FormUnread(
            f"{shown} is longer than {max_part_size // 1024} KB",
            key="field_too_large",
            params={"field": shown, "limit": max_part_size},
        )
    return FormUnread(f"the form cannot be read: {message}", key="unreadable_form")


def check_text(items: Iterable[tuple[str, str | UploadFile]]) -> None:
    """Refuse the first field whose name or text holds U+FFFD (bytes that were not UTF-8),
    naming the field as the form sent it (a name that is itself broken: "a field name")."""
    for key, value in items:
        refuse_broken(key, field="a field name")
        if isinstance(value, str):
            refuse_broken(value, field=printable(key))


def repeated(name: str) -> FormRefused:
    """The refusal of a form field given twice, naming it, in the words of a query parameter
    given twice (``api.query.refuse_repeated``)."""
    shown = printable(name)
    return FormRefused(
        f"{shown} is given more than once; send it once",
        key="repeated_field",
        params={"field": shown},
    )


def unknown_field(name: str) -> FormRefused:
    """The refusal of a field the form has no box for, naming it (the API refuses a field of no
    request the same way): nothing a browser sends is dropped unread."""
    shown = printable(name) or "?"
    return FormRefused(
        f"{shown} is not a field of this form",
        key="unknown_field",
        params={"field": shown, "name": shown},
    )


_SEQUENCES = (list, tuple, set, frozenset)


def is_sequence(annotation: Any) -> bool:
    """Whether a parameter annotated so takes several values (``list[str] | None``)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(is_sequence(arg) for arg in get_args(annotation))
    return origin in _SEQUENCES or annotation in _SEQUENCES


@dataclass(frozen=True)
class FormFields:
    """The fields a route's form may send: ``single`` once each, ``lists`` as often as chosen
    (several photos, several photos to hide)."""

    single: frozenset[str]
    lists: frozenset[str]


#: A form of no fields.
NO_FIELDS = FormFields(frozenset(), frozenset())


def form_fields(dependant: Dependant) -> FormFields:
    """The ``Form()`` and ``File()`` fields of a route (and of its dependencies), by name,
    single-valued or lists by their annotation."""
    single: set[str] = set()
    lists: set[str] = set()
    for field in dependant.body_params:
        (lists if is_sequence(field.field_info.annotation) else single).add(field.alias)
    for sub in dependant.dependencies:
        found = form_fields(sub)
        single |= found.single
        lists |= found.lists
    return FormFields(frozenset(single), frozenset(lists))


def check_fields(items: Iterable[tuple[str, str | UploadFile]], fields: FormFields) -> None:
    """``unknown_field`` for the first field that is none of ``fields``, ``repeated`` for the
    first single-valued one given more than once, in the order sent."""
    seen: set[str] = set()
    for key, _ in items:
        if key not in fields.single and key not in fields.lists:
            raise unknown_field(key)
        if key in seen and key in fields.single:
            raise repeated(key)
        seen.add(key)


async def read_form_first(request: Utf8FormRequest) -> FormUnread | None:
    """Read the form of a route whose parameters are ``Form()`` fields before FastAPI does:
    FastAPI answers any failure to read a form with a bare 400 ("There was an error parsing
    the body"), where every other door says ``unreadable_form`` (or the limit passed). The
    refusal is returned and the fields read before it are kept as the request's form.

    A body of another type (JSON sent to a page's form) is refused so too: Starlette reads
    it as an empty form, and the page answered for a form with nothing in it ("that action is
    not on this page")."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media not in FORM_MEDIA_TYPES and await request.body():
        said = printable(media, 60) if media else "no type"
        refusal = FormUnread(
            f"the form cannot be read: it was sent as {said}, not as a form "
            "(application/x-www-form-urlencoded or multipart/form-data)",
            key="unreadable_form",
        )
        refusal.fields = []
        request._form = FormData([])
        request.form_refusal = refusal
        return refusal
    try:
        await request.form()
    except FormUnread as exc:
        read: list[tuple[str, str | UploadFile]] = list(exc.fields)
        request._form = FormData(read)
        request.form_refusal = exc
        return exc
    return None


async def form_fault(request: Request, fields: FormFields) -> RuleViolated | None:
    """The refusal of a page's form: one that could not be read (``read_form_first``), bytes
    that were not UTF-8, a field the route does not take or a single-valued one given twice
    (``check_fields``: FastAPI's ``Form()`` keeps a repeated field's last value and drops an
    unknown one); ``None`` when there is none."""
    unread = getattr(request, "form_refusal", None)
    if isinstance(unread, FormUnread):
        return unread
    form = await request.form()
    try:
        check_text(form.multi_items())
        check_fields(form.multi_items(), fields)
    except RuleViolated as exc:
        return exc
    return None


async def page_form_fault(request: Request) -> RuleViolated | None:
    """Dependency of the pages that show a refused form in their own words: ``form_fault`` by
    the route's fields (``api.strict_json.StrictRoute`` puts them on the request); routes
    without it have the refusal raised before they run."""
    fields = getattr(request, "form_fields", None)
    if not isinstance(fields, FormFields):
        route = request.scope.get("route")
        dependant = getattr(route, "dependant", None)
        fields = form_fields(dependant) if isinstance(dependant, Dependant) else NO_FIELDS
    return await form_fault(request, fields)
