"""The notification outbox: e-mails decided inside a transaction, sent later by a flow.

Rows, not calls: the sweep that records an escalation writes its e-mails in the same
transaction, so an escalation is never recorded without its mail nor mailed without its record.
The delivery flow (``workflows``) picks up ``pending`` rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypedDict
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session, object_session

from engine import environment, letters, mail_dates, status_mail, visibility
from engine import timers as timer_rows
from engine.channels import Channel
from engine.delivery import WITHHELD_NOT_SENT, DeliveryPolicy, alert_operator
from engine.letters import Letter
from engine.lifecycle import (
    FINAL_STATES,
    NEW_CYCLE,
    OPEN_STATES,
    STAFF_ROLES,
    Role,
    State,
    Trigger,
    appeal_open_until,
)
from engine.models import (
    Escalation,
    MailedTogether,
    Notification,
    NotificationKind,
    NotificationStatus,
    SlaTimer,
    Subscription,
    Ticket,
    TicketEvent,
    UndeliverableAddress,
)
from engine.models.subscription import new_link_token, told_clause
from engine.policies import PolicyBook, load_policy_book
from engine.recipients import CHAIN, Addressee, Directory
from engine.settings import Settings
from sla import Level, Policy, Recipient, RecipientKind, TimerKind, as_words

#: What each timer measures, in Indonesian and English (one entry per ``TimerKind``).
TIMER_WORDS: dict[TimerKind, tuple[str, str]] = {
    TimerKind.VERIFY: ("verifikasi", "verification"),
    TimerKind.ASSIGN: ("disposisi", "assignment"),
    TimerKind.START: ("mulai penanganan", "start of work"),
    TimerKind.RESOLVE: ("penyelesaian", "resolution"),
    TimerKind.ACCEPT: ("penerimaan koordinasi", "acceptance of the transfer"),
}

RECIPIENT_WORDS = {
    "assigned_officer": "petugas / officer",
    "agency_queue": "antrean instansi / agency queue",
    "agency_head": "kepala instansi / agency head",
    "governor_office": "Balai Kota, tim CROP / governor's office",
}


def _who_kind(kind: str) -> str:
    """Words for an outbox row's ``recipient_kind`` ("agency_head", "area_office:kecamatan")."""
    base, _, area_level = kind.partition(":")
    if base == "area_office" and area_level:
        return f"kantor {area_level} / {area_level} office"
    return RECIPIENT_WORDS.get(base, base)


#: A lower level that was mailed: (its name, its percent, the recipient kinds it reached).
ToldBefore = tuple[str, int, Sequence[str]]


def late_words(delta: timedelta) -> str:
    """How late, in Indonesian / English: ``1 jam 05 menit / 1 h 05 min`` under a day,
    ``3 hari 4 jam / 3 d 4 h`` from a day on (calendar time, whole minutes down); under a
    minute ``kurang dari 1 menit / under 1 min``, never ``0 jam 00 menit``."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "kurang dari 1 menit / under 1 min"
    hours, minute = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} jam {minute:02d} menit / {hours} h {minute:02d} min"
    days, hour = divmod(hours, 24)
    return f"{days} hari {hour} jam / {days} d {hour} h"


def in_language(url: str, lang: str | None) -> str:
    """``url`` asking its page for ``lang`` (``?lang=en``, before any fragment; one already
    there is replaced), or ``url`` itself for ``lang`` None. A mail's links open their pages
    in the mail's language: a page takes ``?lang=`` before the language cookie a browser kept
    from another visit (api/web/pages.py ``page_language``), so an English mail never opens
    an Indonesian page, nor an Indonesian mail an English one."""
    if lang is None:
        return url
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "lang"]
    query.append(("lang", letters.language(lang)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def ticket_link(code: str, base_url: str | None = None, *, lang: str | None = None) -> str:
    """The public tracking page of ``code``; in ``lang``, when a mail in ``lang`` links to it."""
    base = base_url if base_url is not None else environment.settings().public_base_url
    return in_language(f"{base.rstrip('/')}/t/{code}", lang)


def private_link(code: str, token: str, base_url: str, *, lang: str | None = None) -> str:
    """The reporter's own link to their report: its page with the reporter token in the
    fragment (browsers never send a fragment to a server); the page's script reads it."""
    page = ticket_link(quote(code, safe=""), base_url, lang=lang)
    return f"{page}#token={quote(token, safe='')}"


def links_base(row: Notification, settings: Settings) -> str:
    """The base URL ``row``'s links were rendered with: the one it was queued with
    (``links_base_url``), else, for a row queued before that was kept, the one its unsubscribe
    link names, else ``settings``' own. Waiting mail re-worded by any process (a command run in
    another directory, where no serve's address is known) keeps links that work
    (``engine.rewording``)."""
    if row.links_base_url:
        return row.links_base_url
    if row.unsubscribe_url and "/unsubscribe/" in row.unsubscribe_url:
        return row.unsubscribe_url.rpartition("/unsubscribe/")[0]
    return settings.public_base_url


def with_links_base(settings: Settings, base_url: str) -> Settings:
    """``settings`` whose ``public_base_url`` is ``base_url`` (itself when it already is)."""
    if settings.public_base_url == base_url:
        return settings
    return settings.model_copy(update={"public_base_url": base_url})


def staff_link(code: str, base_url: str, *, lang: str | None = None) -> str:
    """The staff ticket page (timeline, internal notes, photos, actions); it asks for a sign-in
    with a staff key first and then comes back to the ticket. In ``lang`` when the mail is in
    one language (a digest); a bilingual mail leaves the page to the reader's own choice."""
    return in_language(f"{base_url.rstrip('/')}/staff/tickets/{code}", lang)


@dataclass(frozen=True)
class Overdue:
    """One clock's level told in an escalation mail, with what its lower levels told."""

    timer: SlaTimer
    level: Level
    policy: Policy
    told_before: Sequence[ToldBefore] = ()


def joined(words: Sequence[str], conjunction: str) -> str:
    """``a``, ``a dan b``, ``a, b dan c`` (``conjunction`` is "dan" or "and")."""
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def escalation_message(
    ticket: Ticket, clocks: Sequence[Overdue], *, now: datetime, base_url: str | None = None
) -> Letter:
    """Subject, text and HTML for one level of one or more clocks of ``ticket`` (the same level
    key and percent, reached in one sweep); Indonesian first with English beside it: the staff
    who read these work in Indonesian, and some are not.

    Names the ticket's current agency (the one that must act), every clock that reached the
    level ("mulai penanganan dan penerimaan koordinasi / start of work and acceptance of the
    transfer"), each deadline and how late it is (clocks with the same deadline on one line),
    who was told at the lower levels — from what was actually mailed (``told_before``, read
    from the ledger and the outbox), never from what the ladder says: a warning recorded without
    mail told nobody — and links to the staff ticket page (``staff_link``) at ``base_url``
    (the process's ``public_base_url`` when None; a re-worded mail passes its own).
    ``ValueError`` for no clocks.
    """
    if not clocks:
        raise ValueError("an escalation mail names at least one clock")
    first = clocks[0]
    level = first.level
    ladder = {lv.name: lv for clock in reversed(clocks) for lv in clock.policy.ladder.levels}

    def words(name: str) -> str:
        """A level of this ladder in Indonesian / English (once when both read the same)."""
        known = ladder.get(name)
        both = (known.words("id"), known.words("en")) if known else (as_words(name),) * 2
        return both[0] if both[0] == both[1] else f"{both[0]} / {both[1]}"

    # Clocks due at the same instant read as one line: "Tenggat a dan b / a and b deadline".
    deadlines: dict[datetime, list[Overdue]] = {}
    for clock in clocks:
        deadlines.setdefault(clock.timer.deadline, []).append(clock)
    lines = []
    for due, same in deadlines.items():
        named = [TIMER_WORDS[TimerKind(c.timer.kind)] for c in same]
        late = now - due
        lines.append(
            {
                "timer_id": joined([n[0] for n in named], "dan"),
                "timer_en": joined([n[1] for n in named], "and"),
                "deadline": mail_dates.staff_moment(due, first.policy.calendar.zone),
                "overdue": late_words(late) if late > timedelta(0) else None,
            }
        )
    told: dict[tuple[str, int], list[str]] = {}
    for clock in clocks:
        for name, percent, kinds in clock.told_before:
            if percent < level.percent and kinds:
                told.setdefault((words(name), percent), []).extend(map(_who_kind, kinds))
    before = [
        {"level": name, "percent": percent, "who": ", ".join(dict.fromkeys(who))}
        for (name, percent), who in sorted(told.items(), key=lambda entry: entry[0][1])
    ]
    every = [TIMER_WORDS[TimerKind(c.timer.kind)] for c in clocks]
    return letters.render(
        "escalation",
        code=ticket.code,
        state_words="MELEWATI BATAS" if level.percent >= 100 else "MENDEKATI BATAS",
        timer_id=joined([n[0] for n in every], "dan"),
        timer_en=joined([n[1] for n in every], "and"),
        several=len(clocks) > 1,
        percent=level.percent,
        level=words(level.name),
        **letters.ticket_facts(ticket),
        deadlines=lines,
        before=before,
        description=ticket.description[:500],
        # Staff act on the staff page (timeline, internal notes, actions); the public page
        # /t/{code} offers them nothing to do.
        link=staff_link(ticket.code, base_url or environment.settings().public_base_url),
    )


def notification_rows(
    *,
    ticket: Ticket,
    escalation: Escalation,
    addressees: list[Addressee],
    subject: str,
    body: str,
    now: datetime,
    html: str | None = None,
    links_base_url: str | None = None,
) -> list[dict[str, Any]]:
    """Outbox rows for one escalation, one per addressee; one standing in for an undeliverable
    address says so at the top of its text and HTML, and in its ``note`` for operators.
    ``links_base_url``: the base URL its links were rendered with (the process's when None)."""
    return [
        pending_row(
            kind=NotificationKind.ESCALATION,
            ticket_id=ticket.id,
            recipient=addressee.email,
            recipient_kind=addressee.kind,
            subject=subject,
            now=now,
            escalation_id=escalation.id,
            links_base_url=links_base_url or environment.settings().public_base_url,
            **staff_bodies(addressee, body, html),
        )
        for addressee in addressees
    ]


class StaffBodies(TypedDict):
    """An outbox row's texts of a staff mail (``staff_bodies``)."""

    body: str
    html_body: str | None
    note: str | None


def staff_bodies(addressee: Addressee, body: str, html: str | None) -> StaffBodies:
    """The outbox row's ``body``, ``html_body`` and ``note`` of a staff mail to ``addressee``:
    a stand-in's copy opens by saying whose mail it was (``letters.forwarded``)."""
    if addressee.instead_of is None:
        return {"body": body, "html_body": html, "note": None}
    text, forwarded_html = letters.forwarded(body, html, dead=addressee.instead_of.email)
    return {"body": text, "html_body": forwarded_html, "note": addressee.note()}


def pending_row(
    *,
    kind: NotificationKind,
    ticket_id: int | None,
    recipient: str,
    recipient_kind: str,
    subject: str,
    now: datetime,
    language: str = "id",
    **fields: Any,
) -> dict[str, Any]:
    """An outbox row waiting for its first try, as ``enqueue`` writes it: the shape every
    queued mail shares. ``fields`` are the rest of its columns (``body``, ``html_body``,
    ``note``, ``dedupe_key``, ``escalation_id``, ``unsubscribe_url``, and, for mail about a
    ticket, ``links_base_url``: the base URL its links were rendered with, which a re-wording
    keeps)."""
    return {
        "ticket_id": ticket_id,
        "recipient": recipient,
        "recipient_kind": recipient_kind,
        "kind": kind.value,
        "language": language,
        "subject": subject,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        **fields,
    }


def enqueue(session: Session, rows: list[dict[str, Any]]) -> int:
    """Write outbox rows in one statement; their ids are not needed back (cheaper on
    PostgreSQL, where fetching ids for thousands of rows was half of a sweep's time)."""
    if rows:
        session.execute(insert(Notification), rows)
    return len(rows)


def _dispute_until(ticket: Ticket, settings: Settings, now: datetime) -> datetime | None:
    """The instant the reporter's window to dispute the resolution ends, while the ticket is
    resolved or closed and the window (counted from the resolution, to the minute) is open."""
    if ticket.state not in (State.RESOLVED, State.CLOSED) or ticket.resolved_at is None:
        return None
    end: datetime = ticket.resolved_at + settings.dispute_window
    if now >= end:  # the close-resolved flow closes at this instant: nothing left to offer
        return None
    return end


def _appeal_until(ticket: Ticket, settings: Settings, now: datetime) -> datetime | None:
    """The instant the reporter's window to appeal the rejection ends, while the ticket is
    rejected and the window (counted from the rejection, as ``actions._reinstate`` counts it)
    is open."""
    session = object_session(ticket)
    if ticket.state != State.REJECTED or session is None:
        return None
    # tickets imports this module (a transition queues its mail): read the rejection late.
    from engine.tickets import rejected_at

    rejected = rejected_at(session, ticket)
    return appeal_open_until(rejected, settings.dispute_window, now) if rejected else None


class Told(NamedTuple):
    """The state a status mail names (and the trigger its label follows), and whether the
    ticket still stands on it: no later change of state undid it (a close keeps the
    resolution it closes, and its dispute window; a reopen or an appeal undoes the verdict)."""

    state: str
    trigger: str | None
    standing: bool = True


def told_now(ticket: Ticket) -> Told:
    """What a mail about the ticket's latest change names: its state now."""
    return Told(ticket.state, ticket.last_trigger)


def _offers(
    ticket: Ticket, told: Told, settings: Settings, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """The reporter's windows a status mail naming ``told`` offers, as (dispute, appeal): a
    dispute only in the mail of a resolved or closed report, an appeal only in a rejected
    one's, each while the ticket still stands on that verdict and the window is open. A mail
    of an earlier state (verified, assigned, on hold…) re-worded after the resolution offers
    nothing: what it tells of was not a resolution."""
    if not told.standing:
        return None, None
    if told.state in (State.RESOLVED, State.CLOSED):
        return _dispute_until(ticket, settings, now), None
    if told.state == State.REJECTED:
        return None, _appeal_until(ticket, settings, now)
    return None, None


def unsubscribe_link(subscription: Subscription, base_url: str, *, lang: str) -> str:
    """The page that stops mail to ``subscription``'s address about its ticket, in ``lang``
    (the mail's); a POST to it unsubscribes at once (RFC 8058 one-click, from the
    ``List-Unsubscribe`` header)."""
    if subscription.unsubscribe_token is None:  # written by hand in SQL without one
        subscription.unsubscribe_token = new_link_token()
    return stop_link(subscription.unsubscribe_token, base_url, lang=lang)


def stop_link(token: str, base_url: str, *, lang: str) -> str:
    """The unsubscribe page of the subscription whose unsubscribe token is ``token``."""
    return in_language(f"{base_url.rstrip('/')}/unsubscribe/{token}", lang)


def _readers(session: Session, ticket: Ticket, now: datetime) -> dict[str, Subscription]:
    """The addresses told about a public change: the active, confirmed subscriptions, keyed by
    address. A pending one (``following.pending``) waits for its owner's consent: nothing but
    its confirmation mail goes to it.

    The reporter's address is one of them. Every door writes the reporter's subscription at
    submission (``submission.submit_checked``); a report filed before revision 0011 by staff,
    Open311 or the command line has none, and gets it here, so every mail has an unsubscribe
    link and an unsubscribed reporter stays unsubscribed.
    """
    rows = {
        row.email.lower(): row
        for row in session.scalars(
            select(Subscription)
            .where(Subscription.ticket_id == ticket.id)
            .order_by(Subscription.id)
        )
    }
    own = (ticket.reporter_email or "").lower()
    if own and own not in rows:
        rows[own] = Subscription(
            ticket_id=ticket.id,
            email=own,
            language=letters.language(ticket.reporter_language),
            active=True,
            created_at=now,
            confirmed_at=now,  # the reporter's own address, as at submission
            unsubscribe_token=new_link_token(),
        )
        session.add(rows[own])
    # The reporter first, then the others in the order they subscribed.
    ordered = sorted(rows.items(), key=lambda item: (item[0] != own, item[1].id or 0))
    return {address: row for address, row in ordered if row.active and row.confirmed_at is not None}


class Carried(NamedTuple):
    """The report a status mail's reader followed (or made) before it was found to be the same
    problem as the one the mail is about (``following.carry_followers``)."""

    code: str
    #: Whether the reader made it: their address is its reporter's.
    made: bool
    #: The name its reporter gave, when the reader made it (``None`` otherwise, or none given).
    name: str | None = None


@dataclass(frozen=True)
class _Reader:
    """Who a status mail is for, as its words need it."""

    lang: str
    reporter: bool
    unsubscribe: str
    #: The end of the dispute window in words (the reporter's mail of a resolved report).
    dispute_until: str | None
    #: The end of the window to appeal in words (the reporter's mail of a rejection).
    appeal_until: str | None = None
    #: Whether the reader now gets the updates of the report this one duplicates.
    follows_original: bool = False
    #: The report whose follower the reader was when it was found to be the same problem as
    #: this one (``following.carry_followers``); None when they follow this report itself.
    carried_from: Carried | None = None

    def name(self, ticket: Ticket) -> str | None:
        """The name the mail greets its reader by: the one they gave with their own report,
        this one's (its reporter) or the one they made that was marked its duplicate (carried
        here with it). Whether the report was private changes nothing: a private report hides
        its reporter from staff, and the mail goes to the reporter alone, as their own
        report's mail does. Any other reader gave no name, and one given by someone else is
        never shown to them."""
        if self.reporter:
            return ticket.reporter_name
        if self.carried_from is not None and self.carried_from.made:
            return self.carried_from.name
        return None


def _reader(
    lang: str,
    *,
    reporter: bool,
    unsubscribe: str,
    until: datetime | None,
    appeal: datetime | None,
    zone: ZoneInfo,
    follows_original: bool = False,
    carried_from: Carried | None = None,
) -> _Reader:
    """A status mail's reader; the reporter's windows (``until`` to dispute, ``appeal`` to
    appeal) in words, with the time too: a window ends at the resolution's time of day, not at
    midnight."""
    return _Reader(
        lang=lang,
        reporter=reporter,
        unsubscribe=unsubscribe,
        dispute_until=mail_dates.long_moment(until, lang, zone) if until and reporter else None,
        appeal_until=mail_dates.long_moment(appeal, lang, zone) if appeal and reporter else None,
        follows_original=follows_original,
        carried_from=None if reporter else carried_from,
    )


def _carried_from(session: Session, row: Subscription | None) -> Carried | None:
    """The report ``row``'s address followed before it was found to be the same problem as
    this one: its code, whether the address made it, and then the name its reporter gave;
    None for an address that follows this report itself (or a row made before revision
    0021)."""
    if row is None or row.carried_from_id is None:
        return None
    duplicate = session.get(Ticket, row.carried_from_id)
    if duplicate is None:
        return None
    made = (duplicate.reporter_email or "").lower() == row.email.lower()
    return Carried(duplicate.code, made, duplicate.reporter_name if made else None)


def _row_of(session: Session, ticket: Ticket, row: Notification) -> Subscription | None:
    """The subscription of the address a queued status mail ``row`` is for."""
    return session.scalars(
        select(Subscription).where(
            Subscription.ticket_id == ticket.id,
            func.lower(Subscription.email) == row.recipient.lower(),
        )
    ).first()


def reader_language(ticket: Ticket, row: Subscription) -> str:
    """The language of the status mail to ``row``'s address about ``ticket``: the reporter's
    own address reads the language they reported in, any other the one it asked in."""
    own = row.email.lower() == (ticket.reporter_email or "").lower()
    return letters.language(ticket.reporter_language if own else row.language)


def _told_of_standing(session: Session, ticket: Ticket) -> frozenset[str]:
    """The addresses the report ``ticket`` duplicates tells of its changes (active, confirmed,
    lower case): the readers whose mail may say they now get that report's updates
    (``following.carry_followers`` made most of them so). Empty when there is none."""
    standing = ticket.duplicate_of
    if standing is None:
        return frozenset()
    return frozenset(
        email.lower()
        for email in session.scalars(
            select(Subscription.email).where(Subscription.ticket_id == standing.id, told_clause())
        )
    )


def _standing_code(ticket: Ticket, told: Told) -> str | None:
    """The code of the report ``ticket`` was marked a duplicate of, for its readers to follow
    that one instead, in the mail that names it a duplicate (``told``; not in one of an
    earlier state re-worded since); ``None`` when there is none or the public may not see it
    (its code would tell them it exists)."""
    standing = ticket.duplicate_of
    if told.state != State.DUPLICATE:
        return None
    return standing.code if standing is not None and visibility.published(standing) else None


def _reporter_secret(ticket: Ticket) -> str:
    """Where the reporter of ``ticket`` has the secret that opens its page as theirs, by the
    door it came through (``engine.receipts``): ``app``, an Open311 app's (a client key, or the
    ``open311`` channel: ``reporter_token`` went to the app, its user never saw a link);
    ``receipt``, the private link mailed when staff filed it for them; else ``kept``, the link
    the answer gave them (the web form's receipt page, the citizen API's)."""
    session = object_session(ticket)
    role = (
        session.scalar(
            select(TicketEvent.actor_role).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.trigger == Trigger.SUBMIT.value
            )
        )
        if session is not None
        else None
    )
    if role is not None and Role(role) in STAFF_ROLES:
        return "receipt"
    if role == Role.CLIENT.value or ticket.source == Channel.OPEN311:
        return "app"
    return "kept"


def _status_words(
    ticket: Ticket,
    event: TicketEvent,
    told: Sequence[TicketEvent],
    reader: _Reader,
    original: str | None,
    settings: Settings,
    state: Told,
) -> dict[str, Any]:
    """Subject, text, HTML (and language, unsubscribe link) of ``reader``'s status mail about
    ``ticket`` as it is now, telling of the events ``told`` (several: each listed with its time,
    state and public note, so none is lost; ``event`` alone: its note, as one change reads),
    naming ``state`` (the ticket's own now, or the one an earlier mail's events left:
    ``status_words_now``)."""
    lang = reader.lang
    named, trigger = state.state, state.trigger
    zone = ZoneInfo(settings.timezone)
    letter = letters.render(
        "citizen_update",
        lang,
        code=ticket.code,
        name=reader.name(ticket),
        category=ticket.category.name_en if lang == "en" else ticket.category.name_id,
        status=letters.state_label(named, lang, last_trigger=trigger),
        note=visibility.public_note(event),
        changes=status_mail.changes(told, lang, zone) if len(told) > 1 else [],
        dispute_until=reader.dispute_until,
        appeal_until=reader.appeal_until,
        dispute_days=settings.dispute_window_days,
        original=original,
        # "which is being handled" only while it is (rejected or resolved since: not said).
        original_open=ticket.duplicate_of is not None
        and State(ticket.duplicate_of.state) in OPEN_STATES,
        original_link=(
            ticket_link(original, settings.public_base_url, lang=lang) if original else None
        ),
        follows_original=reader.follows_original,
        carried_from=reader.carried_from.code if reader.carried_from else None,
        made_carried=bool(reader.carried_from and reader.carried_from.made),
        reporter=reader.reporter,
        secret=_reporter_secret(ticket) if reader.reporter else None,
        not_public=not visibility.published(ticket),
        link=ticket_link(ticket.code, settings.public_base_url, lang=lang),
        unsubscribe_link=reader.unsubscribe,
    )
    return {
        "subject": letter.subject,
        "language": lang,
        "body": letter.body,
        "html_body": letter.html,
        "unsubscribe_url": reader.unsubscribe,
    }


def on_public_transition(
    session: Session,
    ticket: Ticket,
    event: TicketEvent,
    now: datetime,
    *,
    settings: Settings | None = None,
) -> int:
    """Queue a status mail to the reporter (if they left an e-mail) and each subscriber, in the
    language each asked in, for a public change a mail can carry (``visibility.in_status_mail``:
    a change of state, or staff's public note); returns how many mails were queued or rewritten.

    A mail waits ``TANGGAP_CITIZEN_MAIL_HOLD_MINUTES`` (a resolution and a report's last word
    do not: ``status_mail.AT_ONCE``); a reader's mail still waiting, untried, is rewritten to
    tell of this change too, instead of a second mail (``engine.status_mail``).

    Called by ``tickets.write_transition`` in the transition's transaction: the mail exists
    exactly when the change does.
    """
    if not visibility.in_status_mail(event):
        return 0
    own = (ticket.reporter_email or "").lower()
    readers = {
        address: row
        for address, row in _readers(session, ticket, now).items()
        if visibility.tells(ticket, row)
    }
    if not readers:
        return 0
    dead = set(
        session.scalars(
            select(UndeliverableAddress.email).where(UndeliverableAddress.email.in_(readers))
        )
    )
    settings = settings or environment.settings()
    state = told_now(ticket)
    until, appeal = _offers(ticket, state, settings, now)
    zone = ZoneInfo(settings.timezone)
    due = status_mail.due_at(event, settings, now)
    # Hold 0 sends each change on its own, as before mail was held: nothing waits to be joined.
    held = status_mail.waiting(session, ticket, readers) if settings.citizen_mail_hold else {}
    since = min((row.first_seq for row in held.values()), default=event.seq)
    news = status_mail.mailed_events(session, ticket, since, event.seq) if held else []
    original = _standing_code(ticket, state)
    told_of_standing = _told_of_standing(session, ticket) if original else frozenset()
    rows = []
    rewritten = 0
    for address, subscription in readers.items():
        if address in dead:
            continue
        reporter = address == own
        lang = reader_language(ticket, subscription)
        waiting = held.get(address)
        # A waiting mail this change joins keeps the links it was queued with, whatever this
        # process's own base URL is (a command run elsewhere, on the default).
        linked = (
            with_links_base(settings, waiting.links_base_url)
            if waiting is not None and waiting.links_base_url
            else settings
        )
        reader = _reader(
            lang,
            reporter=reporter,
            unsubscribe=unsubscribe_link(subscription, linked.public_base_url, lang=lang),
            until=until,
            appeal=appeal,
            zone=zone,
            follows_original=address in told_of_standing,
            carried_from=_carried_from(session, subscription),
        )
        if waiting is not None:
            told = [e for e in news if e.seq >= waiting.first_seq]
            changed = {
                **_status_words(ticket, event, told, reader, original, linked, state),
                "dedupe_key": status_mail.dedupe_key(ticket, waiting.first_seq, event.seq, address),
                "next_attempt_at": min(waiting.next_attempt_at, due),  # never later than it was
            }
            if status_mail.rewrite(session, waiting, changed):
                rewritten += 1
                continue
            # Claimed by the delivery flow meanwhile: that mail tells of everything before
            # this change, so a new one tells of this change alone.
            reader = replace(
                reader,
                unsubscribe=unsubscribe_link(subscription, settings.public_base_url, lang=lang),
            )
        rows.append(
            pending_row(
                kind=NotificationKind.CITIZEN_UPDATE,
                ticket_id=ticket.id,
                recipient=address,
                recipient_kind="reporter" if reporter else "subscriber",
                now=now,
                dedupe_key=status_mail.dedupe_key(ticket, event.seq, event.seq, address),
                next_attempt_at=due,
                links_base_url=settings.public_base_url,
                **_status_words(ticket, event, [event], reader, original, settings, state),
            )
        )
    return enqueue(session, rows) + rewritten


#: The reporter's actions whose words must reach the people working on the ticket (a rating
#: only when it has new words: ``_rating_words_new``).
_FOLLOW_UPS = frozenset(
    {
        Trigger.COMMENT.value,
        Trigger.REOPEN.value,
        Trigger.REINSTATE.value,
        Trigger.RATE.value,
    }
)
#: Whoever works on a ticket: its officer, else its agency's queue (follow-ups, hand-overs).
OFFICER = Recipient(RecipientKind.ASSIGNED_OFFICER)
QUEUE = Recipient(RecipientKind.AGENCY_QUEUE)


def _rating_given(event: TicketEvent) -> int | None:
    if event.trigger != Trigger.RATE.value:
        return None
    given = ((event.data or {}).get("rating") or {}).get("to")
    return int(given) if isinstance(given, int) else None


def _rating_words_new(session: Session, ticket: Ticket, event: TicketEvent) -> bool:
    """Whether a rating's words are worth a mail: it has words, and they are not the words of
    the reporter's last rating of the same fix that had any. A rating may be changed at will; a
    changed score with the same words tells the agency nothing the ticket page does not (and
    mailing each change would let one token fill the agency's mailbox), while new words are a
    new message from the citizen. A rating of the fix after a reopen (``NEW_CYCLE``) is of
    another fix, by whoever made it: its words are new to them whatever the last fix's said."""
    if not event.note:
        return False
    cycle_began = (
        select(func.coalesce(func.max(TicketEvent.seq), 0))
        .where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.trigger.in_([t.value for t in NEW_CYCLE]),
            TicketEvent.seq < event.seq,
        )
        .scalar_subquery()
    )
    before = session.scalar(
        select(TicketEvent.note)
        .where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.trigger == Trigger.RATE.value,
            TicketEvent.actor_role == Role.CITIZEN.value,
            TicketEvent.seq < event.seq,
            TicketEvent.seq > cycle_began,
            TicketEvent.note.is_not(None),
        )
        .order_by(TicketEvent.seq.desc())
        .limit(1)
    )
    return before != event.note


def follow_up_key(ticket: Ticket, event: TicketEvent) -> str:
    """The outbox ``dedupe_key`` of the mail forwarding ``event``: one mail per event."""
    return f"follow-up:{ticket.id}:{event.seq}"


def follow_up_seq(key: str) -> int:
    """The event seq a ``follow_up_key`` names (``follow-up:12:7`` → 7; a stand-in's copy,
    ``follow-up:12:7>queue@…``, names the same event)."""
    return int(key.partition(">")[0].rsplit(":", 1)[1])


#: The mails to staff that name their addressee by the ticket's own facts (its agency, officer,
#: area, category): re-read whenever the ticket changes (``readdress_pending``).
_STAFF_KINDS = (
    NotificationKind.ESCALATION.value,
    NotificationKind.HANDOVER.value,
    NotificationKind.CITIZEN_FOLLOW_UP.value,
)
_CHAIN = dict(CHAIN)


def area_office_kind(kind: str) -> bool:
    """Whether ``kind`` (an outbox row's or an addressee's ``recipient_kind``) is an area
    office: named by where the ticket is, not by who works on it."""
    chain = _CHAIN.get(kind)
    return chain is not None and chain.kind is RecipientKind.AREA_OFFICE


#: Why a held status mail to an address that said "me too" was not sent.
NOT_PUBLIC_NOW = "not sent: the report is no longer public, and this address only said 'me too'"
#: ... and to an address carried from a report marked its duplicate.
NOT_PUBLIC_CARRIED = (
    "not sent: the report is no longer public, and this address followed another report "
    "found to be the same problem"
)
#: A subscription its report's reporter did not choose (``visibility.told_of_changes``): a
#: "me too", and an address carried from a report marked its duplicate; why each is withheld.
_NOT_CHOSEN = (
    (Subscription.supported_at.is_not(None), NOT_PUBLIC_NOW),
    (
        and_(Subscription.supported_at.is_(None), Subscription.carried_from_id.is_not(None)),
        NOT_PUBLIC_CARRIED,
    ),
)


def _supporters(ticket: Ticket, which: ColumnElement[bool] | None = None) -> Select[str]:
    """The addresses on ``ticket`` its reporter did not choose (not the reporter's own): each
    of ``_NOT_CHOSEN``, or those ``which`` says."""
    own = (ticket.reporter_email or "").lower()
    chosen_by_others = or_(*(clause for clause, _ in _NOT_CHOSEN)) if which is None else which
    return select(Subscription.email).where(
        Subscription.ticket_id == ticket.id,
        chosen_by_others,
        Subscription.email != own,
    )


def still_sendable() -> ColumnElement[bool]:
    """An outbox row that may still go: waiting, or failed or dead for a delivery reason an
    operator's retry would send it again for (``engine.retries``); not one Tanggap already
    decided not to send ("not sent: …")."""
    return or_(
        Notification.status == NotificationStatus.PENDING,
        and_(
            Notification.status.in_([NotificationStatus.FAILED, NotificationStatus.DEAD]),
            or_(
                Notification.last_error.is_(None),
                Notification.last_error.not_like("not sent:%"),
            ),
        ),
    )


def _withhold_from_supporters(session: Session, ticket: Ticket) -> int:
    """Mark not sent every status mail about ``ticket`` that may still go (``still_sendable``:
    held, waiting for its next try, or failed or dead so that a retry would send it) to an
    address its reporter did not choose: one that only said "me too", or one carried from a
    report marked its duplicate (each with its own reason, ``_NOT_CHOSEN``)."""
    return sum(
        status_mail.mark_not_sent(
            session,
            (
                Notification.ticket_id == ticket.id,
                Notification.kind == NotificationKind.CITIZEN_UPDATE,
                still_sendable(),
                Notification.recipient.in_(_supporters(ticket, which)),
            ),
            reason,
        )
        for which, reason in _NOT_CHOSEN
    )


def _release_to_supporters(session: Session, ticket: Ticket, now: datetime) -> int:
    """The report is public again (republished, its category public again): each "me too"
    or carried address still following it gets back the newest status mail withheld from it
    while it was not (``NOT_PUBLIC_NOW``, ``NOT_PUBLIC_CARRIED``), worded as the ticket is now
    by ``rewording``: one mail telling where the report stands, not every change they missed.
    Returns how many went back."""
    following = _supporters(ticket).where(told_clause())
    rows = session.scalars(
        select(Notification)
        .where(
            Notification.ticket_id == ticket.id,
            Notification.kind == NotificationKind.CITIZEN_UPDATE,
            Notification.status == NotificationStatus.FAILED,
            Notification.last_error.in_([reason for _, reason in _NOT_CHOSEN]),
            # As ``_withhold_from_supporters`` marked them.
            Notification.recipient.in_(following),
        )
        .order_by(Notification.id)
    ).all()
    newest = {row.recipient.lower(): row for row in rows}
    for row in newest.values():
        _send_again(row, now)
    return len(newest)


def still_addressed(session: Session, row: Notification) -> bool:
    """Whether the ticket as it is now still names ``row``'s addressee: a staff mail
    (escalation, hand-over, forwarded follow-up) to the role the ticket names, or a status mail
    to an address its reporter did not choose ("me too", carried from a duplicate) while the
    report is public. Other rows: True."""
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id is not None else None
    if ticket is None:
        return True
    address = row.recipient.lower()
    if row.kind == NotificationKind.CITIZEN_UPDATE:
        subscription = session.scalars(
            select(Subscription).where(
                Subscription.ticket_id == ticket.id, func.lower(Subscription.email) == address
            )
        ).first()
        if subscription is None:
            return visibility.told_of_changes(ticket, address, said_me_too=False)
        return visibility.tells(ticket, subscription)
    if row.kind not in _STAFF_KINDS:
        return True
    if not _still_names(_named_now(Directory(session), ticket, row), row):
        return False
    # An escalation's level may no longer notify that role (a ladder edited since).
    return _level_left_out(session, load_policy_book(session), ticket, row) is None


def _still_names(named: list[str] | None, row: Notification) -> bool:
    """Whether ``named`` (``_named_now``) still holds ``row``'s addressee; a kind the rule does
    not know (``None``) counts as named: its mail is left as it is."""
    return named is None or row.recipient.lower() in {email.lower() for email in named}


def levels_told(session: Session, row: Notification) -> list[int]:
    """The ledger rows (escalation ids) escalation mail ``row`` told of: the one it carries
    and the other clocks' it named too (``MailedTogether``); empty for other mail."""
    if row.escalation_id is None:
        return []
    return [
        row.escalation_id,
        *session.scalars(
            select(MailedTogether.escalation_id).where(
                MailedTogether.carrier_id == row.escalation_id,
                MailedTogether.recipient == row.recipient,
            )
        ),
    ]


def _send_again(row: Notification, now: datetime) -> None:
    """A row Tanggap had decided not to send ("not sent: …") goes out after all: pending now,
    as if new."""
    row.status = NotificationStatus.PENDING.value
    row.last_error = None
    row.attempts = 0
    row.next_attempt_at = now


def _asked_kind(row: Notification) -> str:
    """The role the ladder asked for with staff mail ``row``: its ``recipient_kind``, or, for a
    stand-in's copy, the kind of the undeliverable addressee it stands in for (``Addressee.note``:
    "instead of <address> (<kind>), undeliverable …")."""
    if stand_in_for(row.note) is not None:
        kind = (row.note or "").partition(" (")[2].partition(")")[0]
        if kind in _CHAIN:
            return kind
    return row.recipient_kind


def _level_left_out(
    session: Session, book: PolicyBook, ticket: Ticket, row: Notification
) -> str | None:
    """For escalation mail ``row``: the name of the level it tells of whose ladder, as the
    catalogue has it now, no longer notifies the role the mail went to (``_asked_kind``: a
    reload changed a level's ``notify``); ``None`` while a level it tells of still notifies that
    role, and for other mail.

    Only a level that fell due while its clock ran under the policy it has now (since its last
    re-basing) is read: the ladder that decided it is that policy's ladder as the catalogue has
    it now. One reached before a change of policy, target or calendar was decided under what the
    clock had then, and its mail goes to whom that ladder named (``engine.clocks``, "A ladder
    edit, precisely"), as does that of a level the ladder no longer has (renamed without a
    ``key:``, removed)."""
    told = levels_told(session, row)
    wanted = _CHAIN.get(_asked_kind(row))
    if not told or wanted is None:
        return None
    names: list[str] = []
    for escalation, timer in session.execute(
        select(Escalation, SlaTimer)
        .join(SlaTimer, SlaTimer.id == Escalation.timer_id)
        .where(Escalation.id.in_(told))
        .order_by(Escalation.id)
    ):
        policy = timer_rows.policy_for(book, ticket, timer)
        levels = policy.ladder.levels if policy is not None else ()
        level = next((lv for lv in levels if lv.key == escalation.level), None)
        if level is None or escalation.due_at < timer.origin_at or wanted in level.notify:
            return None
        names.append(level.name)
    return names[0] if names else None


def _named_now(directory: Directory, ticket: Ticket, row: Notification) -> list[str] | None:
    """The addresses ``ticket`` names now for the role a staff mail ``row`` went to (its
    ``recipient_kind``: the officer, the agency's queue, the kecamatan office…); ``None`` for a
    kind this rule does not know, which is left as it is."""
    recipient = _CHAIN.get(row.recipient_kind)
    if recipient is None:
        return None
    return [a.email for a in directory.resolve(ticket, (recipient,))]


def withdrawn() -> ColumnElement[bool]:
    """An outbox row Tanggap took back (``failed`` or ``dead``, "not sent: …"): it told nobody.
    Every other row told its addressee, or still may (sent, on its way, waiting, or failed for
    a delivery reason a retry would send it again for)."""
    return and_(
        Notification.status.in_([NotificationStatus.FAILED, NotificationStatus.DEAD]),
        Notification.last_error.is_not(None),
        Notification.last_error.like("not sent:%"),
    )


def taken_back(
    session: Session, ticket: Ticket, escalation_ids: Sequence[int]
) -> dict[tuple[int, str], Notification]:
    """The escalation mail of ``escalation_ids`` a change took back (``withdrawn``), by ledger
    row and lower-cased address: a level told anew to the same address (a catalogue edit undone,
    a category no longer withheld from area offices, a ladder that names a stand-in's addressee
    itself now) gets that row back (``send_anew``): a second row could not be written beside it
    (one mail per ledger row and address)."""
    if not escalation_ids:
        return {}
    rows = session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id,
            Notification.escalation_id.in_(list(escalation_ids)),
            withdrawn(),
        )
    )
    return {(row.escalation_id or 0, row.recipient.lower()): row for row in rows}


def send_anew(row: Notification, values: dict[str, Any]) -> None:
    """A row Tanggap had taken back goes out after all, as ``values`` (an outbox row as
    ``notification_rows`` writes it: its addressee's role, words and note now) say: pending now,
    as if new."""
    for name in ("recipient_kind", "subject", "body", "html_body", "note", "links_base_url"):
        if name in values:
            setattr(row, name, values[name])
    row.created_at = values["created_at"]
    _send_again(row, values["next_attempt_at"])


def told_elsewhere(session: Session, ticket: Ticket) -> list[int]:
    """The ledger rows (escalation ids) whose mail went to an area office the ticket no longer
    names for that role — sent or on its way, past what ``readdress_pending`` withdraws — with
    the other clocks each such mail told of (``MailedTogether``). After a location correction
    the office now responsible has not heard of a breach its predecessor was told of;
    ``ledger.readdress`` tells it (``tell_anew``: only a level of the clock's current cycle
    that is still reached, and nobody twice). Area offices only: an officer or agency that takes a
    ticket over is told by the hand-over, which names the deadline."""
    rows = list(
        session.scalars(
            select(Notification).where(
                Notification.ticket_id == ticket.id,
                Notification.kind == NotificationKind.ESCALATION,
                # Gone, or past recalling (claimed: it may have gone).
                Notification.status.in_(
                    [
                        NotificationStatus.SENT,
                        NotificationStatus.SENDING,
                        NotificationStatus.UNCERTAIN,
                    ]
                ),
                Notification.escalation_id.is_not(None),
            )
        )
    )
    offices = [row for row in rows if area_office_kind(row.recipient_kind)]
    if not offices:
        return []
    directory = Directory(session)
    ids: list[int] = []
    for row in offices:
        if not _still_names(_named_now(directory, ticket, row), row):
            ids += levels_told(session, row)
    return ids


@dataclass(frozen=True)
class Readdressed:
    """What ``readdress_pending`` did: how many waiting mails it withdrew, and the ledger rows
    (escalation ids) whose mail it withdrew, including the other clocks a withdrawn mail told
    of (``MailedTogether``): ``ledger.tell_anew`` tells them to whom the ticket names now; and
    every ledger row a withdrawn mail told of, also of a warning no longer worth sending
    (``_outdated``): ``ledger.recount_mailed`` says whether any mail of it still went."""

    withdrawn: int = 0
    escalation_ids: tuple[int, ...] = ()
    taken_back: tuple[int, ...] = ()


#: The states in which a waiting hand-over ("the ticket is yours now") is not sent: the work
#: is done (resolved) or over (closed, rejected, a duplicate). A reopened ticket hands itself
#: over anew.
_HANDED_BACK = frozenset({State.RESOLVED}) | FINAL_STATES


def _only_warnings_met(session: Session, row: Notification) -> str | None:
    """Why escalation mail ``row`` tells of nothing left to act on, in words, when it tells only
    of warnings (levels under 100 %) of clocks that stopped by their deadline: the work each
    measured was done in time, or the clock was ended before it (a transfer, a rejection:
    ``engine.clocks``, "Met, missed or ended"); None otherwise. A clock stopped after its
    deadline missed it: its warning still goes, as a breach does (the deadline was missed,
    whatever came after)."""
    from engine.queries.figures import ended_not_by_the_work  # it imports the clocks: here

    told = levels_told(session, row)
    if not told:
        return None
    levels = session.execute(
        select(
            Escalation.percent,
            SlaTimer.kind,
            SlaTimer.stopped_at,
            SlaTimer.deadline,
            SlaTimer.breached,
        )
        .join(SlaTimer, SlaTimer.id == Escalation.timer_id)
        .where(Escalation.id.in_(told))
    ).all()
    if not levels or not all(
        percent < 100 and stopped is not None and not breached and stopped <= deadline
        for percent, _, stopped, deadline, breached in levels
    ):
        return None
    stopping = {
        at: trigger
        for at, trigger in session.execute(
            select(TicketEvent.created_at, TicketEvent.trigger).where(
                TicketEvent.ticket_id == row.ticket_id,
                TicketEvent.created_at.in_({stopped for _, _, stopped, _, _ in levels}),
            )
        )
    }
    by = [(kind, stopping.get(stopped) if stopped else None) for _, kind, stopped, _, _ in levels]
    ended = [
        trigger or "policy change" for kind, trigger in by if ended_not_by_the_work(kind, trigger)
    ]
    if ended:
        return f"its clock was ended before its deadline ({', '.join(dict.fromkeys(ended))})"
    return "the work was done before its deadline"


def _outdated(session: Session, ticket: Ticket, row: Notification) -> str | None:
    """Why staff mail ``row`` tells of nothing left to act on, in words, or None: a hand-over
    ("it is yours now") of work already done or ended (``_HANDED_BACK``), a warning ("the
    deadline is near") of a clock stopped by its deadline (``_only_warnings_met``)."""
    if row.kind == NotificationKind.HANDOVER.value and ticket.state in _HANDED_BACK:
        return f"the ticket is {ticket.state}"
    if row.kind == NotificationKind.ESCALATION.value:
        return _only_warnings_met(session, row)
    return None


def readdress_pending(
    session: Session, ticket: Ticket, now: datetime, *, cause: str | None = None
) -> Readdressed:
    """Re-read who the ticket's queued staff mails are for, after a change to it; returns how
    many were withdrawn and the escalations whose mail was.

    A hand-over still ``pending`` once the ticket is resolved or in a final state is not sent
    (``_HANDED_BACK``), nor a warning whose clock stopped by its deadline
    (``_only_warnings_met``; one stopped after it missed it, and goes). An escalation,
    hand-over or forwarded follow-up still ``pending`` whose addressee the ticket as it is now
    no longer names (transferred to another agency, another officer, moved to another area,
    re-categorised as withheld from area offices), or whose level a reload made notify other
    roles (``_level_left_out``), is not sent: ``failed`` with why, for operators. A citizen's
    follow-up must still reach someone: it is forwarded again, to whoever works on the ticket
    now; an escalation level whose clock still runs is told anew by the caller
    (``ledger.tell_anew``: a location correction moves its kecamatan office's mail to the
    office now responsible). Called by ``tickets.write_transition``
    in the change's transaction (DESIGN: a change re-evaluates its recipients at once); a row
    the delivery flow already claimed is past recalling.

    The same for citizens: once the public may not see the report (re-categorised as pungli,
    taken off the public record), a status mail still to go to an address that said "me too"
    is not sent, as no new one would be (``on_public_transition``). ``cause`` words the change
    for operators (default: "after a change to <code>").
    """
    cause = cause or f"after a change to {ticket.code}"
    if visibility.published(ticket):
        withheld = 0
        _release_to_supporters(session, ticket, now)
    else:
        withheld = _withhold_from_supporters(session, ticket)
    rows = list(
        session.scalars(
            select(Notification)
            .where(
                Notification.ticket_id == ticket.id,
                still_sendable(),
                Notification.kind.in_(_STAFF_KINDS),
            )
            .order_by(Notification.id)
        )
    )
    if not rows:
        return Readdressed(withheld)
    directory = Directory(session)
    book: PolicyBook | None = None
    withdrawn, again, escalations, taken = 0, [], [], []
    for row in rows:
        outdated = _outdated(session, ticket, row)
        if outdated is not None:
            row.status = "failed"
            row.last_error = f"not sent: {cause}, {outdated}"[:500]
            withdrawn += 1
            taken += levels_told(session, row)
            continue
        named = _named_now(directory, ticket, row)
        left_out = None
        if named is None or _still_names(named, row):
            book = book or load_policy_book(session)
            left_out = _level_left_out(session, book, ticket, row)
            if left_out is None:
                continue
        row.status = "failed"
        area_office = area_office_kind(row.recipient_kind)
        # For operators (``outbox list``), in English as the CLI is.
        if left_out is not None:
            who = _who_kind(_asked_kind(row)).rpartition(" / ")[2]
            row.last_error = (
                f"not sent: {cause}, the {left_out} level no longer notifies the {who}"[:500]
            )
        elif area_office and ticket.category_id in directory.withheld:
            row.last_error = WITHHELD_NOT_SENT
        else:
            who = _who_kind(row.recipient_kind).rpartition(" / ")[2]
            row.last_error = (
                f"not sent: {cause}, its {who} is {', '.join(named or []) or 'nobody'}"
            )[:500]
        withdrawn += 1
        escalations += levels_told(session, row)
        taken += levels_told(session, row)
        if row.kind == NotificationKind.CITIZEN_FOLLOW_UP.value and row.dedupe_key:
            again.append((row, row.dedupe_key))
            row.dedupe_key = None  # the event's key passes to the mail that replaces it
    session.flush()
    for row, key in again:
        seq = follow_up_seq(key)
        event = session.scalar(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.seq == seq)
        )
        if event is None:
            continue
        on_citizen_follow_up(session, ticket, event, now)
        # The operator reads where the citizen's words went, not that they went nowhere (also
        # for a stand-in's copy, whose event an earlier row of this pass forwarded already).
        forwarded = session.scalars(
            select(Notification.recipient).where(
                Notification.dedupe_key == follow_up_key(ticket, event),
                Notification.status == NotificationStatus.PENDING,
            )
        ).all()
        if forwarded:
            row.last_error = (f"not sent: {cause}, forwarded to {', '.join(forwarded)}")[:500]
    return Readdressed(
        withdrawn + withheld, tuple(dict.fromkeys(escalations)), tuple(dict.fromkeys(taken))
    )


def on_citizen_follow_up(
    session: Session,
    ticket: Ticket,
    event: TicketEvent,
    now: datetime,
    *,
    settings: Settings | None = None,
) -> int:
    """Forward the reporter's comment (with its photo count), dispute, appeal of a rejection,
    or rating with new words (``_rating_words_new``) to whoever works on the ticket; returns
    how many mails were queued (0 or 1).

    The assigned officer if there is one and they are active, else the queue of the ticket's
    agency (before assignment: the agency it is routed to). A flagged address is skipped up
    the chain as an escalation's is (``Directory.deliverable``); when nobody up the chain can
    be mailed, the operator is told. Staff's own comments mail nobody. Indonesian with English
    beside it, as escalations are (staff work in Indonesian, and some do not read it); the
    reporter's name and contact are never in it (staff see them in the app as
    their role allows). Called by ``tickets.write_transition`` in the event's transaction; the
    row's ``dedupe_key`` (ticket + event seq) makes it one mail per event.
    """
    if event.actor_role != Role.CITIZEN.value or event.trigger not in _FOLLOW_UPS:
        return 0
    if event.trigger == Trigger.RATE.value and not _rating_words_new(session, ticket, event):
        return 0
    key = follow_up_key(ticket, event)
    if session.scalar(select(Notification.id).where(Notification.dedupe_key == key)) is not None:
        return 0
    directory = Directory(session)
    wanted = directory.resolve(ticket, (OFFICER,)) or directory.resolve(ticket, (QUEUE,))
    addressees, lost = directory.deliverable(ticket, wanted)
    settings = settings or environment.settings()
    if lost:
        dead = ", ".join(f"{a.email} ({a.kind})" for a in lost)
        alert_operator(
            session,
            DeliveryPolicy.from_settings(settings),
            subject=f"[Tanggap] {ticket.code}: the reporter's {event.trigger} reached nobody",
            text=(
                f"The reporter's {event.trigger} on {ticket.code} (event {event.seq}) was not "
                f"forwarded to {dead}: undeliverable, and every address above it is "
                "undeliverable too. Correct the addresses in the catalogue."
            ),
            about=None,
            now=now,
            dedupe_key=f"unreachable-{key}"[:120],
        )
    rows = []
    for addressee in addressees:
        letter = follow_up_letter(ticket, event, addressee.kind, settings)
        rows.append(
            pending_row(
                kind=NotificationKind.CITIZEN_FOLLOW_UP,
                ticket_id=ticket.id,
                recipient=addressee.email,
                recipient_kind=addressee.kind,
                subject=letter.subject,
                now=now,
                dedupe_key=key,
                links_base_url=settings.public_base_url,
                **staff_bodies(addressee, letter.body, letter.html),
            )
        )
    return enqueue(session, rows[:1])


def state_then(ticket: Ticket, event: TicketEvent) -> dict[str, str]:
    """The state ``event`` left ``ticket`` in, as staff mail names it beside the state now
    (``then_id``/``then_en``; ``letters.ticket_facts`` gives the state now): the state a
    citizen's comment or rating was written in, the one a dispute reopened the report to, the
    one a hand-over left. A mail worded anew at a later change then says both, never the state
    now as if the event had happened in it."""
    session = object_session(ticket)
    # The label follows the last move of state up to then ("Koordinasi" after a transfer).
    moved = (
        session.scalar(
            select(TicketEvent.trigger)
            .where(
                TicketEvent.ticket_id == event.ticket_id,
                TicketEvent.seq <= event.seq,
                visibility.changes_state_clause(),
            )
            .order_by(TicketEvent.seq.desc())
            .limit(1)
        )
        if session is not None
        else None
    )
    return {
        "then_id": letters.state_label(event.to_state, "id", last_trigger=moved),
        "then_en": letters.state_label(event.to_state, "en", last_trigger=moved),
    }


def follow_up_letter(
    ticket: Ticket, event: TicketEvent, recipient_kind: str, settings: Settings
) -> Letter:
    """The words of the mail forwarding the reporter's ``event`` to ``recipient_kind`` (the
    officer, by name, or the agency's queue), from ``ticket`` as it is now, with the state the
    reporter wrote in beside it when they differ (``state_then``). Used when the mail is
    queued and again when a later change re-words it while it waits (``engine.rewording``)."""
    officer = ticket.officer if recipient_kind == RecipientKind.ASSIGNED_OFFICER else None
    return letters.render(
        "citizen_follow_up",
        code=ticket.code,
        name=officer.name if officer is not None else None,
        disputed=event.trigger == Trigger.REOPEN.value,
        appealed=event.trigger == Trigger.REINSTATE.value,
        rating=_rating_given(event),
        **letters.ticket_facts(ticket),
        **state_then(ticket, event),
        words=event.note or "",
        photos=int((event.data or {}).get("photos", 0)),
        link=staff_link(ticket.code, settings.public_base_url),
    )


def stand_in_for(note: str | None) -> str | None:
    """The undeliverable address a stand-in's copy of a staff mail was forwarded for, read from
    the row's ``note`` (``Addressee.note``: "instead of <address> (<kind>), undeliverable …");
    ``None`` for a mail to the addressee the ladder asked for."""
    prefix = "instead of "
    if not note or not note.startswith(prefix):
        return None
    dead = note[len(prefix) :].partition(" (")[0].strip()
    return dead or None


def reworded_staff_words(row: Notification, letter: Letter) -> dict[str, str | None]:
    """A queued staff mail's ``subject``, ``body`` and ``html_body`` given new words: a
    stand-in's copy keeps saying whose mail it was."""
    dead = stand_in_for(row.note)
    if dead is None:
        return {"subject": letter.subject, "body": letter.body, "html_body": letter.html}
    text, html = letters.forwarded(letter.body, letter.html, dead=dead)
    return {"subject": letter.subject, "body": text, "html_body": html}


def status_words_now(
    ticket: Ticket,
    row: Notification,
    events: Sequence[TicketEvent],
    settings: Settings,
    now: datetime,
) -> dict[str, Any] | None:
    """The words of the waiting status mail ``row`` as the ticket is now (its category, whether
    it is public, the report it duplicates, the reporter's windows), telling of the same events
    its ``dedupe_key`` names (``citizen:{ticket}:{first}-{last}:{who}``) to the same reader;
    ``events``: every event of the ticket, in order. ``None`` for a row whose events cannot be
    read back (written by hand, or before keys).

    The state it names is the state now, unless a later change of state has a mail of its own:
    then the state its last event left (each mail tells of its own news), and it says only what
    is true of that state: no dispute window in a mail about the verification re-worded after
    the resolution, no report to follow instead in one re-worded after a duplicate's
    (``_offers``, ``_standing_code``)."""
    span = status_mail.covered(row.dedupe_key)
    if span is None or row.unsubscribe_url is None:
        return None
    first, last = span
    told = [e for e in events if first <= e.seq <= last and visibility.in_status_mail(e)]
    if not told or told[-1].seq != last:
        return None
    event = told[-1]
    reporter = row.recipient_kind == "reporter"
    lang = letters.language(row.language)
    zone = ZoneInfo(settings.timezone)
    state = told_now(ticket)
    later = [e for e in events if e.seq > last and visibility.changes_state(e)]
    if later:
        # A later change of state has a mail of its own: this one names the state its own
        # events left, its label following the last move up to them (as
        # ``Ticket.last_trigger`` is kept), and offers a window only if no later change undid
        # that state's verdict (``Told``).
        moved = [e for e in events if e.seq <= last and visibility.changes_state(e)]
        if moved:
            state = Told(
                moved[-1].to_state,
                moved[-1].trigger,
                standing=all(e.trigger == Trigger.CLOSE.value for e in later),
            )
    until, appeal = _offers(ticket, state, settings, now)
    original = _standing_code(ticket, state)
    session = object_session(ticket)
    reader = _reader(
        lang,
        reporter=reporter,
        # A row queued before its links named their language gets it now, in its words.
        unsubscribe=in_language(row.unsubscribe_url, lang),
        until=until,
        appeal=appeal,
        zone=zone,
        follows_original=original is not None
        and session is not None
        and row.recipient.lower() in _told_of_standing(session, ticket),
        carried_from=(
            None if session is None else _carried_from(session, _row_of(session, ticket, row))
        ),
    )
    words = _status_words(ticket, event, told, reader, original, settings, state)
    return {key: words[key] for key in ("subject", "body", "html_body")}
