"""Output that cannot be written (a full disk, a closed pipe) is one line on stderr (nothing for
a closed pipe) and a non-zero exit, never a traceback: the entry point handles it for every
command."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

#: Pure code or a database of its own: the PostgreSQL pass leaves it out (tests/conftest.py).
pytestmark = pytest.mark.database_free

ROOT = Path(__file__).resolve().parents[2]

#: Commands that print, from the shortest output to a long listing, reading or not the database.
COMMANDS = [
    ["--version"],
    ["--help"],
    ["ticket", "list", "--help"],
    ["lifecycle"],
    ["ticket", "list"],
    ["ticket", "list", "--json"],
    ["catalogue", "show", "areas"],
    ["staff", "list"],
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    where = tmp_path_factory.mktemp("output")
    env = os.environ | {"TANGGAP_DATABASE_URL": f"sqlite:///{where / 'tanggap.db'}"}
    for args in (
        ["db", "upgrade"],
        ["config", "load", str(ROOT / "catalogue" / "jakarta.yaml")],
        ["ticket", "submit", "--quiet", "--category", "traffic_jam", "--description", "macet",
         "--lat", "-6.1754", "--lon", "106.8272"],
    ):  # fmt: skip
        subprocess.run(
            [sys.executable, "-m", "cli.main", *args],
            cwd=where, env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    return where, env


def run(workdir: tuple[Path, dict[str, str]], args: list[str], stdout: int) -> tuple[int, str]:
    where, env = workdir
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=where, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120,
    )  # fmt: skip
    return done.returncode, done.stderr


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_cli_output_to_a_full_disk_is_one_line_and_exit_1(
    workdir: tuple[Path, dict[str, str]], args: list[str]
) -> None:
    with open("/dev/full", "w") as full:
        code, stderr = run(workdir, args, full.fileno())
    assert code == 1
    assert stderr == "error: cannot write the output: No space left on device\n"


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_cli_output_to_a_closed_pipe_is_quiet_and_exit_1(
    workdir: tuple[Path, dict[str, str]], args: list[str]
) -> None:
    read, write = os.pipe()
    os.close(read)  # like `| head -0`: the reader is gone before anything is written
    try:
        code, stderr = run(workdir, args, write)
    finally:
        os.close(write)
    assert code == 1
    assert stderr == ""


def _closed_pipe_run(workdir: tuple[Path, dict[str, str]], args: list[str]) -> tuple[int, str]:
    read, write = os.pipe()
    os.close(read)
    try:
        return run(workdir, args, write)
    finally:
        os.close(write)


def _full_disk_run(workdir: tuple[Path, dict[str, str]], args: list[str]) -> tuple[int, str]:
    with open("/dev/full", "w") as full:
        return run(workdir, args, full.fileno())


def _row(workdir: tuple[Path, dict[str, str]], sql: str, *params: object) -> tuple[object, ...]:
    with sqlite3.connect(workdir[0] / "tanggap.db") as db:
        found = db.execute(sql, params).fetchone()
    assert found is not None, sql
    return tuple(found)


#: Commands that write and print inside their transaction, with the stored row that shows the
#: write was kept: (arguments, query, its parameters, what it must find); ``{tag}`` names the
#: test (a ticket submitted is not taken back between them).
WRITES = [
    (
        ["staff", "add", "writer@dsda.example", "--name", "Writer", "--agency", "DSDA"],
        "SELECT name, active FROM staff WHERE email = ?", ("writer@dsda.example",), ("Writer", 1),
    ),
    (
        ["staff", "deactivate", "citra@dsda.example"],
        "SELECT active FROM staff WHERE email = ?", ("citra@dsda.example",), (0,),
    ),
    (
        ["ticket", "submit", "--as", "citra@dsda.example", "--category", "traffic_jam",
         "--description", "macet {tag}", "--lat", "-6.1754", "--lon", "106.8272"],
        "SELECT count(*) FROM tickets WHERE description = ?", ("macet {tag}",), (1,),
    ),
]  # fmt: skip


@pytest.fixture
def staffed(workdir: tuple[Path, dict[str, str]]) -> tuple[Path, dict[str, str]]:
    """citra@dsda.example, active; no writer@ or 'pipe key' yet."""
    subprocess.run(
        [sys.executable, "-m", "cli.main", "staff", "add", "citra@dsda.example", "--name",
         "Citra", "--agency", "DSDA"],
        cwd=workdir[0], env=workdir[1], capture_output=True, timeout=120,
    )  # fmt: skip
    with sqlite3.connect(workdir[0] / "tanggap.db") as db:
        db.execute("UPDATE staff SET active = 1 WHERE email = 'citra@dsda.example'")
        db.execute("DELETE FROM api_keys WHERE name = 'pipe key'")
        db.execute("DELETE FROM staff WHERE email = 'writer@dsda.example'")
    assert _row(workdir, "SELECT active FROM staff WHERE email = 'citra@dsda.example'") == (1,)
    return workdir


#: Each broken output: its tag, how the command's stdout is broken, and what stderr says.
BROKEN = [
    ("pipe", _closed_pipe_run, ""),  # `… | grep -q deactivated`: quiet
    ("disk", _full_disk_run, "error: cannot write the output: No space left on device\n"),
]


@pytest.mark.parametrize(("tag", "broken", "said"), BROKEN, ids=[b[0] for b in BROKEN])
@pytest.mark.parametrize(("args", "sql", "params", "stored"), WRITES, ids=lambda v: str(v)[:40])
def test_cli_write_to_broken_output_is_kept_and_exit_1(
    staffed: tuple[Path, dict[str, str]],
    tag: str,
    broken: Callable[[tuple[Path, dict[str, str]], list[str]], tuple[int, str]],
    said: str,
    args: list[str],
    sql: str,
    params: tuple[object, ...],
    stored: tuple[object, ...],
) -> None:
    # What was said (or half said) before the output broke is done.
    code, stderr = broken(staffed, [a.format(tag=tag) for a in args])
    assert (code, stderr) == (1, said)
    assert _row(staffed, sql, *(str(p).format(tag=tag) for p in params)) == stored


#: What each broken output says when a secret shown once went with it.
LOST = [
    ("pipe", _closed_pipe_run, "error: "),
    ("disk", _full_disk_run, "error: cannot write the output: No space left on device; "),
]


@pytest.mark.parametrize(("tag", "broken", "said"), LOST, ids=[b[0] for b in LOST])
def test_cli_a_key_nobody_saw_is_not_kept(
    staffed: tuple[Path, dict[str, str]],
    tag: str,
    broken: Callable[[tuple[Path, dict[str, str]], list[str]], tuple[int, str]],
    said: str,
) -> None:
    code, stderr = broken(staffed, ["keys", "create", "--role", "admin", "--name", "pipe key"])
    assert (code, stderr) == (
        1,
        said + "the key was not kept: nobody saw it (run keys create again)\n",
    )
    with sqlite3.connect(staffed[0] / "tanggap.db") as db:
        assert db.execute("SELECT count(*) FROM api_keys WHERE name = 'pipe key'").fetchone() == (
            0,
        )


@pytest.mark.parametrize("quiet", [[], ["--quiet"]], ids=["plain", "quiet"])
@pytest.mark.parametrize(("tag", "broken", "said"), LOST, ids=[b[0] for b in LOST])
def test_cli_a_report_whose_token_nobody_saw_is_kept_and_says_so(
    workdir: tuple[Path, dict[str, str]],
    tag: str,
    broken: Callable[[tuple[Path, dict[str, str]], list[str]], tuple[int, str]],
    said: str,
    quiet: list[str],
) -> None:
    text = f"macet token {tag} {quiet}"
    code, stderr = broken(
        workdir,
        ["ticket", "submit", *quiet, "--category", "traffic_jam", "--description", text,
         "--lat", "-6.1754", "--lon", "106.8272"],
    )  # fmt: skip
    (ticket,) = _row(workdir, "SELECT code FROM tickets WHERE description = ?", text)
    assert (code, stderr) == (
        1,
        f"{said}{ticket} was submitted, but its reporter token was not shown to anybody "
        "(disputing and rating the fix need it)\n",
    )


def test_cli_forever_to_a_closed_pipe_stops_after_its_pass(
    workdir: tuple[Path, dict[str, str]],
) -> None:
    # Nobody reads what the next pass would say: the command ends between two passes.
    code, stderr = _closed_pipe_run(workdir, ["sweep", "--forever", "--interval", "1"])
    assert (code, stderr) == (1, "")
