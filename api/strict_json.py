"""JSON bodies that name a key twice are refused, never read as the last value.

``json.loads`` (and pydantic's parser) keep the last of two equal keys, so
``{"description": "x", "description": "y"}`` would be accepted as "y" while a proxy, a log or a
reviewer in between may have read "x". Every JSON body the API reads goes through ``loads``: the
routers' ``StrictJsonRoute`` for FastAPI's own body parsing, and ``check`` before
``api.uploads`` validates a report. The refusal is a 422 naming the key, like a repeated form
field or query parameter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from engine.errors import printable


class RepeatedKey(HTTPException):
    """Raised where FastAPI passes HTTP exceptions through (its body parsing re-raises them);
    ``api.errors`` answers it as a problem document naming the key."""

    def __init__(self, key: str) -> None:
        self.key = printable(key)
        super().__init__(422, f"{self.key} is given more than once; send it once")


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise RepeatedKey(key)
        found[key] = value
    return found


def loads(body: bytes | str) -> Any:
    """``json.loads`` that raises ``RepeatedKey`` for a key an object gives twice."""
    return json.loads(body, object_pairs_hook=_no_repeats)


def check(body: bytes) -> None:
    """``RepeatedKey`` if the body repeats a key; malformed JSON is left to the validator,
    whose error names where it broke."""
    try:
        loads(body)
    except ValueError:  # JSONDecodeError, or bytes that are not UTF-8
        return


class _StrictRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """An ``APIRoute`` whose JSON body is parsed by ``loads``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(_StrictRequest(request.scope, request.receive))

        return strict
