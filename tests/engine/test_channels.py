"""A report's channel (how it reached the city) is one word of one vocabulary, checked on
every door against who files it, before anything is written (``engine.channels``)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine.actors import Actor
from engine.channels import CITIZEN_CHANNELS, STAFF_CHANNELS, Channel, check_channel
from engine.errors import RuleViolated
from engine.lifecycle import Role
from engine.models import Ticket
from engine.submission import Report, submit
from tests.engine.conftest import MONAS

STAFF_ONLY = sorted(set(Channel) - CITIZEN_CHANNELS)
CITIZEN_ONLY = sorted(set(Channel) - STAFF_CHANNELS)


def _count(session: Any) -> int:
    return session.scalar(select(func.count()).select_from(Ticket)) or 0


def _file(desk: Any, actor: Actor, source: str | None) -> Ticket:
    report = Report(
        category="traffic_jam", description="Macet", lat=MONAS[0], lon=MONAS[1], source=source
    )
    return submit(
        desk.session, report, actor=actor, now=desk.tick(), settings=desk.settings,
        storage=desk.storage,
    ).ticket  # fmt: skip


def _actors(desk: Any) -> dict[str, Actor]:
    return {
        "citizen": Actor.citizen(),
        "client": Actor(Role.CLIENT, "a city app"),
        "staff": Actor.of_staff(desk.staff["staff"]),
        "supervisor": Actor.of_staff(desk.staff["supervisor"]),
        "admin": Actor.of_staff(desk.staff["admin"]),
    }


def test_the_doors_are_the_vocabulary_and_email_and_whatsapp_are_both_s() -> None:
    assert set(Channel) == STAFF_CHANNELS | CITIZEN_CHANNELS
    assert {Channel.EMAIL, Channel.WHATSAPP} == STAFF_CHANNELS & CITIZEN_CHANNELS
    assert STAFF_ONLY == [Channel.PHONE, Channel.STAFF_ON_BEHALF, Channel.WALK_IN]


@pytest.mark.parametrize("who", ["citizen", "client", "staff", "supervisor", "admin"])
@pytest.mark.parametrize("channel", list(Channel))
def test_each_filer_files_on_its_own_doors_and_is_refused_elsewhere_writing_nothing(
    desk: Any, who: str, channel: Channel
) -> None:
    actor = _actors(desk)[who]
    staff = who in ("staff", "supervisor", "admin")
    allowed = STAFF_CHANNELS if staff else CITIZEN_CHANNELS
    before = _count(desk.session)
    if channel in allowed:
        assert _file(desk, actor, channel.value).source == channel.value
        assert _count(desk.session) == before + 1
        return
    with pytest.raises(RuleViolated) as refused:
        _file(desk, actor, channel.value)
    assert refused.value.params == {"field": "channel", "channel": channel.value}
    if staff:
        assert refused.value.code == "staff_channel"
        assert str(refused.value) == (
            "staff file for a caller: channel walk-in, phone, staff-on-behalf, email or "
            f"whatsapp; {channel.value} is the citizen's own door"
        )
    else:
        assert refused.value.code == "citizen_channel"
        assert str(refused.value) == (
            "a citizen's report comes by app, web, open311, email or whatsapp; "
            f"{channel.value} is a door of the city's staff"
        )
    assert _count(desk.session) == before


@pytest.mark.parametrize(
    ("who", "stored"),
    [("citizen", "app"), ("client", "open311"), ("staff", "staff-on-behalf")],
)
@pytest.mark.parametrize("said", [None, "", "   "])
def test_a_channel_not_said_is_the_filer_s_own_default(
    desk: Any, who: str, stored: str, said: str | None
) -> None:
    """Not given, or an empty form field (as Open311 reads one: absent)."""
    assert _file(desk, _actors(desk)[who], said).source == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (" Walk-In ", "walk-in"),
        ("PHONE", "phone"),
        ("walk in", "walk-in"),
        ("WALK_IN", "walk-in"),
        ("walk - in", "walk-in"),
        ("Staff On Behalf", "staff-on-behalf"),
        ("staff_on_behalf", "staff-on-behalf"),
    ],
)
def test_a_channel_is_read_as_every_code_is_any_case_spaces_and_underscores_alike(
    desk: Any, typed: str, stored: str
) -> None:
    """As ``engine.text.code_key`` reads a state or a priority (``On Hold`` is on_hold)."""
    assert _file(desk, _actors(desk)["staff"], typed).source == stored


@pytest.mark.parametrize(
    "typed", ["cli", "staff", "citizen", "walkin", "walk\x00in", "ph\x00one", "\t", "x" * 300]
)
def test_an_unknown_channel_is_refused_naming_the_valid_ones_writing_nothing(
    desk: Any, typed: str
) -> None:
    before = _count(desk.session)
    with pytest.raises(RuleViolated) as refused:
        _file(desk, _actors(desk)["staff"], typed)
    assert refused.value.code == "unknown_reference"
    assert refused.value.params == {"field": "channel"}
    message = str(refused.value)
    assert message.endswith(
        ": app, web, open311, email, whatsapp, walk-in, phone or staff-on-behalf"
    )
    assert "\x00" not in message and len(message) < 200
    assert _count(desk.session) == before


def test_check_channel_alone_needs_no_database() -> None:
    assert check_channel("open311", Actor(Role.CLIENT, "app")) is Channel.OPEN311
    with pytest.raises(RuleViolated):
        check_channel("open311", Actor(Role.STAFF, "staff", staff_id=1))
