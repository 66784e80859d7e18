"""One error hierarchy for the whole domain, mapped to HTTP (and CLI exit codes) once at the edge.

TanggapError
├── NotFound                 404  (TicketNotFound, CatalogueEntryNotFound, StaffNotFound)
├── Forbidden                403  the actor may not do this to this ticket
├── Conflict                 409
│   ├── InvalidTransition        the trigger is not allowed in the ticket's state
│   │   └── PublicationUnchanged     unpublish of a report already off the public record,
│   │                                republish of one on it
│   ├── StaleVersion             someone changed the ticket since the caller read it
│   └── WindowClosed             the reporter's time to contest (an appeal) has passed
├── RuleViolated             422  input or a business rule is wrong (missing reason, photo, ...)
│   ├── UnknownTrigger
│   ├── UnknownCategory
│   └── OutsideServiceArea
├── CatalogueError           the catalogue file is malformed (names the key and line)
├── CorruptHistory       500  a ticket's events contradict each other: a server fault, never
│                             the caller's (found by replay; never papered over)
└── ConfigurationError       a setting is wrong or the database is not usable (names which)
    └── DatabaseNotReady         unreachable, or not created / migrated (`tanggap db upgrade`)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class TanggapError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(TanggapError):
    code = "not_found"


class TicketNotFound(NotFound):
    code = "ticket_not_found"


class CatalogueEntryNotFound(NotFound):
    code = "catalogue_entry_not_found"


class StaffNotFound(NotFound):
    code = "staff_not_found"


class StaffExists(TanggapError):
    """Adding a staff member whose e-mail is taken: an update must be asked for by name."""

    code = "staff_exists"


class Forbidden(TanggapError):
    code = "forbidden"


class Conflict(TanggapError):
    """A 409: the ticket is not where the caller thought. ``state``, ``version`` and
    ``allowed`` (the triggers this caller may fire now) say where it stands, so a client can
    reload and retry; every conflict about a ticket carries all three."""

    code = "conflict"

    def __init__(
        self,
        message: str,
        *,
        state: str | None = None,
        version: int | None = None,
        allowed: Iterable[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.state = state
        self.version = version
        self.allowed: list[str] | None = sorted(allowed) if allowed is not None else None


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(
        self, trigger: str, state: str, allowed: Iterable[str], *, version: int | None = None
    ) -> None:
        self.trigger = trigger
        names = sorted(allowed)
        allowed_text = ", ".join(names) or "none"
        super().__init__(
            f"cannot {trigger} a ticket that is {state}; allowed in {state}: {allowed_text}",
            state=state,
            version=version,
            allowed=names,
        )


class PublicationUnchanged(InvalidTransition):
    """``unpublish`` of a report already taken off the public record, or ``republish`` of one
    that is on it: the state allows the trigger, the report's publication does not. Its code
    says which (``already_unpublished`` / ``already_published``)."""

    code = "already_unpublished"

    def __init__(
        self,
        trigger: str,
        state: str,
        allowed: Iterable[str],
        *,
        unpublished: bool,
        version: int | None = None,
    ) -> None:
        super().__init__(trigger, state, allowed, version=version)
        names = ", ".join(self.allowed or ()) or "none"
        where = "off the public record already" if unpublished else "on the public record"
        self.code = "already_unpublished" if unpublished else "already_published"
        self.message = f"cannot {trigger} a report that is {where}; allowed now: {names}"
        self.args = (self.message,)


class StaleVersion(Conflict):
    code = "stale_version"


class WindowClosed(Conflict):
    """The trigger fits the ticket's state, but the reporter's window for it has passed (an
    appeal of a rejection): where the ticket stands is the answer, as for any conflict."""

    code = "window_closed"


class RuleViolated(TanggapError):
    """``key``: a stable code for this rule (``photo_required``, ``control_character`` …) that
    replaces the class's ``code`` in API bodies, so pages can say it in their own words;
    ``params``: the values the words need (field name, limits, numbers) — never personal data."""

    code = "rule_violated"

    def __init__(
        self, message: str, *, key: str | None = None, params: dict[str, object] | None = None
    ) -> None:
        super().__init__(message)
        if key is not None:
            self.code = key
        self.params: dict[str, object] = dict(params or {})


class UnknownTrigger(RuleViolated):
    code = "unknown_trigger"


class UnknownCategory(RuleViolated):
    code = "unknown_category"


class OutsideServiceArea(RuleViolated):
    code = "outside_service_area"


#: U+FFFD stands where a decoder met bytes that were not UTF-8 (``/requests/%FF.json``): no
#: character anyone typed, so an echo shows it as "?", as it shows a control character.
REPLACEMENT_CHARACTER = "\ufffd"


def echoable(ch: str) -> bool:
    """Whether character ``ch`` of what was typed is quoted back as itself, not as "?"."""
    return ch.isprintable() and ch != REPLACEMENT_CHARACTER


def shown(value: object, limit: int = 40) -> str:
    """What a person typed, safe to quote back in an error: quoted, every character that is
    not printable (control, bidi, format, NUL, lone surrogates) or that marks bytes that were
    not UTF-8 (U+FFFD) replaced by "?", and at most ``limit`` characters (then "…"). Every
    message that names a value given to us uses this."""
    text = "".join(c if echoable(c) else "?" for c in str(value))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'"


def printable(value: object, limit: int = 60) -> str:
    """``shown`` without its quotes: a name (a field, a file) as a refusal may print it."""
    return shown(value, limit)[1:-1]


@dataclass(frozen=True)
class CatalogueProblem:
    """One mistake in a catalogue file: ``where`` (``file:line``), the key ``path``
    (``categories[2].code``) when known, and what is wrong."""

    where: str
    message: str
    path: str = ""

    def __str__(self) -> str:
        return ": ".join(part for part in (self.where, self.path, self.message) if part)


class CatalogueError(TanggapError):
    """``problems``: each mistake on its own, for a program; the message lists them one to a
    line (as the CLI prints them)."""

    code = "catalogue_invalid"

    def __init__(self, message: str, *, problems: Sequence[CatalogueProblem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)

    @classmethod
    def listing(cls, problems: Sequence[CatalogueProblem]) -> CatalogueError:
        return cls("\n".join(map(str, problems)), problems=problems)


class CorruptHistory(TanggapError):
    code = "corrupt_history"


class ConfigurationError(TanggapError):
    code = "configuration_invalid"


class DatabaseNotReady(ConfigurationError):
    code = "database_not_ready"


class ScratchCopyFailed(ConfigurationError):
    """The private copy of an SQLite database a dry run works on could not be made or written
    (the temporary directory full or unwritable: ``TMPDIR``)."""

    code = "scratch_copy_failed"
