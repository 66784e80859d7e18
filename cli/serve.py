"""``tanggap serve``: the whole service with one command on the embedded default.

It starts, each as a child process in its own process group (so a stop reaches everything
they start, and none ignores the signal because we were launched in the background):

1. a Prefect server with its own data directory and SQLite database under ``TANGGAP_HOME``
   (Prefect's temporary server runs no schedules, so we cannot do without one);
2. a Prefect runner serving the flows' deployments on their schedules (``workflows.serving``);
3. the HTTP app ``api.app:app`` under uvicorn, when this installation has it.

It prints where each part listens and logs, and on Ctrl-C, SIGTERM or SIGHUP stops all of them,
last started first; if one part dies, it stops the others and exits non-zero. Each part runs
under ``cli.watchdog``, which stops the part's whole group when serve itself dies without
stopping them (SIGKILL, a crash): nothing outlives it holding the ports or the data directory.

One serve per data directory (``TANGGAP_HOME``): a lock file there refuses a second one, whatever
its ports, before it starts a second Prefect server on the same data and a second set of flows
on the same database.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import importlib.util
import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Annotated

import typer
from sqlalchemy import func, select

from cli.context import console, database, err_console, fail, reported_errors, settings
from engine.db import shown_url
from engine.installation import LOCK_FILE, STATE_FILE, home_dir, record_serve
from engine.models import Category
from workflows.mail import build_backend

STOP_TIMEOUT = 15.0
#: How long the HTTP app may take to answer its first request after it was started.
APP_START_TIMEOUT = 60.0
HOSTNAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
PREFECT_SERVER = [sys.executable, "-m", "prefect", "server", "start"]
UVICORN = [sys.executable, "-m", "uvicorn"]
WATCHDOG = [sys.executable, "-m", "cli.watchdog"]
#: Signals that stop serve cleanly: Ctrl-C, a service manager's stop, a closed terminal.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: How long serve waits for its lock while a command beside it looks whether serve runs.
LOCK_PATIENCE = 1.0


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes]

    def stop(self) -> None:
        """SIGTERM to the child's whole process group; SIGKILL to whatever outlives the wait."""
        group = self.process.pid  # each child leads its own group (start_new_session)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            err_console.print(f"{self.name} did not stop in {STOP_TIMEOUT:.0f} s: killing it")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)  # stragglers of the group, if any
        self.process.wait()
        self.handle.close()


def say(text: str) -> None:
    console.print(text, soft_wrap=True)  # one line per part, whatever the terminal width


def free_port(host: str) -> int:
    family, kind, proto, _, address = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as sock:
        sock.bind(address)
        port: int = sock.getsockname()[1]
        return port


def _bind(host: str, port: int) -> None:
    """Bind ``host``:``port`` as uvicorn does (``SO_REUSEADDR``), then let go; ``OSError``
    (``gaierror`` when ``host`` does not resolve) says why the server could not."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)


def check_host(host: str) -> None:
    """Refuse, in one line naming ``--host``, an address this machine cannot listen on: a
    name that does not resolve, or an address that is not one of this machine's."""
    try:
        _bind(host, 0)
    except (socket.gaierror, UnicodeError):
        fail(f"--host {host}: not a host name or address this machine can resolve")
    except OSError as exc:
        if exc.errno == errno.EADDRNOTAVAIL:
            fail(f"--host {host}: not an address of this machine")
        fail(f"--host {host}: cannot listen there ({exc.strerror or exc})")


def port_in_use(host: str, port: int) -> bool:
    """Something else holds ``host``:``port`` (EADDRINUSE); other failures are raised."""
    try:
        _bind(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return True
        raise
    return False


def wait_healthy(url: str, child: Child, timeout: float) -> bool:
    """True once ``url`` answers 200; False when the child exits or ``timeout`` passes first."""
    return _wait(url, child, timeout, any_status=False)


def wait_answering(url: str, child: Child, timeout: float) -> bool:
    """True once anything answers HTTP at ``url`` (a 404 too: the app is up); False when the
    child exits or ``timeout`` passes first."""
    return _wait(url, child, timeout, any_status=True)


def _wait(url: str, child: Child, timeout: float, *, any_status: bool) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            return False
        try:
            with opener.open(url, timeout=2) as response:
                if any_status or response.status == 200:
                    return True
        except urllib.error.HTTPError:
            if any_status:
                return True
        except OSError:
            pass
        time.sleep(0.25)
    return False


def make_home(home: Path) -> tuple[Path, Path]:
    """The data directory's ``logs`` and ``prefect`` folders, created; a directory that cannot
    be created is one line naming TANGGAP_HOME."""
    try:
        for folder in (home / "logs", home / "prefect"):
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        fail(
            f"TANGGAP_HOME: cannot create the data directory {home} ({reason.lower()}); "
            "set TANGGAP_HOME to a directory you may write to"
        )
    return home / "logs", home / "prefect"


def start(name: str, argv: list[str], *, env: dict[str, str], logs: Path) -> Child:
    log = logs / f"{name}.log"
    handle = log.open("ab")
    process = subprocess.Popen(
        [*WATCHDOG, str(os.getpid()), "--", *argv],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Child(name, process, log, handle)


def take_lock(home: Path) -> IO[str]:
    """Hold the data directory's lock for as long as this process lives (the kernel lets it go
    however the process ends), or say who holds it and leave with exit code 2."""
    path = home / LOCK_FILE
    handle = path.open("a+")
    try:
        _lock(handle)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        err_console.print(
            f"error: another tanggap serve ({holder}) is running on the data directory {home}; "
            "stop it first, or set TANGGAP_HOME to another directory"
        )
        raise typer.Exit(code=2) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return handle


def _lock(handle: IO[str]) -> None:
    """Take the lock; ``BlockingIOError`` when it stays taken for ``LOCK_PATIENCE`` (another
    serve). A command asking whether serve runs holds it shared for an instant: retried."""
    deadline = time.monotonic() + LOCK_PATIENCE
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def url_host(host: str) -> str:
    """``host`` as it stands in a URL: IPv6 in brackets, a wildcard address as loopback."""
    if host in ("0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def busy(what: str, host: str, port: int, option: str) -> None:
    # Most likely another `tanggap serve` (or Prefect's own default 4200): refuse before
    # starting anything rather than pick another port behind the operator's back.
    err_console.print(
        f"error: {host}:{port} ({what}) is already in use (another tanggap serve?); "
        f"stop it or pass {option}"
    )
    raise typer.Exit(code=2)


def _host(value: str) -> str:
    """An IP address or a host name; anything else is refused before anything starts."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        # All digits and dots but no address (999.1.1.1): no top-level domain is numeric, so
        # it is no host name either, and is not sent to DNS as one.
        numeric = re.fullmatch(r"[0-9.]+", value) is not None
        if numeric or not HOSTNAME.fullmatch(value):
            raise typer.BadParameter("not an IP address or host name") from None
    return value


def serve_command(
    host: Annotated[
        str, typer.Option(help="address the HTTP app listens on", callback=_host)
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="HTTP app port (0: any free port)", min=0, max=65535)
    ] = 8000,
    prefect_port: Annotated[
        int, typer.Option(help="Prefect server port (0: any free port)", min=0, max=65535)
    ] = 4200,
) -> None:
    """Run the HTTP app and the scheduled flows, with a Prefect server of its own.

    Ctrl-C, SIGTERM and SIGHUP stop everything. Mail links point at the address served here
    unless TANGGAP_PUBLIC_BASE_URL says otherwise (e.g. behind a proxy), also in mail queued
    by commands run beside it with the same TANGGAP_HOME.
    """
    if port and port == prefect_port:
        fail(
            f"--port and --prefect-port are both {port}: the HTTP app and the Prefect server "
            "each need their own port"
        )
    check_host(host)
    home = home_dir()
    with reported_errors():
        # Like every command but `tanggap db upgrade`: a missing or old database is one line
        # saying what to run, never a new empty file beside the one the operator meant.
        db = database()
        configured = settings()
        backend = build_backend(configured)
        with db.reading() as session:
            categories = session.scalar(
                select(func.count()).select_from(Category).where(Category.active)
            )
    # Only now: a serve refused for its database or settings leaves no folders behind.
    logs, prefect_home = make_home(home)
    lock = take_lock(home)  # held until every part has stopped

    if port == 0:
        port = free_port(host)
    elif port_in_use(host, port):
        busy("HTTP app", host, port, "--port")
    if prefect_port == 0:
        prefect_port = free_port("127.0.0.1")
        while prefect_port == port:  # two free ports asked for one after the other
            prefect_port = free_port("127.0.0.1")
    elif port_in_use("127.0.0.1", prefect_port):
        busy("Prefect server", "127.0.0.1", prefect_port, "--prefect-port")
    # Links in mail: where this serve listens, unless the operator set the public address.
    if os.environ.get("TANGGAP_PUBLIC_BASE_URL"):
        public_url = configured.public_base_url
        public_line = f"links in mail: {public_url} (TANGGAP_PUBLIC_BASE_URL)"
    else:
        public_url = f"http://{url_host(host)}:{port}"
        public_line = f"links in mail: {public_url} (set TANGGAP_PUBLIC_BASE_URL to change)"
    # Every process of this installation links there too: a command run beside serve reads it
    # (engine.installation) while serve holds the lock.
    record_serve(home, public_base_url=public_url, listening=f"http://{url_host(host)}:{port}")
    api_url = f"http://127.0.0.1:{prefect_port}/api"
    env = dict(os.environ)
    env.update(
        {
            "TANGGAP_PUBLIC_BASE_URL": public_url,
            "PREFECT_HOME": str(prefect_home),
            "PREFECT_API_URL": api_url,
            "PREFECT_API_DATABASE_CONNECTION_URL": (
                f"sqlite+aiosqlite:///{prefect_home / 'prefect.db'}"
            ),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )

    children: list[Child] = []
    stopping: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    status = 0
    try:
        say(f"database: {shown_url(db.engine.url)} (schema up to date)")
        say(f"mail: {backend.describe()}")
        say(public_line)
        if not categories:
            say(
                "warning: no catalogue is loaded, so every report will be refused: "
                "tanggap config load catalogue/jakarta.yaml"
            )
        if configured.session_secret is None:
            say(
                "staff sign-ins: they end when serve stops (set TANGGAP_SESSION_SECRET to 32+ "
                "random characters to keep them across restarts)"
            )
        say("starting the Prefect server (10–20 s) …")
        server = start(
            "prefect-server",
            [*PREFECT_SERVER, "--host", "127.0.0.1", "--port", str(prefect_port)],
            env=env,
            logs=logs,
        )
        children.append(server)
        health = f"http://127.0.0.1:{prefect_port}/api/health"
        while not stopping and not wait_healthy(health, server, timeout=1.0):
            if server.process.poll() is not None:
                raise RuntimeError(f"the Prefect server exited; see {server.log}")
        if stopping:
            return
        flows = start("flows", [sys.executable, "-m", "workflows.serving"], env=env, logs=logs)
        children.append(flows)
        http_line = "HTTP app: not in this installation (api/app.py missing); flows only"
        if importlib.util.find_spec("api.app") is not None:
            app = start(
                "api",
                [*UVICORN, "api.app:app", "--host", host, "--port", str(port)],
                env=env,
                logs=logs,
            )
            children.append(app)
            http_line = f"HTTP app: http://{host}:{port}/   log: {app.log}"
            # "running" only once the app answers: uvicorn takes seconds to import it.
            answered = False
            deadline = time.monotonic() + APP_START_TIMEOUT
            while not stopping and not answered and time.monotonic() < deadline:
                answered = wait_answering(f"http://{url_host(host)}:{port}/", app, timeout=1.0)
                if app.process.poll() is not None:
                    raise RuntimeError(f"the HTTP app exited; see {app.log}")
            if stopping:
                return
            if not answered:
                raise RuntimeError(
                    f"the HTTP app did not answer within {APP_START_TIMEOUT:.0f} s; see {app.log}"
                )
        say("Tanggap is running (Ctrl-C, SIGTERM or SIGHUP stops everything):")
        say(f"  {http_line}")
        say(
            f"  Prefect server and UI: http://127.0.0.1:{prefect_port}/   data: {prefect_home}"
            f"   log: {server.log}"
        )
        say(
            "  flows: sla-sweep and deliver-notifications every minute (first runs now), "
            "close-resolved hourly, daily-digest at 07:00 local, calendar-check daily"
            f"   log: {flows.log}"
        )
        say(f"  pids: {' '.join(f'{c.name}={c.process.pid}' for c in children)}")
        sys.stdout.flush()
        while not stopping:
            dead = [c for c in children if c.process.poll() is not None]
            if dead:
                names = ", ".join(f"{c.name} (see {c.log})" for c in dead)
                err_console.print(f"stopped unexpectedly: {names}")
                status = 1
                break
            time.sleep(0.5)
    except RuntimeError as exc:
        err_console.print(f"error: {exc!s}")
        status = 1
    finally:
        for child in reversed(children):
            child.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        with contextlib.suppress(OSError):
            (home / STATE_FILE).unlink()
        lock.close()
        if children:
            say("stopped: " + ", ".join(c.name for c in reversed(children)))
    if status:
        raise typer.Exit(code=status)
