"""Public ticket codes: short, unambiguous when read aloud or typed, not guessable in sequence.

Codes use Crockford's base32 alphabet (no I, L, O, U), 8 random characters from ``secrets``:
32^8 ≈ 10^12 codes, so enumerating them is hopeless and collisions are rare (the unique
index catches the rest). Citizens' typing mistakes (o for 0, l for 1, spaces) are forgiven.
"""

from __future__ import annotations

import secrets
import unicodedata

from engine.errors import echoable

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code(prefix: str) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{prefix}-{body[:4]}-{body[4:]}"


_SHOWN_LIMIT = 40


#: What a phone's keyboard or a word processor makes of the hyphens in a code: typographic
#: dashes, the minus sign, small and full-width hyphens.
_DASHES = str.maketrans(
    dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-")
)


def as_typed(text: str) -> str:
    """``text`` with what autocorrect and other keyboards make of a code undone: full-width
    letters and digits and non-breaking spaces to ASCII (NFKC), every kind of dash to ``-``;
    anything else is left for ``possible_code`` to judge."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_DASHES)


def possible_code(text: str) -> bool:
    """Whether ``text`` could be a code as a person types one: ASCII letters and digits, with
    any visible ASCII separators (spaces, hyphens, dots, slashes) forgiven; never a control
    character, an invisible one or a letter from another script."""
    return all(ch.isascii() and ch.isprintable() for ch in text)


def shown_code(text: str) -> str:
    """What a person typed, safe to echo: anything unprintable, and U+FFFD where bytes were not
    UTF-8, shown as ``?`` (as every echo of typed text, ``engine.errors.echoable``), cut at 40
    characters; never re-grouped or corrected."""
    text = text.strip()
    cut = len(text) > _SHOWN_LIMIT
    shown = "".join(ch if echoable(ch) else "?" for ch in text[:_SHOWN_LIMIT])
    return shown + ("…" if cut else "")


def not_found(text: str) -> str:
    """The one message for a code that names no ticket, echoing what was typed (nothing typed:
    says so, rather than echo nothing)."""
    if not text.strip():
        return "the ticket code is empty: give one, e.g. JKT-7K3M-Q9XD"
    if not possible_code(as_typed(text).strip()):
        return (
            f"no ticket with code {shown_code(text)}: a ticket code has only letters, digits "
            "and hyphens, e.g. JKT-7K3M-Q9XD"
        )
    return f"no ticket with code {shown_code(text)}"


def normalize_code(text: str) -> str:
    """Canonical form of what a person typed: ``jkt 7k3m o9xd`` → ``JKT-7K3M-09XD``; the empty
    string (no ticket's code) when it holds a character no code has."""
    # No code has control characters or a broken encoding; the database would refuse to
    # even look them up (NUL on PostgreSQL, lone surrogates on both).
    text = as_typed(text)
    if not possible_code(text):
        return ""
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    prefix_len = len(compact) - 8
    if prefix_len < 1:
        return text.strip().upper()
    prefix, body = compact[:prefix_len], compact[prefix_len:].translate(_CONFUSABLE)
    return f"{prefix}-{body[:4]}-{body[4:]}"
