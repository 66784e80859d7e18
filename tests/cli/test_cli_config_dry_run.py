"""``tanggap config load FILE --dry-run``: the whole file checked, what would change said,
nothing written; on SQLite without taking the write lock (``Database.scratch_copy``)."""

from __future__ import annotations

import re
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import context
from cli.main import app

ROOT = Path(__file__).resolve().parents[2]
JAKARTA = ROOT / "catalogue" / "jakarta.yaml"
DRY = "dry run: nothing was written; the lines above say what the load would do"


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A new SQLite database with the schema and no catalogue; its file."""
    file = tmp_path / "fresh.db"
    monkeypatch.setenv("TANGGAP_DATABASE_URL", f"sqlite:///{file}")
    monkeypatch.setenv("TANGGAP_MEDIA_DIR", str(tmp_path / "media"))
    context.reset()
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    yield file
    assert list(scratch.iterdir()) == []  # a dry run's copy is gone
    context.reset()


def load(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, ["config", "load", *args])
    assert result.exit_code == code, result.output
    return result.stdout


def counts(output: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"^(\S+\.\w+)\s+(\d+)$", output, re.MULTILINE)}


def stored(file: Path) -> tuple[int, list[str]]:
    """How many catalogue loads the database records, and its agencies' names."""
    with sqlite3.connect(file) as db:
        (revisions,) = db.execute("select count(*) from catalogue_revisions").fetchone()
        names = [name for (name,) in db.execute("select name from agencies order by code")]
    return revisions, names


def test_cli_config_load_dry_run_says_what_the_load_would_do_and_writes_nothing(
    fresh: Path, tmp_path: Path
) -> None:
    tried = load(str(JAKARTA), "--dry-run")

    assert tried.splitlines()[-1] == DRY
    assert counts(tried)["agency.created"] > 10
    assert stored(fresh) == (0, [])
    done = load(str(JAKARTA))
    assert counts(done) == counts(tried)  # what the dry run said is what the load did
    after_load = stored(fresh)

    renamed = tmp_path / "renamed.yaml"
    text = JAKARTA.read_text()
    assert text.count("name: Dinas Bina Marga ") == 1
    renamed.write_text(text.replace("name: Dinas Bina Marga ", "name: Dinas Jalan Raya "))
    tried = load(str(renamed), "--dry-run")
    assert counts(tried) == {"agency.updated": 1}
    assert tried.splitlines()[-1] == DRY
    assert stored(fresh) == after_load  # Bina Marga still, one load recorded
    assert "Dinas Bina Marga" in after_load[1]
    assert load(str(JAKARTA), "--dry-run").splitlines() == [
        f"{JAKARTA}: catalogue unchanged",
        DRY,
    ]


def test_cli_config_load_dry_run_leaves_the_write_lock_to_the_service(fresh: Path) -> None:
    """On the database itself a dry run would hold SQLite's one write lock while it ran, and
    every submission and flow would wait for it. It works on a copy."""
    load(str(JAKARTA), "--dry-run")  # this process's database checked before the service writes
    service = sqlite3.connect(fresh, isolation_level=None, timeout=1)
    try:
        service.execute("BEGIN IMMEDIATE")  # the service, mid-write, for the whole dry run
        service.execute("CREATE TABLE service_wrote (x)")

        tried = load(str(JAKARTA), "--dry-run")

        assert counts(tried)["agency.created"] > 10
        service.execute("COMMIT")  # the service's write lands: the dry run never had the lock
    finally:
        service.close()
    assert stored(fresh) == (0, [])


def test_cli_commands_read_the_database_while_the_service_holds_the_write_lock(
    fresh: Path,
) -> None:
    """Every command first checks the database's schema revision. That look took SQLite's
    write lock (its transaction began IMMEDIATE): while the service wrote, a fresh
    `tanggap staff list` or a dry run waited out the busy timeout, then failed "database is
    locked". It reads only now."""
    load(str(JAKARTA))
    service = sqlite3.connect(fresh, isolation_level=None, timeout=1)
    try:
        service.execute("BEGIN IMMEDIATE")  # the service, mid-write
        service.execute("CREATE TABLE service_wrote (x)")
        context.reset()  # a new command: its own first look at the database

        listed = CliRunner().invoke(app, ["catalogue", "show", "agencies"])
        assert listed.exit_code == 0, listed.output
        assert "Dinas Bina Marga" in listed.stdout
        context.reset()
        assert load(str(JAKARTA), "--dry-run").splitlines()[-1] == DRY

        service.execute("COMMIT")  # the service's write lands: neither command took the lock
    finally:
        service.close()


@pytest.mark.parametrize(
    "content",
    [
        "version: 1\ncalendars:\n  - code: WIB\n    closed_dates: [2026-02-30]\n",
        "version: 1\nagencies: []\nagencies: []\n",
        "version: 1\nagencies:\n  - code: [x\n",
        "version: 1\nagencies:\n  - code: DBM\n    nama: Bina Marga\n",
        "version: 1\nagencies:\n  - code: DBM\n    name: Bina Marga\n"
        "categories:\n  - code: x\n    agency: NOPE\n",
    ],
)
def test_cli_config_load_dry_run_refuses_a_file_with_the_loads_own_one_line_errors(
    fresh: Path, tmp_path: Path, content: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    runner = CliRunner()

    tried = runner.invoke(app, ["config", "load", str(bad), "--dry-run"])
    loaded = runner.invoke(app, ["config", "load", str(bad)])

    assert tried.exit_code == loaded.exit_code == 2
    assert tried.stderr == loaded.stderr
    assert tried.stderr.startswith(f"error: {bad}:") and "Traceback" not in tried.stderr
    assert tried.stdout == ""  # no summary, no "dry run" line: nothing would be loaded
    assert stored(fresh) == (0, [])
