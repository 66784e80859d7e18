"""How every instant the API shows is written: whole seconds, as Open311's W3C datetimes are.

A deadline computed from a submission (``due_at``, ``expected_resolution_at``) carries the
submission's microseconds, one read from the clock none: in one list the same field would be
written both ways (``…05:56:25.276200Z`` beside ``…05:56:25Z``). Every response field that is
an instant is ``Instant``; it is truncated to the second (never rounded up: a deadline shown
is never later than the real one) and written as pydantic writes a datetime.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import SerializerFunctionWrapHandler, WrapSerializer


def _whole_seconds(value: Any, write: SerializerFunctionWrapHandler) -> Any:
    if isinstance(value, datetime):
        value = value.replace(microsecond=0)
    return write(value)


#: An instant in a response: written to the whole second.
Instant = Annotated[datetime, WrapSerializer(_whole_seconds)]
