"""A change to a staff member re-evaluates what follows from it, at once (a tester's report):
a supervisor moved and demoted kept the old agency and role through the key made for her
(``keys create --staff``), and an officer moved to another agency kept the old agency's open
tickets, which he could no longer work, while the hand-over and the citizen's comment waiting
for him still went to his mailbox."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from engine.db import Database
from engine.keys import authenticate
from engine.models import Agency, Staff

from .test_cli_operator import MONAS, ok, refused

ROOT = Path(__file__).resolve().parents[2]


def _member(tanggap: CliRunner, name: str, role: str, agency: str) -> str:
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@dbm.example"
    ok(tanggap, "staff", "add", email, "--name", name, "--role", role, "--agency", agency)
    return email


def test_cli_a_moved_and_demoted_supervisors_key_acts_as_she_is_now(
    tanggap: CliRunner, database: Database, wide: None
) -> None:
    siti = _member(tanggap, "Siti", "supervisor", "DBM")
    made = ok(tanggap, "keys", "create", "--role", "supervisor", "--staff", siti,
              "--name", "siti key")  # fmt: skip
    found = re.search(r"tgk_\S+", made)
    assert found is not None
    secret, prefix = found.group(), found.group().split("_")[1]

    moved = ok(tanggap, "staff", "add", siti, "--update", "--name", "Siti", "--role", "staff",
               "--agency", "DISHUB")  # fmt: skip

    assert f"{siti}: staff of DISHUB" in moved
    assert (
        "1 api key of theirs acts for DISHUB now, with its own role or theirs (staff), "
        "whichever is lower" in " ".join(moved.split())
    )
    (listed,) = [k for k in json.loads(ok(tanggap, "keys", "list", "--json"))
                 if k["prefix"] == prefix]  # fmt: skip
    assert (listed["role"], listed["agency"], listed["staff"]) == ("staff", "DISHUB", siti)
    table = next(line for line in ok(tanggap, "keys", "list").splitlines() if prefix in line)
    assert "staff" in table and "DISHUB" in table
    assert "supervisor" not in table and "DBM" not in table
    with database.reading() as session:
        holder = authenticate(session, secret)
        assert holder.role.value == "staff" and holder.who == "Siti"
        assert holder.agency_id is not None
        from engine.models import Agency

        assert session.get(Agency, holder.agency_id).code == "DISHUB"  # type: ignore[union-attr]
    ok(tanggap, "keys", "revoke", prefix)


def test_cli_an_officer_moved_to_another_agency_leaves_his_tickets_to_be_reassigned(
    tanggap: CliRunner, committed: list[str], wide: None
) -> None:
    kabid = _member(tanggap, "Kabid", "supervisor", "DBM")
    budi = _member(tanggap, "Budi", "staff", "DBM")
    code, token = ok(
        tanggap, "ticket", "submit", "--quiet", "--category", "broken_street_light", *MONAS,
        "--description", "PJU mati di depan Monas",
    ).split()  # fmt: skip
    committed.append(code)
    ok(tanggap, "ticket", "act", code, "verify", "--as", kabid)
    ok(tanggap, "ticket", "act", code, "assign", "--as", kabid, "--officer", budi)
    ok(tanggap, "ticket", "act", code, "comment", "--token", token,
       "--note", "Sudah 3 hari masih mati")  # fmt: skip

    moved = ok(tanggap, "staff", "add", budi, "--update", "--name", "Budi", "--role", "staff",
               "--agency", "DISHUB")  # fmt: skip

    assert f"{budi}: staff of DISHUB" in moved
    assert (
        f"1 open ticket of DBM has no officer now and needs a new one: {code} "
        "(tanggap ticket act CODE reassign --officer EMAIL --as YOUR_EMAIL)"
    ) in moved
    shown = ok(tanggap, "ticket", "show", code)
    assert "officer" not in shown.split("timeline")[0]  # it was "officer  Budi <budi@…>"
    assert "Budi pindah ke DISHUB: laporan ini perlu petugas baru dari DBM" in shown
    line = refused(tanggap, "ticket", "act", code, "start", "--as", budi)
    assert line == f"error: ticket {code} belongs to another agency"
    mails = json.loads(ok(tanggap, "outbox", "list", "--ticket", code, "--json"))
    to_budi = {
        (m["recipient_kind"], m["status"], m["last_error"]) for m in mails if m["recipient"] == budi
    }
    assert to_budi == {
        ("assigned_officer", "failed", f"not sent: {budi} moved to DISHUB, its officer is nobody"),
        (
            "assigned_officer",
            "failed",
            f"not sent: {budi} moved to DISHUB, forwarded to dbm.queue@tanggap.example",
        ),
    }
    queue = [m for m in mails if m["recipient"] == "dbm.queue@tanggap.example"]
    assert sorted((m["recipient_kind"], m["kind"], m["status"]) for m in queue) == [
        ("agency_queue", "citizen_follow_up", "pending"),  # the citizen's comment
        ("agency_queue", "handover", "pending"),  # the ticket is back with the queue
    ]
    # A supervisor names the next officer; the ticket is his from then on.
    ok(tanggap, "ticket", "act", code, "reassign", "--as", kabid, "--officer", kabid)
    started = ok(tanggap, "ticket", "act", code, "start", "--as", kabid)
    assert f"{code} is now in_progress" in started


def test_cli_an_update_keeps_a_deactivated_member_deactivated_and_their_key_refused(
    tanggap: CliRunner, database: Database, wide: None
) -> None:
    """A tester's report: `staff add --update` of a deactivated supervisor silently made them
    active again, and their key worked again."""
    sup = _member(tanggap, "Sup", "supervisor", "DISHUB")
    made = ok(tanggap, "keys", "create", "--role", "supervisor", "--staff", sup, "--name", "k")
    found = re.search(r"tgk_\S+", made)
    assert found is not None
    ok(tanggap, "staff", "deactivate", sup)

    updated = ok(tanggap, "staff", "add", sup, "--update", "--name", "Sup Dishub", "--role",
                 "supervisor", "--agency", "DISHUB")  # fmt: skip

    assert (
        f"{sup} stays deactivated (their api keys are refused): "
        "tanggap staff activate EMAIL brings them back" in " ".join(updated.split())
    )
    # Moved while deactivated: their key will act for the new agency once they are back, not
    # "now" (a tester read the two lines as contradicting each other).
    moved = ok(tanggap, "staff", "add", sup, "--update", "--name", "Sup Dishub", "--role",
               "supervisor", "--agency", "DBM")  # fmt: skip
    said = " ".join(moved.split())
    assert "1 api key of theirs will act for DBM once they are activated again" in said
    assert "acts for DBM now" not in said
    from engine.errors import TanggapError

    with database.reading() as session:
        try:
            authenticate(session, found.group())
        except TanggapError:
            pass
        else:
            raise AssertionError("a deactivated member's key was accepted")
    assert "was already active" not in ok(tanggap, "staff", "activate", sup)


def test_cli_an_update_of_an_address_nobody_has_creates_no_account(
    tanggap: CliRunner, database: Database, wide: None
) -> None:
    """`--update` with a mistyped address used to create a second account (with the role and
    agency given) instead of changing the colleague meant: it is refused, nothing written."""
    siti = _member(tanggap, "Siti", "supervisor", "DBM")
    typo = siti.replace("@", "x@")

    line = refused(tanggap, "staff", "add", typo, "--update", "--name", "Siti", "--role",
                   "admin")  # fmt: skip

    assert line == (
        f"error: no staff member {typo!r} to update; run it without --update to create the account"
    )
    with database.reading() as session:
        from engine.staff import find_staff

        assert find_staff(session, typo) is None
    assert f"{siti}: staff of DISHUB" in ok(
        tanggap, "staff", "add", siti, "--update", "--name", "Siti", "--role", "staff",
        "--agency", "DISHUB",
    )  # fmt: skip


def test_cli_a_deactivated_officers_tickets_go_back_to_the_agency_queue(
    tanggap: CliRunner, database: Database, committed: list[str], wide: None
) -> None:
    """A tester's report: a ticket reassigned to an officer who was then deactivated (``staff
    deactivate``) kept naming them; the hand-over waiting for them was withdrawn ("its officer
    is nobody") and nothing fell back to the agency's queue. Deactivation hands their open
    tickets back as a move does: the queue is told, the command names what needs an officer."""
    kabid = _member(tanggap, "Kabid", "supervisor", "DBM")
    budi = _member(tanggap, "Budi", "staff", "DBM")
    code, _token = ok(
        tanggap, "ticket", "submit", "--quiet", "--category", "broken_street_light", *MONAS,
        "--description", "PJU mati di depan Monas",
    ).split()  # fmt: skip
    committed.append(code)
    ok(tanggap, "ticket", "act", code, "verify", "--as", kabid)
    ok(tanggap, "ticket", "act", code, "assign", "--as", kabid, "--officer", kabid)
    ok(tanggap, "ticket", "act", code, "reassign", "--as", kabid, "--officer", budi)

    out = ok(tanggap, "staff", "deactivate", budi)

    assert f"{budi} is deactivated" in out
    assert (
        f"1 open ticket of DBM has no officer now and needs a new one: {code} "
        "(tanggap ticket act CODE reassign --officer EMAIL --as YOUR_EMAIL)"
    ) in " ".join(out.split())
    shown = ok(tanggap, "ticket", "show", code)
    assert "officer" not in shown.split("timeline")[0]
    assert "Budi dinonaktifkan: laporan ini perlu petugas baru dari DBM" in shown
    mails = json.loads(ok(tanggap, "outbox", "list", "--ticket", code, "--json"))
    to_budi = [
        (m["recipient_kind"], m["status"], m["last_error"]) for m in mails if m["recipient"] == budi
    ]
    assert to_budi == [
        ("assigned_officer", "failed", f"not sent: {budi} was deactivated, its officer is nobody")
    ]
    queue = [m for m in mails if m["recipient"] == "dbm.queue@tanggap.example"]
    assert [(m["recipient_kind"], m["kind"], m["status"]) for m in queue] == [
        ("agency_queue", "handover", "pending")
    ]
    with database.reading() as session:
        from sqlalchemy import select

        from engine.models import Notification

        body = session.scalars(
            select(Notification.body).where(Notification.id == queue[0]["id"])
        ).one()
    assert (
        f"Report {code} is back in Dinas Bina Marga's queue: its officer can no longer handle it"
        in body
    )
    assert "Budi dinonaktifkan: laporan ini perlu petugas baru dari DBM" in body
    # The supervisor names the next officer.
    ok(tanggap, "ticket", "act", code, "reassign", "--as", kabid, "--officer", kabid)
    assert f"{code} is now in_progress" in ok(
        tanggap, "ticket", "act", code, "start", "--as", kabid
    )


def test_cli_an_update_changes_only_the_options_given(
    tanggap: CliRunner, database: Database, wide: None
) -> None:
    """A tester's report: `staff add EMAIL --name X --update --agency DSDA` applied --role's
    default and silently demoted a supervisor to staff, and a rename alone (`--update --name`)
    was refused with "a staff must belong to an agency", naming no option. With --update what
    is not given keeps its value; a missing value is refused naming its option."""
    sup = _member(tanggap, "Sup", "supervisor", "DBM")
    ok(tanggap, "staff", "timezone", sup, "WITA")

    moved = ok(tanggap, "staff", "add", sup, "--name", "Sup", "--update", "--agency", "DSDA")
    renamed = ok(tanggap, "staff", "add", sup, "--update", "--name", "Sup Baru")

    assert moved.splitlines()[0] == f"{sup}: supervisor of DSDA, time zone Asia/Makassar"
    assert renamed == f"{sup}: supervisor of DSDA, time zone Asia/Makassar\n"
    (row,) = [r for r in json.loads(ok(tanggap, "staff", "list", "--json")) if r["email"] == sup]
    assert (row["name"], row["role"], row["agency"], row["timezone"]) == (
        "Sup Baru", "supervisor", "DSDA", "Asia/Makassar",
    )  # fmt: skip
    # An admin of no agency made staff must be given one: the error names the option.
    assert ok(tanggap, "staff", "add", sup, "--update", "--role", "admin", "--agency", "") == (
        f"{sup}: admin of no agency, time zone Asia/Makassar\n"
    )
    line = refused(tanggap, "staff", "add", sup, "--update", "--role", "staff")
    assert line == (
        "error: --agency is missing: a staff must belong to an agency (only an admin may have none)"
    )
    newcomer = f"baru-{uuid.uuid4().hex[:8]}@dbm.example"
    assert refused(tanggap, "staff", "add", newcomer, "--agency", "DBM") == (
        "error: --name is missing: a new member needs one"
    )
    assert refused(tanggap, "staff", "add", newcomer, "--name", "Baru") == (
        "error: --agency is missing: a staff must belong to an agency (only an admin may have none)"
    )
    (row,) = [r for r in json.loads(ok(tanggap, "staff", "list", "--json")) if r["email"] == sup]
    assert (row["role"], row["agency"]) == ("admin", None)
    assert newcomer not in ok(tanggap, "staff", "list")


def _filed(tanggap: CliRunner, committed: list[str], category: str, kepala: str) -> str:
    code = ok(
        tanggap, "ticket", "submit", "--quiet", "--category", category, *MONAS,
        "--description", f"laporan {category}",
    ).split()[0]  # fmt: skip
    committed.append(code)
    ok(tanggap, "ticket", "act", code, "verify", "--as", kepala)
    return code


def _without_agency(tmp_path: Path, agency: str) -> Path:
    """The shipped catalogue without ``agency`` and what only it handles."""
    data = yaml.safe_load((ROOT / "catalogue" / "jakarta.yaml").read_text())
    gone = {c["code"] for c in data["categories"] if c["agency"] == agency}
    data["agencies"] = [a for a in data["agencies"] if a["code"] != agency]
    data["categories"] = [c for c in data["categories"] if c["code"] not in gone]
    data["routing"] = [
        r for r in data["routing"] if r["agency"] != agency and r["category"] not in gone
    ]
    for policy in data["policies"]:
        policy["categories"] = [c for c in policy.get("categories", []) if c not in gone]
    reduced = tmp_path / "reduced.yaml"
    reduced.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return reduced


def test_cli_a_deactivated_officers_tickets_of_a_retired_agency_are_to_be_moved(
    tanggap: CliRunner, committed: list[str], tmp_path: Path, wide: None
) -> None:
    """A tester's report: with DSDA gone from the catalogue, `staff deactivate` of its officer
    handed her tickets to DSDA's queue and said to `reassign --officer EMAIL`, which no member
    of DSDA could take. The advice is the catalogue load's: move them to an agency in force."""
    kepala = _member(tanggap, "Kepala", "supervisor", "DSDA")
    sri = _member(tanggap, "Sri", "staff", "DSDA")
    admin = _member(tanggap, "Admin", "admin", "")
    waiting, paused = (_filed(tanggap, committed, "flood", kepala) for _ in range(2))
    for code in (waiting, paused):
        ok(tanggap, "ticket", "act", code, "assign", "--as", kepala, "--officer", sri)
    ok(tanggap, "ticket", "act", paused, "start", "--as", sri)
    ok(tanggap, "ticket", "act", paused, "hold", "--as", sri, "--note", "menunggu pompa")
    try:
        ok(tanggap, "config", "load", str(_without_agency(tmp_path, "DSDA")))

        out = ok(tanggap, "staff", "deactivate", sri)

        assert " ".join(out.split()) == (
            f"{sri} is deactivated "
            f"2 open tickets of DSDA have no officer now, and DSDA is no longer in the "
            f"catalogue: {waiting}, {paused}; move them to an agency in force (tanggap ticket "
            "act CODE transfer --agency AGENCY --note WHY --as YOUR_EMAIL; one is on hold: "
            "resume it first)"
        )
        assert "reassign" not in out
        assert (
            "Sri was deactivated: this ticket needs moving to an agency in force (DSDA is no "
            "longer in the catalogue)"
        ) in " ".join(ok(tanggap, "ticket", "show", waiting).split())
        # The advice, followed as said, moves them.
        ok(tanggap, "ticket", "act", waiting, "transfer", "--agency", "DBM", "--note",
           "DSDA dibubarkan", "--as", admin)  # fmt: skip
        ok(tanggap, "ticket", "act", paused, "resume", "--as", admin)
        ok(tanggap, "ticket", "act", paused, "transfer", "--agency", "DBM", "--note",
           "DSDA dibubarkan", "--as", admin)  # fmt: skip
    finally:
        ok(tanggap, "config", "load", str(ROOT / "catalogue" / "jakarta.yaml"))
    listed = json.loads(ok(tanggap, "ticket", "list", "--agency", "DBM", "--json"))
    assert {waiting, paused} <= {t["code"] for t in listed}


def test_cli_a_deactivated_officers_tickets_of_an_agency_left_without_staff(
    tanggap: CliRunner, database: Database, committed: list[str], wide: None
) -> None:
    """The last active member of an agency deactivated: nobody of it can be named officer, so
    `reassign --officer EMAIL` alone would not do; the advice says to add one, or move them."""
    with database.reading() as session:
        already = session.scalar(
            select(func.count()).select_from(Staff).join(Agency)
            .where(Agency.code == "DINKES", Staff.active.is_(True))
        )  # fmt: skip
    assert already == 0, "the test needs DINKES to have no active staff of other tests"
    kepala = _member(tanggap, "Kepala", "supervisor", "DINKES")
    tono = _member(tanggap, "Tono", "staff", "DINKES")
    code = _filed(tanggap, committed, "mosquito_breeding", kepala)
    ok(tanggap, "ticket", "act", code, "assign", "--as", kepala, "--officer", tono)
    ok(tanggap, "staff", "deactivate", kepala)

    out = ok(tanggap, "staff", "deactivate", tono)

    assert " ".join(out.split()) == (
        f"{tono} is deactivated "
        f"1 open ticket of DINKES has no officer now, and DINKES has no active staff left to "
        f"name: {code}; add one (tanggap staff add EMAIL --name NAME --agency DINKES) and "
        "reassign it (tanggap ticket act CODE reassign --officer EMAIL --as YOUR_EMAIL), or "
        "move it to an agency in force (tanggap ticket act CODE transfer --agency AGENCY "
        "--note WHY --as YOUR_EMAIL)"
    )
