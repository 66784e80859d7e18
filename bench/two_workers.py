"""Two Prefect workers on the same deployments, a real Prefect server, Tanggap on PostgreSQL:
every ledger key and every mail exactly once (issue 9's scale-out acceptance; CI runs it).

Method
------
1. Tanggap's database: the PostgreSQL database of ``--pg-url`` (its name must contain ``bench``
   or ``test``; its public schema is dropped and recreated), the Jakarta catalogue, and N flood
   reports (emergency policy: 24/7, verify target 30 min, warning at 50 %, breach at 100 %). A
   third of them are already past their breach when the workers start (catch-up), the rest reach
   it evenly over the next ``--spread`` seconds, so sweeps find new work while they run.
2. A Prefect server of its own: its own ``PREFECT_HOME`` in a temporary directory, listening on
   127.0.0.1 at a free port, its database ``<tanggap db>_prefect`` on the same PostgreSQL server
   (dropped and created afresh; ``--prefect-db sqlite`` for a file instead).
3. ``prefect work-pool create tanggap --type process`` and ``prefect deploy`` of ``sla-sweep`` and
   ``deliver-notifications`` from a copy of the repository's ``prefect.yaml`` in which the sweep
   may overlap too (limit 2 instead of 1): the one-at-a-time limit would otherwise hide a
   double-work bug that a deployment without it (or a second server) would show.
4. Two ``prefect worker start --pool tanggap --limit 1`` processes (process workers: a
   subprocess per flow run; one run at a time each, so overlapping runs are on both workers),
   with SendGrid pointed at the test suite's local SendGrid (``tests/fakes``, in this process).
   The schedules run (every minute) and the bench asks for two sweep runs at once every
   ``--kick`` seconds while reports are falling due; each sweep that queued mail starts a
   delivery.
5. When every report's breach has fallen due, every level is recorded, every outbox row is
   ``sent`` and no flow run is pending or running (or after ``--timeout``), everything is
   stopped: workers, then the server; then no process carrying this run's marker may remain.

Checks (exit 1 with the reason when one fails): each (ticket, timer, cycle, level) once in the
ledger, and exactly the warning and the breach of every report; one more sweep by the engine at
the end records nothing; every outbox row ``sent`` after one attempt; the local SendGrid took
every outbox id exactly once, to the row's recipient with the row's subject; both workers ran
flow runs; no process left behind. It also prints how many sweep and delivery runs overlapped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import yaml
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fakes"))
from fake_sendgrid import FakeSendGrid

from bench.delivery import fresh_database
from engine.actors import Actor
from engine.catalogue import load_catalogue
from engine.catalogue.yaml_errors import read_yaml
from engine.db import Database, make_engine
from engine.escalation import sweep
from engine.models import Escalation, Notification
from engine.photos import MemoryMediaStorage
from engine.settings import Settings
from engine.submission import Report, submit

ROOT = Path(__file__).resolve().parents[1]
VERIFY_TARGET = timedelta(minutes=30)  # the emergency policy's verify target
DEPLOYMENTS = ("sla-sweep", "deliver-notifications")
MARKER = "TANGGAP_BENCH_RUN"
PREFECT = [sys.executable, "-m", "prefect"]


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes]

    def stop(self, timeout: float = 30) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            print(f"# {self.name} did not stop in {timeout:.0f} s: killed", file=sys.stderr)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.handle.close()


def start(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Child:
    log = logs / f"{name}.log"
    handle = log.open("ab")
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group: a stop reaches what it starts
    )
    return Child(name, process, log, handle)


def run(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv[2:])} failed:\n{done.stdout}\n{done.stderr}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(url: str, child: Child, timeout: float) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise SystemExit(f"the Prefect server exited:\n{child.log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), opener.open(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"the Prefect server was not healthy after {timeout:.0f} s")


def fresh_prefect_database(pg_url: str) -> str:
    """``<db>_prefect`` beside Tanggap's database, dropped and created; its asyncpg URL."""
    url = make_url(pg_url)
    name = f"{url.database}_prefect"
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False
    )


def drop_prefect_database(pg_url: str) -> None:
    url = make_url(pg_url)
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}_prefect" WITH (FORCE)'))
    engine.dispose()


def prefect_file(workdir: Path) -> Path:
    """The repository's deployments, the sweep allowed to overlap (see the module docstring)."""
    source = ROOT / "prefect.yaml"
    _root, project = read_yaml(source.read_text(), source=str(source))  # a key twice: refused
    for deployment in project["deployments"]:
        if deployment["name"] in DEPLOYMENTS:
            deployment["concurrency_limit"]["limit"] = 2
    target = workdir / "prefect.yaml"
    target.write_text(yaml.safe_dump(project, sort_keys=False))
    return target


def submit_reports(db: Database, n: int, *, start: datetime, spread: float) -> datetime:
    """N flood reports; a third already breached, the rest breaching over ``spread`` seconds.
    Returns the last breach instant."""
    settings = Settings(database_url=db.url)
    with db.transaction() as session:
        text_ = (ROOT / "catalogue" / "jakarta.yaml").read_text()
        load_catalogue(session, text_, source="jakarta.yaml", now=start)
    late = n // 3
    last = start
    for first in range(0, n, 250):
        with db.transaction() as session:
            for i in range(first, min(n, first + 250)):
                if i < late:
                    due = start - timedelta(seconds=60 + i % 240)
                else:
                    due = start + timedelta(seconds=spread * (i - late) / max(1, n - late))
                last = max(last, due)
                submit(
                    session,
                    Report(category="flood", description=f"banjir {i}", lat=-6.1754, lon=106.8272),
                    actor=Actor.citizen(),
                    now=due - VERIFY_TARGET,
                    settings=settings,
                    storage=MemoryMediaStorage(),
                )
    return last


def stragglers(marker: str) -> list[int]:
    """Processes (ours or not yet reaped) whose environment carries this run's marker."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


async def prefect_state(deployment_ids: dict[str, Any]) -> dict[str, Any]:
    from prefect import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    async with get_client() as client:
        active = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(
                id=DeploymentFilterId(any_=list(deployment_ids.values()))
            ),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(
                        any_=[StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]
                    )
                )
            ),
        )
        return {"active": len(active)}


async def deployment_ids() -> dict[str, Any]:
    from prefect import get_client

    async with get_client() as client:
        return {
            name: (await client.read_deployment_by_name(f"{name}/{name}")).id
            for name in DEPLOYMENTS
        }


async def kick_sweeps(sweep_id: Any, n: int) -> None:
    from prefect import get_client

    async with get_client() as client:
        for _ in range(n):
            await client.create_flow_run_from_deployment(sweep_id)


async def run_history(ids: dict[str, Any]) -> dict[str, Counter[str] | int]:
    """Final states per deployment, and the most runs of each that were running at once."""
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    history: dict[str, Counter[str] | int] = {}
    async with get_client() as client:
        for name, dep_id in ids.items():
            runs = await client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[dep_id])),
                limit=200,
            )
            history[f"{name} states"] = Counter(r.state_type.value for r in runs if r.state_type)
            spans = [(r.start_time, r.end_time) for r in runs if r.start_time and r.end_time]
            edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
            level = peak = 0
            for _, step in edges:
                level += step
                peak = max(peak, level)
            history[f"{name} most at once"] = peak
    return history


def worker_runs(log: Path) -> int:
    """Flow runs this worker started (submitted and not aborted because the other took it)."""
    submitted, aborted = set(), set()
    for line in log.read_text(errors="replace").splitlines():
        if "submitting flow run '" in line:
            submitted.add(line.split("submitting flow run '")[1].split("'")[0])
        elif "Aborted submission of flow run '" in line:
            aborted.add(line.split("Aborted submission of flow run '")[1].split("'")[0])
    return len(submitted - aborted)


def check(db: Database, fake: FakeSendGrid, n: int, end: datetime) -> list[str]:
    problems: list[str] = []
    with db.reading() as session:
        keys = (Escalation.ticket_id, Escalation.timer_kind, Escalation.cycle, Escalation.level)
        doubled = session.execute(
            select(*keys, func.count()).group_by(*keys).having(func.count() > 1)
        ).all()
        if doubled:
            problems.append(f"{len(doubled)} ledger keys recorded more than once: {doubled[:3]}")
        levels = Counter(session.scalars(select(Escalation.percent)).all())
        if levels != Counter({50: n, 100: n}):
            problems.append(f"ledger levels {dict(levels)}, expected {n} warnings and {n} breaches")
        rows = session.execute(
            select(
                Notification.id,
                Notification.recipient,
                Notification.subject,
                Notification.status,
                Notification.attempts,
                Notification.escalation_id,
            )
        ).all()
    statuses = Counter(row.status for row in rows)
    if set(statuses) != {"sent"}:
        problems.append(f"outbox rows not all sent: {dict(statuses)}")
    retried = [row.id for row in rows if row.attempts != 1]
    if retried:
        problems.append(f"{len(retried)} outbox rows took more than one attempt: {retried[:5]}")
    per_mail = Counter((row.escalation_id, row.recipient) for row in rows)
    twice = [key for key, count in per_mail.items() if count > 1]
    if twice:
        problems.append(f"{len(twice)} (level, recipient) pairs queued twice: {twice[:3]}")
    taken = Counter(mail.outbox_id for mail in fake.accepted)
    again = {key: count for key, count in taken.items() if count > 1}
    if again:
        problems.append(f"{len(again)} outbox ids mailed more than once: {list(again)[:5]}")
    expected = {str(row.id) for row in rows}
    if set(taken) != expected:
        problems.append(
            f"mails taken vs outbox rows: {len(set(taken) - expected)} unknown, "
            f"{len(expected - set(taken))} never mailed"
        )
    by_id = {str(row.id): row for row in rows}
    wrong = [
        mail.outbox_id
        for mail in fake.accepted
        if mail.outbox_id in by_id
        and (
            mail.to != [by_id[mail.outbox_id].recipient]
            or mail.subject != by_id[mail.outbox_id].subject
        )
    ]
    if wrong:
        problems.append(f"{len(wrong)} mails with another recipient or subject than their row")
    again_sweep = sweep(db.transaction, now=end, limit=500, reading=db.reading)
    if again_sweep.escalations:
        problems.append(f"a last sweep still found {again_sweep.escalations} levels due")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "TANGGAP_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/tanggap_bench"
        ),
        help="Tanggap's PostgreSQL database (wiped; name must contain 'bench' or 'test')",
    )
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument(
        "--spread", type=float, default=60, help="seconds over which reports breach"
    )
    parser.add_argument("--kick", type=float, default=20, help="seconds between sweep pairs")
    parser.add_argument("--timeout", type=float, default=420, help="seconds before giving up")
    parser.add_argument("--prefect-db", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()
    if not args.pg_url.startswith("postgresql"):
        raise SystemExit("--pg-url must be a PostgreSQL URL (postgresql+psycopg://…)")
    marker = uuid.uuid4().hex
    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="tanggap-two-workers-"))
    children: list[Child] = []
    problems: list[str] = []
    try:
        with FakeSendGrid() as fake:
            logs = tmp / "logs"
            logs.mkdir()
            db = fresh_database("postgres", args.pg_url, tmp)
            prefect_db = (
                fresh_prefect_database(args.pg_url)
                if args.prefect_db == "postgres"
                else f"sqlite+aiosqlite:///{tmp / 'prefect.db'}"
            )
            # The reports are dated from the moment the workers are expected to be up.
            first_due = datetime.now(UTC) + timedelta(seconds=40)
            last_due = submit_reports(db, args.tickets, start=first_due, spread=args.spread)
            print(
                f"# {args.tickets} reports ({time.monotonic() - began:.0f} s), "
                f"breaches due until {last_due:%H:%M:%S}",
                file=sys.stderr,
            )
            port = free_port()
            api_url = f"http://127.0.0.1:{port}/api"
            env = dict(os.environ) | {
                MARKER: marker,
                "PREFECT_HOME": str(tmp / "prefect"),
                "PREFECT_API_URL": api_url,
                "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db,
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "DO_NOT_TRACK": "1",
                "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
                "PREFECT_WORKER_QUERY_SECONDS": "3",
                "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost",
                "TANGGAP_DATABASE_URL": db.url,
                "TANGGAP_SENDGRID_API_KEY": fake.api_key,
                "TANGGAP_SENDGRID_BASE_URL": fake.url,
            }
            os.environ.update({k: env[k] for k in ("PREFECT_API_URL", "NO_PROXY", "no_proxy")})
            server = start(
                "prefect-server",
                [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                env,
                logs,
            )
            children.append(server)
            wait_healthy(f"{api_url}/health", server, timeout=90)
            print(f"# Prefect server up ({time.monotonic() - began:.0f} s)", file=sys.stderr)
            run([*PREFECT, "work-pool", "create", "tanggap", "--type", "process"], env)
            names = [arg for name in DEPLOYMENTS for arg in ("-n", name)]
            run(
                [
                    *PREFECT,
                    "--no-prompt",
                    "deploy",
                    "--prefect-file",
                    str(prefect_file(tmp)),
                    *names,
                ],
                env,
            )
            ids = asyncio.run(deployment_ids())
            for i in (1, 2):
                # One run at a time each: the two runs of a pair then land on both workers
                # (with more, whichever polls first takes both and the other may idle).
                argv = [*PREFECT, "worker", "start", "--pool", "tanggap", "--name", f"bench-w{i}",
                        "--limit", "1"]  # fmt: skip
                children.append(start(f"worker-{i}", argv, env, logs))
            print(f"# two workers started ({time.monotonic() - began:.0f} s)", file=sys.stderr)
            asyncio.run(kick_sweeps(ids["sla-sweep"], 2))
            last_kick = time.monotonic()
            give_up = time.monotonic() + args.timeout
            while True:
                time.sleep(5)
                dead = [c.name for c in children if c.process.poll() is not None]
                if dead:
                    problems.append(f"stopped unexpectedly: {', '.join(dead)}")
                    break
                now = datetime.now(UTC)
                if (
                    now <= last_due + timedelta(seconds=30)
                    and time.monotonic() - last_kick > args.kick
                ):
                    asyncio.run(kick_sweeps(ids["sla-sweep"], 2))
                    last_kick = time.monotonic()
                with db.reading() as session:
                    breaches = session.scalar(select(func.count()).where(Escalation.percent == 100))
                    unsent = session.scalar(
                        select(func.count()).where(Notification.status != "sent")
                    )
                active = asyncio.run(prefect_state(ids))["active"]
                print(
                    f"# {time.monotonic() - began:4.0f} s: {breaches}/{args.tickets} breaches "
                    f"recorded, {unsent} mails unsent, {len(fake.accepted)} taken, "
                    f"{active} runs active",
                    file=sys.stderr,
                )
                if now > last_due and breaches == args.tickets and not unsent and not active:
                    break
                if time.monotonic() > give_up:
                    problems.append(f"not done after {args.timeout:.0f} s")
                    break
            history = asyncio.run(run_history(ids))
            runs = {c.name: worker_runs(c.log) for c in children if c.name.startswith("worker")}
            end = datetime.now(UTC)
            for child in reversed(children):
                child.stop()
            children.clear()
            if not all(runs.values()):
                problems.append(f"a worker ran no flow run: {runs}")
            problems += check(db, fake, args.tickets, end)
            mails = len(fake.accepted)
            db.dispose()
    finally:
        for child in reversed(children):
            child.stop()
        left = stragglers(marker)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if left:
            problems.append(f"processes left running after the stop (killed now): {left}")
        if args.prefect_db == "postgres":
            with contextlib.suppress(Exception):
                drop_prefect_database(args.pg_url)
        if problems:
            print(f"# logs kept in {tmp / 'logs'}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n## two workers, {args.tickets:,} due reports, Tanggap and Prefect on PostgreSQL\n")
    print("| what | figure |")
    print("|---|---|")
    print(f"| wall time | {time.monotonic() - began:.0f} s |")
    print(f"| ledger levels (warning + breach) | {2 * args.tickets:,} expected |")
    print(f"| mails taken by the local SendGrid | {mails:,} |")
    for name, count in runs.items():
        print(f"| flow runs started by {name} | {count} |")
    for name, value in history.items():
        shown = dict(value) if isinstance(value, Counter) else value
        print(f"| {name} | {shown} |")
    if problems:
        print("\nFAILED:")
        for problem in problems:
            print(f"- {problem}")
        raise SystemExit(1)
    print("\nOK: each ledger key and each mail exactly once; nothing left running.")


if __name__ == "__main__":
    main()
