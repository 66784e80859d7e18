"""Escalation latency a supervisor feels, end to end under the real scheduler (``tanggap serve``).

Method
------
A fresh database (SQLite file in a temporary directory, or PostgreSQL ``tanggap_bench``, public
schema dropped) with the Jakarta catalogue. N flood reports (emergency policy: 24/7 calendar,
verify target 30 min, breach at 100 %) are submitted with creation times chosen so that their
breach levels fall due evenly over the next M minutes. Then ``tanggap serve`` runs (its own
Prefect server, the flows on their schedules: sla-sweep every minute, which starts a delivery at
once when it queued mail, and deliver-notifications every minute) with SendGrid pointed at the
test suite's local SendGrid, which notes when it took each mail. After M + 3 minutes the service
is stopped. For each breach mail: latency = the instant the local SendGrid took it minus the
instant its level fell due (``escalations.due_at``). Warnings that were already due at the start
(catch-up) are mailed too but not counted. It prints p50, p99, max; it never asserts.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fakes"))
from fake_sendgrid import FakeSendGrid

from bench.delivery import fresh_database
from engine.actors import Actor
from engine.catalogue import load_catalogue
from engine.models import Escalation, Notification
from engine.photos import MemoryMediaStorage
from engine.settings import Settings
from engine.submission import Report, submit

ROOT = Path(__file__).resolve().parents[1]
VERIFY_TARGET = timedelta(minutes=30)  # the emergency policy's verify target


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/tanggap_bench"
    )
    args = parser.parse_args()
    os.environ.setdefault("no_proxy", "127.0.0.1,localhost")

    with tempfile.TemporaryDirectory() as tmp, FakeSendGrid() as fake:
        work = Path(tmp)
        db = fresh_database(args.db, args.pg_url, work)
        settings = Settings(database_url=db.url)
        start = datetime.now(UTC)
        with db.transaction() as session:
            text = (ROOT / "catalogue" / "jakarta.yaml").read_text()
            load_catalogue(session, text, source="jakarta.yaml", now=start)
        window = timedelta(minutes=args.minutes)
        with db.transaction() as session:
            for i in range(args.levels):
                due = start + timedelta(minutes=1) + window * (i / args.levels)
                submit(
                    session,
                    Report(category="flood", description=f"banjir {i}", lat=-6.1754, lon=106.8272),
                    actor=Actor.citizen(),
                    now=due - VERIFY_TARGET,
                    settings=settings,
                    storage=MemoryMediaStorage(),
                )
        print(f"# {args.levels} breaches due over {args.minutes} min, {args.db}", file=sys.stderr)
        env = os.environ | {
            "TANGGAP_HOME": str(work / "home"),
            "TANGGAP_DATABASE_URL": db.url,
            "TANGGAP_SENDGRID_API_KEY": fake.api_key,
            "TANGGAP_SENDGRID_BASE_URL": fake.url,
        }
        serve = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--port", "0", "--prefect-port", "0"],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = start + timedelta(minutes=1) + window + timedelta(minutes=3)
            while datetime.now(UTC) < deadline and serve.poll() is None:
                time.sleep(5)
        finally:
            serve.send_signal(signal.SIGTERM)
            output, _ = serve.communicate(timeout=120)
        taken = {mail.outbox_id: mail.taken_at for mail in fake.accepted}
        with db.reading() as session:
            rows = session.execute(
                select(Notification.id, Escalation.due_at)
                .join(Escalation, Escalation.id == Notification.escalation_id)
                .where(Escalation.percent == 100)
            ).all()
        latencies = [
            taken[str(row_id)] - due.timestamp() for row_id, due in rows if str(row_id) in taken
        ]
        missing = len(rows) - len(latencies)
        print(f"\n## escalation latency, {args.db}: level due → mail taken by SendGrid\n")
        print("| breach mails | taken | missing | p50 s | p99 s | max s | mean s |")
        print("|---|---|---|---|---|---|---|")
        if latencies:
            print(
                f"| {len(rows)} | {len(latencies)} | {missing} | "
                f"{percentile(latencies, 0.5):.1f} | {percentile(latencies, 0.99):.1f} | "
                f"{max(latencies):.1f} | {statistics.mean(latencies):.1f} |"
            )
        else:
            print(f"| {len(rows)} | 0 | {missing} | — | — | — | — |")
            print(output, file=sys.stderr)
        db.dispose()


if __name__ == "__main__":
    main()
