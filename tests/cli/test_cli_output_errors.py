"""Output that cannot be written (a full disk, a closed pipe) is one line on stderr (nothing for
a closed pipe) and a non-zero exit, never a traceback: the entry point handles it for every
command."""

from __future__ import annotations

import os
import subprocess
import sys
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
