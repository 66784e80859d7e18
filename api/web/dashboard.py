"""The supervisor dashboard at ``/dashboard`` (same sign-in as the staff worklist).

A map of the open tickets the key oversees, coloured by state (fill) and SLA status (ring); the
same tickets as a list by time to breach; backlog per agency and area by SLA status and on-time
rate per agency and area as server-drawn SVG bars (each with its numbers in a table); the
escalation mail addressed to the key's agency; and, per ticket, its SLA timeline at
``/dashboard/t/{code}``. Every figure comes from the engine's read side (``engine.queries``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.deps import NowDep, ReadSessionDep, get_settings
from api.strict_json import StrictRoute
from api.web.i18n import Translator
from api.web.pages import LanguageDep
from api.web.staff import time_left
from api.web.staff_actions import working_time_words
from api.web.staff_session import HolderDep, page, to_sign_in
from engine import Forbidden, GroupBy, KeyHolder, Language, NotFound, Role, figures
from engine.areas import list_areas
from engine.policies import load_policy_book
from engine.queries.oversight import (
    BacklogGroup,
    SlaStatus,
    SlaStory,
    backlog,
    board,
    escalations_addressed,
    sla_story,
)
from engine.queries.public import is_published
from engine.queries.roster import list_agencies
from sla.policy import WORK_ORDER

router = APIRouter(include_in_schema=False, route_class=StrictRoute)

MAP_LIMIT = 2000
LIST_LIMIT = 100
CHART_ROWS = 12
FIGURE_DAYS = 30
ESCALATION_DAYS = 7

#: Chart geometry (SVG user units): each bar under its label, so the chart stays narrow enough to
#: read on a phone (label line, bar line, row height; the bar area's width).
LABEL_H, BAR_H, ROW_H, BAR_W = 20, 18, 48, 300
#: Stacking order of a backlog bar, worst first.
_STACK = (SlaStatus.BREACHED, SlaStatus.AT_RISK, SlaStatus.ON_TIME, SlaStatus.NONE)


@dataclass(frozen=True)
class Segment:
    status: str
    x: float
    width: float
    count: int


@dataclass(frozen=True)
class BacklogBar:
    group: BacklogGroup
    y: float
    segments: list[Segment]
    #: Where the bar ends (its total is written there).
    end: float


def backlog_bars(groups: list[BacklogGroup]) -> list[BacklogBar]:
    shown = groups[:CHART_ROWS]
    most = max((g.total for g in shown), default=0) or 1
    bars = []
    for row, g in enumerate(shown):
        x, segments = 0.0, []
        for status in _STACK:
            count = g.counts[status]
            if count:
                width = BAR_W * count / most
                segments.append(Segment(status.value, x, width, count))
                x += width
        bars.append(BacklogBar(g, row * ROW_H, segments, x))
    return bars


@dataclass(frozen=True)
class RateBar:
    group: str
    #: The agency's or area's name, as the backlog chart shows it.
    name: str
    kind: str
    count: int
    value: float | None
    y: float
    width: float


def group_names(session: Session, by: GroupBy) -> dict[str, str]:
    if by is GroupBy.AREA:
        return {a.code: a.title for a in list_areas(session, include_inactive=True)}
    return {a.code: a.name for a in list_agencies(session)}


def rate_bars(holder: KeyHolder, session: Any, by: GroupBy, now: datetime, min_count: int) -> Any:
    names = group_names(session, by)
    rank = {kind.value: n for n, kind in enumerate(WORK_ORDER)}
    found = figures(
        session,
        holder,
        group_by=by,
        start=now - timedelta(days=FIGURE_DAYS),
        end=now + timedelta(microseconds=1),  # [start, end): now included
        min_count=min_count,
    )
    bars: list[RateBar] = []
    for g in found.groups:
        for kind, rate in sorted(g.on_time.items(), key=lambda kr: rank.get(kr[0], len(rank))):
            if len(bars) >= CHART_ROWS * 2:
                break
            width = max(BAR_W * rate.value, 2.0) if rate.value is not None else BAR_W
            name = names.get(g.group, g.group)
            bars.append(
                RateBar(g.group, name, kind, rate.count, rate.value, len(bars) * ROW_H, width)
            )
    return bars


def _needs_supervisor(request: Request, language: Language) -> Response:
    return page(
        request,
        "staff/refused.html",
        language,
        {"message": "staff.needs_supervisor"},
        status=403,
        title="staff.refused_title",
    )


def _is_supervisor(holder: KeyHolder) -> bool:
    return holder.role in (Role.SUPERVISOR, Role.ADMIN)


@router.get("/dashboard")
def dashboard_page(
    request: Request, language: LanguageDep, holder: HolderDep, session: ReadSessionDep, now: NowDep
) -> Response:
    if holder is None:
        return to_sign_in(request)
    if not _is_supervisor(holder):
        return _needs_supervisor(request, language)
    settings = get_settings(request)
    # Counts and backlogs over every open ticket; the map and the list show the most urgent.
    every = board(session, holder, now=now, limit=None)
    tickets = every[:MAP_LIMIT]
    counts = {s: sum(1 for t in every if t.sla is s) for s in SlaStatus}
    points = [
        {
            "code": t.code,
            "lat": t.lat,
            "lon": t.lon,
            "colour": t.state.colour.value,
            "sla": t.sla.value,
            "label": f"{t.code} · {Translator(language).pick(t.state.label_id, t.state.label_en)}"
            f" · {Translator(language)('staff.sla_' + t.sla.value)}",
        }
        for t in tickets
    ]
    min_count = settings.figures_min_count
    return page(
        request,
        "dashboard/index.html",
        language,
        {
            "holder": holder,
            "wide": True,
            "is_supervisor": True,
            "tickets": tickets[:LIST_LIMIT],
            "count": len(every),
            "counts": counts,
            "points": points,
            "centre": list(settings.map_centre),
            "zoom": settings.map_zoom,
            "left": time_left(Translator(language), now),
            "level_name": level_wording(session, language),
            "backlog_agency": backlog_bars(backlog(every, by="agency")),
            "backlog_area": backlog_bars(backlog(every, by="area")),
            "rates_agency": rate_bars(holder, session, GroupBy.AGENCY, now, min_count),
            "rates_area": rate_bars(holder, session, GroupBy.AREA, now, min_count),
            "min_count": min_count,
            "figure_days": FIGURE_DAYS,
            "escalation_days": ESCALATION_DAYS,
            "escalations": escalations_addressed(
                session, holder, since=now - timedelta(days=ESCALATION_DAYS), limit=50
            ),
            "geometry": {"label_h": LABEL_H, "bar_h": BAR_H, "bar": BAR_W, "row": ROW_H},
        },
        title="dashboard.title",
    )


@dataclass(frozen=True)
class Mark:
    """A moment on the timeline chart at ``x``."""

    x: float
    at: datetime


@dataclass(frozen=True)
class LevelMark:
    """A ladder level on the chart: its diamond at ``x``, its label on line ``lane`` below."""

    x: float
    label: str
    mailed: bool
    lane: int


@dataclass(frozen=True)
class TimerRow:
    y: float
    run: tuple[float, float]
    pauses: list[tuple[float, float]]
    deadline: float
    levels: list[LevelMark]
    #: Height of the row: the bar and one line per lane of level labels.
    height: float


#: Timeline chart geometry: left margin for the timer's name, plot width, bar row height, height
#: of one line of level labels (more than a 14 px label's box, ~22 px with its descent: at 21 two
#: lines overlapped by a pixel), and the width of one character of a label (14 px system font).
TL_LEFT, TL_W, TL_ROW, TL_LANE, TL_CHAR = 150, 560, 44, 24, 8.0


def _lanes(marks: list[tuple[float, str, bool]]) -> list[LevelMark]:
    """Levels that fall close together would write their labels over each other: each label
    takes the first line below the bar where the previous label has ended."""
    ends: list[float] = []
    placed = []
    for x, label, mailed in sorted(marks, key=lambda m: m[0]):
        lane = next((n for n, end in enumerate(ends) if end + 6 <= x), len(ends))
        width = TL_CHAR * len(label) + 12
        if lane == len(ends):
            ends.append(x + width)
        else:
            ends[lane] = x + width
        placed.append(LevelMark(x, label, mailed, lane))
    return placed


def level_wording(session: Session, language: Language) -> Callable[[str], str]:
    """Escalation ladder levels (by the key or name the ledger stored) in the page's language,
    as the catalogue words them (``name_id`` / ``name_en``), never as a code."""
    book = load_policy_book(session)
    return lambda level: book.level_words(level, language.value)


def timeline_rows(
    story: SlaStory, now: datetime, name: Callable[[str], str] = str
) -> tuple[list[TimerRow], Mark, Mark, float]:
    """Each timer as a row of the chart, on one time axis from the first start to the latest of
    now, every deadline, stop and level (``name`` words a level's key)."""
    moments = [now]
    for s in story.timers:
        t = s.timer
        moments += [t.started_at, t.deadline, *(lv.due_at for lv in s.levels)]
        moments += [t.stopped_at] if t.stopped_at else []
    first, last = min(moments), max(moments)
    span = (last - first).total_seconds() or 1.0

    def x(at: datetime) -> float:
        return TL_LEFT + TL_W * (at - first).total_seconds() / span

    rows, y = [], 0.0
    for s in story.timers:
        t = s.timer
        end = t.stopped_at or now
        levels = _lanes(
            [(x(lv.due_at), f"{name(lv.level)} {lv.percent} %", lv.mailed) for lv in s.levels]
        )
        lanes = max((lv.lane + 1 for lv in levels), default=0)
        height = TL_ROW + lanes * TL_LANE + (8 if lanes else 0)
        rows.append(
            TimerRow(
                y=y,
                run=(x(t.started_at), max(x(end) - x(t.started_at), 1.0)),
                pauses=[
                    (x(begin), max(x(stop or end) - x(begin), 1.0)) for begin, stop in t.pauses
                ],
                deadline=x(t.deadline),
                levels=levels,
                height=height,
            )
        )
        y += height
    return rows, Mark(TL_LEFT, first), Mark(TL_LEFT + TL_W, last), x(now)


@router.get("/dashboard/t/{code}")
def timeline_page(
    request: Request,
    code: str,
    language: LanguageDep,
    holder: HolderDep,
    session: ReadSessionDep,
    now: NowDep,
) -> Response:
    if holder is None:
        return to_sign_in(request)
    try:
        story = sla_story(session, holder, code, now=now)
    except (NotFound, Forbidden) as exc:
        return page(
            request,
            "staff/ticket_missing.html",
            language,
            {
                "code": code[:64],
                "forbidden": isinstance(exc, Forbidden),
                "holder": holder,
                "is_supervisor": _is_supervisor(holder),
            },
            status=403 if isinstance(exc, Forbidden) else 404,
            title="staff.ticket_missing_title",
        )
    rank = {kind.value: n for n, kind in enumerate(WORK_ORDER)}
    story = replace(
        story,
        timers=sorted(
            story.timers,
            key=lambda s: (s.timer.cycle, rank.get(s.timer.kind, len(rank)), s.timer.started_at),
        ),
    )
    level_name = level_wording(session, language)
    rows, start, end, now_x = timeline_rows(story, now, level_name)
    return page(
        request,
        "dashboard/timeline.html",
        language,
        {
            "holder": holder,
            "wide": True,
            "is_supervisor": _is_supervisor(holder),
            "story": story,
            "published": is_published(session, story.code),
            "rows": rows,
            "start": start,
            "end": end,
            "now_x": now_x,
            "span": lambda d: working_time_words(Translator(language), d),
            "level_name": level_name,
            "geometry": {"left": TL_LEFT, "width": TL_W, "row": TL_ROW, "lane": TL_LANE},
            "chart_height": sum(r.height for r in rows),
        },
        title="dashboard.title",
    )
