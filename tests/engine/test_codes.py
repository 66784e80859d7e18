"""Public ticket codes: read aloud, typed on a phone, never guessable in sequence."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from engine.codes import new_code, normalize_code
from engine.errors import TicketNotFound
from engine.tickets import find_ticket, get_ticket

#: Crockford's base32, written out here rather than taken from the engine: no I, L, O, U.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE = re.compile(rf"^JKT-[{CROCKFORD}]{{4}}-[{CROCKFORD}]{{4}}$")


def _value(code: str) -> int:
    """The code's body read as a base-32 number, to see whether codes count up."""
    value = 0
    for ch in code.replace("-", "")[-8:]:
        value = value * 32 + CROCKFORD.index(ch)
    return value


def test_new_code_format_prefix_and_two_groups_of_crockford() -> None:
    for _ in range(200):
        assert CODE.match(new_code("JKT"))


def test_new_code_ten_thousand_unique_and_not_sequential() -> None:
    codes = [new_code("JKT") for _ in range(10_000)]

    assert len(set(codes)) == len(codes)
    values = [_value(code) for code in codes]
    assert not [(a, b) for a, b in pairwise(values) if abs(b - a) <= 32]
    assert values != sorted(values)
    # Every position draws from the whole alphabet: nothing is fixed, narrow or predictable.
    for position in range(8):
        assert {_value(code) // 32**position % 32 for code in codes} == set(range(32))


def test_submit_code_matches_public_format(desk) -> None:
    ticket = desk.submit()
    assert CODE.match(ticket.code)
    assert normalize_code(ticket.code) == ticket.code


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("JKT-7K3M-09XD", "JKT-7K3M-09XD"),
        ("jkt-7k3m-09xd", "JKT-7K3M-09XD"),
        ("  JKT 7K3M 09XD  ", "JKT-7K3M-09XD"),
        ("jkt7k3m09xd", "JKT-7K3M-09XD"),
        ("JKT.7K3M/09XD", "JKT-7K3M-09XD"),
        ("jkt 7k3m o9xd", "JKT-7K3M-09XD"),
        ("JKT-IK3M-L9XD", "JKT-1K3M-19XD"),
        ("jkt-oiLl-OoIi", "JKT-0111-0011"),
        # What autocorrect and other keyboards make of the hyphens (a tester's report: an en
        # dash was not forgiven), full-width letters, a non-breaking space.
        ("JKT\u20137K3M\u201309XD", "JKT-7K3M-09XD"),
        ("JKT\u20147K3M\u221209XD", "JKT-7K3M-09XD"),
        ("JKT\u20117K3M\u201009XD", "JKT-7K3M-09XD"),
        (
            "\uff2a\uff2b\uff34\uff0d\uff17\uff2b\uff13\uff2d\uff0d\uff10\uff19\uff38\uff24",
            "JKT-7K3M-09XD",
        ),
        ("JKT\u00a07K3M\u00a009XD", "JKT-7K3M-09XD"),
        # Never forgiven: an invisible or control character, a letter of another script.
        ("JKT-7K3M-09XD\u200b", ""),
        ("JKT-7K3M-09X\u0414", ""),
    ],
)
def test_normalize_code_sloppy_typing_canonical(typed: str, canonical: str) -> None:
    assert normalize_code(typed) == canonical


def test_get_ticket_sloppily_typed_code_finds_ticket(desk, monkeypatch) -> None:
    # A code with 0s and 1s in it, so the typed O/I/L really have to be forgiven.
    monkeypatch.setattr("engine.submission.new_code", lambda prefix: f"{prefix}-10X0-1Z1Z")
    ticket = desk.submit()
    assert ticket.code == "JKT-10X0-1Z1Z"

    assert get_ticket(desk.session, "jkt iox0 lzIz") is ticket
    assert get_ticket(desk.session, "JKT10XO1Z1Z") is ticket


def test_get_ticket_unknown_code_not_found(desk) -> None:
    desk.submit()

    with pytest.raises(TicketNotFound) as missing:
        get_ticket(desk.session, "jkt zzzz zzzz")
    assert missing.value.message == "no ticket with code jkt zzzz zzzz"  # as typed
    assert find_ticket(desk.session, "JKT-ZZZZ-ZZZZ") is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        # what was typed, not a corrected form ("JKT-N0PE-N0PE")
        ("JKT-NOPE-NOPE", "no ticket with code JKT-NOPE-NOPE"),
        # a character no code has: said so, the character escaped, never re-grouped
        (
            "JKT\x1b[0P-WNED",
            "no ticket with code JKT?[0P-WNED: a ticket code has only letters, digits and "
            "hyphens, e.g. JKT-7K3M-Q9XD",
        ),
        (
            "JKT-FKHV-GRB\x00",
            "no ticket with code JKT-FKHV-GRB?: a ticket code has only letters, digits and "
            "hyphens, e.g. JKT-7K3M-Q9XD",
        ),
        ("JKT-" + "A" * 60, "no ticket with code JKT-" + "A" * 36 + "…"),
    ],
)
def test_unknown_code_echoed_as_typed_safely(desk, typed: str, message: str) -> None:
    desk.submit()

    with pytest.raises(TicketNotFound) as missing:
        get_ticket(desk.session, typed)
    assert missing.value.message == message
    assert find_ticket(desk.session, typed) is None
