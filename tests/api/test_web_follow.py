"""The tracking page offers a visitor to follow the report ("Saya juga" and an optional e-mail)
while the report is open and the public may see it; a report past that says why not, and the
nearby list's "follow" link lands on the section. (The flow: tests/browser/test_follow.py.)"""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import MONAS, Api

FORM = '<form id="follow-form" method="post" novalidate>'

#: The open states, and how a report gets there from submitted.
OPEN = {
    "submitted": (),
    "verified": ("verify",),
    "assigned": ("verify", "assign"),
    "in_progress": ("verify", "assign", "start"),
    "on_hold": ("verify", "assign", "start", "hold"),
}


@pytest.mark.parametrize("state", sorted(OPEN))
def test_an_open_public_report_offers_to_follow_it_in_indonesian(api: Api, state: str) -> None:
    code = api.submit()["code"]
    api.drive(code, *OPEN[state])
    html = api.client.get(f"/t/{code}").text
    assert '<h2 id="follow-title">Ikuti laporan ini</h2>' in html
    assert FORM in html
    assert '<label for="follow-email">E-mail Anda (tidak wajib)</label>' in html
    # What the address is for, and that a confirmation mail comes first.
    assert "menerima e-mail setiap kali laporan ini berubah" in html
    assert "E-mail konfirmasi datang lebih dulu" in html
    assert '<option value="id" lang="id" selected>Bahasa Indonesia</option>' in html
    assert '<option value="en" lang="en">English</option>' in html
    # Disabled until the page's script runs (it is what sends it); <noscript> says so.
    assert '<button type="submit" id="follow-send" class="primary" disabled>Saya juga</button>' in (
        html
    )
    assert "Tombol ini memerlukan JavaScript" in html
    assert '<dd id="supporters">0</dd>' in html
    assert '<script src="/static/js/follow.js"></script>' in html
    assert "tidak bisa didukung atau diikuti lagi" not in html


def test_an_open_public_report_offers_to_follow_it_in_english(api: Api) -> None:
    code = api.submit()["code"]
    html = api.client.get(f"/t/{code}?lang=en").text
    assert '<h2 id="follow-title">Follow this report</h2>' in html
    assert FORM in html
    assert '<label for="follow-email">Your e-mail (optional)</label>' in html
    assert "get an e-mail each time this report changes" in html
    assert "A confirmation e-mail comes first" in html
    assert '<option value="en" lang="en" selected>English</option>' in html
    assert '<option value="id" lang="id">Bahasa Indonesia</option>' in html
    assert '<button type="submit" id="follow-send" class="primary" disabled>Me too</button>' in html
    # The script's words after an answer, in the page's language.
    assert "Supporters of this report now: {count}." in html
    assert "A confirmation e-mail is on its way to {email}" in html


@pytest.mark.parametrize(
    ("steps", "id_words", "en_words"),
    [
        (
            ("verify", "assign", "start", "resolve"),
            "Petugas sudah menandai laporan ini selesai",
            "The office marked this report as resolved",
        ),
        (
            ("verify", "assign", "start", "resolve", "close"),
            "Laporan ini sudah ditutup dan tidak bisa didukung atau diikuti lagi.",
            "This report is closed and can no longer be supported or followed.",
        ),
        (
            ("reject",),
            "Laporan ini ditolak dan tidak bisa didukung atau diikuti lagi.",
            "This report was rejected and can no longer be supported or followed.",
        ),
    ],
    ids=["resolved", "closed", "rejected"],
)
def test_a_report_past_open_says_why_it_cannot_be_followed_and_offers_a_new_report(
    api: Api, steps: tuple[str, ...], id_words: str, en_words: str
) -> None:
    code = api.submit()["code"]
    api.drive(code, *steps)
    # The API refuses a "me too" here: the page offers none.
    refused = api.client.post(f"/api/v1/reports/{code}/supporters")
    assert refused.status_code == 422, refused.text
    for lang, words, new in (
        ("id", id_words, "Kirim laporan baru"),
        ("en", en_words, "Send a new report"),
    ):
        html = api.client.get(f"/t/{code}?lang={lang}").text
        assert 'id="follow-form"' not in html
        assert 'id="follow-send"' not in html
        assert re.search(rf'<p id="follow" class="follow-closed">{re.escape(words)}', html)
        assert f'<a href="/">{new}</a></p>' in html


def test_a_duplicate_points_to_the_report_its_followers_now_follow(api: Api) -> None:
    parent = api.submit()["code"]
    child = api.submit()["code"]
    marked = api.act(child, "mark_duplicate", "admin", duplicate_of=parent)
    assert marked.status_code == 200, marked.text
    for lang, words, link in (
        ("id", "Laporan ini sama dengan laporan lain", f"ikuti laporan {parent}"),
        ("en", "This report is the same as another one", f"follow report {parent}"),
    ):
        html = api.client.get(f"/t/{child}?lang={lang}").text
        assert 'id="follow-form"' not in html
        assert f'<p id="follow" class="follow-closed">{words}' in html
        assert f'<a href="/t/{parent}#follow">{link}</a>' in html
    # ... where the form is.
    assert FORM in api.client.get(f"/t/{parent}").text


def test_a_duplicate_of_a_report_the_public_may_not_see_claims_no_followers_moved(
    api: Api,
) -> None:
    """A tester's report: the page said its followers now follow "that one" and named none;
    nobody is moved to a report the public may not see (``following.carry_followers``)."""
    parent = api.submit()["code"]  # of the same category: a pungli complaint would be refused
    hidden = api.act(parent, "unpublish", "admin", note="memuat nama petugas")
    assert hidden.status_code == 200, hidden.text
    child = api.submit()["code"]
    marked = api.act(child, "mark_duplicate", "admin", duplicate_of=parent)
    assert marked.status_code == 200, marked.text
    # A tester's report: it said the other one "is being handled" even once it was rejected;
    # the page cannot say how a report the public may not see stands, so it claims nothing.
    rejected = api.act(parent, "reject", "admin", note="spam")
    assert rejected.status_code == 200, rejected.text
    for lang, words in (
        ("en", "This report is the same as another one, which the public may not see. If you "
         "see another problem:"),
        ("id", "Laporan ini sama dengan laporan lain, yang tidak ditampilkan untuk umum. Jika "
         "Anda melihat masalah lain:"),
    ):  # fmt: skip
        html = api.client.get(f"/t/{child}?lang={lang}").text
        assert f'<p id="follow" class="follow-closed">{words}' in html
        assert "now follow" not in html and parent not in html
        assert "being handled" not in html and "sedang ditangani" not in html


def test_a_non_public_report_s_page_is_its_reporter_s_and_offers_no_following(api: Api) -> None:
    code = api.submit(category="illegal_levy", description="Diminta uang di loket")["code"]
    assert api.client.get(f"/t/{code}").status_code == 404
    for lang in ("id", "en"):
        own = api.client.post(f"/t/{code}", params={"lang": lang}, data={"token": api.tokens[code]})
        assert own.status_code == 200, own.text
        assert 'id="comment-form"' in own.text  # the reporter's page indeed
        assert 'id="follow"' not in own.text
        assert "follow.js" not in own.text
    # The API would answer a "me too" as for an unknown code.
    assert api.client.post(f"/api/v1/reports/{code}/supporters").status_code == 404


def test_the_nearby_list_s_follow_link_lands_on_the_section(api: Api) -> None:
    code = api.submit(category="flood", description="Banjir di halte")["code"]
    for lang, words in (("id", "Ikuti laporan ini"), ("en", "Follow this report")):
        html = api.client.get(
            "/web/nearby",
            params={"category": "flood", "lat": MONAS[0], "lon": MONAS[1], "lang": lang},
        ).text
        assert f'<a class="button secondary" href="/t/{code}#follow">{words}</a>' in html


def test_a_duplicates_waiting_mail_worded_anew_says_being_handled_only_while_it_is(
    api: Api,
) -> None:
    """A tester's report: a duplicate's mail said the report that stands "is being handled"
    whatever it had become. Worded anew (``rewording``: a catalogue reload) once that one was
    rejected, the mail still waiting says no such thing."""
    from sqlalchemy import select

    from engine import rewording
    from engine.models import Notification, Ticket

    parent = api.submit()["code"]
    child = api.submit(email="anak@example.id", language="en")["code"]
    assert api.act(child, "mark_duplicate", "admin", duplicate_of=parent).status_code == 200
    (first,) = api.notifications(child, "citizen_update", lambda n: n.body)
    assert "which is being handled" in first  # the control: it is, when marked
    assert api.act(parent, "reject", "admin", note="bukan masalah").status_code == 200
    with api.transactions.write() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.code == child)).one()
        rewording.reread_waiting(session, ticket, api.clock.now, cause="test")
        row = session.scalars(select(Notification).where(Notification.ticket_id == ticket.id)).one()
        assert row.status == "pending" and row.html_body is not None
        assert f"same as report {parent}" in row.body
        assert "being handled" not in row.body and "being handled" not in row.html_body
