"""Following a report by e-mail with its owner's consent: the confirmation a new address must
give before it is told about changes (double opt-in), and the stop every citizen mail offers.

Anyone can type any address into a "me too", and the reporter can add any address to their
report: without the owner's consent the city would be mailing strangers. So the address gets
one confirmation mail (``ask_to_confirm``) linking to ``/confirm/{token}``; the page asks, and
its POST confirms (``confirm_follow``). Ignoring the mail is saying no: nothing else is sent.
A repeated subscribe of a pending address sends no second mail within ``CONFIRMATION_PAUSE``.

Every mail about the ticket then carries ``/unsubscribe/{token}`` (``mail_stop``, ``stop_mail``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import environment, letters, status_mail, visibility
from engine.errors import NotFound
from engine.letters import Letter
from engine.lifecycle import OPEN_STATES, State
from engine.models import (
    Notification,
    NotificationKind,
    Subscription,
    Ticket,
    UndeliverableAddress,
)
from engine.models.subscription import TOKEN_CHARS, new_link_token, told_clause
from engine.outbox import (
    enqueue,
    in_language,
    pending_row,
    reader_language,
    still_sendable,
    ticket_link,
)
from engine.settings import Settings

#: A pending address is asked at most once in this long, however often it is subscribed again.
CONFIRMATION_PAUSE = timedelta(hours=24)


def confirm_link(token: str, base_url: str, *, lang: str) -> str:
    """The page where an address's owner confirms they want the mail (GET asks, POST confirms:
    mail scanners open links on their own), in ``lang``, the mail's."""
    return in_language(f"{base_url.rstrip('/')}/confirm/{token}", lang)


def pending(row: Subscription) -> bool:
    """Whether ``row`` waits for its owner's confirmation (and gets no status mail)."""
    return row.active and row.confirmed_at is None


def ask_to_confirm(
    session: Session,
    ticket: Ticket,
    row: Subscription,
    *,
    now: datetime,
    settings: Settings | None = None,
) -> int:
    """Queue the confirmation mail for a pending ``row`` of ``ticket``; returns 0 or 1.

    None when the row is not pending, its address is known undeliverable, or a confirmation
    mail was queued for it less than ``CONFIRMATION_PAUSE`` ago. The last is decided by one
    conditional UPDATE: of two concurrent subscribes of one address, the second waits for the
    first's row lock, then finds the mail queued, and queues none.
    """
    if not pending(row):
        return 0
    dead = session.scalar(
        select(UndeliverableAddress.email).where(UndeliverableAddress.email == row.email)
    )
    if dead is not None:
        return 0
    settings = settings or environment.settings()
    if row.confirm_token is None:
        row.confirm_token = new_link_token()
        session.flush()
    letter = confirmation_letter(session, ticket, row, settings)
    if letter is None:
        return 0  # a duplicate: confirming would bring no news (``confirmation_letter``)
    claimed = session.execute(
        update(Subscription)
        .where(
            Subscription.id == row.id,
            Subscription.confirmed_at.is_(None),
            or_(
                Subscription.confirmation_sent_at.is_(None),
                Subscription.confirmation_sent_at <= now - CONFIRMATION_PAUSE,
            ),
        )
        .values(confirmation_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(row, ["confirmation_sent_at"])
    if cast("CursorResult[Any]", claimed).rowcount != 1:
        return 0
    lang = letters.language(row.language)
    return enqueue(
        session,
        [
            pending_row(
                kind=NotificationKind.FOLLOW_CONFIRMATION,
                ticket_id=ticket.id,
                recipient=row.email,
                recipient_kind="subscriber",
                subject=letter.subject,
                now=now,
                language=lang,
                body=letter.body,
                html_body=letter.html,
                dedupe_key=f"confirm:{row.id}:{int(now.timestamp())}",
                links_base_url=settings.public_base_url,
            )
        ],
    )


def confirmation_letter(
    session: Session, ticket: Ticket, row: Subscription, settings: Settings
) -> Letter | None:
    """The words of the confirmation mail for ``row`` of ``ticket``, in its language, naming the
    ticket's category as it is now (queued by ``ask_to_confirm``; re-worded while it waits by
    ``engine.rewording``). ``ValueError`` for a row without a confirmation token.

    Once ``ticket`` is marked a duplicate, it will not change again: confirming makes the
    address a follower of the report that stands (``confirm_follow``). The mail then says so:
    ``ticket`` was found to be the same problem as that report, and confirming gives that
    report's news, with its link. ``None`` when confirming would give no news at all
    (``standing_on_confirming`` names no report): no such mail is sent, and one waiting is
    withdrawn by ``engine.rewording``."""
    if row.confirm_token is None:
        raise ValueError("a confirmation mail needs the subscription's confirmation token")
    lang = letters.language(row.language)

    def category(report: Ticket) -> str:
        return report.category.name_en if lang == "en" else report.category.name_id

    standing = None
    if _standing_of(ticket) is not None:
        standing = standing_on_confirming(session, ticket, row)
        if standing is None:
            return None
    return letters.render(
        "follow_confirmation",
        lang,
        code=ticket.code,
        category=category(ticket),
        confirm_link=confirm_link(row.confirm_token, settings.public_base_url, lang=lang),
        link=ticket_link(ticket.code, settings.public_base_url, lang=lang),
        standing=standing.code if standing is not None else None,
        standing_category=category(standing) if standing is not None else None,
        # "which is being handled" only while it is: it may have been resolved since.
        standing_open=standing is not None and State(standing.state) in OPEN_STATES,
        standing_link=(
            ticket_link(standing.code, settings.public_base_url, lang=lang)
            if standing is not None
            else None
        ),
    )


def standing_on_confirming(session: Session, ticket: Ticket, row: Subscription) -> Ticket | None:
    """The report whose news ``row``'s address would get once it confirms, ``ticket`` having
    been marked its duplicate: the report that stands, as ``carry_followers`` would carry the
    address then. ``None`` while ``ticket`` stands itself, and when the address would get no
    news: the report that stands is one the public may not see, ``ticket`` does not tell the
    address of its changes as it is now (a "me too" on a report taken off the public record),
    or the address has a row of its own there that no longer waits for its confirmation (it
    follows that report already, or its owner stopped that report's mail)."""
    standing = _standing_of(ticket)
    if standing is None or not visibility.published(standing) or not _told_now(ticket, row):
        return None
    own = session.scalars(
        select(Subscription).where(
            Subscription.ticket_id == standing.id,
            func.lower(Subscription.email) == row.email.lower(),
        )
    ).first()
    if own is not None and not pending(own):
        return None
    return standing


def confirmation_subscription(key: str | None) -> int | None:
    """The subscription id a confirmation mail's ``dedupe_key`` names (``confirm:12:…`` → 12)."""
    parts = (key or "").split(":")
    if len(parts) != 3 or parts[0] != "confirm" or not parts[1].isdigit():
        return None
    return int(parts[1])


@dataclass(frozen=True)
class FollowConfirmation:
    """What a confirmation link stands for, as its page shows it: never the address itself
    (a forwarded mail would show it to whoever opens the link)."""

    #: The ticket's public code.
    code: str
    #: Whether the address's owner has confirmed (after the page's POST).
    confirmed: bool
    #: "id" or "en": the language the address was subscribed in (the page's first language).
    language: str
    #: Whether, once confirmed, mail goes to it as the report is now: not while the public may
    #: not see the report and the address only said "me too" (``visibility.told_of_changes``).
    told_now: bool = True
    #: Whether the public may see the report now: its page (``/t/{code}``) opens, and one
    #: may follow it there again.
    published: bool = True
    #: The report the address gets the news of instead: the one that stands, when ``code``
    #: was marked its duplicate (``confirm_follow``); before it confirms, the one it would
    #: (``standing_on_confirming``), as its confirmation mail says. Never one the public may
    #: not see (``follows_hidden``): the mail names none either.
    follows: str | None = None
    #: Whether the report ``follows`` names is being handled (open), as the mail says it only
    #: then: once resolved, closed or rejected, the page says nothing of how it stands.
    follows_open: bool = False
    #: Whether the address follows, instead of ``code``, a report the public may not see now:
    #: the page says so without naming it (nor linking to a page that would not open).
    follows_hidden: bool = False


def _by_link(
    session: Session, token: str, *conditions: ColumnElement[bool], what: str
) -> Subscription:
    """The subscription a mail link's ``token`` names under ``conditions``; ``NotFound`` naming
    ``what`` link it is otherwise. Anything but a token's own characters is no link of ours and
    is not looked up at all."""
    if not token or len(token) > 64 or not set(token) <= TOKEN_CHARS:
        raise NotFound(f"no such {what} link")
    row = session.scalars(select(Subscription).where(*conditions)).first()
    if row is None:
        raise NotFound(f"no such {what} link")
    return row


def _by_confirm_token(session: Session, token: str) -> Subscription:
    return _by_link(
        session,
        token,
        Subscription.confirm_token == token,
        Subscription.active.is_(True),
        what="confirmation",
    )


def _ticket(session: Session, row: Subscription) -> Ticket:
    ticket = session.get(Ticket, row.ticket_id)
    assert ticket is not None  # a subscription's ticket is never deleted
    return ticket


def _told_now(ticket: Ticket, row: Subscription) -> bool:
    return visibility.tells(ticket, row)


def _confirmation(session: Session, row: Subscription) -> FollowConfirmation:
    ticket = _ticket(session, row)
    instead = _follows_instead(session, ticket, row)
    named = instead is not None and visibility.published(instead)
    return FollowConfirmation(
        code=ticket.code,
        confirmed=row.confirmed_at is not None,
        language=row.language,
        told_now=_told_now(ticket, row),
        published=visibility.published(ticket),
        follows=instead.code if instead is not None and named else None,
        # "which is being handled" only while it is, as the duplicate's mails say it
        # (``confirmation_letter``, ``outbox._status_words``).
        follows_open=instead is not None and named and State(instead.state) in OPEN_STATES,
        follows_hidden=instead is not None and not named,
    )


def _standing_of(ticket: Ticket) -> Ticket | None:
    """The report ``ticket`` was marked a duplicate of, while it stands marked so."""
    return ticket.duplicate_of if ticket.state == State.DUPLICATE else None


def _follows_instead(session: Session, ticket: Ticket, row: Subscription) -> Ticket | None:
    """The report ``row``'s address now gets the news of instead of ``ticket``, a duplicate:
    the report that stands, when the address is told of its changes there; for an address
    yet to confirm, the one it would be told of once confirmed."""
    if pending(row):
        return standing_on_confirming(session, ticket, row)
    standing = _standing_of(ticket)
    if standing is None or row.confirmed_at is None:
        return None
    told = session.scalar(
        select(Subscription.id).where(
            Subscription.ticket_id == standing.id,
            func.lower(Subscription.email) == row.email.lower(),
            told_clause(),
        )
    )
    return standing if told is not None else None


def follow_confirmation(session: Session, token: str) -> FollowConfirmation:
    """The pending subscription a confirmation link names; reads only.

    Raises ``NotFound`` for a token that names none (unknown, already used, or its address
    unsubscribed since)."""
    return _confirmation(session, _by_confirm_token(session, token))


def confirm_follow(session: Session, token: str, *, now: datetime) -> FollowConfirmation:
    """Confirm the address a confirmation link names: from now on it is told about changes.
    The link is used up (its token cleared).

    An address confirmed for a report marked a duplicate since it asked follows the report
    that stands, as the duplicate's other followers do (``carry_followers``): the duplicate
    will not change again. The page then names that report (``FollowConfirmation.follows``).

    Raises ``NotFound`` for a token that names no pending subscription."""
    row = _by_confirm_token(session, token)
    row.confirmed_at, row.confirm_token = now, None
    session.flush()
    ticket = _ticket(session, row)
    standing = _standing_of(ticket)
    if standing is not None:
        carry_followers(session, ticket, standing, now=now, only=row.id)
    return _confirmation(session, row)


@dataclass(frozen=True)
class MailStop:
    """What an unsubscribe link stands for, as its page shows it: never the address itself
    (a forwarded mail would show it to whoever opens the link)."""

    #: The ticket's public code.
    code: str
    #: Whether mail about the ticket still goes to the link's address.
    active: bool
    #: "id" or "en": the language the address asked in (the page's first language).
    language: str
    #: Whether mail goes to it as the report is now (``FollowConfirmation.told_now``).
    told_now: bool = True
    #: Whether the public may see the report now (``FollowConfirmation.published``).
    published: bool = True


def _by_unsubscribe_token(session: Session, token: str) -> Subscription:
    return _by_link(session, token, Subscription.unsubscribe_token == token, what="unsubscribe")


def _mail_stop(session: Session, row: Subscription) -> MailStop:
    ticket = _ticket(session, row)
    return MailStop(
        code=ticket.code,
        active=row.active,
        language=row.language,
        told_now=_told_now(ticket, row),
        published=visibility.published(ticket),
    )


def mail_stop(session: Session, token: str) -> MailStop:
    """The subscription an unsubscribe link (``/unsubscribe/{token}``) names; reads only.

    Raises ``NotFound`` for a token that names none."""
    return _mail_stop(session, _by_unsubscribe_token(session, token))


def stop_mail(session: Session, token: str) -> MailStop:
    """Stop mail to an unsubscribe link's address about its ticket (the link of every citizen
    mail, and its RFC 8058 one-click POST). Idempotent: a second call changes nothing. The
    address still counts among the supporters if it said "me too"; subscribing again (with
    the reporter token, or "me too") turns mail back on.

    Raises ``NotFound`` for a token that names no subscription."""
    row = _by_unsubscribe_token(session, token)
    row.active = False
    session.flush()
    status_mail.withdraw(session, row.ticket_id, row.email)
    return _mail_stop(session, row)


def _withdraw_confirmation(session: Session, row: Subscription, duplicate: Ticket) -> None:
    """Not send the confirmation mail still waiting for ``row``, confirmed because the report
    ``duplicate`` its address followed was found to be the same problem. The link of one
    already sent opens a page that says the address is confirmed."""
    status_mail.mark_not_sent(
        session,
        (
            Notification.ticket_id == row.ticket_id,
            Notification.kind == NotificationKind.FOLLOW_CONFIRMATION.value,
            Notification.dedupe_key.like(f"confirm:{row.id}:%"),
            still_sendable(),
        ),
        f"not sent: confirmed when {duplicate.code}, which it followed, was marked a duplicate "
        "of this report",
    )


def carry_followers(
    session: Session,
    duplicate: Ticket,
    standing: Ticket,
    *,
    now: datetime,
    only: int | None = None,
) -> int:
    """Make the followers of ``duplicate`` followers of ``standing``, the report it is being
    marked a duplicate of (DESIGN §2: "subscribers move to the parent"); returns how many
    addresses were added or confirmed. Called by ``mark_duplicate`` before its status mail is
    queued, so that mail can tell each reader they now get the standing report's updates.

    The duplicate's reporter and followers asked to hear about this problem; from now on only
    the standing report's work tells of it. An address is carried when ``duplicate`` tells it
    of changes (active, confirmed, ``visibility.told_of_changes``) and ``standing`` is public
    (``visibility.published``: a report the public may not see is told to its own reporter's
    choices only). An address ``standing`` already has a row for is left as it is, following
    already or unsubscribed by its owner (who said stop to that report), unless that row still
    waits for its confirmation (below). A carried row is confirmed (its owner's consent carries
    over with the problem), in the language the address asked in, with a new unsubscribe link
    of its own; it says no "me too" (``supported_at``): the supporters count is the standing
    report's. An address whose own row there still waits for its confirmation (a "me too" not
    yet confirmed) is confirmed: it asked for this problem's news twice and would otherwise
    get none until it clicks. ``only``: carry that subscription alone (``confirm_follow``: an
    address confirmed after the report it followed was marked a duplicate)."""
    if not visibility.published(standing):
        return 0
    there = {
        row.email.lower(): row
        for row in session.scalars(
            select(Subscription).where(Subscription.ticket_id == standing.id)
        )
    }
    carried = 0
    rows = select(Subscription).where(Subscription.ticket_id == duplicate.id, Subscription.active)
    if only is not None:
        rows = rows.where(Subscription.id == only)
    for row in session.scalars(rows.order_by(Subscription.id)):
        address = row.email.lower()
        if pending(row):
            continue
        if not visibility.tells(duplicate, row):
            continue
        own = there.get(address)
        if own is not None:
            if pending(own):
                # A "me too" on the standing report not yet confirmed: the address already
                # follows this problem, confirmed, through the duplicate: its consent carries
                # over. Its link stays valid: one already mailed opens a page that says so.
                own.confirmed_at = now
                own.carried_from_id = duplicate.id
                _withdraw_confirmation(session, own, duplicate)
                session.flush()
                carried += 1
            continue
        added = Subscription(
            ticket_id=standing.id,
            email=address,
            language=reader_language(duplicate, row),
            active=True,
            created_at=now,
            confirmed_at=now,
            carried_from_id=duplicate.id,
        )
        try:
            with session.begin_nested():  # a "me too" on the standing report may race this
                session.add(added)
                session.flush()
        except IntegrityError:
            continue  # the address got its own row meanwhile: that one stands
        there[address] = added
        carried += 1
    return carried
