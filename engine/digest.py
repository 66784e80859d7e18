"""Daily digest for supervisors: breaches, tickets at risk, and the on-time rates of 7 days.

"Breached" and "at risk" are the dashboard's words for an open ticket, decided by the same
function at the same ``now`` (``engine.queries.oversight.ticket_status``): at risk once a ladder
level below the breach has fallen due, not by a fixed number of hours before the deadline. A
ticket is listed once, under its worst running timer; on-time tickets are not listed.

A supervisor of a field agency sees that agency's tickets; one of an area office (kelurahan,
kecamatan, kota) sees every ticket located in its area but complaints withheld from area offices
(pungli: ``actors.withheld_from``); the governor's office sees all. Each
supervisor gets one digest per day of their own time zone (``Staff.timezone``, else the
service's): the first run at or after ``digest_hour`` there queues it (``dedupe_key`` holds the
local date), so the hourly flow reaches 07:00 WITA at 23:00 UTC and 07:00 WIB at 00:00 UTC, and a
run missed at 07:00 is made up at 08:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine import letters
from engine.keys import staff_viewer
from engine.lifecycle import OPEN_STATES, Role
from engine.mail_dates import long_day, staff_moment
from engine.models import (
    Agency,
    AgencyKind,
    Area,
    Category,
    Notification,
    NotificationKind,
    SlaTimer,
    Staff,
    Ticket,
)
from engine.outbox import TIMER_WORDS, enqueue, joined, pending_row, staff_link
from engine.queries.figures import GroupBy, Rate, figures
from engine.queries.oversight import (
    SlaStatus,
    may_need_attention,
    running_timers,
    ticket_status,
    timer_status,
)
from engine.settings import Settings
from sla.policy import WORK_ORDER

Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])
LIST_LIMIT = 50
_TIMER_WORDS = {kind.value: words for kind, words in TIMER_WORDS.items()}


@dataclass(frozen=True)
class Scope:
    label: str
    agency_id: int | None  # tickets of this agency, or
    area_ids: frozenset[int] | None  # tickets located in these areas, or (both None) all
    #: An area office's: the tickets in ``area_ids`` withheld from it are left out (pungli may
    #: be about that very office; ``actors.withheld_from``), unless it holds them itself.
    area_office_id: int | None = None


def _subtree(session: Session, root: int) -> frozenset[int]:
    children: dict[int | None, list[int]] = {}
    for area_id, parent_id in session.execute(select(Area.id, Area.parent_id)):
        children.setdefault(parent_id, []).append(area_id)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return frozenset(found)


def scope_of(session: Session, staff: Staff) -> Scope | None:
    agency = session.get(Agency, staff.agency_id) if staff.agency_id is not None else None
    if agency is None:
        return None
    if agency.kind == AgencyKind.GOVERNOR_OFFICE:
        return Scope(agency.name, None, None)
    if agency.kind == AgencyKind.AREA_OFFICE:
        return Scope(agency.name, None, _subtree(session, agency.area_id), agency.id)
    return Scope(agency.name, agency.id, None)


def _in_scope(query: Q, scope: Scope) -> Q:
    if scope.agency_id is not None:
        return query.where(Ticket.agency_id == scope.agency_id)
    if scope.area_ids is not None:
        query = query.where(Ticket.area_id.in_(scope.area_ids))
    if scope.area_office_id is not None:
        withheld = select(Category.id).where(Category.withheld_from_area_offices)
        query = query.where(
            Ticket.category_id.not_in(withheld) | (Ticket.agency_id == scope.area_office_id)
        )
    return query


@dataclass(frozen=True)
class _Listed:
    code: str
    category: tuple[str, str]
    agency: str
    timer: SlaTimer
    #: Every running timer's kind in the same status with the same deadline, ``timer``'s first
    #: (after a transfer start and accept run side by side: one line names both).
    kinds: tuple[str, ...] = ()


def _needing_attention(
    session: Session, scope: Scope, *, now: datetime
) -> dict[SlaStatus, list[_Listed]]:
    """Open tickets in ``scope`` that are breached or at risk at ``now``, by status, each under
    the timer that decides its status, earliest deadline first."""
    query = (
        select(Ticket.id, Ticket.code, Category.name_id, Category.name_en, Agency.name)
        .join(Category, Category.id == Ticket.category_id)
        .join(Agency, Agency.id == Ticket.agency_id)
        .where(
            Ticket.state.in_([s.value for s in OPEN_STATES]),
            Ticket.id.in_(select(SlaTimer.ticket_id).where(may_need_attention(now))),
        )
    )
    rows = session.execute(_in_scope(query, scope)).all()
    timers = running_timers(session, [row[0] for row in rows])
    found: dict[SlaStatus, list[_Listed]] = {SlaStatus.BREACHED: [], SlaStatus.AT_RISK: []}
    for ticket_id, code, name_id, name_en, agency in rows:
        running = timers.get(ticket_id, [])
        status, timer = ticket_status(running, now)
        if status in found and timer is not None:
            together = [
                t.kind
                for t in sorted(running, key=lambda t: t.id)
                if t.deadline == timer.deadline and timer_status(t, now) is status
            ]
            kinds = tuple(dict.fromkeys([timer.kind, *together]))
            found[status].append(_Listed(code, (name_id, name_en), agency, timer, kinds))
    for listed in found.values():
        listed.sort(key=lambda item: (item.timer.deadline, item.code))
    return found


def _rows(
    listed: list[_Listed], *, lang: str, zone: ZoneInfo, base_url: str
) -> list[dict[str, str]]:
    rows = []
    for item in listed[:LIST_LIMIT]:
        named = [_TIMER_WORDS.get(kind, (kind, kind)) for kind in item.kinds or (item.timer.kind,)]
        word_id = joined([n[0] for n in named], "dan")
        word_en = joined([n[1] for n in named], "and")
        rows.append(
            {
                "code": item.code,
                "category": item.category[1] if lang == "en" else item.category[0],
                "agency": item.agency,
                "timer": word_en if lang == "en" else word_id,
                "deadline": staff_moment(item.timer.deadline, zone, lang),
                "link": staff_link(item.code, base_url, lang=lang),
            }
        )
    return rows


#: A rate over fewer cases than ``figures_min_count``, as the dashboard says it.
_WITHHELD = {
    "id": "tidak ditampilkan (kurang dari {min} kasus)",
    "en": "withheld (fewer than {min} cases)",
}
ON_TIME_DAYS = 7


def _cases(count: int, lang: str) -> str:
    if lang == "en":
        return f"{count} case" if count == 1 else f"{count} cases"
    return f"{count} kasus"


def _rate_words(rate: Rate, *, min_count: int, lang: str) -> str:
    if rate.value is None:
        withheld = _WITHHELD["en" if lang == "en" else "id"].format(min=min_count)
        return f"{_cases(rate.count, lang)}, {withheld}"
    percent = f"{100 * rate.value:.0f}%"
    return (
        f"{percent} of {_cases(rate.count, lang)}"
        if lang == "en"
        else (f"{percent} dari {_cases(rate.count, lang)}")
    )


def _on_time(
    session: Session, staff: Staff, *, now: datetime, min_count: int, lang: str
) -> list[str]:
    """The on-time rates of the last 7 days the supervisor's figures give (``figures``, by
    agency, over what a key of the supervisor's own sees, the dashboard's period up to now
    included): one line per agency and timer, a rate over fewer than ``min_count`` cases
    withheld, so that a small unit is not judged on noise. A field agency's supervisor reads
    the clocks their agency ran (``SlaTimer.agency_id``); an area office's and the governor's
    office's, every agency's in what they oversee. Each timer has its own rate, as in the
    figures: a mail must not show a figure the dashboard withholds by pooling timers."""
    agency = session.get(Agency, staff.agency_id) if staff.agency_id is not None else None
    if agency is None:
        return []
    found = figures(
        session,
        staff_viewer(staff, agency),
        group_by=GroupBy.AGENCY,
        start=now - timedelta(days=ON_TIME_DAYS),
        end=now + timedelta(microseconds=1),  # [start, end): now included
        min_count=min_count,
    )
    own_only = agency.kind not in (AgencyKind.AREA_OFFICE, AgencyKind.GOVERNOR_OFFICE)
    names = {code: name for code, name in session.execute(select(Agency.code, Agency.name))}
    rank = {kind.value: n for n, kind in enumerate(WORK_ORDER)}
    lines = []
    for group in found.groups:
        if own_only and group.group != agency.code:
            continue
        for kind, rate in sorted(group.on_time.items(), key=lambda kr: rank.get(kr[0], 99)):
            words = _TIMER_WORDS.get(kind, (kind, kind))
            timer = words[1] if lang == "en" else words[0]
            shown = _rate_words(rate, min_count=min_count, lang=lang)
            lines.append(f"{names.get(group.group, group.group)}, {timer}: {shown}")
    return lines


def zone_of(staff: Staff, settings: Settings) -> ZoneInfo:
    """The zone a supervisor's digest follows: their own, else the service's."""
    return ZoneInfo(staff.timezone or settings.timezone)


def digest_letter(
    session: Session, staff: Staff, scope: Scope, *, now: datetime, settings: Settings, lang: str
) -> letters.Letter:
    zone = zone_of(staff, settings)
    found = _needing_attention(session, scope, now=now)
    on_time = _on_time(session, staff, now=now, min_count=settings.figures_min_count, lang=lang)
    local = now.astimezone(zone)
    shown: dict[str, Any] = {"lang": lang, "zone": zone, "base_url": settings.public_base_url}
    return letters.render(
        "daily_digest",
        lang,
        name=staff.name,
        scope=scope.label,
        day=long_day(local.date(), lang),
        at=staff_moment(now, zone, lang),
        on_time=on_time,
        breached=_rows(found[SlaStatus.BREACHED], **shown),
        at_risk=_rows(found[SlaStatus.AT_RISK], **shown),
        breached_count=len(found[SlaStatus.BREACHED]),
        at_risk_count=len(found[SlaStatus.AT_RISK]),
    )


def queue_digests(session: Session, *, now: datetime, settings: Settings) -> list[str]:
    """Queue the digest of each active supervisor for whom it is ``digest_hour`` or later
    today in their zone and who has not had today's; their addresses."""
    supervisors = session.scalars(
        select(Staff).where(Staff.role == Role.SUPERVISOR, Staff.active).order_by(Staff.id)
    ).all()
    due: dict[str, Staff] = {}
    midnight: dict[int, datetime] = {}
    for staff in supervisors:
        zone = zone_of(staff, settings)
        local = now.astimezone(zone)
        if local.hour >= settings.digest_hour:
            # The key names the zone too: after a move west the new zone's date may be one
            # that had a digest in the old zone (WIB's 2 December, then Los Angeles's).
            due[f"digest:{staff.id}:{local.date().isoformat()}:{zone.key}"[:120]] = staff
            midnight[staff.id] = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if not due:
        return []
    # One digest per day in the zone the supervisor has now: none when they had one since this
    # day began there, whatever day and zone it was queued for (a move to Los Angeles right
    # after 2 December's 08:00 WIB digest stands at 1 December 17:00 there: no second one).
    # Today's own digest (its key) is one of those.
    latest: dict[str, datetime] = {
        recipient: at
        for recipient, at in session.execute(
            select(Notification.recipient, func.max(Notification.created_at))
            .where(
                Notification.kind == NotificationKind.DAILY_DIGEST,
                Notification.created_at > now - timedelta(days=2),
            )
            .group_by(Notification.recipient)
        )
    }
    rows: list[dict[str, Any]] = []
    for key, staff in due.items():
        scope = scope_of(session, staff)
        had = latest.get(staff.email)
        if (had is not None and had >= midnight[staff.id]) or scope is None:
            continue
        letter = digest_letter(session, staff, scope, now=now, settings=settings, lang="id")
        rows.append(
            pending_row(
                kind=NotificationKind.DAILY_DIGEST,
                ticket_id=None,
                recipient=staff.email,
                recipient_kind="supervisor",
                subject=letter.subject,
                now=now,
                body=letter.body,
                html_body=letter.html,
                dedupe_key=key,
            )
        )
    enqueue(session, rows)
    return [row["recipient"] for row in rows]
