"""Who an escalation mail goes to, read off the addresses themselves.

Written against mutants that survived the suite (issue 6 §7): an inactive officer still
mailed, one head mailed twice when two roles share an address in different case, an area
office taken from the wrong level, a governor's office that is gone still addressed.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.models import Agency, Staff
from engine.recipients import Addressee, Directory
from sla import AreaLevel, Recipient, RecipientKind

EVERYONE = (
    Recipient(RecipientKind.ASSIGNED_OFFICER),
    Recipient(RecipientKind.AGENCY_QUEUE),
    Recipient(RecipientKind.AGENCY_HEAD),
    Recipient(RecipientKind.AREA_OFFICE, AreaLevel.KELURAHAN),
    Recipient(RecipientKind.AREA_OFFICE, AreaLevel.KECAMATAN),
    Recipient(RecipientKind.AREA_OFFICE, AreaLevel.KOTA),
    Recipient(RecipientKind.GOVERNOR_OFFICE),
)


def agency(desk, code: str) -> Agency:
    return desk.session.scalars(select(Agency).where(Agency.code == code)).one()


def test_directory_names_every_kind_at_monas(desk) -> None:
    ticket = desk.submit()  # traffic_jam at Monas: DISHUB, Kelurahan Gambir
    desk.act(ticket, "verify")
    desk.act(ticket, "assign", officer="staff@tanggap.example")
    assert Directory(desk.session).resolve(ticket, EVERYONE) == [
        Addressee("staff@tanggap.example", "assigned_officer"),
        Addressee("dishub.queue@tanggap.example", "agency_queue"),
        Addressee("dishub.head@tanggap.example", "agency_head"),
        Addressee("kel-gambir.head@tanggap.example", "area_office:kelurahan"),
        Addressee("kec-gambir.head@tanggap.example", "area_office:kecamatan"),
        Addressee("walkot-jp.head@tanggap.example", "area_office:kota"),
        Addressee("gub-crop.head@tanggap.example", "governor_office"),
    ]


def test_directory_skips_an_officer_who_left(desk) -> None:
    ticket = desk.submit()
    desk.act(ticket, "verify")
    desk.act(ticket, "assign", officer="staff@tanggap.example")
    officer = desk.session.scalars(
        select(Staff).where(Staff.email == "staff@tanggap.example")
    ).one()
    officer.active = False
    assert Directory(desk.session).resolve(ticket, EVERYONE[:2]) == [
        Addressee("dishub.queue@tanggap.example", "agency_queue"),
    ]


def test_directory_without_officer_tells_the_queue_only(desk) -> None:
    ticket = desk.submit()
    assert Directory(desk.session).resolve(ticket, EVERYONE[:2]) == [
        Addressee("dishub.queue@tanggap.example", "agency_queue"),
    ]


def test_directory_one_mail_per_address_whatever_its_case(desk) -> None:
    # The agency's head is also the kelurahan's head, written in capitals in one place.
    ticket = desk.submit()
    agency(desk, "DISHUB").head_email = "KEL-GAMBIR.Head@tanggap.example"
    found = Directory(desk.session).resolve(ticket, EVERYONE[2:4])
    assert found == [Addressee("KEL-GAMBIR.Head@tanggap.example", "agency_head")]


def test_directory_area_office_level_is_the_one_asked_or_the_nearest_above(desk) -> None:
    directory = Directory(desk.session)
    gambir = desk.submit()
    assert gambir.area.level == "kelurahan"
    kota_tua = desk.submit(lat=-6.1352, lon=106.8133)  # Jakarta Barat, no kecamatan mapped
    assert kota_tua.area.level == "kota"
    asked = [Recipient(RecipientKind.AREA_OFFICE, level) for level in AreaLevel]
    assert [(a.email, a.kind) for a in directory.resolve(gambir, tuple(asked[1:]))] == [
        ("walkot-jp.head@tanggap.example", "area_office:kota"),
        ("kec-gambir.head@tanggap.example", "area_office:kecamatan"),
        ("kel-gambir.head@tanggap.example", "area_office:kelurahan"),
    ]
    # Nothing at province level is an area office: nobody, rather than a wrong office.
    assert directory.resolve(gambir, tuple(asked[:1])) == []
    # Kota Tua: kelurahan and kecamatan fall back to the wali kota; one mail for all three.
    assert directory.resolve(kota_tua, tuple(asked[1:])) == [
        Addressee("walkot-jb.head@tanggap.example", "area_office:kota"),
    ]


def test_directory_chain_runs_from_the_area_up_to_the_province(desk) -> None:
    ticket = desk.submit()
    chain = Directory(desk.session).chain(ticket.area_id)
    assert [a.name for a in chain] == [
        "Kelurahan Gambir",
        "Kecamatan Gambir",
        "Kota Administrasi Jakarta Pusat",
        "Provinsi DKI Jakarta",
    ]


def test_directory_governor_office_gone_or_inactive_is_not_addressed(desk) -> None:
    ticket = desk.submit()
    agency(desk, "GUB").active = False
    assert Directory(desk.session).resolve(ticket, EVERYONE[-1:]) == []
    kel = agency(desk, "KEL-GAMBIR")
    kel.active = False
    # With the kelurahan office closed, the kelurahan level reaches the kecamatan's.
    assert Directory(desk.session).resolve(ticket, EVERYONE[3:4]) == [
        Addressee("kec-gambir.head@tanggap.example", "area_office:kelurahan"),
    ]
