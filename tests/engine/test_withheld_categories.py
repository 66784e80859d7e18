"""Categories withheld from area offices (``withheld_from_area_offices``, pungli): the catalogue
refuses what would hand one to an area office or tell one of it; escalation mail and its stand-ins
never name an area office; the daily digest of a kelurahan's or kecamatan's supervisor leaves it
out; a staff member of the kelurahan acting in person (the command line's ``--as``) meets the
same "no ticket" as an API key."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.catalogue.spec import parse_catalogue
from engine.digest import digest_letter, scope_of
from engine.errors import CatalogueError, RuleViolated, TicketNotFound
from engine.models import Category, Staff, UndeliverableAddress
from engine.recipients import Addressee, Directory
from engine.staff import add_staff
from sla import Recipient, RecipientKind

from .conftest import Desk
from .test_mutants_recipients import EVERYONE

SHIPPED = (
    __import__("pathlib").Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml"
).read_text()


def _pungli(desk: Desk):  # type: ignore[no-untyped-def]
    return desk.submit(category="illegal_levy", description="Pungli surat pengantar")


# --- catalogue ---------------------------------------------------------------------------------


def test_the_shipped_catalogue_withholds_pungli_and_poor_service_only() -> None:
    spec = parse_catalogue(SHIPPED)
    withheld = {c.code for c in spec.categories if c.withheld_from_area_offices}
    assert withheld == {"illegal_levy", "poor_public_service"}


def _problems(text: str) -> str:
    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, source="jakarta.yaml")
    return str(raised.value)


def test_a_withheld_category_on_a_ladder_that_tells_area_offices_is_refused() -> None:
    # Without the integrity policy, pungli falls to the default policy's territorial ladder,
    # which tells the kelurahan at the breach.
    text = SHIPPED.replace(
        "    categories: [poor_public_service, illegal_levy]", "    categories: [pollution]"
    )
    message = _problems(text)
    assert "illegal_levy is withheld from area offices, but at priority low" in message
    assert "policy default escalates it on ladder territorial" in message
    assert "policies[9].ladder" in message  # the default, the last of ten
    # Urgent pungli placed after the urgent policy: the emergency ladder tells the kecamatan.
    moved = SHIPPED.replace(
        "  - code: integrity\n    categories: [poor_public_service, illegal_levy]",
        "  - code: integrity\n    categories: [illegal_levy_never]",
    )
    assert "at priority urgent policy urgent escalates it on ladder emergency" in _problems(
        moved.replace("illegal_levy_never", "pollution")
    )


def test_a_withheld_category_handled_or_routed_to_an_area_office_is_refused() -> None:
    routed = SHIPPED.replace(
        '  - category: garbage_pile\n    area: "31.71.01.1001"          # Kel. Gambir',
        '  - category: illegal_levy\n    area: "31.71.01.1001"          # Kel. Gambir',
    )
    message = _problems(routed)
    assert "routing[0].agency" in message
    assert "illegal_levy is withheld from area offices: it cannot be routed to the area " in (
        message
    )
    assert "office KEL-GAMBIR" in message
    handled = SHIPPED.replace(
        "    group: public_service\n    agency: INSPEKTORAT\n    default_priority: high",
        "    group: public_service\n    agency: KEC-GAMBIR\n    default_priority: high",
    )
    assert "its agency cannot be the area office KEC-GAMBIR" in _problems(handled)


def test_withheld_from_area_offices_is_a_yes_or_no() -> None:
    text = SHIPPED.replace(
        "    withheld_from_area_offices: true   # pungli", "    withheld_from_area_offices: often #"
    )
    message = _problems(text)
    assert "categories[20].withheld_from_area_offices" in message
    assert re.search(r"jakarta\.yaml:\d+", message)


def test_the_flag_reaches_the_category_row(desk: Desk) -> None:
    rows = dict(
        desk.session.execute(select(Category.code, Category.withheld_from_area_offices)).all()
    )
    assert rows["illegal_levy"] is True and rows["poor_public_service"] is True
    assert rows["traffic_jam"] is False and rows["digital_service_issue"] is False


# --- escalation mail -----------------------------------------------------------------------------


def test_escalation_mail_of_pungli_names_no_area_office_whatever_the_ladder(desk: Desk) -> None:
    ticket = _pungli(desk)
    assert Directory(desk.session).resolve(ticket, EVERYONE) == [
        Addressee("inspektorat.queue@tanggap.example", "agency_queue"),
        Addressee("inspektorat.head@tanggap.example", "agency_head"),
        Addressee("gub-crop.head@tanggap.example", "governor_office"),
    ]
    # The control: a traffic jam at the same spot tells all three offices.
    jam = desk.submit()
    told = [a.kind for a in Directory(desk.session).resolve(jam, EVERYONE)]
    assert "area_office:kelurahan" in told and "area_office:kota" in told


def test_a_dead_inspektorat_head_is_stood_in_for_by_the_governor_not_the_kelurahan(
    desk: Desk,
) -> None:
    ticket = _pungli(desk)
    desk.session.add(
        UndeliverableAddress(
            email="inspektorat.head@tanggap.example",
            event="bounce",
            reason="mailbox full",
            flagged_at=desk.now,
        )
    )
    desk.session.flush()
    directory = Directory(desk.session)
    head = directory.resolve(ticket, (Recipient(RecipientKind.AGENCY_HEAD),))
    mailed, lost = directory.deliverable(ticket, head)
    assert [(a.email, a.kind) for a in mailed] == [
        ("gub-crop.head@tanggap.example", "governor_office")
    ]
    assert lost == []


# --- digest --------------------------------------------------------------------------------------


def _supervisor(desk: Desk, agency: str) -> Staff:
    return add_staff(
        desk.session,
        email=f"kepala@{agency.lower()}.example",
        name=f"Kepala {agency}",
        role="supervisor",
        agency=agency,
        now=desk.now,
        update=True,
    )


@pytest.mark.parametrize("agency", ["KEL-GAMBIR", "KEC-GAMBIR", "WALKOT-JP"])
def test_the_digest_of_an_area_office_lists_no_pungli(desk: Desk, agency: str) -> None:
    pungli, jam = _pungli(desk), desk.submit()
    later = desk.now + timedelta(days=30)  # both long overdue
    staff = _supervisor(desk, agency)
    scope = scope_of(desk.session, staff)
    assert scope is not None
    letter = digest_letter(desk.session, staff, scope, now=later, settings=desk.settings, lang="en")
    assert jam.code in letter.body
    assert pungli.code not in letter.body
    governor = _supervisor(desk, "GUB")
    scope = scope_of(desk.session, governor)
    assert scope is not None
    seen = digest_letter(
        desk.session, governor, scope, now=later, settings=desk.settings, lang="en"
    )
    assert pungli.code in seen.body and jam.code in seen.body


# --- acting in person ----------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["reject", "verify", "comment", "update"])
def test_kelurahan_staff_acting_in_person_meet_no_ticket(desk: Desk, action: str) -> None:
    ticket = _pungli(desk)
    with pytest.raises(TicketNotFound, match=f"^no ticket with code {ticket.code}$"):
        desk.act(ticket, action, "kelurahan")
    assert ticket.state == "submitted" and ticket.version == 1


def test_kelurahan_staff_cannot_merge_into_a_pungli_ticket(desk: Desk) -> None:
    pungli, jam = _pungli(desk), desk.submit()
    with pytest.raises(TicketNotFound, match=f"^no ticket with code {pungli.code}$"):
        desk.act(jam, "mark_duplicate", "kelurahan", duplicate_of=pungli.code)
    assert jam.state == "submitted" and pungli.version == 1


def test_the_routed_agency_and_the_governors_office_act_in_person(desk: Desk) -> None:
    inspektorat = add_staff(
        desk.session,
        email="petugas@inspektorat.example",
        name="Petugas",
        role="staff",
        agency="INSPEKTORAT",
        now=desk.now,
    )
    desk.staff["inspektorat"] = inspektorat
    ticket = _pungli(desk)
    desk.act(ticket, "verify", "inspektorat")
    desk.act(ticket, "assign", "governor", agency="INSPEKTORAT")
    assert ticket.state == "assigned"
    with pytest.raises(RuleViolated, match="withheld from area offices"):
        desk.act(ticket, "transfer", "inspektorat", agency="KEL-GAMBIR", note="ke lurah")
    assert ticket.agency.code == "INSPEKTORAT"


# --- mail queued before a re-categorisation ------------------------------------------------------


def test_mail_queued_to_the_kelurahan_before_it_became_pungli_is_not_sent(desk: Desk) -> None:
    from engine.delivery import claim
    from engine.escalation import sweep_batch
    from engine.models import Notification

    jam = desk.submit(description="Petugas minta uang di depan kantor")
    sweep_batch(desk.session, now=desk.now + timedelta(days=3))  # the breach tells the lurah
    queued = {
        n.recipient: n
        for n in desk.session.scalars(select(Notification).where(Notification.ticket_id == jam.id))
    }
    lurah = queued["kel-gambir.head@tanggap.example"]
    assert lurah.status == "pending"
    desk.act(jam, "update", "admin", category="illegal_levy", note="ini pungli")

    sent = {o.recipient for o in claim(desk.session, now=desk.now + timedelta(days=3), limit=50)}
    assert "kel-gambir.head@tanggap.example" not in sent
    # Re-routed to the Inspektorat: Dishub, whose head the breach named, is told nothing of
    # the complaint now (``outbox.readdress_pending``; this test once had that mail go).
    assert jam.agency.code == "INSPEKTORAT"
    assert "dishub.head@tanggap.example" not in sent
    assert queued["dishub.head@tanggap.example"].status == "failed"
    assert lurah.status == "failed"
    assert lurah.last_error == "not sent: the ticket's category is now withheld from area offices"
