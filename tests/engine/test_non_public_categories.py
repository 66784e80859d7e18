"""Non-public categories (``public: false``): the catalogue field, the column and its migration,
and the engine's read side — the category as it is now decides whether anyone but the reporter
and staff sees a report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from engine import load_catalogue, schema
from engine.catalogue.spec import parse_catalogue
from engine.db import Database
from engine.errors import CatalogueError, TicketNotFound
from engine.models import Category
from engine.queries.public import PublicFilter, get_public, list_public
from engine.reports import reporter_view, support
from engine.submission import Language
from engine.tickets import list_events
from tests.conftest import MONDAY_9_WIB, separate_database_url

from .conftest import Desk

SHIPPED_PATH = Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml"
SHIPPED = SHIPPED_PATH.read_text()


def test_the_shipped_catalogue_publishes_all_but_pungli_and_poor_service() -> None:
    spec = parse_catalogue(SHIPPED)
    hidden = {c.code for c in spec.categories if not c.public}
    assert hidden == {"illegal_levy", "poor_public_service"}
    assert len(spec.categories) > 20  # the others are public by default


def test_public_is_a_yes_or_no_refused_in_one_line_naming_the_field() -> None:
    text = SHIPPED.replace(
        "    public: false   # an accusation", "    public: sometimes   # an accusation"
    )
    assert text != SHIPPED
    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, source="jakarta.yaml")
    lines = [line for line in str(raised.value).splitlines() if ".public" in line]
    assert len(lines) == 1
    assert "categories[20].public" in lines[0]
    assert re.search(r"jakarta\.yaml:\d+", lines[0])


def test_the_flag_reaches_the_category_row(desk: Desk) -> None:
    rows = dict(desk.session.execute(select(Category.code, Category.public)).all())
    assert rows["illegal_levy"] is False and rows["poor_public_service"] is False
    assert rows["traffic_jam"] is True and rows["digital_service_issue"] is True


def test_the_category_as_it_is_now_decides(desk: Desk) -> None:
    jam = desk.submit()
    token = desk.tokens[jam.code]
    assert get_public(desk.session, jam.code, now=desk.now).code == jam.code
    desk.session.execute(
        Category.__table__.update().where(Category.code == "traffic_jam").values(public=False)
    )
    desk.session.expire_all()
    with pytest.raises(TicketNotFound) as raised:
        get_public(desk.session, jam.code, now=desk.now)
    assert str(raised.value) == f"no ticket with code {jam.code}"
    assert list_public(desk.session, PublicFilter(), now=desk.now, limit=10).items == []
    with pytest.raises(TicketNotFound):
        support(desk.session, jam.code, email=None, language=Language.ID, now=desk.now)
    # The reporter still reads it, with the token; staff's detail asks for it explicitly.
    view = reporter_view(desk.session, jam.code, token=token, now=desk.now)
    assert view.public is False and view.report.code == jam.code
    shown = get_public(desk.session, jam.code, now=desk.now, include_unpublished=True)
    assert shown.description == jam.description


def test_migration_0016_makes_every_existing_category_public(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = separate_database_url(database_url, "tanggap_public_migration", tmp_path_factory)
    db = Database(url)
    try:
        schema.upgrade(db.engine)
        with db.transaction() as session:
            load_catalogue(session, SHIPPED, source=str(SHIPPED_PATH), now=MONDAY_9_WIB)
        command.downgrade(schema.alembic_config(db.url), "0015")  # a database made before 0016
        with db.engine.connect() as conn:
            columns = conn.execute(text("SELECT * FROM categories")).keys()
            assert "public" not in columns
            before = conn.execute(text("SELECT count(*) FROM categories")).scalar_one()
        schema.upgrade(db.engine)
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT code, public FROM categories")).all()
        assert len(rows) == before > 20
        assert all(bool(public) for _, public in rows)
        assert {"illegal_levy", "poor_public_service"} <= {code for code, _ in rows}
    finally:
        db.dispose()


@pytest.mark.parametrize("action", ["update", "verify"])
def test_a_report_moved_out_of_a_confidential_category_stays_off_the_record_until_put_back(
    desk: Desk, action: str
) -> None:
    """A tester's finding: an admin re-categorised a pungli report ("Oknum lurah … minta uang")
    as a traffic jam and the accusation was public at once — on the report, the list and
    Open311 — with nothing in the answer saying so. Words sent under a confidential category
    were never written for the public: the report now stays off the public record until a
    supervisor or admin puts it back (or redacts it first)."""
    words = "Oknum lurah Gambir minta uang Rp 500.000 untuk surat domisili"
    levy = desk.submit(category="illegal_levy", description=words)
    with pytest.raises(TicketNotFound):
        get_public(desk.session, levy.code, now=desk.now)

    desk.act(levy, action, "admin", category="traffic_jam", note="bukan pungli")

    assert levy.category.code == "traffic_jam" and levy.unpublished_at == desk.now
    with pytest.raises(TicketNotFound):
        get_public(desk.session, levy.code, now=desk.now)
    assert levy.code not in {
        t.code for t in list_public(desk.session, PublicFilter(), now=desk.now, limit=50).items
    }
    event = list_events(desk.session, levy)[-1]
    assert event.trigger == action
    assert event.data["unpublished"] == {"from": False, "to": True}
    assert event.data["category"] == {"from": "illegal_levy", "to": "traffic_jam"}

    desk.act(levy, "republish", "admin")
    assert get_public(desk.session, levy.code, now=desk.now).description == words


def test_a_report_moved_between_public_categories_stays_public(desk: Desk) -> None:
    jam = desk.submit()
    desk.act(jam, "update", "admin", category="flood", note="banjir, bukan macet")
    assert jam.unpublished_at is None
    assert get_public(desk.session, jam.code, now=desk.now).category_code == "flood"
