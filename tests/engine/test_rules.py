"""Business rules around the lifecycle table: reasons, targets, scope, the reporter's token,
ratings, versions, input validation and the audit trail.

Which (state, trigger, role) combinations are legal at all is tested in test_lifecycle_matrix.py;
here every action is legal for its state and actor unless a rule of its own says otherwise.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.actions import perform
from engine.actors import Actor
from engine.errors import (
    CatalogueEntryNotFound,
    Forbidden,
    RuleViolated,
    StaleVersion,
    TicketNotFound,
    UnknownCategory,
    UnknownTrigger,
)
from engine.lifecycle import Role, Trigger
from engine.models import Ticket
from engine.staff import add_staff
from engine.submission import Report, submit
from engine.tickets import count_events, list_events

PLUIT = (-6.12, 106.79)
PULAU_PRAMUKA = (-5.7453, 106.6145)
ACTIONS = [t.value for t in Trigger if t not in (Trigger.SUBMIT, Trigger.MERGE)]


def persisted(session, ticket: Ticket) -> tuple[Any, ...]:
    """The ticket as the database holds it once pending changes are flushed, as any later
    query in the same transaction would flush them."""
    session.flush()
    session.refresh(ticket)
    return (
        ticket.state,
        ticket.version,
        ticket.agency_id,
        ticket.officer_id,
        ticket.held_from,
        ticket.duplicate_of_id,
        ticket.rating,
        ticket.cycle,
        ticket.resolved_at,
        count_events(session, ticket),
    )


def ticket_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Ticket)) or 0


def enrol(desk, name: str, role: Role, agency: str) -> None:
    """Add a staff member to the desk's roster under ``name``."""
    desk.staff[name] = add_staff(
        desk.session,
        email=f"{name}@tanggap.example",
        name=name.title(),
        role=role,
        agency=agency,
        now=desk.now,
    )


def act_as(desk, ticket: Ticket, action: str, actor: Actor, **fields: Any) -> Ticket:
    return perform(
        desk.session,
        ticket.code,
        action,
        actor=actor,
        now=desk.tick(),
        settings=desk.settings,
        storage=desk.storage,
        **fields,
    )


# --- reasons ---------------------------------------------------------------------------------

#: Actions that need a reason: the state to fire them from and their other required input.
NEEDS_REASON = {
    "reject": ("submitted", {}),
    "transfer": ("assigned", {"agency": "DBM"}),
    "hold": ("assigned", {}),
    "resolve": ("in_progress", {}),
    "reopen": ("resolved", {}),
}


@pytest.mark.parametrize("note", ["", "   \n\t "])
@pytest.mark.parametrize("action", sorted(NEEDS_REASON))
def test_action_blank_reason_rule_violated_nothing_written(desk, action: str, note: str) -> None:
    state, fields = NEEDS_REASON[action]
    ticket = desk.ticket_in(state)
    before = persisted(desk.session, ticket)

    with pytest.raises(RuleViolated, match=f"{action} needs a reason"):
        desk.act(ticket, action, **fields, note=note)

    assert persisted(desk.session, ticket) == before


@pytest.mark.parametrize(
    ("action", "state", "fields"),
    [
        *[
            pytest.param(action, state, fields | {"note": None}, id=f"{action}-note")
            for action, (state, fields) in sorted(NEEDS_REASON.items())
        ],
        pytest.param("transfer", "assigned", {"agency": None}, id="transfer-agency"),
        pytest.param("mark_duplicate", "submitted", {"duplicate_of": None}, id="duplicate-of"),
    ],
)
def test_perform_required_input_omitted_rule_violated(
    desk, action: str, state: str, fields: dict[str, Any]
) -> None:
    # The CLI and generic routes pass None for every option the caller left out; a missing
    # reason or target must read as a rule (422), not crash the call.
    ticket = desk.ticket_in(state)
    before = persisted(desk.session, ticket)

    with pytest.raises(RuleViolated):
        desk.act(ticket, action, **fields)

    assert persisted(desk.session, ticket) == before


def test_reject_reason_stored_on_public_event(desk) -> None:
    ticket = desk.submit()

    desk.act(ticket, "reject", note="  bukan wewenang Pemprov  ")

    event = list_events(desk.session, ticket)[-1]
    assert (ticket.state, event.note, event.public) == ("rejected", "bukan wewenang Pemprov", True)


# --- mark_duplicate --------------------------------------------------------------------------


def test_mark_duplicate_points_at_parent(desk) -> None:
    parent = desk.submit()
    ticket = desk.submit()

    desk.act(ticket, "mark_duplicate", duplicate_of=parent.code.lower())

    assert ticket.state == "duplicate"
    assert ticket.duplicate_of is parent
    assert list_events(desk.session, ticket)[-1].data == {
        "duplicate_of": {"from": None, "to": parent.code}
    }
    # The ticket that stands says so in its own history (and its version moved with it).
    merged = list_events(desk.session, parent)[-1]
    assert (merged.trigger, merged.data, merged.public) == (
        "merge",
        {"duplicate": ticket.code},
        False,
    )


@pytest.mark.parametrize(
    ("target", "error", "message"),
    [
        pytest.param("", RuleViolated, "needs the code", id="blank"),
        pytest.param("self", RuleViolated, "cannot duplicate itself", id="itself"),
        pytest.param("self-sloppy", RuleViolated, "cannot duplicate itself", id="itself-typed"),
        pytest.param("duplicate", RuleViolated, "is duplicate", id="parent-is-duplicate"),
        pytest.param("rejected", RuleViolated, "is rejected", id="parent-is-rejected"),
        # its work is over: a report of the problem coming back is worked on, not buried
        pytest.param(
            "closed",
            RuleViolated,
            r"is closed; if the problem is still there or back, work on this "
            r"report \(or reopen JKT-",
            id="parent-is-closed",
        ),
        # its reporter's dispute is no one else's: a duplicate's reporter could not dispute it
        pytest.param(
            "resolved",
            RuleViolated,
            r"is resolved; if the problem is still there or back, work on this report "
            r"\(or reopen JKT-[A-Z0-9-]+\); if it is fixed, resolve this report too",
            id="parent-is-resolved",
        ),
        pytest.param("JKT-ZZZZ-ZZZZ", TicketNotFound, "JKT-ZZZZ-ZZZZ", id="unknown"),
    ],
)
def test_mark_duplicate_bad_target_refused_nothing_written(
    desk, target: str, error: type, message: str
) -> None:
    ticket = desk.submit()
    if target == "self":
        target = ticket.code
    elif target == "self-sloppy":
        target = ticket.code.lower().replace("-", " ")
    elif target in ("duplicate", "rejected", "closed", "resolved"):
        target = desk.ticket_in(target).code
    before = persisted(desk.session, ticket)

    with pytest.raises(error, match=message):
        desk.act(ticket, "mark_duplicate", duplicate_of=target)

    assert persisted(desk.session, ticket) == before


# --- transfer and assign ---------------------------------------------------------------------


def test_transfer_other_agency_moves_ticket_as_coordination(desk) -> None:
    ticket = desk.ticket_in("in_progress")
    assert ticket.officer_id == desk.staff["admin"].id  # whoever started the work owns it

    desk.act(ticket, "transfer", agency="DBM", officer="dbm@tanggap.example", note="jalan ambles")

    assert (ticket.state, ticket.last_trigger) == ("assigned", "transfer")
    assert ticket.agency.code == "DBM"
    assert ticket.officer is desk.staff["dbm"]
    event = list_events(desk.session, ticket)[-1]
    assert event.data == {
        "agency": {"from": "DISHUB", "to": "DBM"},
        "officer": {"from": "admin@tanggap.example", "to": "dbm@tanggap.example"},
    }
    assert not event.public  # an internal hand-over note unless said otherwise


def test_start_by_staff_starter_becomes_officer(desk) -> None:
    ticket = desk.ticket_in("assigned")
    assert ticket.officer is None

    desk.act(ticket, "start", "staff")

    assert ticket.officer is desk.staff["staff"]


def test_transfer_without_officer_clears_previous_officer(desk) -> None:
    ticket = desk.ticket_in("assigned")
    desk.act(ticket, "start", "staff")  # a DISHUB officer takes it on

    desk.act(ticket, "transfer", agency="DBM")

    # DBM's queue gets it unowned, not still owned by the DISHUB officer.
    assert (ticket.agency.code, ticket.officer_id) == ("DBM", None)


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        pytest.param({"agency": "DISHUB"}, RuleViolated, "already with DISHUB", id="same-agency"),
        pytest.param({"agency": "NOPE"}, CatalogueEntryNotFound, "NOPE", id="unknown-agency"),
        pytest.param(
            {"agency": "DBM", "officer": "outsider@tanggap.example"},
            RuleViolated,
            "does not work for DBM",
            id="officer-of-third-agency",
        ),
    ],
)
def test_transfer_bad_target_refused_nothing_written(
    desk, fields: dict[str, Any], error: type, message: str
) -> None:
    ticket = desk.ticket_in("assigned")
    before = persisted(desk.session, ticket)

    with pytest.raises(error, match=message):
        desk.act(ticket, "transfer", **fields)

    assert persisted(desk.session, ticket) == before


def test_assign_officer_of_agency_recorded(desk) -> None:
    ticket = desk.ticket_in("verified")

    desk.act(ticket, "assign", officer="staff@tanggap.example")

    assert (ticket.state, ticket.agency.code) == ("assigned", "DISHUB")
    assert ticket.officer is desk.staff["staff"]


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"officer": "outsider@tanggap.example"}, id="home-agency"),
        pytest.param({"agency": "DBM", "officer": "outsider@tanggap.example"}, id="other-agency"),
    ],
)
def test_assign_officer_of_another_agency_rule_violated_nothing_written(
    desk, fields: dict[str, Any]
) -> None:
    ticket = desk.ticket_in("verified")
    before = persisted(desk.session, ticket)

    with pytest.raises(RuleViolated, match=r"'outsider@tanggap\.example' does not work for"):
        desk.act(ticket, "assign", **fields)

    assert persisted(desk.session, ticket) == before


def test_assign_officer_email_any_case_found(desk) -> None:
    # Staff e-mails are stored lower-cased; people type them as printed on a card.
    ticket = desk.ticket_in("verified")

    desk.act(ticket, "assign", officer="Staff@Tanggap.Example")

    assert ticket.officer is desk.staff["staff"]


# --- hold and resume -------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["assigned", "in_progress"])
def test_hold_then_resume_returns_to_held_state(desk, state: str) -> None:
    ticket = desk.ticket_in(state)

    desk.act(ticket, "hold")
    assert (ticket.state, ticket.held_from) == ("on_hold", state)

    desk.act(ticket, "resume")
    assert (ticket.state, ticket.held_from) == (state, None)


# --- who may act where -----------------------------------------------------------------------


def test_scope_kelurahan_office_triages_ticket_beneath_it(desk) -> None:
    ticket = desk.submit()  # traffic_jam at Monas: routed to DISHUB, in Kelurahan Gambir

    desk.act(ticket, "verify", "kelurahan")
    desk.act(ticket, "assign", "kelurahan")

    assert (ticket.state, ticket.agency.code) == ("assigned", "DISHUB")


def test_scope_kelurahan_office_staff_may_not_do_field_work(desk) -> None:
    ticket = desk.ticket_in("assigned")
    before = persisted(desk.session, ticket)

    with pytest.raises(Forbidden, match="another agency"):
        desk.act(ticket, "start", "kelurahan")

    assert persisted(desk.session, ticket) == before


@pytest.mark.parametrize(
    ("where", "action"),
    [
        pytest.param(PLUIT, "verify", id="verify-pluit"),
        pytest.param(PULAU_PRAMUKA, "reject", id="reject-kepulauan-seribu"),
        pytest.param((-6.1754, 106.8272), "mark_duplicate", id="duplicate-monas"),
    ],
)
def test_scope_governor_office_triages_anywhere(desk, where, action: str) -> None:
    ticket = desk.submit(lat=where[0], lon=where[1])

    desk.act(ticket, action, "governor")

    assert ticket.state == {"verify": "verified", "reject": "rejected"}.get(action, "duplicate")


def test_scope_governor_office_staff_may_not_start(desk) -> None:
    ticket = desk.ticket_in("assigned")

    with pytest.raises(Forbidden):
        desk.act(ticket, "start", "governor")


@pytest.mark.parametrize(
    ("name", "role", "agency"),
    [
        pytest.param("outsider", Role.STAFF, "DLH", id="other-dinas"),
        pytest.param("pluit", Role.STAFF, "KEL-PLUIT", id="other-kelurahan"),
        pytest.param("priok", Role.SUPERVISOR, "KEC-TANJUNG-PRIOK", id="other-kecamatan-head"),
    ],
)
def test_scope_staff_elsewhere_may_not_verify(desk, name: str, role: Role, agency: str) -> None:
    if name not in desk.staff:
        enrol(desk, name, role, agency)
    ticket = desk.submit()
    before = persisted(desk.session, ticket)

    with pytest.raises(Forbidden, match="another agency"):
        desk.act(ticket, "verify", name)

    assert persisted(desk.session, ticket) == before


@pytest.mark.parametrize(
    ("action", "version_offset"),
    [("verify", 0), ("verify", 2), ("start", 0), ("start", 1), ("comment", 3)],
)
def test_scope_staff_elsewhere_refused_before_version_and_state(
    desk, action: str, version_offset: int
) -> None:
    """A staff member of another agency (the CLI's --as) is refused for the ticket alone: a
    wrong version or an illegal trigger raises the same Forbidden, which carries no state."""
    if "outsider" not in desk.staff:
        enrol(desk, "outsider", Role.STAFF, "DLH")
    ticket = desk.submit()
    before = persisted(desk.session, ticket)

    with pytest.raises(Forbidden, match=f"^ticket {ticket.code} belongs to another agency$"):
        desk.act(
            ticket, action, "outsider", note="uji", expected_version=ticket.version + version_offset
        )

    assert persisted(desk.session, ticket) == before


@pytest.mark.parametrize(
    ("name", "role", "agency", "allowed"),
    [
        pytest.param("supervisor", Role.SUPERVISOR, "DISHUB", True, id="home-supervisor"),
        pytest.param("camat", Role.SUPERVISOR, "KEC-GAMBIR", True, id="kecamatan-supervisor"),
        pytest.param("walikota", Role.SUPERVISOR, "WALKOT-JP", True, id="kota-supervisor"),
        pytest.param("camat_staff", Role.STAFF, "KEC-GAMBIR", False, id="kecamatan-staff"),
        pytest.param("pluit_head", Role.SUPERVISOR, "KEL-PLUIT", False, id="other-supervisor"),
    ],
)
def test_scope_supervisor_above_ticket_may_do_field_work(
    desk, name: str, role: Role, agency: str, allowed: bool
) -> None:
    if name not in desk.staff:
        enrol(desk, name, role, agency)
    ticket = desk.ticket_in("assigned")

    if allowed:
        desk.act(ticket, "start", name)
        desk.act(ticket, "resolve", name)
        assert ticket.state == "resolved"
    else:
        with pytest.raises(Forbidden):
            desk.act(ticket, "start", name)
        assert ticket.state == "assigned"


def test_scope_deactivated_staff_may_not_act(desk) -> None:
    desk.staff["staff"].active = False

    with pytest.raises(Forbidden, match="deactivated"):
        desk.actor("staff")


# --- the citizen's dispute -------------------------------------------------------------------


def test_reopen_by_reporter_within_window_starts_new_cycle(desk) -> None:
    ticket = desk.ticket_in("resolved")
    # Act at the very last moment of the window (act() moves the clock on five minutes).
    window = timedelta(days=desk.settings.dispute_window_days)
    desk.now = ticket.resolved_at + window - timedelta(minutes=5)

    desk.act(ticket, "reopen", "citizen", note="masih macet")

    assert (ticket.state, ticket.cycle, ticket.resolved_at) == ("assigned", 2, None)
    event = list_events(desk.session, ticket)[-1]
    assert (event.actor_role, event.note, event.data) == (
        "citizen",
        "masih macet",
        {"cycle": {"from": 1, "to": 2}},
    )


def test_reopen_by_reporter_after_window_forbidden(desk) -> None:
    ticket = desk.ticket_in("resolved")
    desk.now = ticket.resolved_at + timedelta(days=desk.settings.dispute_window_days)
    before = persisted(desk.session, ticket)

    with pytest.raises(Forbidden, match=f"{desk.settings.dispute_window_days}-day window"):
        desk.act(ticket, "reopen", "citizen")

    assert persisted(desk.session, ticket) == before


@pytest.mark.parametrize("token", ["wrong-token", "other-ticket", None])
def test_reopen_without_matching_reporter_token_forbidden(desk, token: str | None) -> None:
    ticket = desk.ticket_in("resolved")
    if token == "other-ticket":
        token = desk.tokens[desk.submit().code]
    before = persisted(desk.session, ticket)

    with pytest.raises(Forbidden):
        act_as(desk, ticket, "reopen", Actor.citizen(token), note="masih macet")

    assert persisted(desk.session, ticket) == before


# --- close and rating ------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["resolved", "closed"])
@pytest.mark.parametrize("rating", [1, 5])
def test_rate_by_reporter_in_range_stored(desk, state: str, rating: int) -> None:
    ticket = desk.ticket_in(state)

    desk.act(ticket, "rate", "citizen", rating=rating)

    assert (ticket.state, ticket.rating) == (state, rating)
    assert list_events(desk.session, ticket)[-1].data == {"rating": {"from": None, "to": rating}}


@pytest.mark.parametrize("rating", [0, 6, 9, -1, None])
def test_rate_out_of_range_rule_violated(desk, rating: int | None) -> None:
    ticket = desk.ticket_in("resolved")
    before = persisted(desk.session, ticket)

    with pytest.raises(RuleViolated, match="from 1 to 5"):
        desk.act(ticket, "rate", "citizen", rating=rating)

    assert persisted(desk.session, ticket) == before


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_rate_by_staff_forbidden_and_close_takes_no_rating(desk, who: str) -> None:
    ticket = desk.ticket_in("resolved")
    with pytest.raises(Forbidden):
        desk.act(ticket, "rate", who, rating=5)
    with pytest.raises(RuleViolated, match="close does not take: rating"):
        desk.act(ticket, "close", who, rating=5)
    assert ticket.rating is None


# --- versions and the generic entry point ----------------------------------------------------


@pytest.mark.parametrize("offset", [1, 2])
def test_action_expected_version_mismatch_stale_nothing_written(desk, offset: int) -> None:
    ticket = desk.submit()
    before = persisted(desk.session, ticket)

    with pytest.raises(StaleVersion, match="reload"):
        desk.act(ticket, "verify", expected_version=ticket.version + offset)

    assert persisted(desk.session, ticket) == before


@pytest.mark.parametrize("version", [0, -1, 2**31, 10**30])
def test_action_expected_version_no_ticket_can_have_is_refused_nothing_written(
    desk, version: int
) -> None:
    """Not a conflict that echoes the number back: no version a ticket can have (1 .. 2**31-1,
    the column's range on PostgreSQL)."""
    ticket = desk.submit()
    before = persisted(desk.session, ticket)

    with pytest.raises(RuleViolated) as refused:
        desk.act(ticket, "verify", expected_version=version)

    assert refused.value.message == (
        "expected_version must be a ticket's version, a whole number from 1 to 2,147,483,647"
    )
    assert refused.value.params["field"] == "expected_version"
    assert persisted(desk.session, ticket) == before


def test_action_expected_version_current_proceeds(desk) -> None:
    ticket = desk.submit()

    desk.act(ticket, "verify", expected_version=ticket.version)

    assert (ticket.state, ticket.version) == ("verified", 2)


def test_perform_unknown_action_lists_known(desk) -> None:
    ticket = desk.submit()

    with pytest.raises(UnknownTrigger) as raised:
        desk.act(ticket, "approve")

    assert "'approve'" in raised.value.message
    for action in ACTIONS:
        assert action in raised.value.message
    assert "merge" not in raised.value.message  # written by the engine, never fired by users
    assert ticket.state == "submitted"


def test_perform_submit_is_not_an_action(desk) -> None:
    ticket = desk.submit()

    for internal in ("submit", "merge"):
        with pytest.raises(RuleViolated, match="not an action on a ticket"):
            desk.act(ticket, internal)


@pytest.mark.parametrize(
    ("action", "fields", "named"),
    [
        pytest.param("verify", {"rating": 5}, "rating", id="rating-on-verify"),
        pytest.param("start", {"agency": "DBM"}, "agency", id="agency-on-start"),
        pytest.param("verify", {"photos": (b"...",)}, "photos", id="photos-on-verify"),
        pytest.param("reject", {"reason": "spam"}, "reason", id="typo-for-note"),
    ],
)
def test_perform_field_action_does_not_take_rule_violated(
    desk, action: str, fields: dict[str, Any], named: str
) -> None:
    ticket = desk.ticket_in("assigned" if action == "start" else "submitted")
    before = persisted(desk.session, ticket)

    with pytest.raises(RuleViolated, match=f"{action} does not take: {named}"):
        desk.act(ticket, action, **fields)

    assert persisted(desk.session, ticket) == before


# --- submission input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("report", "error", "message"),
    [
        pytest.param({"description": ""}, RuleViolated, "description is empty", id="empty"),
        pytest.param({"description": " \n\t "}, RuleViolated, "description is empty", id="blank"),
        pytest.param({"description": "TOO_LONG"}, RuleViolated, "the limit is", id="too-long"),
        pytest.param({"category": "no_such"}, UnknownCategory, "'no_such'", id="category"),
        pytest.param(
            {"lat": 200.0}, RuleViolated, "^lat must be between -90 and 90$", id="lat-200"
        ),
        pytest.param(
            {"lon": -181.0}, RuleViolated, "^lon must be between -180 and 180$", id="lon-minus-181"
        ),
        pytest.param(
            {"lat": math.nan},
            RuleViolated,
            "^lat is not a number; give a number between -90 and 90$",
            id="lat-nan",
        ),
        pytest.param(
            {"lon": math.inf}, RuleViolated, "^lon must be between -180 and 180$", id="lon-inf"
        ),
    ],
)
def test_submit_bad_input_rule_violated_no_ticket(
    desk, report: dict[str, Any], error: type, message: str
) -> None:
    if report.get("description") == "TOO_LONG":
        report = {"description": "a" * (desk.settings.max_description_chars + 1)}
    before = ticket_count(desk.session)

    with pytest.raises(error, match=message):
        desk.submit(**report)

    assert issubclass(error, RuleViolated)
    assert ticket_count(desk.session) == before


def test_submit_description_at_limit_accepted_stripped(desk) -> None:
    text = "a" * desk.settings.max_description_chars

    ticket = desk.submit(description=f"  {text}\n")

    assert ticket.description == text


def test_submit_personal_data_kept_token_only_hashed(desk) -> None:
    ticket = desk.submit(
        reporter_name="Siti Rahayu",
        reporter_email="siti@example.com",
        reporter_phone="+62 812 0000 0000",
    )
    token = desk.tokens[ticket.code]

    assert (ticket.reporter_name, ticket.reporter_email, ticket.reporter_phone) == (
        "Siti Rahayu",
        "siti@example.com",
        "+62 812 0000 0000",
    )
    assert len(token) >= 24
    assert ticket.reporter_token_hash and token not in ticket.reporter_token_hash
    stored = [getattr(ticket, c.key) for c in Ticket.__table__.columns]
    assert not [value for value in stored if isinstance(value, str) and token in value]
    # The audit trail is readable by staff of other agencies: no personal data in it.
    [event] = list_events(desk.session, ticket)
    assert "Siti" not in f"{event.actor_label} {event.note} {event.data}"


@pytest.mark.parametrize(
    ("field", "value"),
    [("note", "edited later"), ("to_state", "closed"), ("data", {"agency": "DLH"})],
)
def test_ticket_event_modified_flush_raises(desk, field: str, value: Any) -> None:
    ticket = desk.submit()
    event = list_events(desk.session, ticket)[0]

    setattr(event, field, value)

    with pytest.raises(RuntimeError, match="immutable"):
        desk.session.flush()


def test_submit_by_an_open311_client_is_the_apps_event_and_sets_no_priority(desk) -> None:
    """An Open311 app's report: event 1 names the app (staff read who filed it), by its own
    role; the priority stays staff's judgement, as for a citizen's own report."""
    app = desk.actor("client")
    report = Report(category="traffic_jam", description="Macet", lat=-6.1754, lon=106.8272)
    made = submit(
        desk.session,
        report,
        actor=app,
        now=desk.tick(),
        settings=desk.settings,
        storage=desk.storage,
    )
    (event,) = list_events(desk.session, made.ticket)
    assert (event.trigger, event.actor_role, event.actor_label) == ("submit", "client", app.label)
    assert event.public
    with pytest.raises(Forbidden, match="only staff set a report's priority"):
        submit(
            desk.session,
            Report(**{**report.__dict__, "priority": "high"}),
            actor=app,
            now=desk.tick(),
            settings=desk.settings,
            storage=desk.storage,
        )


@pytest.mark.parametrize("rating", [0, 6])
def test_a_rating_out_of_range_names_rating(desk, rating: int) -> None:
    """The API's schema stops it first; the command line and other callers reach the engine."""
    ticket = desk.ticket_in("resolved")
    with pytest.raises(RuleViolated) as refused:
        desk.act(ticket, "rate", "citizen", rating=rating)
    assert str(refused.value) == "rating must be a whole number from 1 to 5"
    assert (refused.value.code, refused.value.params) == (
        "rating_out_of_range",
        {"field": "rating"},
    )


def test_a_trigger_that_is_no_action_on_a_ticket_names_trigger(desk) -> None:
    ticket = desk.submit()
    with pytest.raises(RuleViolated) as refused:
        desk.act(ticket, "submit", "admin")
    assert str(refused.value) == "submit is not an action on a ticket"
    assert refused.value.params == {"field": "trigger"}


@pytest.mark.parametrize(
    ("trigger", "who", "words"),
    [
        ("rate", "staff", "staff may not rate; only citizens may"),
        ("unpublish", "staff", "staff may not unpublish; only supervisors and admins may"),
        ("verify", "citizen", "citizens may not verify; only staff, supervisors and admins may"),
    ],
)
def test_a_refused_role_is_told_who_may_in_plain_words(desk, trigger, who, words) -> None:
    ticket = desk.ticket_in("resolved" if trigger == "rate" else "submitted")
    with pytest.raises(Forbidden) as refused:
        desk.act(ticket, trigger, who)
    assert refused.value.message == words
