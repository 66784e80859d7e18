"""Why something was not done, in the page's words.

The API's problem documents carry a stable ``code`` and its ``params`` (``api.errors``); this
turns them into the page's language (``i18n/*/problem.yaml``). The citizen pages do the same in
their script (``static/js/problem.js``) with the same messages. Field names are the page's own
words (a citizen's comment is a "comment", though the API calls it ``note``); a state is its
presentation label, never its code; a code without a message reads in plain words, naming the
field when one is known.
"""

from __future__ import annotations

from collections.abc import Mapping

from api.errors import ApiError
from api.web.i18n import Translator, catalogue
from engine import InvalidTransition, TanggapError
from engine.presentation import present

MEGABYTE = 1024 * 1024


def number(language: str, value: float, digits: int = 1) -> str:
    """``value`` as the page's language writes it: "8,0" in Indonesian, "8.0" in English."""
    text = f"{value:,.{digits}f}"
    if language == "id":
        return text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text


def size_words(language: str, size: object) -> str:
    """A size in bytes as the page's language says it: "8,0 MB" / "8.0 MB" from a megabyte
    up, "64 KB" under it, "512 byte" / "512 bytes" under a kilobyte (as ``engine.photos``
    words sizes, in the page's number format)."""
    if not isinstance(size, int) or isinstance(size, bool):
        return str(size)
    if size < 1024:
        return f"{number(language, size, 0)} {'byte' if language == 'id' else 'bytes'}"
    if round(size / 1024) < 1024:
        return f"{number(language, size / 1024, 0)} KB"
    return f"{number(language, size / MEGABYTE)} MB"


def words(
    t: Translator,
    code: str,
    params: Mapping[str, object] | None = None,
    fields: Mapping[str, str] | None = None,
) -> str:
    """The message for problem ``code`` with ``params``; ``fields`` renames the API's field
    names to the page's (``{"note": "comment"}``)."""
    messages = catalogue(t.language)
    values: dict[str, object] = dict(params or {})
    name = ""
    if "field" in values:
        name = str(values["field"])
        name = (fields or {}).get(name, name)
        known = f"problem.field.{name}" in messages
        values["field"] = t(f"problem.field.{name}" if known else "problem.field.any")
    for size in ("size", "limit"):
        if size in values:
            values[f"{size}_words"] = size_words(t.language, values[size])
    for key_, value in values.items():
        if isinstance(value, float):
            values[key_] = number(t.language, value)
    key = f"problem.{code}"
    if code == "unknown_reference":
        # what was named and not found: an officer (gone inactive since the page was drawn),
        # an agency, a report's code — each in its own words, not "a code"
        named = f"problem.unknown_reference_of.{name}"
        key = named if named in messages else key
    if code == "note_required":
        # a comment or note with nothing in it: the text itself is missing, not a reason
        written = f"problem.write_first.{name or 'note'}"
        key = written if written in messages else key
    if key in messages:
        try:
            return messages[key].format(**values)
        except (KeyError, IndexError, ValueError):
            if f"{key}_plain" in messages:
                return messages[f"{key}_plain"]
    if "field" in values:
        return t("problem.invalid_request", field=values["field"])
    return t("problem.other")


def explain(t: Translator, exc: TanggapError, fields: Mapping[str, str] | None = None) -> str:
    params: dict[str, object] = dict(getattr(exc, "params", None) or {})
    if isinstance(exc, InvalidTransition) and exc.state is not None:
        state = present(exc.state)
        params["state"] = t.pick(state.label_id, state.label_en)
    return words(t, exc.code, params, fields)


def explain_api(t: Translator, exc: ApiError, fields: Mapping[str, str] | None = None) -> str:
    return words(t, exc.code, exc.params, fields)


__all__ = ["explain", "explain_api", "number", "words"]
