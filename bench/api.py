"""Benchmark of the HTTP API: submissions per second beside a bare FastAPI INSERT, and the
latency of the public status GET under concurrent clients (SQLite and PostgreSQL).

Method
------
Setup (not timed): a fresh database (SQLite: a file in a temporary directory; PostgreSQL: the
``--pg-url`` database, public schema dropped and recreated; its name must contain ``bench`` or
``test``), ``schema.upgrade``, the Jakarta catalogue, and a table ``bench_inserts`` for the
baseline. Two servers run as subprocesses, each uvicorn with one worker on 127.0.0.1 and a
free port, both up for the whole run (an idle one costs nothing):

* **tanggap**: ``api.app:create_app()`` — the real app, rate limit lifted for the run;
* **bare**: a FastAPI app with the same JSON body model shape and one sync endpoint that
  validates it and runs one ``INSERT`` in one ``Database.transaction()``, and one GET that
  reads one row by primary key — the floor any real endpoint stands on.

Load: ``--clients`` threads (default 32), each with its own keep-alive ``httpx.Client``, share
a queue of requests; wall time over all of them gives requests/s, each request's time gives
p50/p99. Submissions are JSON reports of traffic jams at random points in Kelurahan Gambir
(seed fixed); each is routed, gets its SLA timers and looks for duplicates nearby. The GET
fetches ``/api/v1/reports/{code}`` for codes submitted before, in random order. After a warm-up
(``--clients`` requests to each POST), the measurements run interleaved in ``--rounds`` rounds
(bare INSERT, app stack + bare INSERT, app stack + 4 and + 10 bare statements, submissions,
bare GET, public GET), so each ratio is the median of per-round ratios taken seconds apart under
the same load. Nothing asserts on time; it prints.
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, Field

ROOT = Path(__file__).resolve().parents[1]
GAMBIR = ((-6.184, -6.167), (106.819, 106.834))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepare(url: str) -> None:
    from sqlalchemy import make_url, text

    from engine import Database, load_catalogue, schema

    if not url.startswith("sqlite"):
        name = make_url(url).database or ""
        if "bench" not in name and "test" not in name:
            sys.exit(f"refusing to wipe {name!r}: its name must contain 'bench' or 'test'")
        db = Database(url)
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.dispose()
    db = Database(url)
    schema.upgrade(db.engine)
    from datetime import UTC, datetime

    catalogue = ROOT / "catalogue" / "jakarta.yaml"
    with db.transaction() as session:
        load_catalogue(session, catalogue.read_text(), source=str(catalogue), now=datetime.now(UTC))
        serial = "INTEGER PRIMARY KEY" if url.startswith("sqlite") else "BIGSERIAL PRIMARY KEY"
        session.execute(
            text(f"CREATE TABLE bench_inserts (id {serial}, body TEXT, lat FLOAT, lon FLOAT)")
        )
    db.dispose()


class Body(BaseModel):
    category: str = Field(max_length=60)
    description: str = Field(max_length=4000)
    lat: float
    lon: float


def bare_app() -> object:
    """One validated JSON body, one INSERT, one transaction; one GET by primary key."""
    from fastapi import FastAPI
    from sqlalchemy import text

    from api.app import pooled_database
    from engine.environment import settings

    db = pooled_database(settings())
    app = FastAPI()

    @app.post("/bare", status_code=201)
    def insert(body: Body) -> dict[str, int]:
        with db.transaction() as session:
            row = session.execute(
                text(
                    "INSERT INTO bench_inserts (body, lat, lon) VALUES (:b, :la, :lo) RETURNING id"
                ),
                {"b": body.description, "la": body.lat, "lo": body.lon},
            ).scalar_one()
        return {"id": int(row)}

    @app.get("/bare/{row_id}")
    def read(row_id: int) -> dict[str, object]:
        with db.reading() as session:
            found = session.execute(
                text("SELECT id, body, lat, lon FROM bench_inserts WHERE id = :i"), {"i": row_id}
            ).one()
        return {"id": found[0], "body": found[1], "lat": found[2], "lon": found[3]}

    return app


#: A submission's statements without the engine's work around them (``/bench/statements``):
#: the read transaction's six reads — the catalogue revision, the category row, the code's
#: uniqueness, the SLA rows, the duplicate search, its photos — here as one-row reads of the
#: same tables by key; the write transaction's revision read and its three INSERTs (ticket,
#: timer, event) as three bare INSERTs.
_REVISION = "SELECT id, token FROM catalogue_revisions ORDER BY id DESC LIMIT 1"
_SUBMISSION_READS: list[tuple[str, dict[str, object]]] = [
    (_REVISION, {}),
    ("SELECT * FROM categories WHERE code = :c", {"c": "traffic_jam"}),
    ("SELECT id FROM tickets WHERE code = :c", {"c": "JKT-0000-0000"}),
    ("SELECT * FROM sla_policies WHERE id = :i", {"i": 1}),
    ("SELECT id, lat, lon FROM tickets WHERE id = :i", {"i": 1}),
    ("SELECT * FROM attachments WHERE ticket_id = :i", {"i": 1}),
]


STATEMENTS = "app stack + 10 bare statements"
FEWEST = "app stack + 4 bare statements"


def with_floor(app: Any) -> Any:
    """The real app plus ``POST /bench/floor``: the submission endpoint's own HTTP stack (the
    app's middleware and error handlers, the body reader, the rate limit, the phased
    transactions, the clock) around the bare INSERT instead of the engine — what the engine's
    work is measured on top of."""
    from typing import Annotated

    from fastapi import Depends
    from sqlalchemy import text

    from api.deps import NowDep, PhasesDep, SettingsDep
    from api.ratelimit import limit_submissions
    from api.routes.reports import _report_input
    from api.schemas.public import ReportCreate

    def floor(parsed, phases, now, settings):  # type: ignore[no-untyped-def]
        body, _ = parsed
        with phases.write() as session:
            row = session.execute(
                text(
                    "INSERT INTO bench_inserts (body, lat, lon) VALUES (:b, :la, :lo) RETURNING id"
                ),
                {"b": body.description, "la": body.lat, "lo": body.lon},
            ).scalar_one()
        return {"id": int(row)}

    from engine.db import core_execute

    reads = [(text(sql), params) for sql, params in _SUBMISSION_READS]
    revision = text(_REVISION)
    insert = text("INSERT INTO bench_inserts (body, lat, lon) VALUES (:b, :la, :lo) RETURNING id")

    def statements(parsed, phases, now, settings):  # type: ignore[no-untyped-def]
        # Each statement built once and run as Core on the session's connection, the cheapest
        # way the engine runs one (``core_execute``), as the submission's own do.
        body, _ = parsed
        with phases.read() as session:
            for statement, params in reads:
                core_execute(session, statement, params).first()
        with phases.write() as session:
            core_execute(session, revision).first()
            values = {"b": body.description, "la": body.lat, "lo": body.lon}
            for _ in range(3):
                row = core_execute(session, insert, values).scalar_one()
        return {"id": int(row)}

    def fewest(parsed, phases, now, settings):  # type: ignore[no-untyped-def]
        # The least any submission could run: one read (its duplicate search) and the three
        # rows it must write (ticket, timer, event 1), all in one write transaction.
        body, _ = parsed
        with phases.write() as session:
            statement, params = reads[4]
            core_execute(session, statement, params).first()
            values = {"b": body.description, "la": body.lat, "lo": body.lon}
            for _ in range(3):
                row = core_execute(session, insert, values).scalar_one()
        return {"id": int(row)}

    # Real objects, not the strings this module's annotations would be: FastAPI reads them.
    floor.__annotations__ = statements.__annotations__ = fewest.__annotations__ = {
        "parsed": Annotated[tuple[ReportCreate, list[bytes]], Depends(_report_input)],
        "phases": PhasesDep,
        "now": NowDep,
        "settings": SettingsDep,
        "return": dict[str, int],
    }
    limited = [Depends(limit_submissions)]
    app.post("/bench/floor", status_code=201, dependencies=limited)(floor)
    app.post("/bench/statements", status_code=201, dependencies=limited)(statements)
    app.post("/bench/fewest", status_code=201, dependencies=limited)(fewest)
    return app


def serve(kind: str, port: int) -> None:
    import uvicorn

    if kind == "tanggap":
        from api.app import create_app

        app: object = with_floor(create_app())
    else:
        app = bare_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    #: Keep-alive clients made once and reused by every load on this server: making one
    #: costs ~20 ms of the load generator's CPU (its SSL context), 0.6 s for 32, which made
    #: every run look slower than the server was — the fast bare endpoint most.
    clients: list[httpx.Client] = field(default_factory=list)

    def pool(self, n: int) -> list[httpx.Client]:
        while len(self.clients) < n:
            self.clients.append(httpx.Client(base_url=self.base, timeout=60, trust_env=False))
        return self.clients[:n]

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(kind: str, url: str, media: Path, threads: int | None = None) -> Server:
    port = _free_port()
    env = dict(
        os.environ,
        **({"TANGGAP_API_THREADS": str(threads)} if threads else {}),
        TANGGAP_DATABASE_URL=url,
        TANGGAP_MEDIA_DIR=str(media),
        TANGGAP_SUBMIT_RATE_LIMIT="100000000/minute",
        NO_PROXY="127.0.0.1",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.api", "--serve", kind, "--port", str(port)],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                return Server(process, base)
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{kind} server did not start")


@dataclass
class Result:
    count: int
    seconds: float
    latencies: list[float]
    errors: int
    #: The server's CPU over the run, per request (ms): what each cost under load.
    server_cpu_ms: float = 0.0

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


Request = Callable[[httpx.Client], httpx.Response]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux ``/proc/<pid>/stat``, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_request(server: Server, requests: list[Request]) -> float:
    """Server CPU per request in ms, the requests sent one at a time by one client: what the
    server spends on each, apart from queueing and the load generator sharing the cores."""
    with httpx.Client(base_url=server.base, timeout=60, trust_env=False) as client:
        before = _cpu_seconds(server.process.pid)
        for request in requests:
            request(client)
        return (_cpu_seconds(server.process.pid) - before) / len(requests) * 1000


def load(server: Server, requests: list[Request], clients: int, ok: set[int]) -> Result:
    """``requests`` sent by ``clients`` threads at once, each with its own keep-alive client
    (``Server.pool``, made before the clock starts)."""
    work: queue.Queue[Request] = queue.Queue()
    for request in requests:
        work.put(request)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker(client: httpx.Client) -> None:
        while True:
            try:
                request = work.get_nowait()
            except queue.Empty:
                return
            began = time.perf_counter()
            response = request(client)
            spent = time.perf_counter() - began
            with lock:
                latencies.append(spent)
                if response.status_code not in ok:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, args=(c,)) for c in server.pool(clients)]
    cpu = _cpu_seconds(server.process.pid)
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spent = (_cpu_seconds(server.process.pid) - cpu) / len(requests) * 1000
    return Result(len(requests), time.perf_counter() - began, latencies, errors[0], spent)


def _get(path: str) -> Request:
    return lambda client: client.get(path)


def _reports(rng: random.Random, n: int) -> list[dict[str, object]]:
    return [
        {
            "category": "traffic_jam",
            "description": f"Macet total, laporan {i}",
            "lat": rng.uniform(*GAMBIR[0]),
            "lon": rng.uniform(*GAMBIR[1]),
        }
        for i in range(n)
    ]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _pooled(results: list[Result]) -> Result:
    """One row of the table from a measurement's rounds: all requests and their latencies;
    ``seconds`` is the rounds' summed wall time, so ``rate`` is over all of them."""
    return Result(
        sum(r.count for r in results),
        sum(r.seconds for r in results),
        [x for r in results for x in r.latencies],
        sum(r.errors for r in results),
        _median([r.server_cpu_ms for r in results]),
    )


def run(
    name: str,
    url: str,
    n: int,
    gets: int,
    clients: int,
    cpu: int = 0,
    threads: int | None = None,
    rounds: int = 5,
) -> None:
    """Both servers up at once (on the same database), and the measurements interleaved in
    ``rounds`` rounds — bare INSERT, app stack + bare INSERT, submissions, bare GET, public
    GET — so that each ratio is taken between runs seconds apart, under the same load; the
    ratio printed is the median of the rounds' ratios (on a shared machine, load that changes
    between two runs a minute apart moved a one-shot ratio from 0.2× to 0.6×)."""
    prepare(url)
    rng = random.Random(11)
    media = Path(tempfile.mkdtemp(prefix="tanggap-bench-media-"))
    print(
        f"\n## {name}: {n} submissions, {gets} GETs, {clients} clients, {rounds} rounds", flush=True
    )
    per_round, per_get = max(1, n // rounds), max(1, gets // rounds)
    measured: dict[str, list[Result]] = {}
    cpu_ms: dict[str, float] = {}
    codes: list[str] = []

    def submit(body: dict[str, object]) -> Request:
        def request(client: httpx.Client) -> httpx.Response:
            response = client.post("/api/v1/reports", json=body)
            if response.status_code == 201:
                codes.append(response.json()["code"])
            return response

        return request

    def posts(path: str, k: int) -> list[Request]:
        return [lambda c, b=b: c.post(path, json=b) for b in _reports(rng, k)]

    bare = start("bare", url, media)
    app = start("tanggap", url, media, threads)
    try:
        # Warm-up: each endpoint once per client, and rows for the GETs to read.
        load(bare, posts("/bare", clients), clients, {201})
        load(app, posts("/bench/floor", clients), clients, {201})
        load(app, posts("/bench/statements", clients), clients, {201})
        load(app, posts("/bench/fewest", clients), clients, {201})
        load(app, [submit(b) for b in _reports(rng, clients)], clients, {201})
        inserted = clients
        for _ in range(rounds):
            runs = {
                "bare INSERT": (bare, posts("/bare", per_round), {201}),
                "app stack + bare INSERT": (app, posts("/bench/floor", per_round), {201}),
                FEWEST: (app, posts("/bench/fewest", per_round), {201}),
                STATEMENTS: (app, posts("/bench/statements", per_round), {201}),
                "POST /api/v1/reports": (app, [submit(b) for b in _reports(rng, per_round)], {201}),
                "bare GET by id": (
                    bare, [_get(f"/bare/{rng.randint(1, inserted)}") for _ in range(per_get)], {200}
                ),
                "GET /api/v1/reports/{code}": (
                    app, [_get(f"/api/v1/reports/{rng.choice(codes)}") for _ in range(per_get)],
                    {200},
                ),
            }  # fmt: skip
            for label, (server, requests, ok) in runs.items():
                measured.setdefault(label, []).append(load(server, requests, clients, ok))
            inserted += per_round
        if cpu:
            cpu_ms["bare INSERT"] = cpu_per_request(bare, posts("/bare", cpu))
            cpu_ms["app stack + bare INSERT"] = cpu_per_request(app, posts("/bench/floor", cpu))
            cpu_ms[FEWEST] = cpu_per_request(app, posts("/bench/fewest", cpu))
            cpu_ms[STATEMENTS] = cpu_per_request(app, posts("/bench/statements", cpu))
            cpu_ms["POST /api/v1/reports"] = cpu_per_request(
                app, [submit(b) for b in _reports(rng, cpu)]
            )
    finally:
        app.stop()
        bare.stop()

    results = {label: _pooled(rs) for label, rs in measured.items()}
    print(
        f"| {'measurement':30} | {'req/s':>8} | {'p50 ms':>8} | {'p99 ms':>8} | "
        "server CPU ms/req | errors |"
    )
    print(f"|{'-' * 32}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 19}|--------|")
    for label, r in results.items():
        print(
            f"| {label:30} | {r.rate:8.1f} | {r.pct(0.5):8.1f} | {r.pct(0.99):8.1f} | "
            f"{r.server_cpu_ms:17.2f} | {r.errors:6} |"
        )

    def ratio(label: str, base: str) -> tuple[float, str]:
        each = [a.rate / b.rate for a, b in zip(measured[label], measured[base], strict=True)]
        return _median(each), " ".join(f"{x:.2f}" for x in each)

    print("\nratios: median of the rounds' ratios (each round's in brackets)")
    floor, floors = ratio("app stack + bare INSERT", "bare INSERT")
    print(f"app stack + bare INSERT: {floor:.2f}× the bare INSERT (the app's floor) [{floors}]")
    least, leasts = ratio(FEWEST, "bare INSERT")
    print(
        f"app stack + the fewest statements a submission could run: {least:.2f}× the bare "
        f"INSERT (engine work aside) [{leasts}]"
    )
    bound, bounds = ratio(STATEMENTS, "bare INSERT")
    print(
        f"app stack + a submission's statements: {bound:.2f}× the bare INSERT (engine work "
        f"aside) [{bounds}]"
    )
    submitted, each = ratio("POST /api/v1/reports", "bare INSERT")
    print(f"submissions: {submitted:.2f}× the bare INSERT (goal ≥ 0.6×) [{each}]")
    got, each = ratio("GET /api/v1/reports/{code}", "bare GET by id")
    print(f"public GET: {got:.2f}× the bare GET by id [{each}]")
    if cpu_ms:
        print(f"\nserver CPU per request, {cpu} requests one at a time:")
        for label, ms in cpu_ms.items():
            print(f"  {label:30} {ms:6.2f} ms  ({cpu_ms['bare INSERT'] / ms:.2f}× the bare)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=["tanggap", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("TANGGAP_BENCH_PG_URL"))
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--gets", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--rounds", type=int, default=5,
        help="interleaved rounds; each ratio is the median of the rounds' ratios",
    )  # fmt: skip
    parser.add_argument(
        "--cpu", type=int, default=0, metavar="N",
        help="also measure server CPU per request over N sequential requests (Linux)",
    )  # fmt: skip
    parser.add_argument(
        "--threads", type=int, default=None, metavar="N",
        help="TANGGAP_API_THREADS for the tanggap server (default: the app's own default)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    sizes = (args.submissions, args.gets, args.clients, args.cpu, args.threads, args.rounds)
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite", f"sqlite:///{tmp}/bench.db", *sizes)
    if args.db in ("postgres", "both"):
        if not args.pg_url:
            sys.exit("--pg-url (a database whose name contains 'bench' or 'test') is needed")
        run("PostgreSQL", args.pg_url, *sizes)


if __name__ == "__main__":
    main()
