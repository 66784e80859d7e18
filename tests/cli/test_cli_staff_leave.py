"""No staff member a CLI test adds outlives it (``_staff_added_leave`` in conftest.py): they are
deactivated after the test, while members a module- or session-scoped fixture adds for several
tests stay. Checked on the suite's database through the fixture's two steps, and as pytest runs
it (fixture order, tests one after the other) in a pytest of its own, where the same tests fail
without it."""

from __future__ import annotations

import sys
import uuid

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from engine.db import Database
from engine.models import Staff

from . import conftest
from .conftest import deactivate_staff_after, newest_staff_id
from .test_cli_operator import ok

pytest_plugins = ["pytester"]


def _active(database: Database, *emails: str) -> dict[str, bool]:
    with database.reading() as session:
        rows = session.execute(select(Staff.email, Staff.active).where(Staff.email.in_(emails)))
        return {email: active for email, active in rows}


def test_cli_members_added_after_the_note_are_deactivated_and_older_ones_stay(
    tanggap: CliRunner, database: Database
) -> None:
    def member(name: str, role: str) -> str:
        email = f"{name}-{uuid.uuid4().hex[:8]}@dbm.example"
        ok(tanggap, "staff", "add", email, "--name", name, "--role", role, "--agency", "DBM")
        return email

    older = member("older", "supervisor")  # as a module-scoped fixture's, before the note
    newest = newest_staff_id(database)
    boss = member("boss", "supervisor")
    gone = member("gone", "staff")
    ok(tanggap, "staff", "deactivate", gone)

    assert deactivate_staff_after(database, newest) == 1  # boss; gone was inactive already
    assert _active(database, older, boss, gone) == {older: True, boss: False, gone: False}
    assert deactivate_staff_after(database, newest) == 0


#: The nested pytest's conftest: a database of its own (a new SQLite file) as ``database``, and
#: the CLI tests' fixture under test, taken from this suite's conftest.py.
_CONFTEST = """
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine import schema
from engine.db import Database
from engine.models import Staff
from engine.staff import add_staff

{fixture}

OPENED = []


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    db = Database(f"sqlite:///{{tmp_path_factory.mktemp('db') / 'staff.db'}}")
    schema.upgrade(db.engine)
    OPENED.append(db)
    yield db
    db.dispose()


def add(database, email):
    with database.transaction() as session:
        add_staff(session, email=email, name="X", role="admin", agency=None,
                  now=datetime(2026, 11, 23, 2, tzinfo=UTC))
    return email


def active(database):
    with database.reading() as session:
        return dict(session.execute(select(Staff.email, Staff.active)).all())
"""

#: Run in this order in one process: each test sees what the ones before it left.
_TESTS = """
import pytest

from conftest import OPENED, active, add


def test_0_a_test_without_the_database_leaves_it_unopened():
    assert OPENED == []


@pytest.fixture(scope="module")
def shared(database):
    return add(database, "shared@x.example")  # for the module's tests


@pytest.fixture(scope="module")
def late(database):
    return add(database, "late@x.example")  # first needed by the third test's own fixture


@pytest.fixture
def own(database):
    return add(database, "own@x.example")  # the first test's alone


@pytest.fixture
def through(late):
    return late


def test_1_adds(database, shared, own):
    add(database, "test-1@x.example")
    assert active(database) == {"shared@x.example": True, "own@x.example": True,
                                "test-1@x.example": True}


def test_2_finds_the_first_tests_members_inactive(database, shared):
    found = active(database)
    assert found["shared@x.example"] is True
    assert (found["own@x.example"], found["test-1@x.example"]) == (False, False)


def test_3_sets_up_a_module_fixture_through_a_function_one(database, through):
    assert active(database)[through] is True


def test_4_keeps_the_module_fixtures_members(database, shared, late):
    found = active(database)
    assert (found[shared], found[late]) == (True, True)
"""


@pytest.mark.database_free  # a database of its own: the same test on either pass
def test_cli_the_fixture_as_pytest_runs_it_and_the_same_tests_without_it(
    pytester: pytest.Pytester,
) -> None:
    name = conftest.__name__
    assert sys.modules[name] is conftest
    use = f"_staff_added_leave = sys.modules[{name!r}]._staff_added_leave"

    pytester.makeconftest(_CONFTEST.format(fixture=use))
    pytester.makepyfile(test_order=_TESTS)
    pytester.runpytest_inprocess("-p", "no:xdist", "-p", "no:cacheprovider").assert_outcomes(
        passed=5
    )

    pytester.makeconftest(_CONFTEST.format(fixture=""))  # without it: the members stay
    without = pytester.runpytest_inprocess("-p", "no:xdist", "-p", "no:cacheprovider")
    without.assert_outcomes(passed=4, failed=1)
    without.stdout.fnmatch_lines(["FAILED test_order.py::test_2_finds_*"])
