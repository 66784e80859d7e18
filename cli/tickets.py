"""``tanggap ticket``: submit, show, act on and list tickets from the shell."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text
from sqlalchemy.orm import Session

from cli.choices import choice
from cli.context import (
    OutputFailed,
    UsageError,
    console,
    database,
    err_console,
    field,
    file_bytes,
    hanging,
    local,
    now,
    output_failed,
    print_line,
    print_rows,
    reported_errors,
    settings,
    show_table,
    storage,
    table,
    visible,
)
from cli.sla import print_sla, span
from engine.actions import command_fields, perform, publication_allows
from engine.actors import Actor
from engine.db import ROW_ID_MAX
from engine.errors import RuleViolated, printable
from engine.lifecycle import (
    PUBLIC_NOTE_TRIGGERS,
    RULES_BY_TRIGGER,
    USER_TRIGGERS,
    State,
    Trigger,
    allowed_triggers,
    parse_trigger,
)
from engine.models import Attachment, Priority, Ticket
from engine.photo_containers import sniff
from engine.photos import clean_photo
from engine.queries import TicketFilter, list_tickets
from engine.queries.public import photo_query, photos_once
from engine.queries.tickets import AT_RISK_HOURS_MAX, DEFAULT_STATES, check_at_risk_hours
from engine.questions import describe_answers, questions_of
from engine.staff import get_staff
from engine.submission import Language, Report, submit
from engine.tickets import get_ticket, list_events

app = typer.Typer(help="Submit, inspect and advance tickets.", no_args_is_help=True)

Photos = Annotated[
    list[Path] | None,
    typer.Option(
        "--photo",
        help="image file, JPEG, PNG or WebP (repeatable)",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]


def _read(photos: list[Path] | None) -> tuple[bytes, ...]:
    limit = settings().max_photo_bytes
    # Never more than the limit read into memory: a huge file, or a device that never ends.
    read = tuple(file_bytes(path, "--photo", limit=limit) for path in photos or ())
    for path, data in zip(photos or (), read, strict=True):
        # the engine's words for a photo name no file: say which one, as the API does
        if sniff(data) is None:
            raise typer.BadParameter(
                f"{path} is not a JPEG, PNG or WebP image", param_hint="'--photo'"
            )
        try:
            clean_photo(data, max_bytes=limit, name=str(path))
        except RuleViolated as exc:
            raise typer.BadParameter(exc.message, param_hint="'--photo'") from None
    return read


def _answers(given: list[str] | None) -> dict[str, str | list[str]]:
    """``--answer KEY=VALUE`` as the engine takes answers (text, as a form sends them): a key
    given twice is several values, which only a multiple choice takes (the engine says so)."""
    answers: dict[str, list[str]] = {}
    for item in given or ():
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise typer.BadParameter(
                f"{printable(item)[:60]!r} is not KEY=VALUE (e.g. water_depth=40)",
                param_hint="'--answer'",
            )
        answers.setdefault(key.strip(), []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in answers.items()}


#: Each field of a report as the engine names it in a refusal (``engine.submission``), and the
#: option of ``ticket submit`` that gives it: ``reporter_email is not an e-mail address`` is
#: ``--email is not an e-mail address`` here.
SUBMIT_OPTIONS = {
    "category": "--category",
    "description": "--description",
    "lat": "--lat",
    "lon": "--lon",
    "address": "--address",
    "priority": "--priority",
    "reporter_name": "--name",
    "reporter_email": "--email",
    "reporter_phone": "--phone",
    "language": "--language",
    "photos": "--photo",
    "answers": "--answer",
    "channel": "--channel",
}


@app.command("submit")
def submit_cmd(
    category: Annotated[str, typer.Option(help="category code, e.g. broken_road")],
    description: Annotated[str, typer.Option(help="what is wrong")],
    lat: Annotated[float, typer.Option(help="latitude, e.g. -6.1754", min=-90, max=90)],
    lon: Annotated[float, typer.Option(help="longitude, e.g. 106.8272", min=-180, max=180)],
    address: Annotated[str | None, typer.Option()] = None,
    priority: Annotated[
        Priority | None,
        typer.Option(
            help="staff only (with --as): low, normal, high, urgent",
            parser=choice("priority", Priority),
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="reporter name (kept private)")] = None,
    email: Annotated[str | None, typer.Option(help="reporter e-mail (kept private)")] = None,
    phone: Annotated[str | None, typer.Option(help="reporter phone (kept private)")] = None,
    language: Annotated[
        Language,
        typer.Option(
            help="the reporter's language: their status mails are written in it",
            parser=choice("language", Language),
        ),
    ] = Language.ID,
    photo: Photos = None,
    answer: Annotated[
        list[str] | None,
        typer.Option(
            help="an answer to one of the category's questions, KEY=VALUE (repeatable; the "
            "questions: GET /open311/v2/services/{category}.json); a multiple choice takes "
            "one --answer per value",
            metavar="KEY=VALUE",
        ),
    ] = None,
    as_: Annotated[
        str | None, typer.Option("--as", help="staff e-mail submitting on a citizen's behalf")
    ] = None,
    channel: Annotated[
        str | None,
        typer.Option(
            help="how the report came: with --as walk-in, phone, email, whatsapp or "
            "staff-on-behalf (the default); without it app (the default), web, open311, email "
            "or whatsapp",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="print only the code and the reporter token (with --as: only the code)",
        ),
    ] = False,
) -> str:
    """Submit a report as a citizen (or as staff on a citizen's behalf)."""
    answers = _answers(answer)
    with reported_errors(options=SUBMIT_OPTIONS):
        report = Report(
            category=category,
            description=description,
            lat=lat,
            lon=lon,
            address=address,
            priority=priority.value if priority else None,
            reporter_name=name,
            reporter_email=email,
            reporter_phone=phone,
            photos=_read(photo),
            source=channel,
            language=language,
            answers=answers,
        )
        with database().transaction() as session:
            actor = Actor.of_staff(get_staff(session, as_)) if as_ else Actor.citizen()
            result = submit(
                session, report, actor=actor, now=now(), settings=settings(), storage=storage()
            )
            ticket = result.ticket
            # Staff filing for a caller never see the token: the city's own staff must not
            # dispute or rate the city's fix. The caller gets it by mail, if they gave an address.
            token = None if as_ else result.reporter_token
            if quiet:  # for scripts: read -r CODE TOKEN < <(tanggap ticket submit -q …)
                console.print(f"{ticket.code} {token}" if token else ticket.code)
            else:
                console.print(
                    f"submitted {ticket.code}: {ticket.category.name_en} → {ticket.agency.name} "
                    f"({ticket.agency.code}), priority {ticket.priority}"
                )
                console.print(f"area: {ticket.area.title}")
                if token:
                    console.print(f"reporter token (keep it to dispute the fix): {token}")
                elif result.receipt_mailed:
                    console.print("the reporter's private link was mailed to the address they gave")
                else:
                    console.print(
                        "no reporter e-mail: they follow the report by its code "
                        "(commenting, disputing and rating need the private link)"
                    )
            code = ticket.code
    # After the commit: the report is kept whatever became of the output.
    _token_seen(code, token)
    return code


def _token_seen(code: str, token: str | None) -> None:
    """The reporter token is shown once: when it could not be written, the report stays (a
    citizen's report is not lost for a full disk) and the error says the token was not shown."""
    if token is None:
        return
    sys.stdout.flush()
    failed = output_failed()
    if failed is not None:
        raise OutputFailed(
            failed,
            lost=f"{code} was submitted, but its reporter token was not shown to anybody "
            "(disputing and rating the fix need it)",
        )


#: Who sees a note by default comes from the lifecycle's rules (each rule's ``public_note``).
NOTE_HELP = (
    "show the note to the citizen, or keep it to staff; by default public on "
    + ", ".join(PUBLIC_NOTE_TRIGGERS)
    + "; internal on "
    + ", ".join(t for t in USER_TRIGGERS if t not in PUBLIC_NOTE_TRIGGERS)
    + "; always public on "
    + ", ".join(t for t in USER_TRIGGERS if RULES_BY_TRIGGER[t].answers_reporter)
    + " (the city's answer to the reporter)"
)


#: Each input of an action (``engine.actions.command_fields``) as ``ticket act`` takes it: the
#: engine names its fields (``duplicate_of``, ``hide_photos``), a person typed the options.
ACT_OPTIONS = {
    "note": "--note",
    "public": "--public",
    "expected_version": "--version",
    "category": "--category",
    "priority": "--priority",
    "lat": "--lat",
    "lon": "--lon",
    "duplicate_of": "--duplicate-of",
    "agency": "--agency",
    "officer": "--officer",
    "photos": "--photo",
    "description": "--description",
    "hide_photos": "--hide-photo",
    "show_photos": "--show-photo",
    "rating": "--rating",
}


def _taken_by(field: str) -> str:
    """The actions that take the engine's ``field``, for an option's help: "(assign,
    reassign, transfer)", from the engine's own commands, so the help cannot fall behind."""
    return "(" + ", ".join(t.value for t in USER_TRIGGERS if field in command_fields(t)) + ")"


@app.command("act")
def act(
    code: Annotated[str, typer.Argument(help="ticket code, e.g. JKT-7K3M-9QXD")],
    action: Annotated[
        str, typer.Argument(help="verify, assign, start, hold, resolve, reopen, reinstate, … ")
    ],
    as_: Annotated[str | None, typer.Option("--as", help="acting staff e-mail")] = None,
    token: Annotated[str | None, typer.Option(help="reporter token: act as the citizen")] = None,
    note: Annotated[str | None, typer.Option(help="reason or note")] = None,
    public: Annotated[bool, typer.Option("--public", help=NOTE_HELP)] = False,
    internal: Annotated[
        bool, typer.Option("--internal", help="keep the note to staff (see --public)")
    ] = False,
    agency: Annotated[str | None, typer.Option(help=f"agency code {_taken_by('agency')}")] = None,
    officer: Annotated[
        str | None, typer.Option(help=f"officer e-mail {_taken_by('officer')}")
    ] = None,
    duplicate_of: Annotated[
        str | None, typer.Option(help=f"code of the original ticket {_taken_by('duplicate_of')}")
    ] = None,
    category: Annotated[
        str | None, typer.Option(help=f"corrected category {_taken_by('category')}")
    ] = None,
    priority: Annotated[
        Priority | None,
        typer.Option(
            help=f"new priority {_taken_by('priority')}", parser=choice("priority", Priority)
        ),
    ] = None,
    lat: Annotated[
        float | None, typer.Option(help=f"corrected latitude {_taken_by('lat')}", min=-90, max=90)
    ] = None,
    lon: Annotated[
        float | None,
        typer.Option(help=f"corrected longitude {_taken_by('lon')}", min=-180, max=180),
    ] = None,
    rating: Annotated[
        int | None,
        typer.Option(help=f"1–5, the reporter's rating {_taken_by('rating')}", min=1, max=5),
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="expected version (conflict check)", min=1)
    ] = None,
    photo: Photos = None,
    description: Annotated[
        str | None,
        typer.Option(help="redact: the description the public reads instead of the reporter's"),
    ] = None,
    hide_photo: Annotated[
        list[str] | None,
        typer.Option(
            "--hide-photo",
            help="redact: a photo to hide from the public, by its key: what its path in "
            "`ticket show` ends with after the media directory, or its url after /media/ "
            "(repeatable)",
        ),
    ] = None,
    show_photo: Annotated[
        list[str] | None,
        typer.Option(
            "--show-photo",
            help="redact: a photo hidden earlier to show the public again, by its key, as for "
            "--hide-photo (repeatable)",
        ),
    ] = None,
) -> None:
    """Fire an action on a ticket, as a staff member (--as) or as its reporter (--token)."""
    options = ACT_OPTIONS | {"public": "--internal" if internal else "--public"}
    with reported_errors(options=options):
        parse_trigger(action)  # an unknown action is the first thing to tell
        if as_ is not None and token is not None:
            raise UsageError("say who acts once: --as STAFF_EMAIL or --token TOKEN, not both")
        if as_ is None and token is None:
            raise UsageError("say who acts: --as STAFF_EMAIL or --token REPORTER_TOKEN")
        if public and internal:
            raise UsageError("choose one of --public and --internal: a note is shown or kept")
        given = {
            "note": note, "public": True if public or internal else None,
            "expected_version": version, "category": category, "priority": priority,
            "lat": lat, "lon": lon, "duplicate_of": duplicate_of, "agency": agency,
            "officer": officer, "photos": photo, "description": description,
            "hide_photos": hide_photo, "show_photos": show_photo, "rating": rating,
        }  # fmt: skip
        taken = command_fields(parse_trigger(action))
        unexpected = [options[name] for name, value in given.items() if value and name not in taken]
        if unexpected:
            trigger = parse_trigger(action).value
            raise UsageError(f"{trigger} does not take {', '.join(unexpected)}")
        photos = _read(photo)
        with database().transaction() as session:
            actor = Actor.of_staff(get_staff(session, as_)) if as_ else Actor.citizen(token)
            ticket = perform(
                session,
                code,
                action,
                actor=actor,
                now=now(),
                settings=settings(),
                storage=storage(),
                note=note,
                public=True if public else False if internal else None,
                agency=agency,
                officer=officer,
                duplicate_of=duplicate_of,
                category=category,
                priority=priority.value if priority else None,
                lat=lat,
                lon=lon,
                rating=rating,
                expected_version=version,
                photos=photos,
                description=description,
                hide_photos=tuple(hide_photo or ()),
                show_photos=tuple(show_photo or ()),
            )
            console.print(_outcome(parse_trigger(action), ticket), markup=False)


#: What a transition that keeps the state did, said without "is now", which reads as a move.
_KEPT = {
    Trigger.COMMENT: "comment added to {code}",
    Trigger.UPDATE: "{code} updated",
    Trigger.RATE: "rating recorded for {code}",
    Trigger.UNPUBLISH: "{code} taken off the public record",
    Trigger.REPUBLISH: "{code} is back on the public record",
    Trigger.REDACT: "{code} redacted: the public reads the edited report",
}


def _outcome(trigger: Trigger, ticket: Ticket) -> str:
    if RULES_BY_TRIGGER[trigger].stays:
        done = _KEPT.get(trigger, f"{trigger.value} done on {{code}}").format(code=ticket.code)
        return f"{done} (still {ticket.state}, version {ticket.version})"
    return f"{ticket.code} is now {ticket.state} (version {ticket.version})"


def _publication(ticket: Ticket) -> str:
    """Whether the public sees the report, when it does not (``visibility.published``)."""
    if ticket.unpublished_at is not None:
        return f"no: taken off the public record {local(ticket.unpublished_at)}"
    if not ticket.category.public:
        return "no: its category is not public"
    return ""


def _photo_lines(session: Session, ticket: Ticket) -> list[tuple[str, str, str]]:
    """A stored photo's words, its file's path and what follows it, oldest first, naming every
    event it was sent with (``#7, #12``: the same proof sent with two resolutions is one file,
    listed once: ``photos_once``)."""
    media = settings().media_dir
    rows = session.execute(
        photo_query(ticket.id).add_columns(Attachment.size, Attachment.hidden_at)
    ).all()
    lines = []
    for photo, sent in photos_once(rows):
        purposes = "/".join(dict.fromkeys(row.purpose for row in sent))
        seqs = ", ".join(f"#{seq}" for seq in dict.fromkeys(row.event_seq for row in sent))
        hidden = any(row.hidden_at for row in sent)
        lines.append(
            (
                f"{purposes:6} {seqs}  {photo.content_type} {photo.width}×{photo.height}, "
                f"{sent[0].size} bytes",
                str(media / photo.storage_key),
                "  [hidden from the public]" if hidden else "",
            )
        )
    return lines


#: What a ``redact`` event did to photos, by the name its data keeps them under.
_PHOTOS_MOVED = (
    ("hidden_photos", "hidden from the public"),
    ("shown_photos", "shown to the public again"),
)


def _photos_moved(data: dict[str, Any] | None) -> list[str]:
    """``redact``'s photos, as the timeline says them: "2 photos hidden from the public"."""
    said = []
    for name, done in _PHOTOS_MOVED:
        keys = (data or {}).get(name)
        if isinstance(keys, list) and keys:
            said.append(f"{len(keys)} photo{'s' if len(keys) > 1 else ''} {done}")
    return said


def _rated(data: dict[str, Any] | None) -> list[str]:
    """A ``rate`` event's score, as the staff page says it: "rated 4 of 5"."""
    given = ((data or {}).get("rating") or {}).get("to")
    return [f"rated {given} of 5"] if isinstance(given, int) else []


@app.command("show")
def show(code: Annotated[str, typer.Argument(help="ticket code, e.g. JKT-7K3M-9QXD")]) -> None:
    """Show a ticket: details, photos, allowed next actions, timeline and SLA clocks."""
    with reported_errors(), database().reading() as session:
        ticket = get_ticket(session, code)
        head = Text(ticket.code, style="bold")
        head.append(f"  {ticket.state}  (version {ticket.version})", style="")
        print_line(head)  # folded in a narrow terminal, as the fields below are
        fields = [
            ("category", f"{ticket.category.name_en} / {ticket.category.name_id}"),
            ("priority", ticket.priority),
            ("location", f"{ticket.lat:.5f}, {ticket.lon:.5f}  {ticket.address or ''}"),
            ("area", ticket.area.title),
            ("agency", f"{ticket.agency.name} ({ticket.agency.code})"),
            (
                "officer",
                f"{ticket.officer.name} <{ticket.officer.email}>" if ticket.officer else "",
            ),
            ("duplicate", f"of {ticket.duplicate_of.code}" if ticket.duplicate_of else ""),
            ("public", _publication(ticket)),
            ("submitted", local(ticket.created_at)),
            ("channel", ticket.source),
            ("report", ticket.description),
            # The reporter's rating of the current fix: a reopen set an earlier one aside (the
            # timeline keeps it, "rated 2 of 5").
            ("rating", f"{ticket.rating} of 5" if ticket.rating is not None else ""),
            (
                "redacted",
                f"the public reads: {ticket.public_description}"
                if ticket.public_description
                else "",
            ),
        ]
        for label, value in fields:
            if value:
                console.print(field(label, value))
        # The category's questions as the reporter answered them (the staff page shows them too).
        for answered in describe_answers(questions_of(ticket.category.questions), ticket.answers):
            console.print(field("answer", f"{answered.question_en}: {answered.text_en}"))
        photos = _photo_lines(session, ticket)
        for words, path, after in photos:
            console.print(field("photos", words, whole=path, after=after))  # a path, copied whole
        if not photos:
            console.print(field("photos", "none"))
        allowed = (
            ", ".join(
                t.value for t in allowed_triggers(ticket.state) if publication_allows(t, ticket)
            )
            or "none"
        )
        console.print(field("next", allowed))
        timeline = table(
            "#", f"when ({settings().timezone})", "action", "from → to", "by", "note",
            title="timeline (notes seen by: public all, internal staff, citizen staff+reporter)",
        )  # fmt: skip
        for ev in list_events(session, ticket):
            note = ""
            if ev.note:
                seen = "public" if ev.public else "internal"
                if ev.actor_role == "citizen":
                    seen = "citizen"  # never public (engine.tickets), not staff-only either
                # A note of several lines stays in its column, each line after the first
                # indented under the first: none of them starts a row of its own.
                note = f"[{seen}] {hanging(ev.note, 2, fold=False)}"
            note = "  ".join([note, *_photos_moved(ev.data), *_rated(ev.data)]).strip()
            timeline.add_row(
                str(ev.seq),
                local(ev.created_at, short=True),
                ev.trigger,
                f"{ev.from_state or '—'} → {ev.to_state}",
                f"{visible(ev.actor_label)} ({ev.actor_role})",
                note,
            )
        show_table(timeline)
        print_sla(session, ticket, now())


def _time_left(deadline: datetime | None, moment: datetime) -> str:
    if deadline is None:
        return "—"
    left = deadline - moment
    if abs(left) >= timedelta(days=1):
        days = int(abs(left) / timedelta(days=1))
        hours = int((abs(left) % timedelta(days=1)).total_seconds() // 3600)
        return f"{'-' if left < timedelta(0) else ''}{days}d {hours}h"
    return span(left)


def _listed(states: list[State] | None, all_states: bool) -> str:
    """What the listing holds, for its footer: ``open tickets``, ``tickets in state closed``."""
    if all_states:
        return "tickets"
    if states:
        names = ", ".join(dict.fromkeys(s.value for s in states))
        return f"tickets in state{'s' if ',' in names else ''} {names}"
    return "open tickets"


@app.command("list")
def list_(
    state: Annotated[
        list[State] | None,
        typer.Option(
            help="only tickets in this state (repeatable); by default the open ones: "
            + ", ".join(s.value for s in DEFAULT_STATES),
            parser=choice("state", State),
        ),
    ] = None,
    all_states: Annotated[
        bool,
        typer.Option(
            "--all-states", help="tickets in every state: resolved, closed, rejected, duplicate too"
        ),
    ] = False,
    agency: Annotated[str | None, typer.Option(help="agency code, e.g. DBM")] = None,
    area: Annotated[str | None, typer.Option(help="area code (and the areas inside it)")] = None,
    category: Annotated[str | None, typer.Option(help="category code")] = None,
    officer: Annotated[str | None, typer.Option(help="officer e-mail")] = None,
    overdue: Annotated[
        bool,
        typer.Option(
            "--overdue",
            help="an SLA deadline has passed (also one a later change moved ahead again)",
        ),
    ] = False,
    at_risk: Annotated[
        float | None,
        typer.Option(
            help="an SLA deadline falls within this many hours "
            f"(more than 0, at most {AT_RISK_HOURS_MAX:,})"
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option(help="at most this many, most urgent first", min=1, max=ROW_ID_MAX)
    ] = 50,
    every: Annotated[bool, typer.Option("--all", help="no limit: every matching ticket")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts")] = False,
) -> None:
    """List open tickets, most urgent first (earliest SLA deadline: the most overdue leads; on
    hold after them), with priority, next deadline and time left. A listing cut at --limit
    says how many matched in all."""
    if state and all_states:
        raise UsageError("choose --state or --all-states, not both")
    try:
        check_at_risk_hours("--at-risk", at_risk)  # the API's rule: more than 0, at most 2,160
    except RuleViolated as exc:
        raise UsageError(exc.message) from None
    moment = now()
    wanted = TicketFilter(
        states=tuple(State) if all_states else tuple(state or ()),
        agency=agency,
        area=area,
        category=category,
        officer=officer,
        overdue=overdue,
        at_risk_hours=at_risk,
    )
    with reported_errors(), database().reading() as session:
        listing = list_tickets(session, wanted, now=moment, limit=None if every else limit)
    rows = [
        {
            "code": line.code,
            "state": line.state.value,
            "priority": line.priority,
            "category": line.category,
            "agency": line.agency,
            "area": line.area,
            "officer": line.officer_email,
            "deadline": line.deadline.isoformat() if as_json and line.deadline else line.deadline,
            "seconds_left": (
                int((line.deadline - moment).total_seconds())
                if line.deadline and not line.paused
                else None
            ),
            "overdue": line.overdue,
            "on_hold_since": (
                line.on_hold_since.isoformat()
                if as_json and line.on_hold_since
                else line.on_hold_since
            ),
            "created_at": line.created_at.isoformat() if as_json else line.created_at,
        }
        for line in listing.lines
    ]

    def render(key: str, value: Any) -> str:
        if key in ("deadline", "created_at"):
            return local(value, short=True)
        if key == "on_hold_since":
            # how long it has been stuck: its clocks are paused, so "left" says nothing
            if value is None:
                return ""
            return f"{local(value, short=True)} ({_time_left(moment + (moment - value), moment)})"
        if key == "seconds_left":
            if value is None:
                return "—"
            return _time_left(moment + timedelta(seconds=value), moment)
        if key == "overdue":
            return "overdue" if value else ""
        return "" if value is None else str(value)

    print_rows(
        rows,
        as_json=as_json,
        columns=[
            ("code", "code"),
            ("state", "state"),
            ("priority", "prio"),
            ("category", "category"),
            ("agency", "agency"),
            ("deadline", "next deadline"),
            ("seconds_left", "left"),
            ("overdue", "sla"),
            ("on_hold_since", "on hold since"),
        ],
        title=f"tickets (times in {settings().timezone})",
        empty="no tickets match",
        render=render,
    )
    if listing.cut:
        # Never a silent cut: the oldest, most overdue tickets may be the ones left out. With
        # --json the note goes to stderr, so stdout stays one JSON array.
        footer = (
            f"showing {len(listing.lines)} of {listing.total} {_listed(state, all_states)}; "
            "--limit N or --all"
        )
        (err_console if as_json else console).print(footer)
