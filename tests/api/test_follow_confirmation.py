"""Double opt-in: an address given to follow a report after its submission (a "me too", the
reporter's subscribe) gets one mail asking its owner to confirm, and nothing else until the
owner does, on the page the mail links to (GET asks, POST confirms)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.models import Subscription, Ticket
from engine.settings import Settings
from tests.api.conftest import Api, each_change_mailed_at_once


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    """Each change's mail on its own (``each_change_mailed_at_once``)."""
    return each_change_mailed_at_once(api_settings)


def _updated(api: Api, code: str, before: int) -> list[str]:
    """Who was mailed about the changes since the first ``before`` status mails."""
    return [recipient for recipient, _, _ in api.mails(code)[before:]]


def _everything_to(api: Api, code: str, address: str) -> list[str]:
    """The kind of every mail queued to ``address`` about ``code``, oldest first."""
    return [
        kind
        for kind in ("follow_confirmation", "citizen_update")
        for recipient, _, _ in api.mails(code, kind)
        if recipient == address
    ]


def test_me_too_with_an_email_is_asked_once_and_mailed_updates_only_after_confirming(
    api: Api,
) -> None:
    code = api.submit(email="sari@warga.example")["code"]
    said = api.client.post(
        f"/api/v1/reports/{code}/supporters", json={"email": "Budi@Warga.example"}
    )
    assert said.status_code == 200, said.text

    ((to, lang, subject),) = api.mails(code, "follow_confirmation")
    assert (to, lang) == ("budi@warga.example", "id")
    assert subject == f"[Tanggap] Konfirmasi surel tentang laporan {code}"
    ((body, html),) = api.notifications(
        code, "follow_confirmation", lambda n: (n.body, n.html_body or "")
    )
    (link,) = api.confirmation_links(code, "budi@warga.example")
    assert f"tentang laporan {code} (Kemacetan)" in body
    assert f"Untuk menerima surel ini, konfirmasi di sini: http://127.0.0.1:8000{link}" in body
    assert "abaikan surel ini: tidak ada surel lagi ke alamat ini tentang laporan ini" in body
    assert f"http://127.0.0.1:8000/t/{code}" in body
    assert "Sari" not in body + html and "sari@" not in body + html  # who asked is not told
    assert "/unsubscribe/" not in body  # nothing to stop: ignoring it is enough

    api.drive(code, "verify")
    assert _updated(api, code, 0) == ["sari@warga.example"]

    page = api.client.get(link)  # a mail scanner, or the owner reading before deciding
    assert page.status_code == 200
    assert f"Terima surel tentang laporan {code}?" in page.text
    assert '<form method="post">' in page.text
    assert "budi" not in page.text
    before = len(api.mails(code))
    api.drive(code, "assign")
    assert _updated(api, code, before) == ["sari@warga.example"]

    confirmed = api.client.post(link)
    assert confirmed.status_code == 200
    assert "Terkonfirmasi" in confirmed.text
    assert f"Alamat ini kini menerima surel setiap kali laporan {code} berubah" in confirmed.text
    before = len(api.mails(code))
    api.drive(code, "start")
    assert _updated(api, code, before) == ["sari@warga.example", "budi@warga.example"]
    assert _everything_to(api, code, "budi@warga.example") == [
        "follow_confirmation",
        "citizen_update",
    ]

    used = api.client.post(link)  # the link is used up
    assert used.status_code == 404 and "Tautan tidak berlaku" in used.text


def test_reporter_subscribing_an_address_asks_its_owner_in_their_language(api: Api) -> None:
    code = api.submit(email="sari@warga.example")["code"]
    headers = {"X-Reporter-Token": api.tokens[code]}
    added = api.client.post(
        f"/api/v1/reports/{code}/subscriptions",
        json={"email": "ani@warga.example", "language": "en"},
        headers=headers,
    )
    assert added.status_code == 200, added.text
    assert (added.json()["followers"], added.json()["pending"]) == (1, 1)

    ((to, lang, subject),) = api.mails(code, "follow_confirmation")
    assert (to, lang, subject) == (
        "ani@warga.example",
        "en",
        f"[Tanggap] Confirm e-mails about report {code}",
    )
    ((body,),) = api.notifications(code, "follow_confirmation", lambda n: (n.body,))
    (link,) = api.confirmation_links(code, "ani@warga.example")
    assert f"to be told about report {code} (Traffic jam)" in body
    assert f"To get these e-mails, confirm here: http://127.0.0.1:8000{link}" in body
    assert "ignore this e-mail: nothing more will be sent to this address" in body

    api.drive(code, "verify")
    assert _updated(api, code, 0) == ["sari@warga.example"]
    # The page answers in the language the address was subscribed in.
    assert f"Get e-mails about report {code}?" in api.client.get(link).text

    api.client.cookies.clear()
    assert "This address now gets an e-mail" in api.client.post(link).text
    view = api.client.get(f"/api/v1/reports/{code}/private", headers=headers).json()
    assert (view["followers"], view["pending"]) == (2, 0)
    before = len(api.mails(code))
    api.drive(code, "assign")
    assert _updated(api, code, before) == ["sari@warga.example", "ani@warga.example"]
    ((_, lang, subject),) = [m for m in api.mails(code)[before:] if m[0] == "ani@warga.example"]
    assert (lang, subject) == ("en", f"[Tanggap] Report {code}: Assigned")


def test_repeats_within_a_day_send_one_confirmation_mail(api: Api) -> None:
    code = api.submit()["code"]
    url = f"/api/v1/reports/{code}/supporters"
    headers = {"X-Reporter-Token": api.tokens[code]}
    for _ in range(3):
        assert api.client.post(url, json={"email": "budi@warga.example"}).status_code == 200
        api.clock.tick(60)
    for lang in ("id", "en"):
        followed = api.client.post(
            f"/api/v1/reports/{code}/subscriptions",
            json={"email": "BUDI@warga.example", "language": lang},
            headers=headers,
        )
        assert followed.status_code == 200, followed.text
        api.clock.tick(60 * 10)
    assert len(api.confirmation_links(code, "budi@warga.example")) == 1

    api.clock.tick(60 * 10)  # a day and more since the first mail: one reminder is fair
    api.client.post(url, json={"email": "budi@warga.example"})
    first, second = api.confirmation_links(code, "budi@warga.example")
    # The first mail's link still works (the second's in the language the address was last
    # given in: English, which the repeat that named none kept).
    assert first.partition("?")[0] == second.partition("?")[0]
    assert (first.partition("?")[2], second.partition("?")[2]) == ("lang=id", "lang=en")
    api.client.post(url, json={"email": "budi@warga.example"})
    assert len(api.confirmation_links(code, "budi@warga.example")) == 2


def test_an_address_that_follows_already_is_left_as_it_is(api: Api) -> None:
    code = api.submit(email="sari@warga.example", language="en")["code"]
    url = f"/api/v1/reports/{code}/supporters"
    api.client.post(url, json={"email": "budi@warga.example"})
    api.confirm(code, "budi@warga.example")
    api.clock.tick(60 * 25)
    # Neither the reporter's own address nor a confirmed follower is asked (again), nor is
    # the language it reads its mail in changed by whoever gives it.
    for address in ("sari@warga.example", "budi@warga.example"):
        api.client.post(url, json={"email": address, "language": "en"})
    assert [to for to, _, _ in api.mails(code, "follow_confirmation")] == ["budi@warga.example"]
    api.drive(code, "verify")
    assert [(to, lang) for to, lang, _ in api.mails(code)] == [
        ("sari@warga.example", "en"),
        ("budi@warga.example", "id"),
    ]


def test_an_address_that_stopped_the_mail_is_not_turned_back_on_by_someone_else(
    api: Api,
) -> None:
    code = api.submit()["code"]
    url = f"/api/v1/reports/{code}/supporters"
    api.client.post(url, json={"email": "budi@warga.example"})
    api.confirm(code, "budi@warga.example")
    api.drive(code, "verify")
    ((_, unsubscribe),) = api.notifications(
        code, "citizen_update", lambda n: (n.recipient, n.unsubscribe_url or "")
    )
    assert api.client.post(unsubscribe.removeprefix("http://127.0.0.1:8000")).status_code == 200

    api.clock.tick(60 * 25)
    api.client.post(url, json={"email": "budi@warga.example"})
    before = len(api.mails(code))
    api.drive(code, "assign")
    assert _updated(api, code, before) == []
    # Its owner is asked again, and only their confirmation turns the mail back on.
    assert len(api.confirmation_links(code, "budi@warga.example")) == 2
    api.confirm(code, "budi@warga.example")
    api.drive(code, "start")
    assert _updated(api, code, before) == ["budi@warga.example"]


@pytest.mark.parametrize(
    "token",
    ["nope", "A" * 32, "A" * 65, "abc%00def", "abc%20def", "%F0%9F%98%80" * 8],
)
def test_a_confirmation_link_that_is_not_ours_is_a_404_page_and_confirms_nothing(
    api: Api, token: str
) -> None:
    code = api.submit()["code"]
    api.client.post(f"/api/v1/reports/{code}/supporters", json={"email": "budi@warga.example"})
    for response in (
        api.client.get(f"/confirm/{token}"),
        api.client.post(f"/confirm/{token}"),
    ):
        assert response.status_code == 404
        assert "Tautan tidak berlaku" in response.text
        assert "Tautan konfirmasi ini bukan dari kami" in response.text
    api.drive(code, "verify")
    assert api.mails(code) == []


def test_a_confirmation_link_of_an_address_the_reporter_removed_confirms_nothing(
    api: Api,
) -> None:
    code = api.submit()["code"]
    headers = {"X-Reporter-Token": api.tokens[code]}
    api.client.post(
        f"/api/v1/reports/{code}/subscriptions",
        json={"email": "ani@warga.example"},
        headers=headers,
    )
    (link,) = api.confirmation_links(code, "ani@warga.example")
    removed = api.client.delete(
        f"/api/v1/reports/{code}/subscriptions/ani@warga.example", headers=headers
    )
    assert removed.json()["pending"] == 0
    assert api.client.post(link).status_code == 404
    api.drive(code, "verify")
    assert api.mails(code) == []


def test_the_reporter_token_cannot_stop_a_neighbours_me_too(api: Api) -> None:
    """A tester's report: the reporter's token removed a neighbour who had said "me too" and
    confirmed, and the follower count in the answer told whether an address followed."""
    code = api.submit(email="sari@warga.example")["code"]
    headers = {"X-Reporter-Token": api.tokens[code]}
    said = api.client.post(
        f"/api/v1/reports/{code}/supporters", json={"email": "budi@warga.example"}
    )
    assert said.status_code == 200, said.text
    (link,) = api.confirmation_links(code, "budi@warga.example")
    assert api.client.post(link).status_code == 200
    view = api.client.get(f"/api/v1/reports/{code}/private", headers=headers).json()

    neighbour = api.client.delete(
        f"/api/v1/reports/{code}/subscriptions/budi@warga.example", headers=headers
    )
    nobody = api.client.delete(
        f"/api/v1/reports/{code}/subscriptions/tidak.ada@warga.example", headers=headers
    )

    assert neighbour.status_code == nobody.status_code == 200
    assert neighbour.json() == nobody.json()  # the same answer: it tells nothing
    assert neighbour.json()["followers"] == view["followers"] == 2
    before = len(api.mails(code))
    api.drive(code, "verify")
    assert sorted(_updated(api, code, before)) == ["budi@warga.example", "sari@warga.example"]
    # Nor does it take back the neighbour's status mail while it waits to be sent.
    again = api.client.delete(
        f"/api/v1/reports/{code}/subscriptions/budi@warga.example", headers=headers
    )
    assert again.status_code == 200
    statuses = api.notifications(code, "citizen_update", lambda n: (n.recipient, n.status))
    assert ("budi@warga.example", "pending") in statuses

    # The control: an address the reporter added is theirs to stop.
    api.client.post(
        f"/api/v1/reports/{code}/subscriptions",
        json={"email": "adik@warga.example"},
        headers=headers,
    )
    (added,) = api.confirmation_links(code, "adik@warga.example")
    assert api.client.post(added).status_code == 200
    stopped = api.client.delete(
        f"/api/v1/reports/{code}/subscriptions/adik@warga.example", headers=headers
    )
    assert stopped.json()["followers"] == 2


def test_an_address_confirmed_after_its_report_was_marked_a_duplicate_follows_the_one_that_stands(
    api: Api,
) -> None:
    """A tester's report: Dave said "me too" on B, B was marked a duplicate of A, then Dave
    confirmed. The page said he would hear of B's changes (B will not change again), and A's
    mail never reached him. He now follows A, told so on the page."""
    standing = api.submit(email="alice@warga.example")["code"]
    duplicate = api.submit(email="bob@warga.example")["code"]
    said = api.client.post(
        f"/api/v1/reports/{duplicate}/supporters", json={"email": "dave@warga.example"}
    )
    assert said.status_code == 200, said.text
    marked = api.act(duplicate, "mark_duplicate", "admin", duplicate_of=standing)
    assert marked.status_code == 200, marked.text

    (link,) = api.confirmation_links(duplicate, "dave@warga.example")
    confirmed = api.client.post(link, params={"lang": "en"})
    assert confirmed.status_code == 200, confirmed.text
    assert (
        f"Report {duplicate} was found to be the same problem as report {standing}, which is "
        f"being handled: this address now gets an e-mail each time report {standing} changes."
    ) in " ".join(confirmed.text.split())
    assert f'href="/t/{standing}"' in confirmed.text

    before = len(api.mails(standing))
    api.drive(standing, "verify")
    assert sorted(_updated(api, standing, before)) == [
        "alice@warga.example",
        "bob@warga.example",
        "dave@warga.example",
    ]
    (dave,) = [
        body
        for to, body in api.notifications(
            standing, "citizen_update", lambda n: (n.recipient, n.body)
        )
        if to == "dave@warga.example"
    ]
    assert (
        f"karena Anda mengikuti laporan {duplicate}, yang dinyatakan sama dengan laporan ini"
        in dave
    )


def _confirmations(api: Api, code: str) -> dict[str, tuple[str, str, str, str, str]]:
    """Each confirmation mail about ``code`` by recipient: (status, subject, text, HTML, why
    not sent)."""
    return {
        to: (status, subject, body, html, why)
        for to, status, subject, body, html, why in api.notifications(
            code,
            "follow_confirmation",
            lambda n: (
                n.recipient,
                n.status,
                n.subject,
                n.body,
                n.html_body or "",
                n.last_error or "",
            ),
        )
    }


def test_a_confirmation_waiting_when_its_report_is_marked_a_duplicate_names_the_one_that_stands(
    api: Api,
) -> None:
    """A tester's report: Ani's and Budi's confirmation mails about report B still waited when
    B was marked a duplicate of A; they went out as they were, asking to confirm e-mails about
    B, which will not change again, while confirming gives A's news. The waiting mail now says
    B was found to be the same problem as A and that confirming gives A's news, with the same
    link; one whose confirming would give no news at all is not sent."""
    standing = api.submit(email="alice@warga.example")["code"]
    duplicate = api.submit(category="broken_traffic_light", email="bob@warga.example")["code"]
    headers = {"X-Reporter-Token": api.tokens[duplicate]}
    added = api.client.post(
        f"/api/v1/reports/{duplicate}/subscriptions",
        json={"email": "ani@warga.example", "language": "en"},
        headers=headers,
    )
    assert added.status_code == 200, added.text
    for address in ("budi@warga.example", "cici@warga.example"):
        said = api.client.post(f"/api/v1/reports/{duplicate}/supporters", json={"email": address})
        assert said.status_code == 200, said.text
    # Cici follows the standing report already, and stopped its mail: her word stands there.
    api.client.post(f"/api/v1/reports/{standing}/supporters", json={"email": "cici@warga.example"})
    api.confirm(standing, "cici@warga.example")
    with api.transactions.read() as session:
        stop = session.scalars(
            select(Subscription.unsubscribe_token)
            .join(Ticket, Ticket.id == Subscription.ticket_id)
            .where(Ticket.code == standing, Subscription.email == "cici@warga.example")
        ).one()
    assert api.client.post(f"/unsubscribe/{stop}").status_code == 200
    (ani_link,) = api.confirmation_links(duplicate, "ani@warga.example")
    (budi_link,) = api.confirmation_links(duplicate, "budi@warga.example")

    marked = api.act(duplicate, "mark_duplicate", "admin", duplicate_of=standing)
    assert marked.status_code == 200, marked.text

    mails = _confirmations(api, duplicate)
    status, subject, body, html, _ = mails["ani@warga.example"]
    assert status == "pending"
    assert subject == f"[Tanggap] Confirm e-mails about report {standing} (the same as {duplicate})"
    text = " ".join(body.split())
    assert (
        f"to be told about report {duplicate} (Broken traffic light). That report was then found "
        f"to be the same problem as report {standing} (Traffic jam), which is being handled: "
        f"report {duplicate} will not change again, and the news of this problem now comes from "
        f"report {standing}."
    ) in text
    assert (
        f"To get an e-mail each time the status of report {standing} changes or the staff add a "
        f"public note, confirm here: http://127.0.0.1:8000{ani_link}"
    ) in text
    assert f"Report {standing}: http://127.0.0.1:8000/t/{standing}?lang=en" in text
    assert "about this report" not in text and "To get these e-mails" not in text
    assert (
        f'<a href="http://127.0.0.1:8000{ani_link}">Confirm to get an e-mail each time report '
        f"{standing} changes</a>"
    ) in html
    assert f'<a href="http://127.0.0.1:8000/t/{standing}?lang=en">Report {standing}</a>' in html

    status, subject, body, html, _ = mails["budi@warga.example"]
    assert status == "pending"
    assert subject == (
        f"[Tanggap] Konfirmasi surel tentang laporan {standing} (sama dengan {duplicate})"
    )
    text = " ".join(body.split())
    assert (
        f"tentang laporan {duplicate} (Lampu lalu lintas (APILL) rusak). Laporan itu kemudian "
        f"dinyatakan sama dengan laporan {standing} (Kemacetan), yang sedang ditangani: laporan "
        f"{duplicate} tidak akan berubah lagi, dan kabar masalah ini kini datang dari laporan "
        f"{standing}."
    ) in text
    assert (
        f"Untuk menerima surel setiap kali status laporan {standing} berubah atau petugas "
        f"menambahkan catatan publik, konfirmasi di sini: http://127.0.0.1:8000{budi_link}"
    ) in text
    assert (
        f'<a href="http://127.0.0.1:8000{budi_link}">Konfirmasi untuk menerima surel setiap kali '
        f"laporan {standing} berubah</a>"
    ) in html

    # Confirming would bring Cici nothing: not sent, saying why.
    status, _, _, _, why = mails["cici@warga.example"]
    assert status == "failed"
    assert why.startswith(f"not sent: {duplicate} was marked a duplicate, and confirming would")

    # The page the link opens says the same, and confirming there follows the standing report.
    page = " ".join(api.client.get(budi_link).text.split())
    assert f"Terima surel tentang laporan {standing}?" in page
    assert (
        f"Laporan {duplicate} dinyatakan sama dengan laporan {standing}, yang sedang ditangani, "
        f"dan tidak akan berubah lagi."
    ) in page
    assert f'href="/t/{standing}"' in page
    assert api.client.post(budi_link).status_code == 200
    before = len(api.mails(standing))
    api.drive(standing, "verify")
    assert sorted(_updated(api, standing, before)) == [
        "alice@warga.example",
        "bob@warga.example",
        "budi@warga.example",
    ]


def test_an_address_added_to_a_duplicate_is_asked_about_the_report_that_stands(api: Api) -> None:
    standing = api.submit()["code"]
    duplicate = api.submit(email="bob@warga.example")["code"]
    assert api.act(duplicate, "mark_duplicate", "admin", duplicate_of=standing).status_code == 200
    added = api.client.post(
        f"/api/v1/reports/{duplicate}/subscriptions",
        json={"email": "adik@warga.example"},
        headers={"X-Reporter-Token": api.tokens[duplicate]},
    )
    assert added.status_code == 200, added.text
    ((status, subject, body, _, _),) = _confirmations(api, duplicate).values()
    assert status == "pending"
    assert subject == (
        f"[Tanggap] Konfirmasi surel tentang laporan {standing} (sama dengan {duplicate})"
    )
    assert f"dinyatakan sama dengan laporan {standing} (Kemacetan)" in " ".join(body.split())
