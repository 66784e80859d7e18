"""``tanggap``: database, catalogue, staff and ticket commands for operators."""

from __future__ import annotations

import errno
import math
import os
import re
import sys
import typing
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.text import Text
from typer._click.exceptions import BadParameter, MissingParameter

from cli import (
    areas,
    catalogue,
    context,
    delivery,
    escalations,
    keys,
    outbox,
    serve,
    sla,
    staff,
    tickets,
)
from cli.context import (
    ClickException,
    GuardedOutput,
    NoArgsIsHelpError,
    OutputFailed,
    changed_or_tried,
    console,
    database,
    err_console,
    fail,
    mail_links_note,
    now,
    one_line,
    plain,
    print_load_summary,
    reported_errors,
    text_file,
)
from engine import schema, unknown_variables
from engine.catalogue import load_catalogue
from engine.catalogue.lookup import find_agency, find_category
from engine.db import ROW_ID_MAX
from engine.errors import CorruptHistory, DatabaseNotReady, RuleViolated, TanggapError
from engine.lifecycle import mermaid
from engine.models import Staff
from engine.routing import refuse_number, shown_bound
from engine.staff import find_staff
from engine.text import counted


class OneLineErrors(typer.core.TyperGroup):
    """Usage errors (a bad option value, an unknown command) as one line on stderr, exit 2."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        # Output that cannot be written (``> /dev/full``, ``| head -0``) is one line, or for a
        # closed pipe nothing, and a non-zero exit; never a traceback, whatever the command.
        stdout = sys.stdout
        guarded = GuardedOutput(stdout)
        sys.stdout = guarded
        lost = None
        try:
            code = self._run(args, prog_name, complete_var, **extra)
            guarded.flush()
            failed = guarded.failed
        except OutputFailed as exc:  # a block entered after the output failed (reported_errors)
            failed = exc.error
            lost = exc.lost
            code = 1
        finally:
            sys.stdout = stdout
        if failed is not None:
            _silence(stdout)
            # A closed pipe is quiet (its reader left on purpose), unless a secret shown once
            # went with it: then what it means is said all the same.
            message = (
                ""
                if failed.errno == errno.EPIPE
                else f"cannot write the output: {OutputFailed(failed)}"
            )
            message = "; ".join(part for part in (message, lost) if part)
            if message:
                err_console.print(Text.assemble(("error: ", "bold red"), message))
            code = code or 1
        sys.exit(code)

    def _run(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
        **extra: Any,
    ) -> int:
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except NoArgsIsHelpError as exc:
            # A command group given no command is a usage error (exit 2, as click's own usage
            # errors): a script that left out the command must not read as a success. The help
            # still says what to type.
            console.print(exc.ctx.get_help() if exc.ctx else "")
            return 2
        except ClickException as exc:
            context = getattr(exc, "ctx", None)
            where = f"{context.command_path}: " if context is not None else ""
            # A number refused in our words, naming the parameter; any other in click's, less
            # pydantic's "Value error, " (typer validates values with pydantic).
            message = _number_words(exc) or exc.format_message().replace("Value error, ", "")
            # click lays its own lists out on lines ("Choose from:\n\tstaff,\n\tadmin"); a
            # value typed by the user is quoted there by repr, its newlines already escaped.
            message = re.sub(r"\s*\n\s*", " ", message)
            err_console.print(Text.assemble(("error: ", "bold red"), one_line(where + message)))
            return exc.exit_code
        except typer.Abort:
            err_console.print("aborted")
            return 1
        except TanggapError as exc:
            # A setting read outside a command's own error handling (TANGGAP_MAIL_BACKEND=x):
            # still one line naming the variable.
            err_console.print(Text.assemble(("error: ", "bold red"), one_line(exc.message)))
            return 1 if isinstance(exc, CorruptHistory) else 2
        code = result if isinstance(result, int) else 0
        note = mail_links_note() if code == 0 else None
        if note:
            err_console.print(note)
        return code


def _silence(stdout: Any) -> None:
    """Point file descriptor 1 at /dev/null: what is still buffered for it is dropped at exit
    instead of failing again there ("Exception ignored … BrokenPipeError")."""
    try:
        fd = stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test's capture): nothing is flushed at exit
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


def _number_words(exc: ClickException) -> str | None:
    """A number parameter given something else or out of its range, in the engine's words for
    numbers (``engine.routing.refuse_number``), naming the parameter as typed: ``--batch must
    be a whole number between 1 and 10,000``, ``outbox id must be a whole number``. typer's
    own are pydantic's ("Input should be a valid integer, unable to parse string as an
    integer"), and say NaN is "less than or equal to 90"."""
    if not isinstance(exc, BadParameter) or isinstance(exc, MissingParameter):
        return None
    param = exc.param
    kind = _number_kind(param)
    if param is None or kind is None:
        return None
    name = param.opts[0] if param.param_type_name == "option" else plain(param.name or "")
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if kind is float:
        value = _given_number(exc)
        if value is not None and low is not None and high is not None:
            try:
                refuse_number(name, value, float(low), float(high), key="invalid_number")
            except RuleViolated as refused:
                return refused.message
        if value is not None and math.isnan(value):
            return f"{name} is not a number"
    if high is not None and high >= ROW_ID_MAX:
        # The database's own ceiling, not a limit anybody chose: 19 digits help nobody.
        given = _given_number(exc)
        if given is not None and given > high:
            return f"{name} is too large"
        high = None
    if low is not None and high is not None:
        bounds = f" between {shown_bound(low)} and {shown_bound(high)}"
    elif low is not None:
        bounds = f" of at least {shown_bound(low)}"
    elif high is not None:
        bounds = f" of at most {shown_bound(high)}"
    else:
        bounds = ""
    return f"{name} must be {'a whole number' if kind is int else 'a number'}{bounds}"


def _number_kind(param: Any) -> type | None:
    """``int`` or ``float`` for a parameter declared as one (or as one or None), else None."""
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    kinds = {a for a in typing.get_args(annotation) if a is not type(None)} or {annotation}
    if kinds == {int}:
        return int
    if kinds == {float}:
        return float
    return None


def _given_number(exc: ClickException) -> float | None:
    """The value typed, as a float (``nan``, ``inf`` too), when it reads as one."""
    cause = exc.__cause__
    if not isinstance(cause, ValidationError):
        return None
    for error in cause.errors():
        try:
            return float(error.get("input"))
        except (TypeError, ValueError, OverflowError):
            continue
    return None


def _range_in_words(low: float | None, high: float | None) -> str | None:
    """A number option's range in --help as people read it: ``at least 1``, ``between 1 and
    10,000``; the database's own ceiling (``ROW_ID_MAX``, 19 digits) is no limit anybody chose
    and is left out. typer's own is ``1<=x<=9223372036854775807``."""
    if high is not None and high >= ROW_ID_MAX:
        high = None
    if low is not None and high is not None:
        return f"between {shown_bound(low)} and {shown_bound(high)}"
    if low is not None:
        return f"at least {shown_bound(low)}"
    if high is not None:
        return f"at most {shown_bound(high)}"
    return None


typer.core.describe_number_range = _range_in_words  # type: ignore[attr-defined,assignment]


app = typer.Typer(
    cls=OneLineErrors,
    help="Tanggap: ticket lifecycle engine for citizen reports to a city government.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
config_app = typer.Typer(help="Service catalogue and configuration.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(catalogue.app, name="catalogue")
app.add_typer(staff.app, name="staff")
app.add_typer(tickets.app, name="ticket")
app.add_typer(sla.app, name="sla")
app.add_typer(areas.app, name="areas")
app.add_typer(outbox.app, name="outbox")
app.add_typer(escalations.app, name="escalations")
app.add_typer(keys.app, name="keys")
app.command("sweep")(sla.sweep_command)
app.command("deliver")(delivery.deliver_command)
app.command("close-resolved")(delivery.close_resolved_command)
app.command("serve")(serve.serve_command)


def _version() -> str:
    try:
        return version("tanggap")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        console.print(f"tanggap {_version()}")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: Annotated[
        bool | None,
        typer.Option(
            "--version",
            help="print the version and exit",
            callback=_print_version,
            is_eager=True,
        ),
    ] = None,
) -> None:
    """Tanggap: ticket lifecycle engine for citizen reports to a city government."""
    # Every setting is checked before any command runs, whether it reads it or not: a wrong
    # value stops here with one line naming the variable, not later inside a server process.
    context.settings()
    # A misspelt variable is not an error (the default applies), but it must not go unseen.
    for warning in unknown_variables(os.environ):
        context.err_console.print(f"warning: {warning}")


@db_app.command("upgrade")
def db_upgrade(
    into_existing: Annotated[
        bool,
        typer.Option(
            "--into-existing",
            help="create Tanggap's tables in a database that already holds other tables "
            "(refused without it)",
        ),
    ] = False,
) -> None:
    """Create the database, or migrate it to the newest schema; says what it did.

    A database holding tables but no Tanggap schema is refused unless --into-existing is given;
    one at a revision that is not Tanggap's is refused."""
    with reported_errors():
        db = database(create=True)
        already = schema.check_upgradable(db.engine, into_existing=into_existing)
        before = schema.current_revision(db.engine)
        schema.upgrade(db.engine)
        after = schema.current_revision(db.engine)
        where = schema.where(db.engine)
        if before is None:
            made = len(set(schema.tables(db.engine)) - set(already))
            if already:  # --into-existing
                console.print(
                    f"created Tanggap's {made} tables in the database at {where}, beside the "
                    f"{counted(len(already), 'table')} already there: revision {after}"
                )
            else:
                console.print(f"created the database at {where}: {made} tables, revision {after}")
            console.print("next: tanggap config load catalogue/jakarta.yaml")
        elif before != after:
            console.print(f"migrated the database at {where} from revision {before} to {after}")
        else:
            console.print(f"the database at {where} is up to date (revision {after})")


@config_app.command("load")
def config_load(
    file: Annotated[
        Path,
        typer.Argument(
            help="catalogue YAML, e.g. catalogue/jakarta.yaml",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="check the whole file and say what would change; write nothing"
        ),
    ] = False,
) -> None:
    """Load (or reload) the service catalogue; loading the same file twice changes nothing.

    A file with any mistake is refused whole, each mistake on a line of its own (file:line:
    key path: what is wrong); --dry-run checks it the same way without loading it."""
    with reported_errors():
        text = text_file(file, "file")
        moment = now()
        summary = changed_or_tried(
            lambda session: load_catalogue(session, text, source=str(file), now=moment),
            dry_run=dry_run,
        )
    print_load_summary(summary, f"{file}: catalogue unchanged")
    if dry_run:
        console.print("dry run: nothing was written; the lines above say what the load would do")


@app.command("lifecycle")
def lifecycle() -> None:
    """Print the ticket lifecycle as a Mermaid state diagram."""
    console.print(mermaid())


DEMO_AGENCY = "DISHUB"
DEMO_CATEGORY = "traffic_jam"
DEMO_SETUP = "tanggap config load catalogue/jakarta.yaml"


def _demo_officer_unusable(member: Staff) -> str | None:
    """Why the demo cannot work with its officer as an operator left them, or ``None``."""
    if not member.active:
        return f"is deactivated (tanggap staff activate {member.email} brings them back)"
    where = member.agency.code if member.agency else None
    if where != DEMO_AGENCY:
        return (
            f"works for {where or 'no agency'} now, not {DEMO_AGENCY}, and the demo does not "
            "move them"
        )
    return None


@app.command("demo")
def demo() -> None:
    """Walk one sample report from submission to resolution and print its timeline.

    It writes to the configured database (a demo officer and a real ticket): point
    TANGGAP_DATABASE_URL at a scratch database, run `tanggap db upgrade` and
    `tanggap config load catalogue/jakarta.yaml` there first.
    """
    officer = "demo.officer@tanggap.example"
    with reported_errors():
        try:
            db = database()
        except DatabaseNotReady as exc:
            reason = exc.message.split(": run ")[0]  # what is wrong, without its own advice
            fail(
                "the demo needs a database with the catalogue: run `tanggap db upgrade`, then "
                f"`{DEMO_SETUP}` ({reason})"
            )
        with db.transaction() as session:
            ready = find_agency(session, DEMO_AGENCY) and find_category(session, DEMO_CATEGORY)
            member = find_staff(session, officer)
            # Checked before anything is written: a demo that stops half-way leaves a real
            # ticket behind, and one that re-adds its officer would undo an operator's change.
            unusable = _demo_officer_unusable(member) if member is not None else None
            known = member is not None
    if not ready:
        fail(
            f"load the catalogue first: {DEMO_SETUP} (the demo reports a {DEMO_CATEGORY} "
            f"for {DEMO_AGENCY})"
        )
    if unusable:
        fail(f"the demo officer {officer} {unusable}; try the demo on a scratch database")
    if not known:
        staff.add(officer, name="Petugas Demo (Dishub)", agency=DEMO_AGENCY)
    code = tickets.submit_cmd(
        category=DEMO_CATEGORY,
        description="Macet total di Jl. Medan Merdeka Barat, lampu lalu lintas mati",
        lat=-6.1754,
        lon=106.8272,
        address="Jl. Medan Merdeka Barat, Gambir",
    )
    for action, note in [
        ("verify", None),
        ("assign", None),
        ("start", None),
        ("resolve", "Petugas Dishub diturunkan; lalu lintas kembali lancar"),
    ]:
        tickets.act(code, action, as_=officer, note=note)
    tickets.show(code)


if __name__ == "__main__":
    app()
