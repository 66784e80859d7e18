"""The engine's names for what a command was given, said as the person typed it.

The engine names a field by its key (``reporter_email``, ``duplicate_of``, ``lat``; a word of
the rule for the rest: ``note``, ``key name``), which an API client matches on. A person at the
shell typed options and arguments: ``--email``, ``--duplicate-of``, ``--lat``. Each command
maps the engine's fields to what it takes (``ticket act``: ``ACT_OPTIONS``, ``ticket submit``:
``SUBMIT_OPTIONS`` …) and ``cli.context.reported_errors(options=…)`` says every refusal of the
engine with them: ``--email is not an e-mail address``, never ``reporter e-mail is …``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["as_typed"]

#: Field names no sentence uses as words: said as typed wherever the engine says them.
_NOT_WORDS = frozenset({"lat", "lon"})


def _either(names: list[str]) -> str:
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))


def as_typed(message: str, options: Mapping[str, str]) -> str:
    """``message`` naming ``options`` (engine field → what the person typed) as typed: a field
    key (``reporter_email``, ``lat``) wherever it stands (``--lon is required with --lat``); a
    field that is also a word (``note``, ``description``, ``key name``) where it names the
    field: in brackets (``needs a reason (--note)``) or leading a clause (``--description is
    empty``, ``… : --note is empty``), never inside a sentence (``unknown report category``)."""
    keys = [name for name in options if "_" in name or name in _NOT_WORDS]
    words = [name for name in options if name not in keys]
    if keys:
        # Not inside a value quoted back ('reporter_email' typed as a category code).
        identifier = re.compile(rf"(?<![\w'-])({_either(keys)})(?![\w'-])")
        message = identifier.sub(lambda m: options[m.group(1)], message)
    if words:
        either = _either(words)
        named = re.compile(rf"\(({either})\)|(?:^|(?<=: ))({either})(?= (?:is|must|contains|has) )")
        message = named.sub(
            lambda m: f"({options[m.group(1)]})" if m.group(1) else options[m.group(2)],
            message,
        )
    return message
