"""The one set of text rules (engine/text.py) and where it applies: submission, notes, staff,
the catalogue; priority is staff's; codes are found whatever their spelling."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.actors import Actor
from engine.catalogue import parse_catalogue
from engine.errors import (
    CatalogueEntryNotFound,
    CatalogueError,
    Forbidden,
    RuleViolated,
    UnknownCategory,
)
from engine.lifecycle import Role, State, Trigger, parse_trigger
from engine.models import Priority, Staff, Ticket
from engine.staff import add_staff, parse_role
from engine.submission import Report, submit
from engine.text import (
    LIMITS,
    NOT_DELIVERABLE,
    clean_email,
    clean_phone,
    clean_text,
    code_key,
    parse_code,
)
from engine.tickets import list_events
from tests.conftest import CATALOGUE

C0 = [chr(c) for c in range(0x20) if chr(c) not in "\n\t\r"]
C1 = [chr(c) for c in range(0x7F, 0xA0)]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00a0", "\u3000", "\u3164"]
#: Marks with nothing to mark (a tester's report: a description of a lone U+FE0F was stored
#: while U+200E alone counted as empty): a variation selector, combining accents, a soft hyphen.
MARKS_ALONE = ["\ufe0f", "\u0301", "\u0301\u0302\ufe0e", "\u00ad", "\U000e0101", "\u20dd"]

#: What the engine adds to "broken encoding at N" (``engine.text``).
BROKEN_MARK = ": U+FFFD, the mark a decoder leaves where bytes were not UTF-8)"


def ticket_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Ticket)) or 0


# --- clean_text ------------------------------------------------------------------------------


@pytest.mark.parametrize("ch", C0 + C1, ids=lambda ch: f"U+{ord(ch):04X}")
@pytest.mark.parametrize("multiline", [True, False])
def test_clean_text_control_character_refused_named_by_code_point(ch: str, multiline: bool) -> None:
    with pytest.raises(RuleViolated) as raised:
        clean_text(f"Lampu{ch}mati", field="note", limit=100, multiline=multiline)

    assert raised.value.message.startswith("note contains control character")
    assert f"U+{ord(ch):04X}" in raised.value.message
    assert "Lampu" not in raised.value.message  # the value itself is never echoed


def test_clean_text_escape_sequence_refused() -> None:
    with pytest.raises(RuleViolated, match=re.escape("U+001B")):
        clean_text("\x1b[2J\x1b]0;owned\x07ok", field="description", limit=100)


@pytest.mark.parametrize("ch", ["\u202e", "\u2066", "\u202a"])
def test_clean_text_direction_override_refused(ch: str) -> None:
    with pytest.raises(RuleViolated, match="direction override"):
        clean_text(f"abc{ch}cba", field="note", limit=100)


#: A subdivision's flag: the black flag, "gbsct" in tag characters, the cancel tag (Scotland).
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"


@pytest.mark.parametrize(
    ("text", "char", "position"),
    [
        ("ab\U000e0041\U000e0042c", "U+E0041", 3),  # "AB" in tags: invisible letters
        ("\U000e0001bahasa", "U+E0001", 1),  # the language tag
        ("\U0001f3f4\U000e0067 cut short", "U+E0067", 2),  # a flag without its cancel tag
        (f"{SCOTLAND}\U000e0041", "U+E0041", 8),  # a letter after a whole flag
    ],
)
def test_clean_text_refuses_tag_characters_outside_a_flag(
    text: str, char: str, position: int
) -> None:
    """A tester's report: Unicode tag characters (U+E0041 …) were stored in descriptions,
    names and addresses: text no reader sees and a program reads. A flag's tags are taken."""
    with pytest.raises(RuleViolated) as raised:
        clean_text(text, field="description", limit=100)
    assert raised.value.message == (
        f"description contains invisible tag character {char} at character {position}; it "
        "would hide text from its readers"
    )
    assert raised.value.code == "invisible_text"
    assert clean_text(f"Bendera {SCOTLAND} di pos", field="description", limit=100) == (
        f"Bendera {SCOTLAND} di pos"
    )


def test_clean_text_multiline_keeps_newline_and_tab_normalises_crlf() -> None:
    text = clean_text("  baris 1\r\nbaris 2\rbaris\t3\u2028baris 4  ", field="note", limit=100)

    assert text == "baris 1\nbaris 2\nbaris\t3\nbaris 4"


@pytest.mark.parametrize("ch", ["\n", "\t", "\r\n"])
def test_clean_text_single_line_refuses_line_break_and_tab(ch: str) -> None:
    with pytest.raises(RuleViolated, match="address must be one line"):
        clean_text(f"Jl. Sudirman{ch}No. 1", field="address", limit=300, multiline=False)


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        "\n\t \n",
        *INVISIBLE,
        "".join(INVISIBLE),
        "\u200b \u200b\n\u2800",
        *MARKS_ALONE,
        "\u00a0\ufe0f \u0301\u200e",
    ],
    ids=repr,
)
def test_clean_text_invisible_only_is_empty(value: str) -> None:
    assert clean_text(value, field="note", limit=100) is None
    with pytest.raises(RuleViolated, match=r"^description is empty$"):
        clean_text(value, field="description", limit=100, required=True)


@pytest.mark.parametrize(
    "value", ["e\u0301", "\u2764\ufe0f", "\U0001f44d\U0001f3fd", "\ue000", "1", "?", "\u0e01\u0e34"]
)
def test_clean_text_a_mark_on_something_seen_is_text(value: str) -> None:
    # An accent on a letter, an emoji with its selector or skin tone, a private-use glyph,
    # a digit, a question mark, Thai with its vowel sign: each shows something.
    assert clean_text(value, field="description", limit=10, required=True) is not None


def test_clean_text_none_required_missing() -> None:
    assert clean_text(None, field="note", limit=10) is None
    with pytest.raises(RuleViolated, match="description is missing"):
        clean_text(None, field="description", limit=10, required=True)


def test_clean_text_strips_invisible_ends_keeps_inner_joiners() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji made with joiners
    assert clean_text(f"\u200b\ufeff {family} banjir \u200b", field="note", limit=20) == (
        f"{family} banjir"
    )


def test_clean_text_limit_counts_characters_after_nfc() -> None:
    decomposed = "e\u0301" * 10  # ten é as e + combining accent: 20 code points, 10 after NFC

    assert clean_text(decomposed, field="address", limit=10) == "\u00e9" * 10
    assert clean_text("日" * 10, field="address", limit=10) == "日" * 10
    with pytest.raises(RuleViolated, match=r"^address has 11 characters; the limit is 10$"):
        clean_text("😀" * 11, field="address", limit=10)


@pytest.mark.parametrize("ch", ["\ud800", "\udcff"])
def test_clean_text_lone_surrogate_refused(ch: str) -> None:
    # What a shell argument in a broken encoding becomes (surrogateescape).
    with pytest.raises(RuleViolated, match="not valid text"):
        clean_text(f"abc{ch}", field="reporter_name", limit=200)


NONCHARACTERS = [
    "\ufdd0",
    "\ufdef",
    "\ufffe",
    "\uffff",
    "\U0001fffe",
    "\U0001ffff",
    "\U0010fffe",
    "\U0010ffff",
]


@pytest.mark.parametrize("ch", NONCHARACTERS, ids=lambda ch: f"U+{ord(ch):04X}")
@pytest.mark.parametrize("multiline", [True, False])
def test_clean_text_noncharacter_refused_named_by_code_point_and_position(
    ch: str, multiline: bool
) -> None:
    with pytest.raises(RuleViolated) as raised:
        clean_text(f"Lampu{ch}mati", field="description", limit=100, multiline=multiline)

    assert raised.value.message == (
        f"description contains U+{ord(ch):04X} at character 6, a Unicode noncharacter; "
        "it is not text"
    )
    assert raised.value.code == "noncharacter"
    assert raised.value.params == {
        "field": "description",
        "char": f"U+{ord(ch):04X}",
        "position": 6,
    }


#: XML 1.0's Char production: what the Open311 feed can carry.
XML_CHAR = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


def test_clean_text_keeps_only_what_xml_can_carry() -> None:
    # Every BMP code point, and each supplementary plane's last four (two noncharacters).
    points = [
        *range(0x10000),
        *(p << 16 | low for p in range(1, 17) for low in range(0xFFFC, 0x10000)),
    ]
    kept = []
    for point in points:
        try:
            text = clean_text(f"a{chr(point)}b", field="note", limit=10)
        except RuleViolated:
            continue
        kept.append(text or "")
    assert XML_CHAR.fullmatch("".join(kept))
    assert "a\U0010fffdb" in kept  # a private-use character is text
    # U+FFFD is what a decoder leaves where bytes were not text: refused as broken encoding
    assert "a\ufffdb" not in kept


def test_limits_follow_the_columns() -> None:
    columns = Ticket.__table__.c
    assert LIMITS["address"] == columns.address.type.length == 300
    assert LIMITS["reporter_name"] == columns.reporter_name.type.length == 200
    assert LIMITS["reporter_phone"] == columns.reporter_phone.type.length == 40
    assert LIMITS["reporter_email"] == columns.reporter_email.type.length == 254
    assert LIMITS["staff_name"] == Staff.__table__.c.name.type.length
    assert LIMITS["note"] == 4000


# --- e-mail and phone ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["not-an-email", "a@b", "budi@", "@dishub.example", "budi @dishub.example", "a@b..example",
     "budi@dishub.test", "ü@dishub.example", f"{'a' * 250}@x.example"],
)  # fmt: skip
def test_clean_email_invalid_refused_without_echo(value: str) -> None:
    with pytest.raises(RuleViolated) as raised:
        clean_email(value, field="reporter_email")

    assert raised.value.message in (
        "reporter_email is not an e-mail address like name@example.org",
        f"reporter_email has {len(value)} characters; the limit is 254",
        # a valid address but for its part before the @ (SMTPUTF8): ours says why
        f"reporter_email {NOT_DELIVERABLE}",
    )
    assert value not in raised.value.message


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("  Siti@Example.COM ", "Siti@example.com"),
        ("budi@dishub.example", "budi@dishub.example"),
        ("warga@münchen.de", "warga@xn--mnchen-3ya.de"),
    ],
)
def test_clean_email_valid_normalised(value: str, stored: str) -> None:
    assert clean_email(value, field="reporter_email") == stored


@pytest.mark.parametrize("value", ["+62 812-3456-7890", "(021) 500 223", "0812.3456.7890"])
def test_clean_phone_usual_forms_kept(value: str) -> None:
    assert clean_phone(value, field="reporter_phone") == value


@pytest.mark.parametrize("value", ["call me", "12", "+62 812 3456 7890 1234 5678", "0812;rm"])
def test_clean_phone_not_a_number_refused(value: str) -> None:
    with pytest.raises(RuleViolated, match="reporter_phone is not a phone number"):
        clean_phone(value, field="reporter_phone")


# --- submission ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("address", "x" * 301, "address has 301 characters; the limit is 300"),
        ("reporter_name", "N" * 201, "reporter_name has 201 characters; the limit is 200"),
        ("reporter_phone", "1" * 41, "reporter_phone has 41 characters; the limit is 40"),
        ("reporter_email", "e" * 243 + "@example.org", "reporter_email has 255 characters"),
        ("reporter_email", "not-an-email", "reporter_email is not an e-mail address"),
        ("description", "Lampu \x1b[5mmati", "description contains control character U+001B"),
        ("description", "\u200b\u200b", "description is empty"),
        ("address", "Jl. A\nJl. B", "address must be one line"),
        ("reporter_name", "Siti\x00", "reporter_name contains control character U+0000"),
        ("description", "x" * 4001, "description has 4001 characters; the limit is 4000"),
    ],
)
def test_submit_text_over_limit_or_unclean_refused_nothing_written(
    desk, field: str, value: str, message: str
) -> None:
    before = ticket_count(desk.session)
    values: dict[str, Any] = {"reporter_name": "Siti", "reporter_email": "siti@example.org"}
    values[field] = value

    with pytest.raises(RuleViolated) as raised:
        desk.submit(**values)

    assert raised.value.message.startswith(message)
    assert "siti@example.org" not in raised.value.message
    assert ticket_count(desk.session) == before
    assert desk.storage.files == {}


def test_submit_text_at_limits_stored_exactly(desk) -> None:
    values = {
        "address": "A" * 300,
        "reporter_name": "Ñ" * 200,
        "reporter_phone": "+" + "6" * 16 + " " * 22 + "1",
        "reporter_email": "e" * 64 + "@" + "d" * 63 + "." + "x" * 63 + "." + "example",
    }

    ticket = desk.submit(**values)

    desk.session.flush()
    desk.session.refresh(ticket)
    assert ticket.address == values["address"]
    assert ticket.reporter_name == values["reporter_name"]
    assert ticket.reporter_email == values["reporter_email"]


def test_submit_blank_optional_texts_stored_as_absent(desk) -> None:
    ticket = desk.submit(address=" \u200b ", reporter_name="\u3164", reporter_email="  ")

    assert (ticket.address, ticket.reporter_name, ticket.reporter_email) == (None, None, None)


# --- priority is staff's judgement -----------------------------------------------------------


def test_submit_citizen_with_priority_forbidden_nothing_written(desk) -> None:
    before = ticket_count(desk.session)

    with pytest.raises(Forbidden, match="only staff set a report's priority"):
        desk.submit(priority="urgent")

    assert ticket_count(desk.session) == before


def _submit_as(desk, actor: Actor, **report: Any) -> Ticket:
    values: dict[str, Any] = {
        "category": "traffic_jam",
        "description": "Macet",
        "lat": -6.1754,
        "lon": 106.8272,
    }
    values.update(report)
    return submit(
        desk.session,
        Report(**values),
        actor=actor,
        now=desk.tick(),
        settings=desk.settings,
        storage=desk.storage,
    ).ticket


@pytest.mark.parametrize("typed", ["urgent", "URGENT", " Urgent "])
def test_submit_staff_on_behalf_sets_priority(desk, typed: str) -> None:
    ticket = _submit_as(desk, Actor.of_staff(desk.staff["staff"]), priority=typed, source="walk-in")

    assert ticket.priority == "urgent"


def test_submit_staff_unknown_priority_rule_violated(desk) -> None:
    with pytest.raises(RuleViolated, match="unknown priority 'critical'; use one of low, normal"):
        _submit_as(desk, Actor.of_staff(desk.staff["staff"]), priority="critical")


def test_submit_citizen_without_priority_gets_category_default(desk) -> None:
    assert desk.submit(category="flood").priority == "urgent"  # flood defaults to urgent
    assert desk.submit().priority == "normal"


# --- notes -----------------------------------------------------------------------------------


def test_note_over_limit_refused_nothing_written(desk) -> None:
    ticket = desk.submit()

    with pytest.raises(RuleViolated, match="note has 4001 characters; the limit is 4000"):
        desk.act(ticket, "reject", note="x" * 4001)

    assert ticket.state == "submitted"
    assert len(list_events(desk.session, ticket)) == 1


def test_note_control_character_refused(desk) -> None:
    ticket = desk.submit()

    with pytest.raises(RuleViolated, match=re.escape("note contains control character U+0007")):
        desk.act(ticket, "reject", note="spam\a")


def test_note_invisible_only_is_no_reason(desk) -> None:
    ticket = desk.submit()

    with pytest.raises(RuleViolated, match="reject needs a reason"):
        desk.act(ticket, "reject", note="\u200b\u3000")


# --- staff -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "name", "message"),
    [
        ("not-an-email", "Budi", "staff_email is not an e-mail address"),
        ("budi@dishub.example", "   ", "staff_name is empty"),
        ("budi@dishub.example", "\u200b", "staff_name is empty"),
        ("budi@dishub.example", "B" * 201, "staff_name has 201 characters; the limit is 200"),
        ("budi@dishub.example", "Budi\x1b[31m", "staff_name contains control character U+001B"),
        ("", "Budi", "staff_email is empty"),
    ],
)
def test_add_staff_bad_email_or_name_refused_nothing_written(
    desk, email: str, name: str, message: str
) -> None:
    before = desk.session.scalar(select(func.count()).select_from(Staff))

    with pytest.raises(RuleViolated, match=re.escape(message)):
        add_staff(desk.session, email=email, name=name, role=Role.STAFF, agency="DBM", now=desk.now)

    assert desk.session.scalar(select(func.count()).select_from(Staff)) == before


@pytest.mark.parametrize("agency", ["dbm", "DBM", " Dbm "])
@pytest.mark.parametrize("role", ["staff", "STAFF", "Staff"])
def test_add_staff_codes_any_spelling_accepted(desk, agency: str, role: str) -> None:
    member = add_staff(
        desk.session,
        email=" Budi@DBM.Example ",
        name=" Budi ",
        role=role,
        agency=agency,
        now=desk.now,
    )

    assert (member.email, member.name, member.role, member.agency.code) == (
        "budi@dbm.example",
        "Budi",
        "staff",
        "DBM",
    )


def test_add_staff_unknown_agency_lists_valid_codes(desk) -> None:
    with pytest.raises(CatalogueEntryNotFound) as raised:
        add_staff(
            desk.session, email="b@x.example", name="B", role="staff", agency="DBX", now=desk.now
        )

    assert "unknown agency 'DBX'" in raised.value.message
    assert "DBM" in raised.value.message


def test_parse_role_unknown_lists_staff_roles() -> None:
    assert parse_role("Supervisor") is Role.SUPERVISOR
    with pytest.raises(RuleViolated, match="use one of admin, staff, supervisor"):
        parse_role("citizen")


# --- codes in any spelling -------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["BROKEN_STREET_LIGHT", "broken-street-light", "Broken Street Light", "broken_street_light"],
)
def test_submit_category_any_spelling_found(desk, typed: str) -> None:
    assert desk.submit(category=typed).category.code == "broken_street_light"


def test_submit_unknown_category_lists_valid_codes(desk) -> None:
    with pytest.raises(UnknownCategory) as raised:
        desk.submit(category="unicorns")

    message = raised.value.message
    assert message.startswith("unknown report category 'unicorns'; valid: ")
    assert "traffic_jam" in message and "broken_street_light" in message


@pytest.mark.parametrize("typed", ["mark-duplicate", "MARK_DUPLICATE", "Mark Duplicate"])
def test_parse_trigger_any_spelling(typed: str) -> None:
    assert parse_trigger(typed) is Trigger.MARK_DUPLICATE


@pytest.mark.parametrize("typed", ["dbm", "Dbm", "KEL_GAMBIR", "kel-gambir"])
def test_transfer_agency_any_spelling(desk, typed: str) -> None:
    ticket = desk.ticket_in("assigned")

    desk.act(ticket, "transfer", agency=typed, note="bukan wewenang kami")

    assert ticket.agency.code == typed.upper().replace("_", "-")


def test_code_key_ignores_case_dash_underscore_space() -> None:
    assert code_key(" Broken-Street  light ") == code_key("broken_street_light")


@pytest.mark.parametrize("typed", ["ON-HOLD", "On Hold", " on_hold ", "ON_HOLD", "on - hold"])
def test_parse_code_reads_a_vocabulary_value_as_codes_are_read(typed: str) -> None:
    assert parse_code("state", typed, list(State)) is State.ON_HOLD


def test_parse_code_refuses_an_unknown_value_listing_every_value_in_order() -> None:
    with pytest.raises(RuleViolated) as refused:
        parse_code("priority", "very\x1b high", list(Priority))
    assert refused.value.message == (
        "unknown priority 'very? high'; use one of low, normal, high, urgent"
    )
    assert refused.value.code == "unknown_reference"
    assert refused.value.params == {"field": "priority"}


# --- the catalogue's texts -------------------------------------------------------------------


def _catalogue_with(old: str, new: str) -> str:
    text = CATALOGUE.read_text()
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("name: Dinas Bina Marga", 'name: "Dinas \\e[31mBina"', "control character U+001B"),
        ("name: Dinas Bina Marga", 'name: "\\u200b"', "agencies[0].name: name is empty"),
        ("name: Dinas Bina Marga", "name: " + "D" * 201, "the limit is 200"),
        ("code: DBM", "code: " + "D" * 41, "at most 40 characters"),
        ("code: DBM", "code: dishub", "agencies[3].code: duplicate code 'DISHUB'"),
        ("head_email: ", "head_email: not-an-email #", "e-mail is not an e-mail address"),
    ],
)
def test_catalogue_text_rules_apply(old: str, new: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=re.escape(message)):
        parse_catalogue(_catalogue_with(old, new), source="jakarta.yaml")


def test_escalation_subject_from_longest_catalogue_names_fits_its_column(desk) -> None:
    # Category and area names may each hold 200 characters; the subject column holds 300.
    from sqlalchemy import select as select_

    from engine.catalogue import load_catalogue
    from engine.escalation import sweep_batch
    from engine.models import Notification

    text = _catalogue_with("name_id: Penerangan jalan umum (PJU) mati", "name_id: " + "P" * 200)
    text = text.replace("name: Kelurahan Gambir", "name: " + "G" * 200, 1)
    long_ago = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
    load_catalogue(desk.session, text, now=long_ago)
    desk.now = long_ago
    ticket = desk.submit(category="broken_street_light")

    sweep_batch(desk.session, now=long_ago + timedelta(days=60))
    desk.session.flush()  # PostgreSQL refuses a subject over 300 characters here

    subjects = desk.session.scalars(
        select_(Notification.subject).where(Notification.ticket_id == ticket.id)
    ).all()
    assert subjects and max(len(s) for s in subjects) == LIMITS["notification_subject"]
    assert all(s.startswith(f"[Tanggap] {ticket.code} ") and s.endswith("…") for s in subjects)


@pytest.mark.parametrize("typed", ["JKT-\x00AAA-BBBB", "dbm\x00", "x\udcffy", "\x00"])
def test_lookups_of_unstorable_text_not_found_never_a_database_error(desk, typed: str) -> None:
    # PostgreSQL refuses a NUL even in a WHERE clause, and both databases a lone surrogate.
    from engine.catalogue.lookup import find_agency, find_category
    from engine.errors import StaffNotFound, TicketNotFound
    from engine.staff import find_staff, get_staff
    from engine.tickets import get_ticket

    assert find_staff(desk.session, typed) is None
    assert find_agency(desk.session, typed) is None and find_category(desk.session, typed) is None
    with pytest.raises(TicketNotFound):
        get_ticket(desk.session, typed)
    with pytest.raises(StaffNotFound):
        get_staff(desk.session, typed)


def test_a_replacement_character_is_refused_as_broken_encoding() -> None:
    """A form-encoded body in another encoding was stored with U+FFFD in place of words."""
    with pytest.raises(RuleViolated) as caught:
        clean_text("Macet\ufffd\ufffdx", field="description", limit=100)
    assert caught.value.code == "broken_text"
    assert (
        caught.value.message == "description is not valid text (broken encoding at 6" + BROKEN_MARK
    )


def test_submit_withdrawn_category_says_it_was_withdrawn(desk) -> None:
    """A tester's report: after a reload retired a category, a report of it (from an app's
    cached list, a bookmarked form) was refused as "unknown report category"."""
    from engine.models import Category

    retired = desk.session.scalars(select(Category).where(Category.code == "pollution")).one()
    retired.active = False
    desk.session.flush()
    with pytest.raises(UnknownCategory) as raised:
        desk.submit(category="Pollution")
    message = raised.value.message
    assert message.startswith(
        "report category 'Pollution' was withdrawn from the catalogue; valid: "
    )
    assert "traffic_jam" in message and "pollution" not in message.split("valid: ")[1]
    with pytest.raises(UnknownCategory, match=r"^unknown report category 'unicorns'"):
        desk.submit(category="unicorns")
