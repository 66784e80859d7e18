"""One installation: the data directory ``tanggap serve`` runs in (``TANGGAP_HOME``, default
``.tanggap`` in the working directory), and what a running serve tells the other processes of
that installation.

Every process of one installation must agree on where links in mail point. ``tanggap serve``
holds ``serve.lock`` in the data directory for as long as it runs (the kernel lets it go however
the process ends) and records in ``serve.json`` the base URL its own parts use. A command run
beside it (``tanggap ticket act``, ``tanggap sweep --once`` …) reads that record, so its mails
link to the port serve listens on, not to the default one. The record counts only while the
lock is held: a serve that stopped, or was killed, leaves nothing that is believed.

Precedence of the base URL of links in mail (``Settings.public_base_url``):

1. ``TANGGAP_PUBLIC_BASE_URL``, when set;
2. the base URL a running ``tanggap serve`` of this data directory recorded;
3. the default, ``http://127.0.0.1:8000``.

That base URL is the one of mail a process queues. Mail already queued keeps the links it was
rendered with (``Notification.links_base_url``): a later change re-words it with them, whichever
process makes the change and whatever its own base URL (``engine.rewording``).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Mapping
from pathlib import Path

HOME_VARIABLE = "TANGGAP_HOME"
#: Held (``flock``, exclusive) by a running ``tanggap serve``.
LOCK_FILE = "serve.lock"
#: What a running serve tells the others: ``{"pid": …, "public_base_url": …, "listening": …}``.
STATE_FILE = "serve.json"
#: What a ``TANGGAP_*`` variable set blank is told (unset, a setting takes its default).
BLANK = "is empty: unset it, or give a value"


def home_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The data directory, absolute: ``TANGGAP_HOME``, else ``.tanggap`` in the working
    directory. Set blank (empty or spaces), it is refused as every blank ``TANGGAP_*`` setting
    is (``settings.blank_variables``): not a folder named "   ", nor the default unseen."""
    given = (os.environ if environ is None else environ).get(HOME_VARIABLE)
    if given is not None and not given.strip():
        from engine.errors import ConfigurationError

        raise ConfigurationError(f"{HOME_VARIABLE}: {BLANK}")
    return Path(given or Path.cwd() / ".tanggap").resolve()


def serve_running(home: Path) -> bool:
    """Whether a ``tanggap serve`` holds the lock of the data directory ``home``.

    Asked by taking a shared lock without waiting and letting it go at once; ``serve`` retries
    its own lock briefly, so this instant of holding never turns a serve away."""
    try:
        handle = (home / LOCK_FILE).open("rb")
    except OSError:  # no such file, or not ours to read: no serve we could know of
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def record_serve(home: Path, *, public_base_url: str, listening: str) -> None:
    """Write what this serve (it holds the lock) tells the other processes of ``home``.
    Written whole (a new file renamed over the old): a reader never sees half of it."""
    path = home / STATE_FILE
    draft = path.with_name(f".{STATE_FILE}.{os.getpid()}")
    state = {"pid": os.getpid(), "public_base_url": public_base_url, "listening": listening}
    draft.write_text(json.dumps(state) + "\n", encoding="utf-8")
    draft.replace(path)


def running_serve_base_url(home: Path) -> str | None:
    """The base URL of links in mail a running serve of ``home`` recorded; None when no serve
    runs there, or it recorded none (started before this version, or still choosing its port).
    """
    if not serve_running(home):
        return None
    try:
        state = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = state.get("public_base_url") if isinstance(state, dict) else None
    # A record from this serve only: one left by an earlier serve names another process.
    recorded_by = state.get("pid") if isinstance(state, dict) else None
    holder = _lock_holder(home)
    if holder is not None and recorded_by != holder:
        return None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    return url.rstrip("/")


def _lock_holder(home: Path) -> int | None:
    """The pid the lock file names (``pid 1234``), when it names one."""
    try:
        words = (home / LOCK_FILE).read_text(encoding="utf-8").split()
    except (OSError, ValueError):
        return None
    if len(words) == 2 and words[0] == "pid" and words[1].isdigit():
        return int(words[1])
    return None
