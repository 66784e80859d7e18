"""Reports taken off the public record (``unpublish``/``republish``): the column and its
migration, the event the history replays, the one rule in hand and in SQL, and who may."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, select

from engine import schema, visibility
from engine.db import Database
from engine.errors import Forbidden, PublicationUnchanged, RuleViolated, TicketNotFound
from engine.history import replay_history
from engine.models import Ticket
from engine.queries.public import PublicFilter, get_public, list_public, nearby_open
from engine.reports import reporter_view, support
from engine.submission import Language
from engine.tickets import list_events
from tests.conftest import separate_database_url

from .conftest import MONAS, Desk

REASON = "berisi data pribadi"


def _listed(desk: Desk) -> list[str]:
    return [t.code for t in list_public(desk.session, PublicFilter(), now=desk.now, limit=50).items]


def test_an_unpublished_report_leaves_every_engine_reader_and_comes_back(desk: Desk) -> None:
    hidden, control = desk.submit(), desk.submit()
    desk.act(hidden, "unpublish", "supervisor")
    assert hidden.unpublished_at == desk.now
    assert _listed(desk) == [control.code]
    with pytest.raises(TicketNotFound) as raised:
        get_public(desk.session, hidden.code, now=desk.now)
    assert str(raised.value) == f"no ticket with code {hidden.code}"
    near = nearby_open(
        desk.session,
        category="traffic_jam",
        lat=MONAS[0],
        lon=MONAS[1],
        radius_m=250,
        days=30,
        now=desk.now,
    )
    assert [t.code for t in near] == [control.code]
    with pytest.raises(TicketNotFound):
        support(desk.session, hidden.code, email=None, language=Language.ID, now=desk.now)
    view = reporter_view(desk.session, hidden.code, token=desk.tokens[hidden.code], now=desk.now)
    assert (view.public, view.unpublished) == (False, True)
    assert get_public(desk.session, hidden.code, now=desk.now, include_unpublished=True)

    desk.act(hidden, "republish", "admin")
    assert hidden.unpublished_at is None
    assert sorted(_listed(desk)) == sorted([hidden.code, control.code])
    assert get_public(desk.session, hidden.code, now=desk.now).code == hidden.code


def test_published_in_hand_and_in_sql_agree(desk: Desk) -> None:
    shown, taken, pungli = desk.submit(), desk.submit(), desk.submit(category="illegal_levy")
    both = desk.submit(category="illegal_levy")
    desk.act(taken, "unpublish", "admin")
    desk.act(both, "unpublish", "admin")
    tickets = [shown, taken, pungli, both]
    in_hand = {t.code for t in tickets if visibility.published(t)}
    in_sql = set(
        desk.session.scalars(
            select(Ticket.code).where(
                Ticket.id.in_([t.id for t in tickets]), visibility.published_clause()
            )
        )
    )
    assert in_hand == in_sql == {shown.code}


def test_the_history_replays_the_publication_and_the_reason_stays_internal(desk: Desk) -> None:
    ticket = desk.ticket_in("rejected")
    desk.act(ticket, "unpublish", "admin", note=REASON)
    desk.act(ticket, "republish", "supervisor", note="keliru")
    desk.act(ticket, "unpublish", "supervisor", note=REASON)
    events = list_events(desk.session, ticket)
    assert replay_history(events).values["unpublished"] is True
    assert replay_history(events[:-1]).values["unpublished"] is False
    moderation = [e for e in events if e.trigger in ("unpublish", "republish")]
    assert [(e.from_state, e.to_state, e.public) for e in moderation] == [
        ("rejected", "rejected", False)
    ] * 3
    assert not any(visibility.is_public(e) for e in moderation)
    assert [e.data for e in moderation] == [
        {"unpublished": {"from": False, "to": True}},
        {"unpublished": {"from": True, "to": False}},
        {"unpublished": {"from": False, "to": True}},
    ]
    assert ticket.state == "rejected" and ticket.version == len(events)


@pytest.mark.parametrize("who", ["staff", "outsider", "kelurahan", "governor", "dbm", "citizen"])
def test_only_supervisors_and_admins_take_a_report_off_the_public_record(
    desk: Desk, who: str
) -> None:
    ticket = desk.submit()
    with pytest.raises(Forbidden):
        desk.act(ticket, "unpublish", who)
    assert ticket.unpublished_at is None and ticket.version == 1


def test_unpublish_twice_is_a_conflict_and_writes_nothing(desk: Desk) -> None:
    ticket = desk.submit()
    with pytest.raises(PublicationUnchanged) as shown:
        desk.act(ticket, "republish", "admin")
    assert shown.value.code == "already_published"
    desk.act(ticket, "unpublish", "admin")
    with pytest.raises(PublicationUnchanged) as hidden:
        desk.act(ticket, "unpublish", "supervisor")
    assert hidden.value.code == "already_unpublished"
    assert hidden.value.allowed is not None and "republish" in hidden.value.allowed
    assert "off the public record already" in hidden.value.message
    assert ticket.version == 2


def test_a_public_reason_is_refused(desk: Desk) -> None:
    ticket = desk.submit()
    with pytest.raises(RuleViolated) as raised:
        desk.act(ticket, "unpublish", "admin", public=True)
    assert raised.value.params["field"] == "public"
    assert ticket.unpublished_at is None


def _columns(db: Database, table: str) -> set[str]:
    with db.engine.connect() as conn:
        return {column["name"] for column in inspect(conn).get_columns(table)}


def test_migration_0017_adds_the_column_and_takes_it_away(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = separate_database_url(database_url, "tanggap_unpublish_migration", tmp_path_factory)
    db = Database(url)
    try:
        schema.upgrade(db.engine)
        command.downgrade(schema.alembic_config(db.url), "0016")  # a database made before 0017
        assert "unpublished_at" not in _columns(db, "tickets")
        schema.upgrade(db.engine)
        assert "unpublished_at" in _columns(db, "tickets")
    finally:
        db.dispose()
