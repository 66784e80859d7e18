"""Shapes of the supervisor dashboard API: the board, backlog, SLA story, addressed mail."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.instants import Instant
from api.schemas.public import StateRead
from api.schemas.staff import TimerRead
from engine.queries.oversight import (
    AddressedEscalation,
    BacklogGroup,
    BoardTicket,
    LevelStory,
    Notice,
    SlaStatus,
    SlaStory,
    TimerStory,
)


class BoardTicketRead(BaseModel):
    code: str
    state: StateRead
    sla: SlaStatus = Field(description="on_time, at_risk, breached, or none (no timer runs)")
    category: str
    priority: str
    agency: str
    area: str
    area_name: str
    officer: str | None
    lat: float
    lon: float
    due_at: Instant | None = Field(description="earliest running SLA deadline")
    on_hold_since: Instant | None = Field(
        description="when its current hold began (its SLA clocks are paused since); "
        "null when it is not on hold"
    )
    version: int

    @classmethod
    def of(cls, t: BoardTicket) -> BoardTicketRead:
        return cls(
            code=t.code,
            state=StateRead.of(t.state),
            sla=t.sla,
            category=t.category,
            priority=t.priority,
            agency=t.agency,
            area=t.area,
            area_name=t.area_name,
            officer=t.officer,
            lat=t.lat,
            lon=t.lon,
            due_at=t.due_at,
            on_hold_since=t.on_hold_since,
            version=t.version,
        )


class BacklogRead(BaseModel):
    group: str
    name: str
    total: int
    on_time: int
    at_risk: int
    breached: int
    no_sla: int

    @classmethod
    def of(cls, g: BacklogGroup) -> BacklogRead:
        c = g.counts
        return cls(
            group=g.group,
            name=g.name,
            total=g.total,
            on_time=c[SlaStatus.ON_TIME],
            at_risk=c[SlaStatus.AT_RISK],
            breached=c[SlaStatus.BREACHED],
            no_sla=c[SlaStatus.NONE],
        )


class NoticeRead(BaseModel):
    recipient: str
    recipient_kind: str
    status: str = Field(description="outbox status: pending, sending, sent, failed, dead …")
    queued_at: Instant
    sent_at: Instant | None
    last_event: str | None

    @classmethod
    def of(cls, n: Notice) -> NoticeRead:
        return cls(
            recipient=n.recipient,
            recipient_kind=n.recipient_kind,
            status=n.status,
            queued_at=n.queued_at,
            sent_at=n.sent_at,
            last_event=n.last_event,
        )


class LevelStoryRead(BaseModel):
    level: str
    percent: int
    due_at: Instant
    recorded_at: Instant
    mailed: bool = Field(description="whether a mail of the level went or may still go")
    told: list[NoticeRead] = Field(description="the mail of the level that went or may still go")
    taken_back: list[NoticeRead] = Field(
        description="the mail of the level Tanggap took back after a change (not sent)"
    )

    @classmethod
    def of(cls, lv: LevelStory) -> LevelStoryRead:
        return cls(
            level=lv.level,
            percent=lv.percent,
            due_at=lv.due_at,
            recorded_at=lv.recorded_at,
            mailed=lv.mailed,
            told=[NoticeRead.of(n) for n in lv.told],
            taken_back=[NoticeRead.of(n) for n in lv.taken_back],
        )


class TimerStoryRead(BaseModel):
    timer: TimerRead
    sla: SlaStatus
    levels: list[LevelStoryRead]

    @classmethod
    def of(cls, t: TimerStory) -> TimerStoryRead:
        return cls(
            timer=TimerRead.of(t.timer),
            sla=t.status,
            levels=[LevelStoryRead.of(lv) for lv in t.levels],
        )


class SlaStoryRead(BaseModel):
    code: str
    state: StateRead
    agency: str
    area: str
    category: str
    version: int
    sla: SlaStatus
    timers: list[TimerStoryRead]

    @classmethod
    def of(cls, s: SlaStory) -> SlaStoryRead:
        return cls(
            code=s.code,
            state=StateRead.of(s.state),
            agency=s.agency,
            area=s.area,
            category=s.category,
            version=s.version,
            sla=s.sla,
            timers=[TimerStoryRead.of(t) for t in s.timers],
        )


class AddressedRead(BaseModel):
    code: str
    state: StateRead
    category: str
    agency: str
    area: str
    timer: str
    cycle: int
    level: str
    percent: int
    due_at: Instant
    recipient: str
    recipient_kind: str
    status: str
    queued_at: Instant
    sent_at: Instant | None

    @classmethod
    def of(cls, e: AddressedEscalation) -> AddressedRead:
        return cls(
            code=e.code,
            state=StateRead.of(e.state),
            category=e.category,
            agency=e.agency,
            area=e.area,
            timer=e.timer,
            cycle=e.cycle,
            level=e.level,
            percent=e.percent,
            due_at=e.due_at,
            recipient=e.recipient,
            recipient_kind=e.recipient_kind,
            status=e.status,
            queued_at=e.queued_at,
            sent_at=e.sent_at,
        )
