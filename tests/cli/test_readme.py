"""The README's shell walk-through runs as written, top to bottom, on a fresh database."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine import schema

ROOT = Path(__file__).resolve().parents[2]


def readme_shell_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Using it from the shell") :]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "README has no bash block under 'Using it from the shell'"
    return match.group(1)


@pytest.mark.database_free  # its environment drops every TANGGAP_ setting: tanggap.db of its own
def test_readme_walk_through_runs_as_written_on_fresh_database(tmp_path: Path) -> None:
    (tmp_path / "catalogue").symlink_to(ROOT / "catalogue")
    script = tmp_path / "walk.sh"
    script.write_text(readme_shell_block(), encoding="utf-8")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TANGGAP_")  # the README's defaults: tanggap.db, media/
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    assert shutil.which("tanggap", path=env["PATH"]), "tanggap is not installed in this venv"

    done = subprocess.run(
        ["bash", "-euo", "pipefail", str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # No serve runs beside the walk-through: a command that queued mail says, once, that its
    # links use the default base URL (README "Escalations reach people"); nothing else.
    note = (
        "note: links in the mail queued point to http://127.0.0.1:8000 (the default: no tanggap "
        f"serve is running on {tmp_path / '.tanggap'}); set TANGGAP_PUBLIC_BASE_URL to the "
        "address people open"
    )
    assert {line for line in done.stderr.splitlines()} <= {note}, done.stderr
    out = done.stdout
    assert "created the database at sqlite:///tanggap.db: " in out
    for state in ("verified", "assigned", "in_progress", "on_hold", "resolved"):
        assert f"is now {state} (version" in out
    assert out.count("is now assigned (version") == 2  # assigned, then reopened by the citizen
    assert re.search(
        r"proof +#7 +image/jpeg 640×480", out
    )  # the resolve photo, shown by ticket show
    assert '"agency": "DBM"' in out  # ticket list --json
    assert "stateDiagram-v2" in out
    assert (tmp_path / "tanggap.db").exists()
    assert list((tmp_path / "media").rglob("*.jpg"))  # the proof photo was stored


def test_head_revision_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(schema.alembic_config("sqlite://"))
    assert schema.head_revision() == script.get_current_head()


def readme_commands() -> list[str]:
    """Every ``tanggap …`` the README shows: lines of its shell blocks and inline code spans,
    with shell syntax, comments and line continuations taken off."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", readme, re.S):
        text = re.sub(r"\\\n\s*", " ", block)
        for line in text.splitlines():
            for part in re.split(r"&&|<\s*<\(", line):
                part = re.sub(r"\s+#.*$", "", part).strip().rstrip(")")
                if part.startswith("tanggap"):
                    found.append(part)
    prose = re.sub(r"```.*?```", "", readme, flags=re.S)
    found += [" ".join(span.split()) for span in re.findall(r"`(tanggap[^`]*)`", prose)]
    return found


#: What the README's placeholders stand for.
METAVARS = {"CODE": "JKT-7K3M-9QXD", "ID": "1", "EMAIL": "budi@dbm.example", "PREFIX": "tgk_ab12"}


def readme_variants(command: str) -> list[list[str]]:
    """A README command as argv lists: ``a|b`` alternatives each, ``[--opt x]`` with and without."""
    command = command.replace('"$CODE"', "JKT-7K3M-9QXD").replace('"$TOKEN"', "tok")
    for metavar, sample in METAVARS.items():
        command = re.sub(rf"\b{metavar}\b", sample, command)
    variants = [command]
    optional = re.compile(r"\s*\[([^\]]*)\]")
    while any(optional.search(v) for v in variants):
        variants = [
            w for v in variants for w in (optional.sub(r" \1", v, 1), optional.sub("", v, 1))
        ]
    argvs: list[list[str]] = [[]]
    for variant in variants:
        words = shlex.split(variant)[1:]
        expanded: list[list[str]] = [[]]
        for word in words:
            choices = word.split("|") if "|" in word and not word.startswith("-") else [word]
            if word.startswith("--") and "|" in word:
                choices = [c if c.startswith("--") else "--" + c for c in word.split("|")]
            expanded = [[*e, c] for e in expanded for c in choices]
        argvs += expanded
    return [a for a in argvs if a]


def test_every_readme_tanggap_command_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each ``tanggap …`` in the README names real commands and options with valid values (a
    dry parse by the CLI itself: nothing runs). Files it names exist here as empty files."""
    import typer
    from typer._click.exceptions import ClickException

    from cli.main import app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "catalogue").symlink_to(ROOT / "catalogue")
    commands = readme_commands()
    assert 'tanggap keys create --role staff --agency DBM --name "Budi Santoso"' in commands
    assert len(commands) > 40
    root = typer.main.get_command(app)
    problems = []
    for command in commands:
        for argv in readme_variants(command):
            for word in argv:
                if re.fullmatch(r"[\w.-]+\.(yaml|geojson|jpg)|FILE|…", word) and "/" not in word:
                    (tmp_path / word).touch()
            try:
                with root.make_context("tanggap", list(argv)) as context:
                    group, rest = root, [*context._protected_args, *context.args]
                    while rest and hasattr(group, "resolve_command"):
                        name, sub, rest = group.resolve_command(context, rest)
                        assert sub is not None and name is not None
                        context = sub.make_context(name, rest, parent=context)
                        group, rest = sub, [*context._protected_args, *context.args]
                    assert not rest, f"left over: {rest}"
            except typer.Exit:
                pass  # --version
            except (ClickException, AssertionError) as exc:
                message = exc.format_message() if isinstance(exc, ClickException) else exc
                problems.append(f"{command!r} as {argv}: {message}")
    assert not problems, "\n".join(problems)
