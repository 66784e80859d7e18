"""A stopped clock reads as it ran (its deadline, verdict and elapsed time), on every door: the
staff API's ticket detail, the SLA story, the staff ticket page and the supervisor's timeline
page.

A tester's report: a report verified in time (its verification clock met), then the office
calendar got a closed date and the catalogue was reloaded; ``tanggap sla check`` showed the
stopped clock's deadline recomputed under the new calendar, though the stored deadline (and the
verdict) were those of the calendar it ran under. README: "A clock is judged, and keeps
reading, as it ran."

Jakarta catalogue, default policy (office calendar: Mon–Thu 07:30–12:00 and 13:00–16:00; verify
in one working day). Submitted Monday 2026-11-23 09:05 WIB, verified 09:10: the verification
deadline is Tuesday 09:05. The reload then closes that Monday, the day the clock ran; under it
the deadline would read Tuesday 16:00.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine.catalogue import load_catalogue
from engine.models import SlaTimer, Ticket

from .conftest import Api
from .test_dashboard_pages import _web
from .test_staff_pages import sign_in

WIB = ZoneInfo("Asia/Jakarta")
CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml"
OFFICE_CLOSED = "  - code: office\n    timezone: Asia/Jakarta\n    always_open: false\n"
AS_IT_RAN = datetime(2026, 11, 24, 9, 5, tzinfo=WIB)


def _verified_then_monday_closed(api: Api) -> str:
    code: str = api.submit()["code"]  # 09:05, Dishub
    verified = api.act(code, "verify", "admin")  # 09:10
    assert verified.status_code == 200, verified.text
    with api.transactions.write() as session:
        stored = session.scalars(
            select(SlaTimer.deadline)
            .join(Ticket, Ticket.id == SlaTimer.ticket_id)
            .where(Ticket.code == code, SlaTimer.kind == "verify")
        ).one()
        assert stored == AS_IT_RAN
        text = CATALOGUE.read_text()
        calendar = text.index(OFFICE_CLOSED)
        closed = text.index("    closed_dates: []\n", calendar)
        edited = text[:closed] + '    closed_dates: ["2026-11-23"]\n' + text[closed + 21 :]
        load_catalogue(session, edited, now=api.clock.tick(), source="edited.yaml")
    return code


def test_the_staff_api_reads_a_stopped_clock_as_it_ran(api: Api) -> None:
    code = _verified_then_monday_closed(api)

    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff"))
    assert detail.status_code == 200, detail.text
    (verify,) = [t for t in detail.json()["timers"] if t["kind"] == "verify"]
    assert datetime.fromisoformat(verify["deadline"]) == AS_IT_RAN
    assert verify["status"] == "met"
    # It ran from 09:05 to 09:10 on the Monday closed since: five minutes, not none.
    assert verify["elapsed_seconds"] == 300
    assert verify["remaining_seconds"] == 7.5 * 3600 - 300

    story = api.client.get(f"/api/v1/tickets/{code}/sla", headers=api.auth("supervisor"))
    assert story.status_code == 200, story.text
    (told,) = [t for t in story.json()["timers"] if t["timer"]["kind"] == "verify"]
    assert datetime.fromisoformat(told["timer"]["deadline"]) == AS_IT_RAN


def test_the_staff_and_timeline_pages_read_a_stopped_clock_as_it_ran(api: Api) -> None:
    code = _verified_then_monday_closed(api)
    web = _web(api)

    sign_in(web, api, "staff")
    page = web.get(f"/staff/tickets/{code}?lang=en")
    assert page.status_code == 200, page.text
    row = re.search(r'<tr data-kind="verify".*?</tr>', page.text, re.S)
    assert row is not None
    assert "24 November 2026, 09:05 WIB" in row.group(0)
    assert "16:00" not in row.group(0)

    sign_in(web, api, "supervisor")
    timeline = web.get(f"/dashboard/t/{code}?lang=en")
    assert timeline.status_code == 200, timeline.text
    card = timeline.text[timeline.text.index('data-kind="verify"') :].split("</li>")[0]
    assert "24 November 2026, 09:05 WIB" in card and "24 November 2026, 16:00" not in card
