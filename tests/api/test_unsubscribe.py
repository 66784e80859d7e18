"""Every citizen mail can be stopped: a link at its foot (a page that asks, then stops), the
``List-Unsubscribe`` header a mail client turns into a button (RFC 2369 / RFC 8058 one-click
POST), and the reporter's own unsubscribe through the API really stops the reporter's mail."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.models import Notification, Subscription, Ticket
from engine.settings import Settings
from tests.api.conftest import Api, each_change_mailed_at_once

#: An unsubscribe link, in the language of the mail it is in.
LINK = re.compile(r"http://127\.0\.0\.1:8000/unsubscribe/([A-Za-z0-9_-]{32})\?lang=(id|en)")


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    """Each change's mail on its own (``each_change_mailed_at_once``)."""
    return each_change_mailed_at_once(api_settings)


def _rows(api: Api, code: str) -> list[tuple[str, str, str, str | None, str | None]]:
    """(recipient, language, body, html, unsubscribe_url) of each citizen mail, oldest first."""
    return api.notifications(
        code,
        "citizen_update",
        lambda n: (n.recipient, n.language, n.body, n.html_body, n.unsubscribe_url),
    )


def _recipients_of_last_change(api: Api, code: str, before: int) -> list[str]:
    return [row[0] for row in _rows(api, code)[before:]]


def _reported_and_followed(api: Api) -> str:
    code: str = api.submit(email="sari@warga.example", language="en")["code"]
    followed = api.client.post(
        f"/api/v1/reports/{code}/supporters", json={"email": "budi@warga.example"}
    )
    assert followed.status_code == 200, followed.text
    api.confirm(code, "budi@warga.example")  # a follower is mailed once they confirmed
    return code


def test_every_citizen_mail_carries_its_own_link_in_text_html_and_header(api: Api) -> None:
    code = _reported_and_followed(api)
    api.drive(code, "verify")

    (reporter, _, r_text, r_html, r_url), (follower, _, f_text, f_html, f_url) = _rows(api, code)
    assert (reporter, follower) == ("sari@warga.example", "budi@warga.example")
    assert r_url is not None and f_url is not None and r_url != f_url
    r_link, f_link = LINK.fullmatch(r_url), LINK.fullmatch(f_url)
    assert r_link is not None and f_link is not None
    assert (r_link[2], f_link[2]) == ("en", "id")
    # The reporter asked in English, the follower in Indonesian (the default).
    assert r_text.rstrip().endswith(f"To stop e-mails about this report: {r_url}")
    assert f_text.rstrip().endswith(f"Berhenti menerima surel tentang laporan ini: {f_url}")
    assert f'<a href="{r_url}">Stop e-mails about this report</a>' in (r_html or "")
    assert f'<a href="{f_url}">Berhenti menerima surel tentang laporan ini</a>' in (f_html or "")


def test_opening_the_link_only_asks_and_the_button_stops_that_address_only(api: Api) -> None:
    code = _reported_and_followed(api)
    api.drive(code, "verify")
    follower_url = _rows(api, code)[1][4]
    assert follower_url is not None
    path = follower_url.removeprefix("http://127.0.0.1:8000")

    page = api.client.get(path)
    assert page.status_code == 200
    assert f"Berhenti menerima surel tentang laporan {code}?" in page.text
    assert '<form method="post">' in page.text
    assert "budi" not in page.text  # the address is not shown to whoever opens the link
    before = len(_rows(api, code))
    api.drive(code, "assign")
    # A mail scanner opening the link unsubscribes nobody.
    assert _recipients_of_last_change(api, code, before) == [
        "sari@warga.example",
        "budi@warga.example",
    ]

    stopped = api.client.post(path)
    assert stopped.status_code == 200
    assert "Surel dihentikan" in stopped.text
    assert f"tidak lagi menerima surel tentang laporan {code}" in stopped.text
    again = api.client.post(path)  # a second click changes nothing and is no error
    assert again.status_code == 200 and "Surel dihentikan" in again.text
    assert "Surel dihentikan" in api.client.get(path).text

    before = len(_rows(api, code))
    api.drive(code, "start")
    assert _recipients_of_last_change(api, code, before) == ["sari@warga.example"]


def test_one_click_post_from_a_mail_client_stops_the_reporters_mail(api: Api) -> None:
    code = _reported_and_followed(api)
    api.drive(code, "verify")
    reporter_url = _rows(api, code)[0][4]
    assert reporter_url is not None
    api.client.cookies.clear()
    response = api.client.post(
        reporter_url.removeprefix("http://127.0.0.1:8000"),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    # The reporter asked in English: the page answers in English without a cookie or ?lang=.
    assert f"This address gets no more e-mails about report {code}." in response.text

    before = len(_rows(api, code))
    api.drive(code, "assign")
    assert _recipients_of_last_change(api, code, before) == ["budi@warga.example"]
    private = api.client.get(
        f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": api.tokens[code]}
    )
    assert private.json()["subscribed"] is False


@pytest.mark.parametrize(
    "token",
    ["nope", "A" * 32, "A" * 65, "abc%00def", "abc%20def", "%F0%9F%98%80" * 8],
)
def test_a_link_that_is_not_ours_is_a_404_page_and_changes_nothing(api: Api, token: str) -> None:
    code = _reported_and_followed(api)
    api.drive(code, "verify")
    for response in (
        api.client.get(f"/unsubscribe/{token}"),
        api.client.post(f"/unsubscribe/{token}"),
    ):
        assert response.status_code == 404
        assert "Tautan tidak berlaku" in response.text
    before = len(_rows(api, code))
    api.drive(code, "assign")
    assert len(_recipients_of_last_change(api, code, before)) == 2


def test_the_reporter_who_unsubscribes_with_the_token_gets_no_more_mail(api: Api) -> None:
    code = api.submit(email="sari@warga.example")["code"]
    removed = api.client.delete(
        f"/api/v1/reports/{code}/subscriptions/sari@warga.example",
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    assert removed.status_code == 200 and removed.json()["subscribed"] is False
    api.drive(code, "verify", "assign")
    assert _rows(api, code) == []


def _filed_by_staff(api: Api) -> str:
    """The code of a report staff filed for a caller who gave an e-mail (by phone)."""
    response = api.client.post(
        "/api/v1/tickets",
        json={
            "category": "traffic_jam",
            "description": "Macet, dilaporkan lewat telepon",
            "lat": -6.1754,
            "lon": 106.8272,
            "channel": "phone",
            "email": "penelepon@warga.example",
        },
        headers=api.auth("admin"),
    )
    assert response.status_code == 201, response.text
    code: str = response.json()["code"]
    return code


def test_a_reporter_filed_by_staff_gets_a_link_and_it_works(api: Api) -> None:
    code = _filed_by_staff(api)
    api.drive(code, "verify")
    ((recipient, _, body, _, url),) = _rows(api, code)
    assert recipient == "penelepon@warga.example" and url is not None
    assert body.rstrip().endswith(url)
    with api.transactions.read() as session:
        (token,) = session.scalars(
            select(Subscription.unsubscribe_token)
            .join(Ticket, Ticket.id == Subscription.ticket_id)
            .where(Ticket.code == code)
        )
    assert url.endswith(f"/unsubscribe/{token}?lang=id")
    assert api.client.post(url.removeprefix("http://127.0.0.1:8000")).status_code == 200
    before = len(_rows(api, code))
    api.drive(code, "assign")
    assert _recipients_of_last_change(api, code, before) == []
    # No outbox row of any kind went to the address after it unsubscribed: the receipt with
    # the private link (queued at the filing) and the status mail of the verify, no more.
    with api.transactions.read() as session:
        kinds = session.scalars(
            select(Notification.kind)
            .join(Ticket, Ticket.id == Notification.ticket_id)
            .where(Ticket.code == code, Notification.recipient == "penelepon@warga.example")
            .order_by(Notification.id)
        ).all()
    assert kinds == ["reporter_receipt", "citizen_update"]


def test_stopping_mail_takes_back_a_reporters_receipt_still_waiting(api: Api) -> None:
    """The receipt staff filing queues (the caller's private link) is mail about the report:
    an address that stops the mail while it waits, or between its tries, is not sent it."""
    code = _filed_by_staff(api)
    ((url,),) = api.notifications(code, "reporter_receipt", lambda n: (n.unsubscribe_url,))
    assert url is not None

    assert api.client.post(url.removeprefix("http://127.0.0.1:8000")).status_code == 200

    assert api.notifications(code, "reporter_receipt", lambda n: (n.status, n.last_error)) == [
        ("failed", "not sent: the address stopped mail about this report while the mail waited")
    ]
