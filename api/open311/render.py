"""GeoReport v2 documents, in XML and JSON from the same rows.

A document is a root name, an item name and a list of items; an item is an ordered mapping of
plain values (str, int, float, bool, None), nested mappings (``extended_attributes``) or lists
of mappings (``attributes``, ``values``). JSON is the bare list; XML wraps each item in the
item element under the root. Keeping one source makes the two formats agree by construction;
the tests check that they do.

XML 1.0 cannot carry every character: a text holding one the engine now refuses (a control
character, a noncharacter such as U+FFFF, a surrogate) but stored before that rule would make
the whole feed unreadable, so each such character is written as U+FFFD instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response

Item = Mapping[str, Any]

#: Plural container → element name of each entry, for nested lists.
_CHILD = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "keywords": "keyword",
    "notes": "note",
}


#: What XML 1.0 cannot carry (its ``Char`` production, https://www.w3.org/TR/xml/#charsets).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def w3c(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """Whole-second W3C datetime with the city's offset, e.g. 2026-11-23T09:00:00+07:00."""
    if moment is None:
        return None
    return moment.astimezone(zone).replace(microsecond=0).isoformat()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else _NOT_XML.sub("\ufffd", str(value))


def _element(parent: ET.Element, name: str, value: Any) -> None:
    node = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _element(node, key, inner)
    elif isinstance(value, list | tuple):
        child = _CHILD.get(name, "item")
        for entry in value:
            _element(node, child, entry)
    else:
        node.text = _text(value)


def to_xml(root: str, item: str, items: Sequence[Item] | Item) -> bytes:
    top = ET.Element(root)
    if isinstance(items, Mapping):
        for key, value in items.items():
            _element(top, key, value)
    else:
        for entry in items:
            _element(top, item, entry)
    data: bytes = ET.tostring(top, encoding="utf-8", xml_declaration=True)
    return data


def document(
    fmt: str, root: str, item: str, items: Sequence[Item] | Item, status: int = 200
) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, items), status, media_type="text/xml; charset=utf-8")
    body = json.dumps(items if isinstance(items, Mapping) else list(items), ensure_ascii=False)
    return Response(body, status, media_type="application/json")


def format_of(request: Request) -> str:
    return "xml" if request.url.path.endswith(".xml") else "json"


_OPEN311_STATUS = {401: 403, 409: 400, 422: 400}


def error_response(
    request: Request, status: int, description: str, headers: dict[str, str] | None = None
) -> Response:
    """The spec's error array: 400 bad request, 403 bad api_key, 404 unknown id or service."""
    code = _OPEN311_STATUS.get(status, status)
    response = document(
        format_of(request), "errors", "error", [{"code": code, "description": description}], code
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
