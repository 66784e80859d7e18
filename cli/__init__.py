"""The operator command line ``tanggap``: the one place that composes engine, api and workflows."""

from __future__ import annotations

import sys


def run() -> None:
    """The ``tanggap`` command (``pyproject.toml``). Importing the commands takes about two
    seconds (SQLAlchemy, shapely, the engine's models); a Ctrl-C then ends the command as it
    does once it runs — click's "Aborted!" and exit 1 — never with a traceback."""
    try:
        from cli.main import app
    except KeyboardInterrupt:
        sys.stderr.write("\nAborted!\n")
        raise SystemExit(1) from None
    app()
