"""How a report reached the city (its channel), and which doors each kind of filer may name.

A channel is stored on the ticket (``tickets.source``) and read by staff ("Reported … ·
walk-in"). Every door checks it here, before anything is written (``check_channel``): the
JSON API, the web form, Open311, the command line. Staff filing for a caller name how the
caller came (walk-in, phone, e-mail, WhatsApp, or just "recorded by staff"); a citizen, or an
app filing for one (an Open311 client), names their own door (app, web, Open311, e-mail,
WhatsApp), never a counter they did not stand at.
"""

from __future__ import annotations

from enum import StrEnum

from engine.actors import Actor
from engine.errors import RuleViolated
from engine.lifecycle import STAFF_ROLES, Role
from engine.text import code_key


class Channel(StrEnum):
    """How a report reached the city."""

    APP = "app"
    WEB = "web"
    OPEN311 = "open311"
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    WALK_IN = "walk-in"
    PHONE = "phone"
    STAFF_ON_BEHALF = "staff-on-behalf"


#: The channels of a staff filing for a caller (``POST /api/v1/tickets``, ``ticket submit
#: --as``), in the order a refusal names them: the app, the web form and Open311 are the
#: citizen's own doors, and a report recorded on them reads as theirs.
_STAFF_ORDER = (
    Channel.WALK_IN,
    Channel.PHONE,
    Channel.STAFF_ON_BEHALF,
    Channel.EMAIL,
    Channel.WHATSAPP,
)
STAFF_CHANNELS = frozenset(_STAFF_ORDER)

#: The channels of a citizen's own report (or an app's filing for one): walk-in, phone and
#: "recorded by staff" are counters staff sit at.
_CITIZEN_ORDER = (Channel.APP, Channel.WEB, Channel.OPEN311, Channel.EMAIL, Channel.WHATSAPP)
CITIZEN_CHANNELS = frozenset(_CITIZEN_ORDER)


def _listed(channels: tuple[Channel, ...]) -> str:
    """``channels`` in a sentence: "walk-in, phone, … or whatsapp"."""
    names = [c.value for c in channels]
    return ", ".join(names[:-1]) + " or " + names[-1]


def default_channel(actor: Actor) -> Channel:
    """The channel of a filing that does not say how it came: staff's is "staff-on-behalf"
    (recorded by staff: the caller's way in unknown), an Open311 client's "open311", a
    citizen's "app"."""
    if actor.role in STAFF_ROLES:
        return Channel.STAFF_ON_BEHALF
    return Channel.OPEN311 if actor.role is Role.CLIENT else Channel.APP


#: Each channel by its ``code_key``: a channel is read as every other code of the engine's
#: vocabularies is (states, priorities, roles …), so ``walk in``, ``Walk-In`` and ``WALK_IN``
#: are one.
_BY_KEY = {code_key(channel.value): channel for channel in Channel}


def check_channel(given: str | None, actor: Actor) -> Channel:
    """The channel ``given`` names (compared as ``engine.text.code_key`` compares every code:
    case, ``-``, ``_`` and spaces do not matter), if ``actor`` may
    file on it: staff (``STAFF_ROLES``) on ``STAFF_CHANNELS``, anyone else (a citizen, an
    Open311 client) on ``CITIZEN_CHANNELS``. ``None`` or blank (not said, as an empty form
    field says it): ``default_channel``.

    Raises ``RuleViolated`` (``params.field`` "channel"): an unknown channel (key
    ``unknown_reference``, the valid ones named), or one that is not the filer's door (key
    ``staff_channel`` or ``citizen_channel``).
    """
    if given is None or (given.isprintable() and not given.strip()):
        return default_channel(actor)
    channel = _BY_KEY.get(code_key(given)) if given.isprintable() else None
    if channel is None:
        raise RuleViolated(
            f"unknown channel {given.strip()[:40]!r}: {_listed(tuple(Channel))}",
            key="unknown_reference",
            params={"field": "channel"},
        )
    if actor.role in STAFF_ROLES:
        doors, key = STAFF_CHANNELS, "staff_channel"
        words = f"staff file for a caller: channel {_listed(_STAFF_ORDER)}; {channel.value} is "
        words += "the citizen's own door"
    else:
        doors, key = CITIZEN_CHANNELS, "citizen_channel"
        words = f"a citizen's report comes by {_listed(_CITIZEN_ORDER)}; {channel.value} is "
        words += "a door of the city's staff"
    if channel not in doors:
        raise RuleViolated(words, key=key, params={"field": "channel", "channel": channel.value})
    return channel
