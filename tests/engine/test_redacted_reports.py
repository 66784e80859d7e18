"""Redacted reports (``redact``): a supervisor or admin edits what the public reads of a report
that stays public — its description, photos hidden one by one — with an internal reason. Every
public reader follows; staff keep the reporter's words and every photo; refusals write nothing;
the columns' migration; the history replays it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import inspect, select

from engine import schema, visibility
from engine.db import Database
from engine.errors import Forbidden, RuleViolated
from engine.history import replay_history
from engine.keys import create_key, holder_of
from engine.lifecycle import Role, Trigger
from engine.models import Attachment, Notification, TicketEvent
from engine.queries import list_public_updates
from engine.queries.feeds import latest_notes_and_photos
from engine.queries.media import find_stored_photo
from engine.queries.public import PublicFilter, get_public, list_public, nearby_open
from engine.queries.staff import ticket_detail
from engine.reports import reporter_view
from engine.tickets import list_events
from tests.conftest import make_photo, separate_database_url

from .conftest import MONAS, Desk

REASON = "berisi nama dan nomor HP tetangga"
ORIGINAL = "Mobil B 1234 XYZ milik Pak Budi (0812-3456-7890) parkir di trotoar tiap hari"
REDACTED = "Mobil parkir di trotoar tiap hari"
FACE, PLATE = make_photo(size=(64, 48)), make_photo(size=(80, 60))
SCENE = make_photo(size=(50, 50))


def _keys(desk: Desk, ticket_id: int) -> list[str]:
    return list(
        desk.session.scalars(
            select(Attachment.storage_key)
            .where(Attachment.ticket_id == ticket_id)
            .order_by(Attachment.id)
        )
    )


def _reported(desk: Desk):  # type: ignore[no-untyped-def]
    ticket = desk.submit(description=ORIGINAL, photos=(FACE, PLATE))
    face, plate = _keys(desk, ticket.id)
    return ticket, face, plate


def _staff_view(desk: Desk, code: str):  # type: ignore[no-untyped-def]
    made = create_key(
        desk.session, role=Role.ADMIN, name="moderasi", agency=None, area=None, now=desk.now
    )
    holder = holder_of(made.key)
    return ticket_detail(desk.session, holder, code, now=desk.now)


def test_every_public_reader_reads_the_redaction_and_staff_keep_the_original(desk: Desk) -> None:
    ticket, face, plate = _reported(desk)
    before = ticket.updated_at
    desk.act(ticket, "redact", "supervisor", note=REASON, description=REDACTED, hide_photos=[face])
    assert ticket.description == ORIGINAL and ticket.public_description == REDACTED
    assert ticket.updated_at == desk.now > before  # Open311 clients sync on it

    public = get_public(desk.session, ticket.code, now=desk.now)
    assert public.description == REDACTED
    assert [p.storage_key for p in public.photos] == [plate]
    assert public.timeline[-1].trigger == "redact" and public.timeline[-1].note is None
    listed = list_public(desk.session, PublicFilter(), now=desk.now, limit=10).items
    assert [(t.code, t.description) for t in listed] == [(ticket.code, REDACTED)]
    near = nearby_open(
        desk.session,
        category="traffic_jam",
        lat=MONAS[0],
        lon=MONAS[1],
        radius_m=250,
        days=30,
        now=desk.now,
    )
    assert [t.description for t in near] == [REDACTED]
    # GET /media/{key}: the hidden photo is no longer public; the other still is.
    hidden, shown = find_stored_photo(desk.session, face), find_stored_photo(desk.session, plate)
    assert hidden is not None and shown is not None
    assert (hidden.public, shown.public) == (False, True)
    # Open311 lists show the first public photo: never the hidden one.
    assert latest_notes_and_photos(desk.session, [ticket.id])[ticket.id][1] == plate

    view = reporter_view(desk.session, ticket.code, token=desk.tokens[ticket.code], now=desk.now)
    assert (view.report.description, view.redacted, view.public) == (REDACTED, True, True)
    assert [p.storage_key for p in view.report.photos] == [plate]

    staff = _staff_view(desk, ticket.code)
    assert (staff.description, staff.redacted) == (ORIGINAL, True)
    assert staff.public.description == REDACTED
    assert [(p.storage_key, p.public, p.hidden) for p in staff.photos] == [
        (face, False, True),
        (plate, True, False),
    ]
    event = staff.events[-1]
    assert (event.trigger, event.note, event.public) == ("redact", REASON, False)
    assert event.data == {
        "public_description": {"from": None, "to": REDACTED},
        "hidden_photos": [face],
    }


def test_the_redaction_is_a_public_event_without_mail(desk: Desk) -> None:
    ticket = desk.submit(description=ORIGINAL, reporter_email="warga@example.com")
    mails = desk.session.scalar(select(Notification.id).order_by(Notification.id.desc()))
    desk.act(ticket, "redact", "admin", note=REASON, description=REDACTED)
    event = list_events(desk.session, ticket)[-1]
    assert visibility.is_public(event) and not visibility.in_status_mail(event)
    # No status mail tells anyone of it (there is no news of the report).
    assert desk.session.scalar(select(Notification.id).order_by(Notification.id.desc())) == mails
    updates = list_public_updates(
        desk.session, start=desk.now - timedelta(hours=1), end=desk.now, limit=10
    )
    assert [(u.trigger, u.note, u.photo_key) for u in updates][-1] == ("redact", None, None)


def test_a_hidden_staff_photo_leaves_the_update_feed(desk: Desk) -> None:
    ticket = desk.ticket_in("in_progress")
    desk.act(ticket, "comment", "admin", note="foto lokasi", public=True, photos=(FACE,))
    [key] = _keys(desk, ticket.id)
    start = desk.now - timedelta(days=1)
    found = list_public_updates(desk.session, start=start, end=desk.now, limit=20)
    assert [u.photo_key for u in found if u.trigger == "comment"] == [key]
    desk.act(ticket, "redact", "supervisor", note="wajah", description=None, hide_photos=[key])
    found = list_public_updates(desk.session, start=start, end=desk.now, limit=20)
    assert [u.photo_key for u in found if u.trigger == "comment"] == [None]
    assert get_public(desk.session, ticket.code, now=desk.now).photos == ()


@pytest.mark.parametrize("who", ["staff", "outsider", "kelurahan", "governor", "dbm", "citizen"])
def test_only_supervisors_and_admins_redact(desk: Desk, who: str) -> None:
    ticket = desk.submit(description=ORIGINAL)
    with pytest.raises(Forbidden):
        desk.act(ticket, "redact", who, note=REASON, description=REDACTED)
    assert (ticket.public_description, ticket.version) == (None, 1)


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_supervisors_and_admins_redact_in_a_final_state(desk: Desk, who: str) -> None:
    ticket = desk.ticket_in("closed", description=ORIGINAL)
    desk.act(ticket, "redact", who, note=REASON, description=REDACTED)
    assert (ticket.state, ticket.public_description) == ("closed", REDACTED)


def _refused(desk: Desk, ticket, **fields) -> RuleViolated:  # type: ignore[no-untyped-def]
    version = ticket.version
    with pytest.raises(RuleViolated) as raised:
        desk.act(ticket, "redact", "admin", **fields)
    desk.session.expire_all()
    assert ticket.version == version and ticket.public_description is None
    hidden = desk.session.scalars(
        select(Attachment.id).where(
            Attachment.ticket_id == ticket.id, Attachment.hidden_at.is_not(None)
        )
    ).all()
    assert hidden == []
    events = desk.session.scalars(
        select(TicketEvent.trigger).where(TicketEvent.ticket_id == ticket.id)
    ).all()
    assert "redact" not in events
    return raised.value


def test_refusals_name_the_field_and_write_nothing(desk: Desk) -> None:
    ticket, face, _ = _reported(desk)
    missing = _refused(desk, ticket, note=None, description=REDACTED, hide_photos=[face])
    assert (missing.code, missing.params["field"]) == ("reason_required", "note")
    public = _refused(desk, ticket, note=REASON, description=REDACTED, public=True)
    assert (public.code, public.params["field"]) == ("note_stays_internal", "public")
    nothing = _refused(desk, ticket, note=REASON, description=None)
    assert nothing.code == "nothing_to_redact"
    same = _refused(desk, ticket, note=REASON, description=f"  {ORIGINAL}  ", hide_photos=[face])
    assert (same.code, same.params["field"]) == ("description_unchanged", "description")
    control = _refused(desk, ticket, note=REASON, description="nama\x07")
    assert control.params["field"] == "description"
    long = _refused(desk, ticket, note=REASON, description="x" * 4001)
    assert long.params["field"] == "description"
    unknown = _refused(desk, ticket, note=REASON, description=REDACTED, hide_photos=[face, "abc"])
    assert (unknown.code, unknown.params) == (
        "unknown_photo",
        {"field": "hide_photos", "photo": "abc"},
    )
    assert "'abc'" in unknown.message
    # Another report's photo is not this one's.
    other = desk.submit(photos=(make_photo(size=(30, 30)),))
    [theirs] = _keys(desk, other.id)
    refused = _refused(desk, ticket, note=REASON, description=None, hide_photos=[theirs])
    assert refused.code == "unknown_photo"


def test_a_photo_hidden_already_or_never_shown_is_refused(desk: Desk) -> None:
    ticket, face, plate = _reported(desk)
    desk.act(ticket, "redact", "admin", note=REASON, description=None, hide_photos=[face])
    again = desk.session.get(type(ticket), ticket.id)
    version = ticket.version
    with pytest.raises(RuleViolated) as raised:
        desk.act(
            ticket, "redact", "admin", note=REASON, description=None, hide_photos=[plate, face]
        )
    assert raised.value.code == "photo_already_hidden"
    assert "hidden from the public already" in raised.value.message
    desk.session.expire_all()
    assert again is not None and ticket.version == version
    assert find_stored_photo(desk.session, plate).public  # type: ignore[union-attr]
    desk.act(ticket, "comment", "admin", note="internal", public=False, photos=(SCENE,))
    internal = _keys(desk, ticket.id)[-1]
    with pytest.raises(RuleViolated) as raised:
        desk.act(ticket, "redact", "admin", note=REASON, description=None, hide_photos=[internal])
    assert raised.value.code == "photo_not_public"


def test_redacting_again_and_back_to_the_words_as_sent(desk: Desk) -> None:
    ticket = desk.submit(description=ORIGINAL)
    desk.act(ticket, "redact", "admin", note=REASON, description=REDACTED)
    desk.act(ticket, "redact", "supervisor", note="masih ada", description="Mobil parkir")
    assert get_public(desk.session, ticket.code, now=desk.now).description == "Mobil parkir"
    desk.act(ticket, "redact", "admin", note="keliru, tidak ada data pribadi", description=ORIGINAL)
    assert ticket.public_description is None
    events = list_events(desk.session, ticket)
    assert [e.data["public_description"] for e in events if e.trigger == "redact"] == [
        {"from": None, "to": REDACTED},
        {"from": REDACTED, "to": "Mobil parkir"},
        {"from": "Mobil parkir", "to": None},
    ]
    assert replay_history(events).values["public_description"] is None
    assert replay_history(events[:-1]).values["public_description"] == "Mobil parkir"


def test_an_unpublished_report_may_be_redacted_before_it_comes_back(desk: Desk) -> None:
    ticket = desk.submit(description=ORIGINAL)
    desk.act(ticket, "unpublish", "admin", note=REASON)
    desk.act(ticket, "redact", "admin", note=REASON, description=REDACTED)
    desk.act(ticket, "republish", "admin", note="sudah disunting")
    assert get_public(desk.session, ticket.code, now=desk.now).description == REDACTED


def test_redact_is_offered_to_moderators_only(desk: Desk) -> None:
    from engine.actions import permitted

    ticket = desk.submit()
    for who, offered in [("supervisor", True), ("admin", True), ("staff", False)]:
        found = permitted(
            desk.session,
            desk.actor(who),
            ticket,
            now=desk.now,
            dispute_window=desk.settings.dispute_window,
        )
        assert (Trigger.REDACT in found) is offered


def _columns(db: Database, table: str) -> set[str]:
    with db.engine.connect() as conn:
        return {column["name"] for column in inspect(conn).get_columns(table)}


def test_migration_0018_adds_the_columns_and_takes_them_away(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = separate_database_url(database_url, "tanggap_redact_migration", tmp_path_factory)
    db = Database(url)
    try:
        schema.upgrade(db.engine)
        command.downgrade(schema.alembic_config(db.url), "0017")  # a database made before 0018
        assert "public_description" not in _columns(db, "tickets")
        assert "hidden_at" not in _columns(db, "attachments")
        schema.upgrade(db.engine)
        assert "public_description" in _columns(db, "tickets")
        assert "hidden_at" in _columns(db, "attachments")
    finally:
        db.dispose()


def test_a_hidden_photo_sent_again_by_the_reporter_stays_hidden(desk: Desk) -> None:
    """A tester's report: after a moderator hid the reporter's photo of a face, the reporter
    commented with the same file again; its copy shares the hidden one's address, and the photo
    was public again (in the report and at /media)."""
    ticket, face, plate = _reported(desk)
    desk.act(ticket, "redact", "supervisor", note=REASON, description=None, hide_photos=[face])
    desk.now += timedelta(minutes=5)

    desk.act(ticket, "comment", "citizen", note="ini fotonya lagi", photos=[FACE])

    public = get_public(desk.session, ticket.code, now=desk.now)
    assert [p.storage_key for p in public.photos] == [plate]
    assert not find_stored_photo(desk.session, face).public  # type: ignore[union-attr]
    copies = desk.session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id, Attachment.storage_key == face)
    ).all()
    assert len(copies) == 2 and all(c.hidden_at is not None for c in copies)


# --- showing a hidden photo again (``show_photos``) ------------------------------------------


def test_a_photo_hidden_by_mistake_is_shown_to_every_public_reader_again(desk: Desk) -> None:
    """A moderator hid the wrong photo: ``show_photos`` puts it back where the public reads the
    report (its page, lists, Open311, ``GET /media/{key}``), every copy of it included."""
    ticket, face, plate = _reported(desk)
    desk.act(ticket, "redact", "supervisor", note=REASON, description=None, hide_photos=[face])
    desk.act(ticket, "comment", "citizen", note="ini fotonya lagi", photos=[FACE])  # a copy
    copied = ticket.version
    assert [p.storage_key for p in get_public(desk.session, ticket.code, now=desk.now).photos] == [
        plate
    ]
    desk.now += timedelta(minutes=5)

    desk.act(
        ticket,
        "redact",
        "admin",
        note="keliru: bukan wajah",
        description=None,
        hide_photos=[plate],
        show_photos=[face],
    )

    public = get_public(desk.session, ticket.code, now=desk.now)
    # One stored file, sent with the report and with the comment: listed once, with both.
    assert [(p.storage_key, [s.seq for s in p.sent]) for p in public.photos] == [
        (face, [1, copied])
    ]
    hidden, back = find_stored_photo(desk.session, plate), find_stored_photo(desk.session, face)
    assert hidden is not None and back is not None
    assert (hidden.public, back.public) == (False, True)
    assert latest_notes_and_photos(desk.session, [ticket.id])[ticket.id][1] == face
    copies = desk.session.scalars(
        select(Attachment.hidden_at).where(
            Attachment.ticket_id == ticket.id, Attachment.storage_key == face
        )
    ).all()
    assert copies == [None, None]
    staff = _staff_view(desk, ticket.code)
    assert [(p.storage_key, p.public, p.hidden) for p in staff.photos] == [
        (face, True, False),
        (plate, False, True),
    ]
    assert staff.events[-1].data == {"hidden_photos": [plate], "shown_photos": [face]}
    # Shown again, a photo may be hidden again; a later copy is no longer hidden for it.
    desk.act(ticket, "comment", "citizen", note="sekali lagi", photos=[FACE])
    assert find_stored_photo(desk.session, face).public  # type: ignore[union-attr]
    desk.act(ticket, "redact", "admin", note=REASON, description=None, hide_photos=[face])
    assert get_public(desk.session, ticket.code, now=desk.now).photos == ()


def test_showing_again_a_photo_not_hidden_unknown_or_also_hidden_is_refused(desk: Desk) -> None:
    ticket, face, plate = _reported(desk)
    desk.act(ticket, "redact", "admin", note=REASON, description=None, hide_photos=[face])
    version = ticket.version

    def refused(**fields: object) -> RuleViolated:
        with pytest.raises(RuleViolated) as raised:
            desk.act(ticket, "redact", "admin", note=REASON, **fields)
        desk.session.expire_all()
        assert ticket.version == version and ticket.public_description is None
        found = desk.session.scalars(
            select(Attachment.storage_key).where(
                Attachment.ticket_id == ticket.id, Attachment.hidden_at.is_not(None)
            )
        ).all()
        assert found == [face]  # nothing shown, nothing hidden
        return raised.value

    not_hidden = refused(description=REDACTED, show_photos=[face, plate])
    assert (not_hidden.code, not_hidden.params) == (
        "photo_not_hidden",
        {"field": "show_photos", "photo": plate},
    )
    assert "is not hidden from the public" in not_hidden.message
    unknown = refused(description=REDACTED, show_photos=["abc"])
    assert (unknown.code, unknown.params) == (
        "unknown_photo",
        {"field": "show_photos", "photo": "abc"},
    )
    other = desk.submit(photos=(make_photo(size=(30, 30)),))
    [theirs] = _keys(desk, other.id)
    assert refused(description=None, show_photos=[theirs]).code == "unknown_photo"
    both = refused(description=None, hide_photos=[plate], show_photos=[plate])
    assert (both.code, both.params["field"]) == ("photo_hidden_and_shown", "show_photos")
    nothing = refused(description=None, hide_photos=[], show_photos=[])
    assert nothing.code == "nothing_to_redact" and "show_photos" in nothing.message
    assert [p.storage_key for p in get_public(desk.session, ticket.code, now=desk.now).photos] == [
        plate
    ]


def test_the_senders_own_photo_hidden_is_shown_again(desk: Desk) -> None:
    sent = "https://warga.example.org/foto/77.jpg"
    ticket = desk.submit(description=ORIGINAL, media_url=sent)
    with pytest.raises(RuleViolated) as raised:
        desk.act(ticket, "redact", "admin", note=REASON, description=None, show_photos=[sent])
    assert (raised.value.code, raised.value.params["field"]) == ("photo_not_hidden", "show_photos")
    desk.act(ticket, "redact", "admin", note=REASON, description=None, hide_photos=[sent])
    assert ticket.media_url_hidden_at is not None
    desk.act(ticket, "redact", "admin", note="keliru", description=None, show_photos=[sent])
    assert ticket.media_url_hidden_at is None
    assert _staff_view(desk, ticket.code).media_url_hidden is False


def test_a_photo_may_be_named_by_its_url_or_path_as_staff_see_it(desk: Desk) -> None:
    """A tester's report: --hide-photo refused the photo's url and the ``media/…`` path that
    ``ticket show`` prints, though the help names the url. The key is read out of either."""
    ticket, face, plate = _reported(desk)

    desk.act(ticket, "redact", "admin", note=REASON, description=None,
             hide_photos=[f"http://127.0.0.1:8000/media/{face}?v=1", f"media/{plate}"])  # fmt: skip

    assert get_public(desk.session, ticket.code, now=desk.now).photos == ()
    assert _staff_view(desk, ticket.code).events[-1].data == {"hidden_photos": [face, plate]}
    desk.act(ticket, "redact", "admin", note=REASON, description=None,
             show_photos=[f"/media/{plate}"])  # fmt: skip
    assert [p.storage_key for p in get_public(desk.session, ticket.code, now=desk.now).photos] == [
        plate
    ]
