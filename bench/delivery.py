"""Benchmark of mail delivery and of Prefect's cost per flow run, with baselines from the same run.

Method
------
1. Delivery: N outbox rows (ticket-less, as operator alerts are) in a fresh database (SQLite file
   in a temporary directory, or PostgreSQL database ``tanggap_bench``, public schema dropped),
   sent by ``workflows.delivery.deliver_pass`` (claim 50 → commit ``sending`` → one HTTP call
   per row → commit its outcome) through ``SendGridBackend`` to the test suite's local SendGrid
   (``tests/fakes/fake_sendgrid.py``, 127.0.0.1, answers 202). Baseline: N bare calls of the
   ``sendgrid`` client to the same server with the same payload shape, no database.
2. Prefect's overhead: with nothing due, one run of the ``deliver-notifications`` flow and of
   the ``sla-sweep`` flow against a Prefect test server (``prefect_test_harness``), vs the same
   engine calls without Prefect (``deliver_pass`` / ``sweep`` with nothing due). One untimed
   warm-up, then ``--repeat`` timed runs; medians compared.

It prints a table; it never asserts on time.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Mail
from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fakes"))
from fake_sendgrid import FakeSendGrid

from engine import schema
from engine.db import Database, make_engine
from engine.delivery import DeliveryPolicy
from engine.escalation import sweep
from engine.models import Notification
from engine.settings import Settings
from workflows.delivery import deliver_pass
from workflows.mail import SendGridBackend

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def fresh_database(kind: str, pg_url: str, workdir: Path) -> Database:
    if kind == "sqlite":
        db = Database(f"sqlite:///{workdir / 'bench.db'}")
    else:
        name = pg_url.rsplit("/", 1)[-1]
        if "bench" not in name and "test" not in name:
            raise SystemExit("--pg-url must name a database with 'bench' or 'test' (it is wiped)")
        engine = make_engine(pg_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        db = Database(pg_url)
    schema.upgrade(db.engine)
    return db


def queue(db: Database, n: int) -> None:
    rows = [
        {
            "recipient": f"kepala{i}@dinas.example",
            "recipient_kind": "agency_head",
            "kind": "escalation",
            "subject": f"[Tanggap] JKT-0000-{i:04d} MELEWATI BATAS verifikasi (100%)",
            "body": "Laporan … " * 40,
            "html_body": "<p>Laporan …</p>" * 40,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": NOW,
            "created_at": NOW,
        }
        for i in range(n)
    ]
    with db.transaction() as session:
        for start in range(0, n, 5000):
            session.execute(insert(Notification), rows[start : start + 5000])


def bare_calls(fake: FakeSendGrid, n: int) -> float:
    client = SendGridAPIClient(fake.api_key, host=fake.url)
    client.client.timeout = 10
    started = time.perf_counter()
    for i in range(n):
        mail = Mail(
            from_email="tanggap@jakarta.example",
            to_emails=f"kepala{i}@dinas.example",
            subject=f"[Tanggap] JKT-0000-{i:04d} MELEWATI BATAS verifikasi (100%)",
            plain_text_content="Laporan … " * 40,
            html_content="<p>Laporan …</p>" * 40,
        )
        mail.custom_arg = CustomArg("tanggap_outbox_id", str(i))
        client.send(mail)
    return time.perf_counter() - started


def median_of(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def prefect_overhead(db: Database, settings: Settings, repeat: int) -> list[tuple[str, float]]:
    from prefect.testing.utilities import prefect_test_harness

    from workflows import resources
    from workflows.deliver_notifications import deliver_notifications
    from workflows.sla_sweep import sla_sweep

    resources.database = lambda: db  # type: ignore[assignment]
    resources.settings = lambda: settings  # type: ignore[assignment]
    resources.mail_backend = lambda: SendGridBackend(settings)  # type: ignore[assignment]
    policy = DeliveryPolicy.from_settings(settings)
    backend = SendGridBackend(settings)
    rows = [
        ("deliver_pass, nothing due (engine, no Prefect)", median_of(
            lambda: deliver_pass(db, backend, clock=resources.now, policy=policy), repeat)),
        ("sweep, nothing due (engine, no Prefect)", median_of(
            lambda: sweep(db.transaction, now=resources.now(), reading=db.reading), repeat)),
    ]  # fmt: skip
    logging.getLogger("prefect").setLevel(logging.WARNING)
    with prefect_test_harness(server_startup_timeout=120):
        rows += [
            ("deliver-notifications flow run, nothing due",
             median_of(deliver_notifications, repeat)),
            ("sla-sweep flow run, nothing due", median_of(sla_sweep, repeat)),
        ]  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/tanggap_bench"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-prefect", action="store_true", help="skip the flow-run overhead")
    args = parser.parse_args()
    os.environ.setdefault("no_proxy", "127.0.0.1,localhost")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory() as tmp, FakeSendGrid() as fake:
        db = fresh_database(args.db, args.pg_url, Path(tmp))
        settings = Settings(
            database_url=db.url,
            sendgrid_api_key=SecretStr(fake.api_key),
            sendgrid_base_url=fake.url,
        )
        print(f"# delivery of {args.rows:,} rows, {args.db}", file=sys.stderr)
        # The machine is shared: the baseline runs before and after, and their mean is used.
        before = bare_calls(fake, args.rows)
        fake.accepted.clear()
        queue(db, args.rows)
        started = time.perf_counter()
        tally = deliver_pass(
            db,
            SendGridBackend(settings),
            clock=lambda: datetime.now(UTC),
            policy=DeliveryPolicy.from_settings(settings),
            batch_size=50,
            max_batches=10**6,
        )
        delivered = time.perf_counter() - started
        taken = fake.delivered_ids()
        after = bare_calls(fake, args.rows)
        baseline = (before + after) / 2
        with db.reading() as session:
            sent = session.scalar(
                select(func.count()).select_from(Notification).where(Notification.status == "sent")
            )
        assert sent == args.rows == len(set(taken)) == len(taken), (sent, tally.summary())

        print(
            f"\n## delivery, {args.rows:,} rows, {args.db} (ratio: to the mean of the bare calls)\n"
        )
        print("| measurement | total s | per row ms | ratio |")
        print("|---|---|---|---|")
        for name, seconds in [
            (f"{args.rows:,} bare `sendgrid` client calls, before", before),
            (f"{args.rows:,} bare `sendgrid` client calls, after", after),
            (f"deliver_pass: {args.rows:,} rows claimed, sent, recorded", delivered),
        ]:
            per_row = 1000 * seconds / args.rows
            print(f"| {name} | {seconds:.2f} | {per_row:.2f} | {seconds / baseline:.2f}× |")

        if not args.no_prefect:
            rows = prefect_overhead(db, settings, args.repeat)
            print(
                f"\n## Prefect's cost per run, nothing due, {args.db} (median of {args.repeat})\n"
            )
            print("| measurement | median ms | ratio |")
            print("|---|---|---|")
            base = {"deliver": rows[0][1], "sla-sweep": rows[1][1], "sweep": rows[1][1]}
            for name, seconds in rows:
                ref = base["deliver" if "deliver" in name else "sweep"]
                print(f"| {name} | {1000 * seconds:.1f} | {seconds / ref:.0f}× |")
        db.dispose()


if __name__ == "__main__":
    main()
