"""One set of rules for every text a person gives the engine (DESIGN §7: citizens' text is data).

Every text field passes ``clean_text`` before anything is written, so SQLite (which stores any
length) and PostgreSQL (which refuses a ``varchar(n)`` overflow) behave the same, and nothing a
person typed can drive a terminal, a log viewer or a mail client:

- Length limits come from the columns (``LIMITS``), counted in code points as PostgreSQL counts
  characters; unbounded ``Text`` columns get a limit here.
- C0/C1 control characters (ESC, BEL, NUL, DEL …) are refused; multi-line fields keep newline
  and tab (``\\r\\n`` and Unicode line separators become ``\\n``). Bidirectional overrides are
  refused too: they make a note read differently from what is stored ("Trojan Source").
- Unicode noncharacters (U+FDD0–U+FDEF and every U+xFFFE / U+xFFFF) and lone surrogates are
  refused: they are not text, and XML 1.0 (the Open311 feed) cannot carry U+FFFE, U+FFFF or a
  surrogate at all. With the control characters above this leaves only what XML 1.0 carries.
  U+FFFD (the replacement character a decoder leaves where bytes were not text, e.g. a
  form-encoded body in another encoding) is refused as broken encoding, like a surrogate.
- Text is NFC-normalised and stripped; text made only of invisible characters (whitespace,
  zero-width spaces and joiners, fillers) is empty.
- Errors name the field and the rule, never the value: the value may be personal data.

Codes (categories, agencies, triggers, roles …) are matched by ``code_key``: case, ``-``, ``_``
and spaces do not matter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TypeVar
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Column, String

from engine.errors import RuleViolated
from engine.errors import shown as quoted
from engine.models import Agency, Area, Category, Escalation, Notification, Staff, Ticket


def _length(column: object) -> int:
    assert isinstance(column, Column) and isinstance(column.type, String)
    assert column.type.length is not None, f"{column} has no length"
    return column.type.length


#: Field name → maximum number of characters (code points). Bounded columns give their own
#: limit; ``Text`` columns get one here so that no text is unbounded.
LIMITS: dict[str, int] = {
    "description": 4000,
    "note": 4000,
    "address": _length(Ticket.__table__.c.address),
    "reporter_name": _length(Ticket.__table__.c.reporter_name),
    "reporter_email": _length(Ticket.__table__.c.reporter_email),
    "reporter_phone": _length(Ticket.__table__.c.reporter_phone),
    "staff_name": _length(Staff.__table__.c.name),
    "staff_email": _length(Staff.__table__.c.email),
    "area_code": _length(Area.__table__.c.code),
    "area_name": _length(Area.__table__.c.name),
    "agency_code": _length(Agency.__table__.c.code),
    "agency_name": _length(Agency.__table__.c.name),
    "agency_email": _length(Agency.__table__.c.email),
    "category_code": _length(Category.__table__.c.code),
    "category_name": _length(Category.__table__.c.name_en),
    "category_group": _length(Category.__table__.c.group),
    "category_description": 2000,
    "level_name": _length(Escalation.__table__.c.level),
    #: A ladder level's words in mail and pages (catalogue ``name_id`` / ``name_en``).
    "level_words": 80,
    "notification_subject": _length(Notification.__table__.c.subject),
    #: A web address another system sent with a report (Open311 ``media_url``).
    "media_url": 2000,
}

#: Line breaks a form or another system may send for a new line.
_NEWLINES = re.compile("\r\n|[\r\u2028\u2029]")
#: Bidirectional embeddings, overrides and isolates: they reorder what is displayed.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Letters and marks that render as nothing: fillers, blank braille, combining grapheme joiner.
_BLANK_LOOKING = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")


def is_noncharacter(ch: str) -> bool:
    """One of Unicode's 66 noncharacters: U+FDD0..U+FDEF and the last two of every plane."""
    point = ord(ch)
    return 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE


def _invisible(ch: str) -> bool:
    """Whitespace, or a character with no glyph of its own (zero-width space, joiners, BOM …)."""
    return ch.isspace() or unicodedata.category(ch) == "Cf" or ch in _BLANK_LOOKING


def _seen(ch: str) -> bool:
    """A character a reader sees on its own: a letter, digit, punctuation mark or symbol (an
    emoji is a symbol), or a private-use glyph. Not a combining mark or variation selector
    (U+0301, U+FE0F: they only change the character before them, and alone show nothing or a
    dotted circle), not a format character, a space or a blank-looking filler."""
    category = unicodedata.category(ch)
    return (category[0] in "LNPS" or category == "Co") and ch not in _BLANK_LOOKING


def is_blank(value: str) -> bool:
    """True when ``value`` shows nothing to a reader: no character in it is seen on its own
    (``_seen``): spaces, zero-width and format characters, fillers, and marks with nothing
    to mark, such as a lone U+FE0F or U+0301."""
    return not any(_seen(ch) for ch in value)


def _strip_invisible(value: str) -> str:
    start, end = 0, len(value)
    while start < end and _invisible(value[start]):
        start += 1
    while end > start and _invisible(value[end - 1]):
        end -= 1
    return value[start:end]


def _broken(field: str, position: int) -> RuleViolated:
    return RuleViolated(
        f"{field} is not valid text (broken encoding at {position}: U+FFFD, the mark a "
        "decoder leaves where bytes were not UTF-8)",
        key="broken_text",
        params={"field": field, "position": position},
    )


def refuse_broken(value: str, *, field: str) -> None:
    """Refuse ``value`` if it holds U+FFFD, where a decoder met bytes that were not UTF-8:
    for every text a form sends, whether or not a text rule reads it later (a code, a number,
    a field's name), so the damage is refused in the one set of words, naming the field."""
    position = value.find("\ufffd")
    if position >= 0:
        raise _broken(field, position + 1)


#: An emoji tag sequence (Unicode TS #51): the black flag, tag characters, the cancel tag — a
#: subdivision's flag (🏴 + "gbsct" in tags + U+E007F, Scotland's). Tag characters anywhere else
#: are invisible letters: text a reader cannot see and a program reads ("ASCII smuggling").
_FLAG_TAGS = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
_TAGS = range(0xE0000, 0xE0080)


def _tags_outside_flags(value: str) -> int | None:
    """The position (1-based) of the first tag character outside an emoji tag sequence."""
    if not any(ord(ch) in _TAGS for ch in value):
        return None
    inside = {i for found in _FLAG_TAGS.finditer(value) for i in range(*found.span())}
    return next((i + 1 for i, ch in enumerate(value) if ord(ch) in _TAGS and i not in inside), None)


def _check_characters(value: str, *, field: str, multiline: bool) -> None:
    tagged = _tags_outside_flags(value)
    if tagged is not None:
        char = f"U+{ord(value[tagged - 1]):04X}"
        raise RuleViolated(
            f"{field} contains invisible tag character {char} at character {tagged}; it would "
            "hide text from its readers",
            key="invisible_text",
            params={"field": field, "char": char, "position": tagged},
        )
    for position, ch in enumerate(value, start=1):
        if multiline and ch in "\n\t":
            continue
        category = unicodedata.category(ch)
        if ch in "\n\t\r\u2028\u2029":
            what = "a tab" if ch == "\t" else "a line break"
            raise RuleViolated(
                f"{field} must be one line: found {what} at character {position}",
                key="one_line",
                params={"field": field, "position": position},
            )
        if category == "Cc":
            allowed = "text, line breaks and tabs" if multiline else "one line of text"
            raise RuleViolated(
                f"{field} contains control character U+{ord(ch):04X} at character {position}; "
                f"only {allowed} allowed",
                key="control_character",
                params={"field": field, "char": f"U+{ord(ch):04X}", "position": position},
            )
        if category == "Cs" or ch == "\ufffd":
            # U+FFFD is what a decoder writes for bytes that were not text (a form sent in
            # another encoding): storing it would keep the damage, not the words.
            raise _broken(field, position)
        if is_noncharacter(ch):
            raise RuleViolated(
                f"{field} contains U+{ord(ch):04X} at character {position}, a Unicode "
                "noncharacter; it is not text",
                key="noncharacter",
                params={"field": field, "char": f"U+{ord(ch):04X}", "position": position},
            )
        if ch in BIDI_CONTROLS:
            raise RuleViolated(
                f"{field} contains direction override U+{ord(ch):04X} at character {position}; "
                "it would change how the text reads",
                key="direction_override",
                params={"field": field, "char": f"U+{ord(ch):04X}", "position": position},
            )


def clean_text(
    value: str | None,
    *,
    field: str,
    limit: int,
    required: bool = False,
    multiline: bool = True,
) -> str | None:
    """``value`` as it will be stored, or ``None`` when it is absent or blank and not required.

    Raises ``RuleViolated`` naming ``field`` (never echoing the value) when the text is required
    but blank, has control characters (or a line break where one line is expected), or is longer
    than ``limit`` characters.
    """
    if value is None:
        if required:
            raise RuleViolated(f"{field} is missing", key="field_required", params={"field": field})
        return None
    if not isinstance(value, str):
        raise RuleViolated(f"{field} must be text", key="not_text", params={"field": field})
    text = value if value.isascii() else unicodedata.normalize("NFC", value)
    if multiline:
        text = _NEWLINES.sub("\n", text)
    _check_characters(text, field=field, multiline=multiline)
    text = _strip_invisible(text)
    if is_blank(text):
        if required:
            raise RuleViolated(f"{field} is empty", key="field_required", params={"field": field})
        return None
    if len(text) > limit:
        raise RuleViolated(
            f"{field} has {len(text)} characters; the limit is {limit}",
            key="text_too_long",
            params={"field": field, "length": len(text), "limit": limit},
        )
    return text


def shorten(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, with an ellipsis when cut (texts we compose from
    several bounded parts, such as an e-mail subject, can outgrow their column)."""
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


#: Why an address whose part before the @ is not ASCII is refused, after "{field} ".
NOT_DELIVERABLE = (
    "cannot be delivered: the part before the @ may only have ASCII letters, digits and "
    "signs such as . _ - + (the part after the @ may be in any script)"
)


def clean_email(value: str | None, *, field: str, required: bool = False) -> str | None:
    """A syntactically valid e-mail address (``email-validator``) in the form mail is sent to:
    its domain in lower case, an internationalised one in its ASCII form (IDNA,
    ``warga@contoh.香港`` → ``warga@contoh.xn--j6w193g``). So the same address written either
    way is one address (one subscriber, one staff member), and every provider can take it:
    SendGrid's v3 API and most relays take ASCII addresses only.

    An address whose part before the @ is not ASCII can only travel over SMTPUTF8 (RFC 6531),
    which neither SendGrid's v3 API nor most relays offer: it is refused (``NOT_DELIVERABLE``),
    apart from an address that is not one at all (``not_an_email``)."""
    text = clean_text(
        value, field=field, limit=LIMITS.get(field, 254), required=required, multiline=False
    )
    if text is None:
        return None
    try:
        # Deliverability needs DNS: the engine never reaches the network.
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        if _needs_smtputf8(text):
            raise RuleViolated(
                f"{field} {NOT_DELIVERABLE}", key="email_not_deliverable", params={"field": field}
            ) from None
        raise RuleViolated(
            f"{field} is not an e-mail address like name@example.org",
            key="not_an_email",
            params={"field": field},
        ) from None
    address = checked.ascii_email or checked.normalized
    if len(address) > LIMITS.get(field, 254):
        limit = LIMITS.get(field, 254)
        raise RuleViolated(
            f"{field} is longer than {limit} characters",
            key="text_too_long",
            params={"field": field, "length": len(address), "limit": limit},
        )
    return address


def _needs_smtputf8(text: str) -> bool:
    """Whether ``text`` is a valid address but for its non-ASCII part before the @."""
    try:
        return validate_email(text, check_deliverability=False, allow_smtputf8=True).smtputf8
    except EmailNotValidError:
        return False


def email_key(value: str) -> str:
    """The stored form of an address typed to look something up (``clean_email``'s, lower
    case); as typed, trimmed and in lower case, when it is no address at all (it then matches
    nothing, as before)."""
    try:
        return (clean_email(value, field="email", required=True) or "").lower()
    except RuleViolated:
        return value.strip().lower()


#: ASCII characters RFC 3986 never allows in a URI (they must be percent-encoded).
_NOT_IN_URLS = frozenset('"<>\\^`{|}')


def clean_url(value: str | None, *, field: str) -> str | None:
    """An absolute http(s) web address, one line of text, kept as given (never fetched)."""
    text = clean_text(value, field=field, limit=LIMITS["media_url"], multiline=False)
    if text is None:
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        parts = urlsplit("")
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.username is not None  # credentials are nobody's to keep
        or any(ch.isspace() or ch in _NOT_IN_URLS for ch in text)
    ):
        raise RuleViolated(
            f"{field} is not a web address like https://example.org/photo.jpg",
            key="not_a_web_address",
            params={"field": field},
        )
    return text


_PHONE = re.compile(r"^\+?[0-9 ().\-/]+$")


def clean_phone(value: str | None, *, field: str, required: bool = False) -> str | None:
    """A phone number as people write them: digits, optional leading ``+``, spaces, ``-()./``."""
    text = clean_text(
        value, field=field, limit=LIMITS.get(field, 40), required=required, multiline=False
    )
    if text is None:
        return None
    digits = sum(ch.isdigit() for ch in text)
    if not text.isascii() or not _PHONE.match(text) or not 5 <= digits <= 17:
        raise RuleViolated(
            f"{field} is not a phone number (5 to 17 digits, e.g. +62 812 3456 7890)",
            key="not_a_phone",
            params={"field": field},
        )
    return text


def as_number_text(value: str) -> str:
    """``value`` if it is a number as people and programs write one, for ``float`` or ``int``
    to read: ASCII only. ``ValueError`` for what Python alone would read as a number: ``4_0``
    (40) and other digits (``٤٠``, Arabic-Indic 40), never what the sender meant to type."""
    if not value.isascii() or "_" in value:
        raise ValueError(f"not a plain number: {value[:40]!r}")
    return value


def code_key(value: str) -> str:
    """How codes are compared: ``Broken-Street Light`` and ``broken_street_light`` are one."""
    return re.sub(r"[\s_-]+", "_", value.strip().casefold())


_Code = TypeVar("_Code", bound=str)


def parse_code(what: str, value: str, codes: Sequence[_Code]) -> _Code:
    """The one of ``codes`` (a vocabulary: states, priorities, roles, channels …) that
    ``value`` names, compared as every code is (``code_key``): ``ON-HOLD``, ``On Hold`` and
    ``on_hold`` are one. Anything else is refused naming every one of ``codes``, in order."""
    key = code_key(value)
    for code in codes:
        if code_key(code) == key:
            return code
    raise RuleViolated(
        f"unknown {what} {quoted(value)}; use one of {', '.join(codes)}",
        key="unknown_reference",
        params={"field": what},
    )


def unknown_code(what: str, value: str, known: Iterable[str], *, withdrawn: bool = False) -> str:
    """The message for an unknown code: what was typed (a code, not personal data) and the list
    of valid ones, closest first when there are many. ``withdrawn``: the code was the
    catalogue's and is no longer in force (a category retired by a reload), which the message
    says instead of "unknown"."""
    import difflib

    choices = sorted(known)
    shown = value.strip()[:60]  # repr() below escapes any control character
    said = (
        f"{what} {shown!r} was withdrawn from the catalogue"
        if withdrawn
        else f"unknown {what} {shown!r}"
    )
    if len(choices) > 30:
        # Only codes close to what was typed; a list of the first thirty codes helps nobody.
        by_key = {code_key(choice): choice for choice in choices}
        close = difflib.get_close_matches(code_key(shown), list(by_key), n=8, cutoff=0.6)
        if not close:
            return f"{said}; no {what} code is close to it"
        return f"{said}; did you mean: {', '.join(by_key[c] for c in close)}"
    return f"{said}; valid: {', '.join(choices) or 'none'}"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 open ticket``, ``2 open tickets``, ``0 e-mails``: a count that agrees with its noun
    (English; ``plural`` where adding "s" is wrong)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
