"""Paging a worklist while deadlines move (``engine.queries.staff.worklist``).

The worklist ranks the overdue first, then the running by deadline. A person reads page 1, and
while they read, a deadline further down passes: that ticket became overdue and ranked above
the cursor, so the later pages skipped it — the one ticket that had just breached its SLA.
Later pages now rank as the first did (``as_of``, kept by the cursor); what an event changed
since is counted (``changed``), as it cannot be ranked as it stood then.
"""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.escalation import sweep_batch

from .conftest import ROOT, Api
from .test_overdue import _phoned_in_urgent


@pytest.fixture
def start_time() -> datetime:
    """A Monday 09:00 WIB later than any clock other tests commit tickets with: the tickets
    those left in the suite's database are overdue here, rank first, and had no event since."""
    return datetime(2030, 11, 25, 2, 0, tzinfo=UTC)


def _urgent(api: Api) -> str:
    """A jam phoned in as urgent (the 24/7 ``urgent`` policy: verify within the hour), ten
    minutes after the last thing that happened."""
    api.clock.tick(5)
    return _phoned_in_urgent(api)  # five minutes more


def _page(api: Api, limit: int, cursor: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if cursor:
        params["cursor"] = cursor
    response = api.client.get("/api/v1/tickets", params=params, headers=api.auth("staff"))
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def _page_of(api: Api, params: dict[str, Any]) -> dict[str, Any]:
    response = api.client.get("/api/v1/tickets", params=params, headers=api.auth("staff"))
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def _first_page_ending_at(api: Api, code: str) -> dict[str, Any]:
    """Page 1, cut right after ``code`` (the tickets other tests left rank before ours)."""
    whole = [item["code"] for item in _page(api, 500)["items"]]
    return _page(api, whole.index(code) + 1)


def _ours(page: dict[str, Any], codes: list[str]) -> list[tuple[str, bool]]:
    return [(i["code"], i["overdue"]) for i in page["items"] if i["code"] in codes]


def test_a_deadline_passing_between_pages_neither_skips_nor_repeats_the_ticket(api: Api) -> None:
    first, second, third = _urgent(api), _urgent(api), _urgent(api)  # due 10 minutes apart
    page_1 = _first_page_ending_at(api, first)
    assert _ours(page_1, [first, second, third]) == [(first, False)]
    as_of = page_1["as_of"]

    api.clock.tick(90)  # all three deadlines pass while the page is read…
    with api.transactions.write() as session:
        sweep_batch(session, now=api.clock.now)  # …and the sweep records the breaches

    page_2 = _page(api, 500, page_1["next_cursor"])
    # Ranked at page 1's instant: the two are where they stood, said overdue as of now.
    assert _ours(page_2, [first, second, third]) == [(second, True), (third, True)]
    assert page_2["as_of"] == as_of and page_2["changed"] == 0
    # A list begun now is ranked now: the three among the overdue, as every worklist has it.
    fresh = _page(api, 500)
    assert datetime.fromisoformat(fresh["as_of"]) == api.clock.now
    assert _ours(fresh, [first, second, third]) == [(first, True), (second, True), (third, True)]


def test_a_ticket_changed_between_pages_is_counted_and_the_csv_says_so(api: Api) -> None:
    first, second, third = _urgent(api), _urgent(api), _urgent(api)
    page_1 = _first_page_ending_at(api, first)
    assert page_1["changed"] == 0

    api.clock.tick(5)
    lowered = api.act(third, "update", "admin", priority="low", note="ternyata tidak mendesak")
    assert lowered.status_code == 200, lowered.text
    page_2 = _page(api, 500, page_1["next_cursor"])
    assert page_2["changed"] == 1  # its deadline moved: it may stand elsewhere than it did
    assert _ours(page_2, [first, second, third]) == [(second, False), (third, False)]

    api.clock.tick(5)
    late_comer = _urgent(api)  # filed after the list began
    response = api.client.get(
        "/api/v1/tickets.csv",
        params={"limit": 500, "cursor": page_1["next_cursor"]},
        headers=api.auth("staff"),
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Changed"] == "2"
    assert response.headers["X-As-Of"] == "2030-11-25T09:30:00+07:00"  # page 1's, city time
    rows = [r["code"] for r in csv.DictReader(io.StringIO(response.text))]
    assert late_comer in rows and first not in rows


def test_a_cursor_handed_out_before_as_of_was_kept_still_reads_the_next_page(api: Api) -> None:
    first, second = _urgent(api), _urgent(api)
    page_1 = _first_page_ending_at(api, first)
    kept = base64.urlsafe_b64decode(page_1["next_cursor"]).decode()
    older = base64.urlsafe_b64encode(kept.rpartition("|")[0].encode()).decode()
    page_2 = _page(api, 500, older)
    assert _ours(page_2, [first, second]) == [(second, False)]
    assert datetime.fromisoformat(page_2["as_of"]) == api.clock.now  # ranked now, as before


def test_a_breach_kept_after_a_later_deadline_stays_above_the_cursor(api: Api) -> None:
    """A breach recorded, then a lower priority moved the deadline to the next day: the ticket
    is overdue (``engine.queries.overdue``) and ranks first. Later pages must not take it for a
    running ticket because its deadline is ahead: it would show twice."""
    breached = _urgent(api)
    api.clock.tick(70)
    with api.transactions.write() as session:
        sweep_batch(session, now=api.clock.now)
    lowered = api.act(breached, "update", "admin", priority="low", note="tidak mendesak")
    assert lowered.status_code == 200, lowered.text
    on_time = _urgent(api)  # due within the hour: before the lowered one's new deadline
    page_1 = _first_page_ending_at(api, breached)
    assert _ours(page_1, [breached, on_time]) == [(breached, True)]

    api.clock.tick(5)
    page_2 = _page(api, 500, page_1["next_cursor"])
    assert _ours(page_2, [breached, on_time]) == [(on_time, False)]


def test_an_overdue_list_takes_in_what_fell_due_between_pages(api: Api) -> None:
    """The filters are as of now: a ticket that fell due while the pages were read is on the
    later pages of the overdue list (it ranked among the running, after every overdue one)."""
    kept = _urgent(api)  # breached, then lowered: overdue, ranked after the first by deadline
    api.clock.tick(70)
    with api.transactions.write() as session:
        sweep_batch(session, now=api.clock.now)
    lowered = api.act(kept, "update", "admin", priority="low", note="tidak mendesak")
    assert lowered.status_code == 200, lowered.text
    first, second, third = _urgent(api), _urgent(api), _urgent(api)
    api.clock.tick(45)  # the first is past its hour, the others not yet
    ours = [first, kept, second, third]
    whole = [i["code"] for i in _page_of(api, {"overdue": "true", "limit": 500})["items"]]
    assert [c for c in whole if c in ours] == [first, kept]
    page_1 = _page_of(api, {"overdue": "true", "limit": whole.index(first) + 1})
    assert _ours(page_1, ours) == [(first, True)]

    api.clock.tick(30)  # now all three are
    page_2 = _page_of(api, {"overdue": "true", "limit": 500, "cursor": page_1["next_cursor"]})
    assert _ours(page_2, ours) == [(kept, True), (second, True), (third, True)]


def test_an_at_risk_list_lets_go_of_what_became_overdue_and_takes_in_what_came_at_risk(
    api: Api,
) -> None:
    first, second, third = _urgent(api), _urgent(api), _urgent(api)  # due +60, +70, +80 min
    at_risk = {"at_risk_hours": "1"}
    whole = [i["code"] for i in _page_of(api, {**at_risk, "limit": 500})["items"]]
    assert [c for c in whole if c in (first, second, third)] == [first, second]
    page_1 = _page_of(api, {**at_risk, "limit": whole.index(first) + 1})

    api.clock.tick(55)  # the second is overdue (not at risk: past that); the third at risk
    page_2 = _page_of(api, {**at_risk, "limit": 500, "cursor": page_1["next_cursor"]})
    assert _ours(page_2, [first, second, third]) == [(third, False)]


def test_changed_counts_what_may_move_a_ticket_not_what_cannot(api: Api) -> None:
    citizens = api.submit()["code"]  # verify within a working day: ranks after the urgent one
    staffs = _urgent(api)
    page_1 = _first_page_ending_at(api, staffs)

    api.clock.tick(5)
    said = api.client.post(
        f"/api/v1/reports/{citizens}/comments",
        json={"text": "Masih macet"},
        headers={"X-Reporter-Token": api.tokens[citizens]},
    )
    assert said.status_code in (200, 201), said.text
    assert _page(api, 500, page_1["next_cursor"])["changed"] == 0  # moves no clock

    noted = api.act(citizens, "comment", "staff", note="Petugas menuju lokasi")
    assert noted.status_code == 200, noted.text
    assert _page(api, 500, page_1["next_cursor"])["changed"] == 1  # may end a clock


def test_a_catalogue_load_between_pages_counts_every_ticket_of_the_list(api: Api) -> None:
    """A load re-times every open clock (a policy's target, a calendar) with no event on any
    ticket: every ticket of the list may stand elsewhere now."""
    first, second = _urgent(api), _urgent(api)
    page_1 = _first_page_ending_at(api, first)
    listed = len(_page(api, 500)["items"])

    text = (ROOT / "catalogue" / "jakarta.yaml").read_text()
    slower = text.replace(
        "targets: {verify: 1h, assign: 2h, start: 4h, resolve: 48h, accept: 4h}",
        "targets: {verify: 3h, assign: 2h, start: 4h, resolve: 48h, accept: 4h}",
    )
    assert slower != text
    api.clock.tick(5)
    loaded = api.client.put(
        "/api/v1/admin/catalogue",
        content=slower,
        headers={**api.auth("admin"), "Content-Type": "application/yaml"},
    )
    assert loaded.status_code == 200 and loaded.json()["changed"], loaded.text

    page_2 = _page(api, 500, page_1["next_cursor"])
    assert page_2["changed"] == listed
    # Three hours to verify now: both deadlines moved two hours on, the first's behind the
    # cursor, so it shows again — what "changed" warns of.
    assert _ours(page_2, [first, second]) == [(first, False), (second, False)]
