"""An area as a person reads it (``engine.models.area_title``), in the projection and the mail.

The official Kemendagri file names kelurahan and kecamatan bare ("Gambir" is both); the
catalogue titles them ("Kelurahan Gambir"). People read the title either way; the area office
rule keeps building offices' names and addresses from the stored, bare name.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.escalation import sweep_batch
from engine.keys import authenticate, create_key
from engine.lifecycle import Role
from engine.models import Agency, Area, AreaLevel, Notification, Ticket, area_title
from engine.queries.oversight import backlog, board
from engine.queries.places import search_places
from engine.queries.public import get_public
from engine.settings import Settings
from engine.staff import add_staff
from tests.conftest import OFFICIAL_BOUNDARIES

from .conftest import ROSTER, Desk


@pytest.mark.parametrize(
    ("name", "level", "title"),
    [
        ("Gambir", AreaLevel.KELURAHAN, "Kelurahan Gambir"),
        ("Gambir", AreaLevel.KECAMATAN, "Kecamatan Gambir"),
        ("Kelurahan Gambir", AreaLevel.KELURAHAN, "Kelurahan Gambir"),
        ("Kecamatan Gambir", AreaLevel.KECAMATAN, "Kecamatan Gambir"),
        ("KELURAHAN GAMBIR", AreaLevel.KELURAHAN, "KELURAHAN GAMBIR"),
        # a name that only begins like the word is a name: Kelapa Gading is in Jakarta Utara
        ("Kelapa Gading Timur", AreaLevel.KELURAHAN, "Kelurahan Kelapa Gading Timur"),
        ("Kelurahanbaru", AreaLevel.KELURAHAN, "Kelurahan Kelurahanbaru"),
        ("Desa Sukamaju", AreaLevel.KELURAHAN, "Desa Sukamaju"),
        ("Kota Administrasi Jakarta Pusat", AreaLevel.KOTA, "Kota Administrasi Jakarta Pusat"),
        ("Kabupaten Administrasi Kepulauan Seribu", AreaLevel.KOTA,
         "Kabupaten Administrasi Kepulauan Seribu"),
        ("Provinsi DKI Jakarta", AreaLevel.PROVINCE, "Provinsi DKI Jakarta"),
        ("Jakarta Pusat", AreaLevel.KOTA, "Jakarta Pusat"),
    ],
)  # fmt: skip
def test_area_title_adds_the_level_word_once(name: str, level: AreaLevel, title: str) -> None:
    assert area_title(name, level) == title
    assert area_title(name, level.value) == title
    assert Area(name=name, level=level.value).title == title


def _desk(session: Session, settings: Settings, now: datetime) -> Desk:
    desk = Desk(session=session, settings=settings, now=now)
    for name, (role, agency) in ROSTER.items():
        desk.staff[name] = add_staff(session, email=f"{name}@tanggap.example", name=name.title(),
                                     role=role, agency=agency, now=now)  # fmt: skip
    return desk


def _mails(session: Session, ticket: Ticket, kind: str) -> list[tuple[str, str, str, str]]:
    """(recipient, subject, body, html) of each mail of ``kind`` queued about ``ticket``."""
    rows = session.scalars(
        select(Notification)
        .where(Notification.ticket_id == ticket.id, Notification.kind == kind)
        .order_by(Notification.id)
    )
    return [(n.recipient, n.subject, n.body, n.html_body or "") for n in rows]


def _gambir_as_read(session: Session, settings: Settings, now: datetime) -> set[str]:
    """Submit at Monas, assign, let the ladder run: every way the area reaches a person."""
    desk = _desk(session, settings, now)
    ticket = desk.submit()
    desk.act(ticket, "verify", "supervisor")
    desk.act(ticket, "assign", "supervisor", officer="staff@tanggap.example")
    sweep_batch(session, now=desk.now + timedelta(days=14))
    read = {get_public(session, ticket.code, now=desk.now).area_name}
    admin = authenticate(
        session,
        create_key(session, role=Role.ADMIN, name="board", agency=None, area=None, now=now).secret,
    )
    mine = board(session, admin, now=desk.now, limit=None)
    read |= {t.area_name for t in mine if t.code == ticket.code}
    read |= {g.name for g in backlog(mine, by="area") if g.group == ticket.area.code}
    escalations = _mails(session, ticket, "escalation")
    handovers = _mails(session, ticket, "handover")
    assert escalations and handovers
    for _to, subject, body, html in escalations:
        read.add(subject.rsplit(", ", 1)[1])
        read |= _area_lines(body)
        read |= _area_cells(html)
    for _to, _subject, body, html in handovers:
        read |= _area_lines(body)
        read |= _area_cells(html)
    return read


def _area_lines(body: str) -> set[str]:
    lines = {line.split(": ", 1)[1] for line in body.splitlines() if line.startswith("Wilayah")}
    assert lines, body
    return lines


def _area_cells(html: str) -> set[str]:
    start = html.index("<td>Wilayah / area</td><td>") + len("<td>Wilayah / area</td><td>")
    return {html[start : html.index("</td>", start)]}


def test_gambir_reads_kelurahan_gambir_in_projection_and_mail_before_and_after_the_import(
    session: Session, official: Session, settings: Settings, start_time: datetime
) -> None:
    before = _gambir_as_read(session, settings, start_time)
    after = _gambir_as_read(official, settings, start_time)

    assert before == {"Kelurahan Gambir"}  # the catalogue's own name, not doubled
    assert after == {"Kelurahan Gambir"}  # the file's "Gambir", titled


def test_generated_offices_keep_the_bare_name_while_their_mail_names_the_titled_area(
    official: Session, settings: Settings, start_time: datetime
) -> None:
    """Kelurahan Baru (31.75.05.1002, in Kecamatan Pasar Rebo) has no office in the catalogue:
    the rule made its office and its kecamatan's from the file's names."""
    features = json.loads(OFFICIAL_BOUNDARIES.read_bytes())["features"]
    (baru,) = [f for f in features if f["properties"]["kode"] == "31.75.05.1002"]
    inside = shape(baru["geometry"]).representative_point()
    desk = _desk(official, settings, start_time)
    ticket = desk.submit(lat=inside.y, lon=inside.x)
    sweep_batch(official, now=desk.now + timedelta(days=14))

    offices = {
        a.code: (a.name, a.email, a.head_email)
        for a in official.scalars(
            select(Agency).where(Agency.code.in_(["KEL-31.75.05.1002", "KEC-31.75.05"]))
        )
    }
    assert offices == {
        "KEL-31.75.05.1002": (
            "Kantor Kelurahan Baru",
            "kel-baru.queue@tanggap.example",
            "kel-baru.head@tanggap.example",
        ),
        "KEC-31.75.05": (
            "Kantor Kecamatan Pasar Rebo",
            "kec-pasar-rebo.queue@tanggap.example",
            "kec-pasar-rebo.head@tanggap.example",
        ),
    }
    assert ticket.area.parent is not None
    assert (ticket.area.name, ticket.area.parent.name) == ("Baru", "Pasar Rebo")  # as stored
    told = {to: body for to, _subject, body, _html in _mails(official, ticket, "escalation")}
    for office in ("kel-baru.head@tanggap.example", "kec-pasar-rebo.head@tanggap.example"):
        assert "Wilayah / area: Kelurahan Baru\n" in told[office]


def test_place_search_names_the_kelurahan_and_the_kecamatan_apart(official: Session) -> None:
    found = [(p.code, p.name, p.label) for p in search_places(official, "Gambir")[:2]]

    assert found == [
        ("31.71.01.1001", "Kelurahan Gambir", "Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat"),
        ("31.71.01", "Kecamatan Gambir", "Kecamatan Gambir, Jakarta Pusat"),
    ]


def test_an_area_renamed_by_a_new_import_moves_its_offices_waiting_mail_and_says_so(
    official: Session, settings: Settings, start_time: datetime
) -> None:
    """A tester's report: the file was imported again with Kelurahan Baru spelled "Baru Raya";
    its office's addresses became kel-baru-raya.…@, the import said only "area_office.updated 1",
    and the breach already waiting still went to the old mailbox."""
    from engine.areas import import_boundaries
    from engine.boundaries import parse_mapping
    from engine.delivery import claim
    from tests.conftest import ROOT

    features = json.loads(OFFICIAL_BOUNDARIES.read_bytes())["features"]
    (baru,) = [f for f in features if f["properties"]["kode"] == "31.75.05.1002"]
    inside = shape(baru["geometry"]).representative_point()
    desk = _desk(official, settings, start_time)
    ticket = desk.submit(lat=inside.y, lon=inside.x)
    late = desk.now + timedelta(days=14)
    sweep_batch(official, now=late)
    assert "kel-baru.head@tanggap.example" in {m[0] for m in _mails(official, ticket, "escalation")}

    baru["properties"]["nama"] = "Baru Raya"
    renamed = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    mapping = parse_mapping((ROOT / "catalogue" / "kemendagri-boundaries.yaml").read_text())
    summary = import_boundaries(official, renamed, mapping, source="renamed.geojson", now=late)

    assert summary.address_changes == [
        "KEL-31.75.05.1002 Kantor Kelurahan Baru Raya: "
        "queue kel-baru.queue@tanggap.example → kel-baru-raya.queue@tanggap.example; "
        "head kel-baru.head@tanggap.example → kel-baru-raya.head@tanggap.example"
    ]
    assert summary.as_dict()["waiting mail.updated"] >= 1
    rows = {
        n.recipient: n
        for n in official.scalars(select(Notification).where(Notification.ticket_id == ticket.id))
    }
    old = rows["kel-baru.head@tanggap.example"]
    assert old.status == "failed"
    assert (old.last_error or "").startswith("not sent: the boundaries were imported, its ")
    assert "kel-baru-raya.head@tanggap.example" in (old.last_error or "")
    sent = {m.recipient: m for m in claim(official, now=late + timedelta(minutes=5), limit=100)}
    assert "kel-baru.head@tanggap.example" not in sent
    assert (
        "Wilayah / area: Kelurahan Baru Raya\n" in sent["kel-baru-raya.head@tanggap.example"].text
    )
