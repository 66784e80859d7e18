"""Server CPU per submission of two checkouts of the code, measured at the same time.

On a machine shared with other work, CPU per request drifts by ±30 % between runs minutes
apart (caches and cores shared with whatever else runs), so "before" and "after" measured one
after the other compare two loads as much as two versions. This runs both at once, under the
same load: for each checkout, ``bench.api``'s own setup and tanggap server (that checkout's
code, a fresh SQLite file or its own PostgreSQL database), then rounds of sequential requests
from one client — the app stack around a bare INSERT (``POST /bench/floor``), then
submissions — with the server's CPU read from ``/proc`` (``bench.api.cpu_per_request``).
It prints each round and the medians; the ratio of the two is the figure to read.

    python -m bench.cpu_pair /tmp/before /tmp/after              # SQLite
    python -m bench.cpu_pair /tmp/before /tmp/after --db postgres \\
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/x_bench \\
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/y_bench

Each checkout must hold ``bench/api.py`` (2026-11-30 or later: ``prepare``, ``start``,
``cpu_per_request``, ``_reports``). With PostgreSQL each needs a database of its own (its
public schema is dropped and recreated; the name must contain ``bench`` or ``test``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def probe(tree: Path, url: str | None, rounds: int, requests: int) -> None:
    """In a subprocess whose working directory is ``tree``: that checkout's ``bench.api``."""
    sys.path.insert(0, str(tree))
    import bench.api as api  # the checkout's own

    url = url or f"sqlite:///{tempfile.mkdtemp(prefix='tanggap-pair-')}/bench.db"
    api.prepare(url)
    rng = random.Random(11)
    server = api.start("tanggap", url, Path(tempfile.mkdtemp(prefix="tanggap-pair-media-")))

    def posts(path: str, n: int) -> list[api.Request]:
        return [lambda c, b=b: c.post(path, json=b) for b in api._reports(rng, n)]

    try:
        api.cpu_per_request(server, posts("/api/v1/reports", 100))  # warm-up, and a backlog
        api.cpu_per_request(server, posts("/bench/floor", 50))
        floor, submit = [], []
        for _ in range(rounds):
            floor.append(api.cpu_per_request(server, posts("/bench/floor", requests)))
            submit.append(api.cpu_per_request(server, posts("/api/v1/reports", requests)))
    finally:
        server.stop()
    print(json.dumps({"floor": floor, "submit": submit}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", action="append", default=[], help="twice: before, after")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--requests", type=int, default=250, help="per round and kind")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(args.probe, args.url, args.rounds, args.requests)
        return
    if args.db == "postgres" and len(args.pg_url) != 2:
        sys.exit("--db postgres needs --pg-url twice: a database for each checkout")
    urls = args.pg_url if args.db == "postgres" else [None, None]
    runs = []
    for tree, url in zip((args.before, args.after), urls, strict=True):
        command = [sys.executable, __file__, str(tree), str(tree), "--probe", str(tree.resolve())]
        command += ["--rounds", str(args.rounds), "--requests", str(args.requests)]
        command += ["--url", url] if url else []
        env = {k: v for k, v in os.environ.items() if k != "TANGGAP_DATABASE_URL"}
        runs.append(subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE))
    found = [json.loads(run.communicate()[0].decode().strip().splitlines()[-1]) for run in runs]
    medians = {}
    for name, result in zip(("before", "after"), found, strict=True):
        floor, submit = statistics.median(result["floor"]), statistics.median(result["submit"])
        medians[name] = (floor, submit)
        rounds = " ".join(f"{x:.2f}" for x in result["submit"])
        print(f"{name:6}: submission {submit:5.2f} ms (rounds {rounds}), floor {floor:4.2f} ms")
    (bf, bs), (af, as_) = medians["before"], medians["after"]
    print(f"after / before: submission {as_ / bs:.2f}×, floor {af / bf:.2f}×, ", end="")
    print(f"submission minus floor {(as_ - af) / (bs - bf):.2f}×")


if __name__ == "__main__":
    main()
