"""What every command needs: settings, the database, the clock, output, and one way to fail.

Output is literal: the consoles interpret no markup and no emoji codes, so ``[/]`` or
``[bold red]`` typed by a citizen prints as typed, and stored text is shown with any control
character made visible. Every failure is one line on stderr (``error: …``) and exit code 2
(1 for a fault of ours), never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState, Session

# typer (0.20 and later) carries its own copy of click: these are the exceptions it raises.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from cli.fields import as_typed
from engine import environment, schema
from engine.catalogue.spec import CATALOGUE_LIMIT
from engine.catalogue.summary import LoadSummary
from engine.db import Database, shown_url, sqlite_file
from engine.errors import CatalogueError, CorruptHistory, DatabaseNotReady, TanggapError
from engine.installation import home_dir
from engine.models import Notification
from engine.once import built_once
from engine.photos import LocalMediaStorage, too_large
from engine.settings import Settings

log = logging.getLogger(__name__)

#: The narrowest width output is laid out for. A terminal (or ``COLUMNS``) narrower than this
#: gets tables one record per block and long values folded at this width: every word whole.
NARROWEST = 20


def _console(*, stderr: bool = False) -> Console:
    """A console for literal text, as wide as the terminal or ``COLUMNS``.

    rich takes ``COLUMNS=0`` for a width of 0 and then prints nothing at all (no table, no
    error, exit 0): 0 is no width, ignored as ``COLUMNS=abc`` is (the terminal's width, else
    80). A width below ``NARROWEST`` is laid out at ``NARROWEST``."""
    options: dict[str, Any] = {"highlight": False, "markup": False, "emoji": False}
    made = Console(stderr=stderr, soft_wrap=True, **options)
    if made.width < 1:
        environ = {name: value for name, value in os.environ.items() if name != "COLUMNS"}
        made = Console(stderr=stderr, soft_wrap=True, _environ=environ, **options)
    made.width = max(made.width, NARROWEST)
    return made


console = _console()
err_console = _console(stderr=True)

__all__ = [
    "ClickException",
    "NoArgsIsHelpError",
    "UsageError",
    "changed_or_tried",
    "console",
    "database",
    "err_console",
    "fail",
    "field",
    "file_bytes",
    "hanging",
    "mail_links_note",
    "now",
    "print_line",
    "reported_errors",
    "settings",
    "show_table",
    "shown_or_undone",
    "storage",
    "text_file",
]


class OutputFailed(Exception):
    """Writing to standard output failed (a full disk, ``> /dev/full``, a closed pipe)."""

    def __init__(self, error: OSError, *, lost: str | None = None) -> None:
        super().__init__(error.strerror or type(error).__name__)
        self.error = error
        #: What the person lost with the output, said with the error (``shown_or_undone``).
        self.lost = lost


class GuardedOutput:
    """Standard output that never raises: the first write error (a full disk, a closed pipe) is
    kept in ``failed`` and what follows is dropped. Printing happens inside transactions
    (``staff deactivate`` prints, then commits): an error raised there would undo a change the
    command already reported. The command finishes, its work is committed, and the entry point
    reports the failed output once (one line, nothing for a closed pipe) and exits 1."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.failed: OSError | None = None

    def write(self, text: str) -> int:
        if self.failed is None:
            try:
                self.stream.write(text)
            except OSError as exc:
                self.failed = exc
        return len(text)

    def flush(self) -> None:
        if self.failed is None:
            try:
                self.stream.flush()
            except OSError as exc:
                self.failed = exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def output_failed() -> OSError | None:
    """The error that ended standard output in this command, if any."""
    stdout = sys.stdout
    return stdout.failed if isinstance(stdout, GuardedOutput) else None


def shown_or_undone(lost: str) -> None:
    """Write out what was printed so far, now: a secret shown once (an api key, a reporter
    token) is seen, or nobody saw it. Called inside the transaction that keeps the secret, a
    failed write raises ``OutputFailed`` there and the transaction rolls back; ``lost`` says
    what that means to the person (``the key was not kept: nobody saw it``), after the write
    error (``cannot write the output: No space left on device; …``)."""
    sys.stdout.flush()
    failed = output_failed()
    if failed is not None:
        raise OutputFailed(failed, lost=lost)


def visible(value: object) -> str:
    """``value`` as text with control characters shown as escapes (stored text from before the
    engine refused them, file names, exception texts): nothing printed can drive the terminal."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or ch in _SHOWN else repr(ch)[1:-1].replace("'", "") for ch in text
    )


#: Characters Python calls unprintable that are shown as they are: line breaks and tabs, and
#: the joiners of emoji and of many scripts (👨‍👩‍👧 is three people and two U+200D; Persian and
#: Indic writing use U+200C): they drive no terminal, and escaped they break the words.
_SHOWN = frozenset("\n\t\u200c\u200d")


def one_line(value: object) -> str:
    return visible(value).replace("\n", "\\n").replace("\t", " ")


#: The width of a label in ``ticket show`` (``report``, ``officer`` …): values start after it.
LABEL_WIDTH = 10


def _folds() -> bool:
    """Whether output is folded to a width (a terminal, or ``COLUMNS`` set), as tables are."""
    return console.is_terminal or bool(os.environ.get("COLUMNS"))


def print_line(line: Text) -> None:
    """``line`` on standard output, folded between words at the console's width in a terminal
    (or with ``COLUMNS``), as ``hanging`` folds a field; piped, one line whatever its length."""
    console.print(line, soft_wrap=not _folds())


def hanging(value: object, indent: int, *, fold: bool = True) -> str:
    """``value`` as text (``visible``) whose every line after the first starts ``indent``
    spaces in: a line break a citizen or a member of staff typed, or one the terminal would
    make in a long line, never starts a line at the margin, where it could pass for a field
    (``officer    Kepala Dinas …`` inside a description). In a terminal (or with ``COLUMNS``)
    long lines are folded here, under the value, not by the terminal at column 0, between
    words: a word longer than the line (an e-mail address) is left whole on a line of its own
    (not ``fold``: in a table cell, which ``show_table`` folds within its column)."""
    lines = visible(value).split("\n")
    if fold and _folds():
        lines = folded(visible(value), max(console.width - indent, 10))
    return ("\n" + " " * indent).join(lines)


#: The fewest cells a ``ticket show`` value has beside its label: a moment (``Mon 23 Nov 2026
#: 09:00``, 21 cells) and a few words. A terminal narrower than the label and this puts each
#: value under its label instead, as a table too narrow for its rows goes to one block a row.
FIELD_ROOM = 24


def field(label: str, value: object, *, whole: str = "", after: str = "") -> str:
    """A ``label  value`` line of ``ticket show``; a value of several lines continues under
    itself (``hanging``), so what follows its first line cannot pass for another field. In a
    terminal under ``LABEL_WIDTH + 1 + FIELD_ROOM`` columns the label is a line of its own and
    its value follows, two spaces in.

    ``whole``: a part to copy whole (a file's path, which may hold spaces), never folded: in
    a terminal on a line of its own under the value (and ``after``, the words that follow it
    on a piped line); piped, the one line is ``value  whole after``."""
    block = _folds() and console.width - LABEL_WIDTH - 1 < FIELD_ROOM
    indent = 2 if block else LABEL_WIDTH + 1
    if whole and _folds():
        said = hanging(f"{value}{after}", indent) + "\n" + " " * indent + visible(whole)
    elif whole:
        said = hanging(f"{value}  {whole}{after}", indent)
    else:
        said = hanging(value, indent)
    return f"{label}\n  {said}" if block else f"{label:{LABEL_WIDTH}} {said}"


#: The engine names a field by its key (``staff_email``, the keys of ``engine.text.LIMITS``),
#: which an API client matches on; a person at the shell reads words: ``staff e-mail is not an
#: e-mail address …``.
_FIELD = re.compile(r"^[a-z]+(_[a-z]+)+\b")
_WORDS = {"email": "e-mail", "timezone": "time zone"}


def plain(message: str) -> str:
    """An engine message with its leading field key in words (``reporter_email`` → ``reporter
    e-mail``)."""
    return _FIELD.sub(
        lambda found: " ".join(_WORDS.get(w, w) for w in found.group(0).split("_")),
        message,
        count=1,
    )


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: message`` (literally, on one line) and leave with ``code``."""
    err_console.print(Text.assemble(("error: ", "bold red"), one_line(message)))
    raise typer.Exit(code=code)


def file_bytes(path: Path, param: str, *, limit: int) -> bytes:
    """The bytes of a file given on the command line as ``param``, at most ``limit``: a larger
    one is refused in one line naming the parameter, read no further than one byte past the
    limit, so a device or a pipe that never ends (``--photo /dev/zero``) is refused at once
    instead of filling memory."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        size = path.stat().st_size if path.is_file() else None
        raise typer.BadParameter(
            too_large(str(path), limit=limit, size=size), param_hint=f"'{param}'"
        )
    return data


def text_file(path: Path, param: str) -> str:
    """A YAML or JSON file given on the command line as ``param`` (the argument ``file``, the
    option ``--mapping``), as text, at most ``CATALOGUE_LIMIT`` bytes (``file_bytes``); a file
    that is not UTF-8 text is one line naming the parameter, then the file, as click names them
    (``error: … Invalid value for 'file': x.yaml is UTF-16 text; save it as UTF-8``)."""
    hint = f"'{param}'"
    raw = file_bytes(path, param, limit=CATALOGUE_LIMIT)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise typer.BadParameter(f"{path} is UTF-16 text; save it as UTF-8", param_hint=hint)
    if b"\x00" in raw[:8192]:
        raise typer.BadParameter(f"{path} is not a text file", param_hint=hint)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise typer.BadParameter(
            f"{path} is not UTF-8 text (line {line}); save it as UTF-8", param_hint=hint
        ) from None


def settings() -> Settings:
    return environment.settings()


def _debug() -> bool:
    """``TANGGAP_DEBUG`` as the settings read it (``1``, ``true``, ``yes`` …)."""
    try:
        return environment.settings().debug
    except TanggapError:
        return False


@built_once
def _checked_database() -> Database:
    db = environment.database()
    schema.check_ready(db.engine)
    return db


def database(*, create: bool = False) -> Database:
    """This process's database, checked once: reachable and migrated to the newest revision.

    A missing SQLite file is never created as a side effect (a command run from the wrong
    directory would leave an empty ``tanggap.db`` behind); only ``db upgrade`` (``create``) does.
    """
    url = settings().database_url
    path = sqlite_file(url)
    if path is not None and not path.exists() and not create:
        raise DatabaseNotReady(
            f"no database at {path} (TANGGAP_DATABASE_URL): run `tanggap db upgrade` to create "
            "it, or set TANGGAP_DATABASE_URL"
        )
    if path is not None and not create and path.stat().st_size == 0:
        # Opening it would write SQLite's header (WAL mode): a read-only command leaves the
        # file as it found it. (A file of another kind is refused with the settings.)
        shown = shown_url(url)
        raise DatabaseNotReady(f"the database at {shown} is not set up: run `tanggap db upgrade`")
    if create:
        return environment.database()
    return _checked_database()


#: Set once a transaction that queued mail (outbox rows) has committed in this process.
_mail_queued: list[bool] = []


def _queued_by_flush(session: Session, _context: Any) -> None:
    if any(isinstance(row, Notification) for row in session.new):
        session.info["tanggap_mail_queued"] = True


def _queued_by_statement(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper  # an ORM insert(Notification) names its class's mapper
    # Not an update: a waiting mail rewritten with new words (a held status mail joined by a
    # later change, ``engine.rewording``) keeps the links it was queued with, whatever this
    # process's base URL.
    if state.is_insert and mapper is not None and mapper.class_ is Notification:
        state.session.info["tanggap_mail_queued"] = True


def _committed(session: Session) -> None:
    if session.info.pop("tanggap_mail_queued", False) and not _mail_queued:
        _mail_queued.append(True)


def _rolled_back(session: Session) -> None:
    session.info.pop("tanggap_mail_queued", None)


event.listen(Session, "after_flush", _queued_by_flush)
event.listen(Session, "do_orm_execute", _queued_by_statement)
event.listen(Session, "after_commit", _committed)
event.listen(Session, "after_soft_rollback", lambda session, _previous: _rolled_back(session))


def mail_links_note() -> str | None:
    """Once a command queued mail, and no TANGGAP_PUBLIC_BASE_URL or running ``tanggap serve``
    of this data directory said where its links point: which base URL they use, and how to
    change it. None otherwise (and after it was said once)."""
    if not _mail_queued:
        return None
    _mail_queued.clear()
    configured = settings()
    if configured.public_base_url_source != "default":
        return None
    return (
        f"note: links in the mail queued point to {configured.public_base_url} (the default: "
        f"no tanggap serve is running on {home_dir()}); set TANGGAP_PUBLIC_BASE_URL to the "
        "address people open"
    )


def reset() -> None:
    """Forget settings and database (tests change the environment between invocations)."""
    if environment.database.is_built():
        environment.database().dispose()
    environment.settings.cache_clear()
    environment.database.cache_clear()
    _checked_database.cache_clear()
    _mail_queued.clear()


def storage() -> LocalMediaStorage:
    return LocalMediaStorage(settings().media_dir)


def now() -> datetime:
    """The only clock read of the command line; everything below gets ``now`` passed in."""
    return datetime.now(UTC)


def local(moment: datetime | None, *, short: bool = False) -> str:
    """A moment in the display time zone, with the year: ``Mon 23 Nov 2026 09:00``, or in
    listings (``short``) ``2026-11-23 09:00``."""
    if moment is None:
        return "—"
    shown = moment.astimezone(ZoneInfo(settings().timezone))
    return shown.strftime("%Y-%m-%d %H:%M" if short else "%a %d %b %Y %H:%M")


@contextmanager
def reported_errors(options: Mapping[str, str] | None = None) -> Iterator[None]:
    """Every failure becomes one line on stderr and a non-zero exit code; never a traceback.
    A refusal of the engine names the command's ``options`` (engine field → option or
    argument, ``cli.fields``) as the person typed them: ``--email``, not ``reporter e-mail``.

    A block entered once standard output has failed does not start: a command that works in
    passes (``--forever``, batches) stops between two of them, as a writer killed by SIGPIPE
    would, but never inside a transaction (``GuardedOutput``)."""
    failed = output_failed()
    if failed is not None:
        raise OutputFailed(failed)
    try:
        yield
    except (typer.Exit, typer.Abort, ClickException, OutputFailed):
        raise
    except CatalogueError as exc:  # one line per mistake in the file, each named by its line
        for line in exc.message.splitlines():
            err_console.print(Text.assemble(("error: ", "bold red"), one_line(line)))
        raise typer.Exit(code=2) from None
    except CorruptHistory as exc:  # a fault of ours, not of what was typed
        fail(exc.message, code=1)
    except TanggapError as exc:
        fail(plain(as_typed(exc.message, options or {})))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        fail(f"the database failed: {reason}")
    except sqlite3.Error as exc:  # SQLite met outside SQLAlchemy (a dry run's copy)
        said = str(exc).strip().splitlines()
        fail(f"the database failed: {said[0] if said else 'no answer'}")
    except IsADirectoryError as exc:
        fail(f"{exc.filename} is a directory, not a file")
    except FileNotFoundError as exc:
        fail(f"no such file: {exc.filename}")
    except PermissionError as exc:
        fail(f"not allowed to read or write {exc.filename}")
    except UnicodeDecodeError:
        fail("the file is not UTF-8 text")
    except Exception as exc:
        # A fault of ours. Its text may hold personal data (an INSERT's values), so only its
        # type is shown; TANGGAP_DEBUG=1 shows the traceback to the developer who asks.
        if _debug():
            raise
        log.debug("unexpected error", exc_info=True)
        fail(f"unexpected {type(exc).__name__}; run with TANGGAP_DEBUG=1 for details", code=1)
    finally:
        sys.stdout.flush()


#: Columns never wrapped (a ticket code split over two lines cannot be copied).
NO_WRAP = frozenset({"#", "code", "ticket", "state", "prio", "left", "id", "%"})


#: Columns holding a date and time (``local(short=True)``): wrapped only between the two.
DATE_HEADERS = frozenset({"started", "deadline", "next", "due", "queued", "when", "recorded"})


#: The width of a table written to a pipe or a file: wide enough that no row folds, so that
#: ``tanggap ticket list | grep flood`` finds each ticket on one line (a terminal's own width
#: still folds a table that is wider than it; ``COLUMNS`` sets the width either way).
PIPED_WIDTH = 1000


def show_table(grid: Table) -> None:
    """Print ``grid``: as wide as the terminal, or one line a row when the output is not a
    terminal (``PIPED_WIDTH``), as ``ps`` and ``kubectl`` do. In a terminal the table is laid
    out here (``laid_out``), never split inside a word (``UNIT``: a code, a time, a key's
    prefix, an e-mail address, a name); a terminal too narrow for it with every word whole and
    every column there gets one record per block instead (``show_blocks``): rich would split
    words, crop codes and times, and drop columns, in silence. Every command's table is printed
    here, so every command follows this one rule."""
    if _folds():
        laid = laid_out(grid, console.width)
        if laid is None:
            show_blocks(grid)
        else:
            if grid.title:  # between words at the terminal's width, not at the table's
                title = "\n".join(folded(str(grid.title), console.width))
                console.print(Text(title, style="table.title"))
            console.print(laid)
        return
    # A console of its own: ``print(width=…)`` never goes past the console's own width.
    Console(
        file=sys.stdout,
        width=PIPED_WIDTH,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
        force_terminal=False,
    ).print(grid)


#: What a line is folded between, never inside: a moment as ``local`` shows it (``2026-11-23
#: 09:00``, ``Mon 23 Nov 2026 09:00``), a span (``3h 05m``, ``2d 4h``), each with what is stuck
#: to it (``(0h 28m)``), else a word (a code, a key's prefix, an e-mail address, a name).
UNIT = re.compile(
    r"\S*(?:\d{4}-\d\d-\d\d \d\d:\d\d|\w{3} \d\d \w{3} \d{4} \d\d:\d\d|-?\d+[dh] \d+[hm])\S*"
    r"|\S+"
)


def folded(line: str, room: int, *, whole: bool = False) -> list[str]:
    """``line`` in lines at most ``room`` cells wide, broken only between ``UNIT``s (its
    leading spaces kept on the first line); a unit wider than ``room`` alone on its line,
    whole. ``whole``: each line of ``line`` kept whole (a code, a time: a column that does not
    wrap)."""
    if whole:
        return line.split("\n")
    lines: list[str] = []
    for part in line.split("\n"):
        start = end = 0
        for unit in UNIT.finditer(part):
            if end and cell_len(part[start : unit.end()]) > room:
                lines.append(part[start:end])
                start = unit.start()
            end = unit.end()
        lines.append(part[start:end] if end else part)
    return lines


def _narrowest(line: str, *, whole: bool) -> int:
    """The narrowest ``line`` folds to (``folded``): its longest unit, or its longest line."""
    return max((cell_len(part) for part in folded(line, 1, whole=whole)), default=0)


def _frame(grid: Table) -> tuple[int, int]:
    """The width of ``grid``'s lines between and around columns, and each column's padding."""
    _top, right, _bottom, left = grid.padding
    lines = (len(grid.columns) - 1 if grid.box else 0) + (2 if grid.box and grid.show_edge else 0)
    if not grid.pad_edge:  # no padding outside the first and last columns
        lines -= left + right
    return lines, left + right


def _text(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def column_widths(grid: Table, room: int) -> list[int] | None:
    """Each column's width for ``grid`` laid out ``room`` wide with every unit whole and every
    column there, or None when it cannot be. Each column starts as wide as its widest line;
    while the table is too wide, its widest column that can still narrow (down to its longest
    unit: ``folded``; a column that does not wrap, to its longest line) loses one."""
    lines, padding = _frame(grid)
    narrowest: list[int] = []
    widths: list[int] = []
    for column in grid.columns:
        header = str(column.header) if grid.show_header else ""
        cells = [_text(cell) for cell in column.cells]
        narrowest.append(
            max(
                _narrowest(header, whole=False),
                *(_narrowest(cell, whole=column.no_wrap) for cell in cells),
            )
        )
        widths.append(max(cell_len(line) for text in [header, *cells] for line in text.split("\n")))
    if lines + sum(width + padding for width in narrowest) > room:
        return None
    excess = lines + sum(width + padding for width in widths) - room
    while excess > 0:
        widest = max(
            (i for i, width in enumerate(widths) if width > narrowest[i]), key=lambda i: widths[i]
        )
        widths[widest] -= 1
        excess -= 1
    return widths


def laid_out(grid: Table, room: int) -> Table | None:
    """``grid`` (untitled) as it is printed ``room`` wide: each cell folded here (``folded``)
    to its column's width (``column_widths``), so that rich, which would split a word (an
    e-mail address, a code), or a time between its date and its hour, folds nothing; None when
    it cannot be laid out with every unit whole and every column there."""
    widths = column_widths(grid, room)
    if widths is None:
        return None
    headers = [
        "\n".join(folded(str(column.header), width))
        for column, width in zip(grid.columns, widths, strict=True)
    ]
    laid = table(*headers)
    laid.show_header = grid.show_header
    for column, width in zip(laid.columns, widths, strict=True):
        column.width = width
        column.no_wrap = True  # folded here already
    rows = zip(*(list(column.cells) for column in grid.columns), strict=True)
    for row in rows:
        laid.add_row(
            *(
                "\n".join(folded(_text(cell), width, whole=column.no_wrap))
                for column, cell, width in zip(grid.columns, row, widths, strict=True)
            )
        )
    return laid


def show_blocks(grid: Table) -> None:
    """``grid`` one record per block, a line per column (``header  value``, as ``ticket show``
    has its fields), blank lines between records; an empty cell is left out. A value of several
    lines, or longer than the terminal, continues under itself, folded between its units
    (``folded``). A value with a unit too long to fit beside its header (an e-mail address, a
    policy's name) starts on the line under it, two spaces in; a unit longer than any line is
    left whole on a line of its own: no word is ever split, however narrow the terminal."""
    headers = [str(column.header) for column in grid.columns]
    label = max((len(header) for header in headers), default=0)
    if grid.title:
        console.print(Text("\n".join(folded(str(grid.title), console.width))))
    rows = zip(*(list(column.cells) for column in grid.columns), strict=True)
    for number, row in enumerate(rows):
        if number or grid.title:
            console.print()
        for header, column, cell in zip(headers, grid.columns, row, strict=True):
            value = visible(_text(cell))
            if not value.strip():
                continue
            room = console.width - label - 1
            if _narrowest(value, whole=column.no_wrap) <= room:
                lines = folded(value, room, whole=column.no_wrap)
                console.print(Text(f"{header:{label}} " + ("\n" + " " * (label + 1)).join(lines)))
            else:  # a unit too long to fit beside its header: the value under it, whole
                lines = folded(value, console.width - 2, whole=column.no_wrap)
                console.print(Text(header + "".join("\n  " + line for line in lines)))


def table(*columns: str, title: str | None = None) -> Table:
    """A table that fits the terminal: cells wrap, codes and times do not, nothing is cut
    (``show_table`` prints it; piped, it does not fold at all)."""
    grid = Table(
        *columns,
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    for column in grid.columns:
        header = str(column.header)
        column.overflow = "fold"
        column.no_wrap = header in NO_WRAP or "/" in header  # two values, one a line
        if header.split(" ")[0] in DATE_HEADERS:
            column.no_wrap = True  # 2026-11-23 09:00 on one line, never 2026-1 above 1-23
    return grid


Changed = TypeVar("Changed")


class _RolledBack(Exception):
    """Leaves a dry run's transaction so that it rolls back, carrying what it would change."""

    def __init__(self, result: object) -> None:
        super().__init__("dry run")
        self.result = result


def changed_or_tried(change: Callable[[Session], Changed], *, dry_run: bool) -> Changed:
    """``change`` run in one write transaction of the database, committed; or, for a dry run,
    run the same way and rolled back: what it would change, nothing written.

    A dry run works on a copy of an SQLite database (``Database.scratch_copy``): on the
    database itself it would hold SQLite's one write lock while it ran, and the service's
    writers would wait. On PostgreSQL it locks only the rows it touches, until it rolls back."""
    try:
        with (
            database().scratch_copy() if dry_run else nullcontext(database()) as target,
            target.transaction() as session,
        ):
            result = change(session)
            if dry_run:
                raise _RolledBack(result)  # the transaction rolls back: nothing written
    except _RolledBack as rolled_back:
        return rolled_back.result  # type: ignore[return-value]
    return result


def print_load_summary(summary: LoadSummary, unchanged: str) -> None:
    """What a catalogue load or a boundary import changed: a line per kind of row and change,
    then each generated office whose addresses changed; ``unchanged`` when nothing did. Then,
    on stderr, a warning for each retired agency or category still on open tickets."""
    if not summary.changed:
        console.print(unchanged)
    else:
        for key, count in sorted(summary.as_dict().items()):
            console.print(f"{key:28} {count:5}")
        for change in summary.address_changes:
            console.print(f"office addresses changed: {change}")
    for line in summary.retired_holding:
        err_console.print(Text.assemble(("warning: ", "bold yellow"), line))


def print_rows(
    rows: Sequence[dict[str, Any]],
    *,
    as_json: bool,
    columns: Sequence[tuple[str, str]],
    title: str | None = None,
    empty: str = "nothing to show",
    render: Callable[[str, Any], str] | None = None,
) -> None:
    """A listing: a table for people, or ``--json`` (one array of objects) for scripts."""
    if as_json:
        sys.stdout.write(json.dumps(list(rows), ensure_ascii=False, default=str, indent=1) + "\n")
        return
    if not rows:
        console.print(empty)
        return
    grid = table(*(header for _key, header in columns), title=title)
    for row in rows:
        cells = []
        for key, _header in columns:
            value = row.get(key)
            # One row a line: a line break in a cell (a provider's error of several lines)
            # is shown as \\n, so no line of a listing is a fragment that passes for a row.
            cells.append(one_line(render(key, value) if render else value))
        grid.add_row(*cells)
    show_table(grid)
