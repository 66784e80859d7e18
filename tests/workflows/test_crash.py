"""SIGKILL in the middle of the work, then a restart: nothing lost, nothing done twice.

The killed process is a real subprocess running the same code as ``tanggap deliver`` and
``tanggap sweep``, on the suite's database, against the local SendGrid in this process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fake_sendgrid import FakeSendGrid, Fault
from sqlalchemy import func, insert, select

from engine.db import Database
from engine.delivery import DeliveryPolicy
from engine.escalation import sweep
from engine.models import Escalation, Notification, Ticket
from engine.settings import Settings
from workflows.delivery import deliver_pass
from workflows.mail import SendGridBackend

LONG_AGO = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)

DELIVER = textwrap.dedent(
    """
    from datetime import UTC, datetime
    from engine.db import Database
    from engine.delivery import DeliveryPolicy
    from engine.settings import Settings
    from workflows.delivery import deliver_pass
    from workflows.mail import SendGridBackend

    settings = Settings()
    deliver_pass(
        Database(settings.database_url),
        SendGridBackend(settings),
        clock=lambda: datetime.now(UTC),
        policy=DeliveryPolicy.from_settings(settings),
        batch_size=10,
    )
    """
)

SWEEP = textwrap.dedent(
    """
    import sys
    import time
    from datetime import datetime
    from engine.db import Database
    from engine.escalation import sweep
    from engine.settings import Settings

    db = Database(Settings().database_url)
    # Paced like the real loop, so that the test can kill it between two batches.
    sweep(
        db.transaction,
        now=datetime.fromisoformat(sys.argv[1]),
        limit=5,
        between_batches=lambda: time.sleep(0.05),
    )
    """
)


def child(script: str, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=os.environ | env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    if process.stderr is not None:
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("moment", [Fault.HOLD_BEFORE, Fault.HOLD_AFTER])
def test_sigkill_mid_delivery_then_restart_sends_each_row_once(
    moment: Fault,
    flow_database: Database,
    mail_settings: Settings,
    fake_sendgrid: FakeSendGrid,
    webhook: str,
    report_committed: Callable[..., Ticket],
) -> None:
    """Killed while SendGrid holds the 15th request of a 30-row run: before it took the mail
    (HOLD_BEFORE) or after it took it and told the Event Webhook (HOLD_AFTER)."""
    ticket = report_committed(now=LONG_AGO)
    now = datetime.now(UTC)
    with flow_database.transaction() as session:
        session.execute(
            insert(Notification),
            [
                {
                    "ticket_id": ticket.id,
                    "recipient": f"staf{i}@dinas.example",
                    "recipient_kind": "agency_queue",
                    "subject": f"mail {i}",
                    "body": f"isi {i}",
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now - timedelta(minutes=1),
                    "created_at": now,
                }
                for i in range(30)
            ],
        )
        ids = session.scalars(
            select(Notification.id).where(Notification.ticket_id == ticket.id)
        ).all()
    fake_sendgrid.plan = lambda n, _payload: moment if n == 14 else Fault.NONE
    env = {
        "TANGGAP_DATABASE_URL": flow_database.url,
        "TANGGAP_SENDGRID_API_KEY": fake_sendgrid.api_key,
        "TANGGAP_SENDGRID_BASE_URL": fake_sendgrid.url,
        "no_proxy": "127.0.0.1",
    }
    sender = child(DELIVER, env)
    assert fake_sendgrid.holding.wait(60)
    kill(sender)
    fake_sendgrid.release.set()
    taken_before_restart = len(fake_sendgrid.accepted)
    assert taken_before_restart == (15 if moment is Fault.HOLD_AFTER else 14)

    # The restart, a lease and a grace period later.
    later = datetime.now(UTC) + timedelta(hours=1)
    policy = DeliveryPolicy(lease=timedelta(minutes=15), grace=timedelta(minutes=10))
    tally = deliver_pass(
        flow_database, SendGridBackend(mail_settings), clock=lambda: later, policy=policy
    )

    assert Counter(fake_sendgrid.delivered_ids()) == {str(i): 1 for i in ids}
    with flow_database.reading() as session:
        statuses = Counter(
            session.scalars(select(Notification.status).where(Notification.id.in_(ids)))
        )
    assert statuses == {"sent": 30}
    assert tally.recovered.orphaned == 10 - 4  # the batch of ten claimed, four were done
    assert tally.recovered.confirmed == (1 if moment is Fault.HOLD_AFTER else 0)


def test_sigkill_mid_sweep_then_restart_records_each_level_and_mail_once(
    flow_database: Database,
    report_committed: Callable[..., Ticket],
) -> None:
    tickets = [report_committed(now=LONG_AGO) for _ in range(60)]
    ids = [t.id for t in tickets]
    now = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)

    def ledger() -> tuple[int, int]:
        with flow_database.reading() as session:
            escalations = session.scalar(
                select(func.count()).select_from(Escalation).where(Escalation.ticket_id.in_(ids))
            )
            mails = session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.ticket_id.in_(ids))
            )
        return escalations or 0, mails or 0

    sweeper = child(SWEEP, {"TANGGAP_DATABASE_URL": flow_database.url}, now.isoformat())
    deadline = time.monotonic() + 60
    while ledger()[0] == 0 and sweeper.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sweeper.poll() is None, "the sweep ended before it could be killed"
    kill(sweeper)
    partial = ledger()
    assert partial[0] > 0

    sweep(flow_database.transaction, now=now, limit=50)
    again = sweep(flow_database.transaction, now=now, limit=50)

    escalations, mails = ledger()
    # Each ticket: every level of its timer up to now, recorded once; its mails once each.
    with flow_database.reading() as session:
        keys = session.execute(
            select(Escalation.ticket_id, Escalation.timer_kind, Escalation.level).where(
                Escalation.ticket_id.in_(ids)
            )
        ).all()
        per_escalation = Counter(
            session.execute(
                select(Notification.escalation_id, Notification.recipient).where(
                    Notification.ticket_id.in_(ids)
                )
            ).all()
        )
        mail_tickets = session.execute(
            select(Notification.ticket_id).where(Notification.ticket_id.in_(ids))
        ).all()
    assert len(keys) == len(set(keys)) == escalations
    per_ticket = Counter(ticket_id for ticket_id, _, _ in keys)
    assert set(per_ticket) == set(ids) and len(set(per_ticket.values())) == 1
    assert max(per_escalation.values()) == 1 and sum(per_escalation.values()) == mails
    # Identical tickets: the same levels and the same mails for each, killed or not.
    mails_per_ticket = Counter(ticket_id for (ticket_id,) in mail_tickets)
    assert set(mails_per_ticket) == set(ids) and len(set(mails_per_ticket.values())) == 1
    assert again.escalations == 0
