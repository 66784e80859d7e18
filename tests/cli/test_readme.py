"""The README's shell walk-through runs as written, top to bottom, on a fresh database."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from engine import schema

ROOT = Path(__file__).resolve().parents[2]


def readme_shell_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Using it from the shell") :]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "README has no bash block under 'Using it from the shell'"
    return match.group(1)


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
    assert done.stderr == ""
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
