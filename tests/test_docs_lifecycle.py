"""docs/lifecycle.md says what the engine does: its three tables against the engine, both ways.

Every expectation is read from the engine itself (the shared ``transitions`` machine through
``lifecycle.fire``, the ``Rule`` table, ``presentation.present``, ``channels.check_channel``),
never from a copy here: when the engine changes, this test names the row of the doc to change.
"""

from __future__ import annotations

import contextlib
import re
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import pytest

from engine.actors import Actor
from engine.channels import Channel, check_channel
from engine.errors import InvalidTransition, RuleViolated
from engine.lifecycle import RULES_BY_TRIGGER, STAFF_ROLES, Role, Scope, State, Trigger, fire
from engine.presentation import present

pytestmark = pytest.mark.database_free

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "lifecycle.md"

#: How the doc's *who* column names each role (a whole word, any case).
ROLE_WORDS: dict[Role, str] = {
    Role.CITIZEN: r"\b(citizen|reporter)s?\b",
    Role.STAFF: r"\bstaff\b",
    Role.SUPERVISOR: r"\bsupervisors?\b",
    Role.ADMIN: r"\badmins?\b",
    Role.SYSTEM: r"\bhousekeeping\b",
    Role.CLIENT: r"\bOpen311 clients?\b",
}
#: How the *who* column marks the scope staff and supervisors act in (the doc's legend).
SCOPE_WORDS: dict[Scope, str] = {Scope.TRIAGE: "(triage)", Scope.AGENCY: "(field work)"}


def section(heading: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/lifecycle.md has no '## {heading}' section"
    return match.group(1)


def table(heading: str) -> list[dict[str, str]]:
    """The one markdown table under ``heading``: a dict per row, keyed by the header cells."""
    lines = [line for line in section(heading).splitlines() if line.startswith("|")]
    assert len(lines) > 2, f"no table under '## {heading}'"

    def cells(line: str) -> list[str]:
        return [cell.strip() for cell in line.strip().strip("|").split("|")]

    header = cells(lines[0])
    assert set(lines[1]) <= set("|-: "), f"'## {heading}': second line is not a separator"
    rows = [cells(line) for line in lines[2:]]
    for row in rows:
        assert len(row) == len(header), f"'## {heading}': {row} has not {len(header)} cells"
    return [dict(zip(header, row, strict=True)) for row in rows]


def plain(cell: str) -> str:
    return cell.replace("`", "").strip()


def named_states(cell: str, where: str) -> set[State]:
    """The backticked state names in ``cell`` ("every state": all of them; "—": none)."""
    if cell == "—":
        return set()
    if cell == "every state":
        return set(State)
    names = re.findall(r"`([^`]+)`", cell)
    unknown = [name for name in names if name not in {s.value for s in State}]
    assert not unknown, f"{where}: {unknown} are not engine states"
    return {State(name) for name in names}


def one_name(cell: str, where: str) -> str:
    match = re.fullmatch(r"`([a-z0-9_-]+)`", cell)
    assert match, f"{where}: {cell!r} is not one backticked name"
    return match.group(1)


E = TypeVar("E", bound=StrEnum)


def named_rows(heading: str, column: str, vocabulary: type[E]) -> dict[E, dict[str, str]]:
    """The rows of the table under ``heading``, by the ``vocabulary`` word in ``column``: one
    row per word, and no row for a word the engine does not have."""
    rows = table(heading)
    names = [one_name(row[column], f"{column} column") for row in rows]
    assert len(names) == len(set(names)), f"a {column} has two rows: {sorted(names)}"
    engine = {word.value for word in vocabulary}
    assert set(names) == engine, f"doc: {set(names) - engine}; engine: {engine - set(names)}"
    return {vocabulary(name): row for name, row in zip(names, rows, strict=True)}


def moves(trigger: Trigger) -> dict[State, set[State]]:
    """Where ``trigger`` leads from each state the engine's machine fires it in (every
    ``held_from`` tried: ``resume`` goes back to where the hold came from)."""
    found: dict[State, set[State]] = {}
    if not RULES_BY_TRIGGER[trigger].sources:
        return found  # submit creates the ticket: the machine has no such event to fire
    for state in State:
        for held in (None, *State):
            with contextlib.suppress(InvalidTransition):
                found.setdefault(state, set()).add(fire(state, trigger, held_from=held))
    return {state: dests for state, dests in found.items() if dests}


# --- triggers ------------------------------------------------------------------------------


def trigger_rows() -> dict[Trigger, dict[str, str]]:
    rows = table("Triggers")
    names = [one_name(row["trigger"], "trigger column") for row in rows]
    assert len(names) == len(set(names)), f"a trigger has two rows: {sorted(names)}"
    engine = {t.value for t in Trigger}
    assert set(names) - engine == set(), f"rows for no engine trigger: {set(names) - engine}"
    assert engine - set(names) == set(), f"engine triggers with no row: {engine - set(names)}"
    return {Trigger(name): row for name, row in zip(names, rows, strict=True)}


def test_every_engine_trigger_has_one_row_and_every_row_is_one() -> None:
    trigger_rows()


@pytest.mark.parametrize("trigger", list(Trigger), ids=str)
def test_from_and_to_states_are_the_engines(trigger: Trigger) -> None:
    row = trigger_rows()[trigger]
    where = f"row {trigger.value}"
    found = moves(trigger)
    assert named_states(row["from"], f"{where}, from") == set(found), where
    if not found:  # no state to leave: the trigger creates the ticket (submit)
        dest = RULES_BY_TRIGGER[trigger].dest
        assert dest is not None, where
        assert named_states(row["to"], f"{where}, to") == {dest}, where
    elif all(dests == {source} for source, dests in found.items()):
        assert row["to"] == "same", f"{where}: the state stays, the doc says {row['to']!r}"
    else:
        dests = set().union(*found.values())
        assert named_states(row["to"], f"{where}, to") == dests, where


@pytest.mark.parametrize("trigger", list(Trigger), ids=str)
def test_who_names_the_rules_roles_and_scope(trigger: Trigger) -> None:
    rule, who = RULES_BY_TRIGGER[trigger], trigger_rows()[trigger]["who"]
    named = {role for role, word in ROLE_WORDS.items() if re.search(word, who, re.I)}
    assert named == set(rule.roles), f"row {trigger.value}: who names {named}, not {rule.roles}"
    scoped = rule.roles & {Role.STAFF, Role.SUPERVISOR}
    for scope, word in SCOPE_WORDS.items():
        expected = bool(scoped) and rule.scope is scope
        assert (word in who) == expected, f"row {trigger.value}: {word} in who is {not expected}"


@pytest.mark.parametrize("trigger", list(Trigger), ids=str)
def test_guard_says_when_a_reason_is_required_and_the_note_always_public(
    trigger: Trigger,
) -> None:
    rule, guard = RULES_BY_TRIGGER[trigger], trigger_rows()[trigger]["guard / effect"]
    says_reason = re.search(r"\b(reason|note) required\b", guard) is not None
    assert says_reason == rule.reason_required, f"row {trigger.value}: reason required?"
    assert ("always public" in guard) == rule.answers_reporter, f"row {trigger.value}: public?"


# --- states --------------------------------------------------------------------------------

#: "id / en", and for a state a transfer words otherwise "(after a transfer: id / en)".
LABELS = re.compile(
    r"(?P<id>.+?) / (?P<en>.+?)( \(after a transfer: (?P<tid>.+?) / (?P<ten>.+)\))?"
)


def state_rows() -> dict[State, dict[str, str]]:
    return named_rows("States", "state", State)


@pytest.mark.parametrize("state", list(State), ids=str)
def test_state_reads_as_the_engine_presents_it(state: State) -> None:
    row, shown = state_rows()[state], present(state)
    where = f"row {state.value}"
    labels = LABELS.fullmatch(row["label id / en"])
    assert labels, f"{where}: labels are not 'id / en'"
    assert (labels["id"], labels["en"]) == (shown.label_id, shown.label_en), where
    after_transfer = present(state, Trigger.TRANSFER.value)
    if after_transfer == shown:
        assert labels["tid"] is None, f"{where}: a transfer changes nothing in the engine"
    else:
        assert (labels["tid"], labels["ten"]) == (after_transfer.label_id, after_transfer.label_en)
    assert plain(row["colour"]) == shown.colour.value, where
    assert plain(row["Open311 status"]) == shown.open311_status.value, where
    assert plain(row["detailed_status"]) == shown.detailed_status.value, where


def test_the_doc_says_no_two_states_read_alike() -> None:
    labels = [(present(state).label_id, present(state).label_en) for state in State]
    assert len(set(labels)) == len(labels)
    assert "No two states share a label" in " ".join(section("States").split())


# --- channels ------------------------------------------------------------------------------

#: Who files a report (the roles ``submit`` allows), by the doc's two sides and its words.
FILERS = sorted(RULES_BY_TRIGGER[Trigger.SUBMIT].roles)


def side(role: Role) -> str:
    return "staff" if role in STAFF_ROLES else "citizen or Open311 client"


def filer_word(role: Role) -> str:
    return "staff" if role in STAFF_ROLES else ROLE_WORDS[role]


def may_file(channel: Channel, role: Role) -> bool:
    try:
        check_channel(channel.value, Actor(role, role.value))
    except RuleViolated:
        return False
    return True


def channel_rows() -> dict[Channel, dict[str, str]]:
    return named_rows("Channels", "channel", Channel)


@pytest.mark.parametrize("channel", list(Channel), ids=str)
def test_channel_is_open_to_the_side_the_engine_lets_file_on_it(channel: Channel) -> None:
    row = channel_rows()[channel]
    for role in FILERS:
        said = row[side(role)]
        assert said in ("yes", "no"), f"row {channel.value}: {side(role)} {said!r}, not yes/no"
        assert (said == "yes") == may_file(channel, role), (
            f"row {channel.value}: may a {role.value} file on it? the engine says "
            f"{may_file(channel, role)}"
        )


def test_default_channels_are_the_engines() -> None:
    rows = channel_rows()
    for channel, row in rows.items():
        cell = row["default for"]
        expected = {
            filer_word(role)
            for role in FILERS
            if check_channel(None, Actor(role, role.value)) is channel
        }
        words = {filer_word(role) for role in FILERS}
        said = {word for word in words if re.search(word, cell, re.I)}
        assert said == expected, f"row {channel.value}: default for {said}, engine: {expected}"
        assert said or cell == "—", f"row {channel.value}: default for {cell!r}"


# --- where it stands -------------------------------------------------------------------------


def test_doc_says_it_supersedes_design_2_and_the_readme_links_it() -> None:
    head = DOC.read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert "DESIGN.md §2" in head and "out of date" in head
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lifecycle = readme[readme.index("**Lifecycle.**") :].split("\n\n", 1)[0]
    assert "(docs/lifecycle.md)" in lifecycle
