"""Every link in a mail opens its page in the mail's language, in the text and the HTML alike:
an English mail's tracking, confirmation and unsubscribe pages in English, an Indonesian mail's
in Indonesian, whatever language the reader's browser remembers from another visit (the
``lang`` cookie the pages' switch leaves)."""

from __future__ import annotations

import html as markup
import re
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from engine.digest import digest_letter, scope_of
from engine.settings import Settings
from engine.staff import add_staff
from tests.api.conftest import MONAS, Api, each_change_mailed_at_once

LANGS = ("en", "id")
#: Every link of this service in a mail: text (up to a space) or HTML (up to the quote).
LINK = re.compile(r"http://127\.0\.0\.1:8000(/[^\s\"<>]+)")
#: The title each page a mail links to has in each language (``<title>… · Tanggap``).
TITLES: dict[str, dict[str, str]] = {
    "t": {"en": "Track a report", "id": "Lacak laporan"},
    "confirm": {"en": "Confirm e-mails about a report", "id": "Konfirmasi surel tentang laporan"},
    "unsubscribe": {"en": "E-mails about a report", "id": "Surel tentang laporan"},
    "staff": {"en": "Staff sign-in", "id": "Masuk petugas"},
}
SKIP = {"en": "Skip to content", "id": "Langsung ke isi"}


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    return each_change_mailed_at_once(api_settings)


def _other(lang: str) -> str:
    return "id" if lang == "en" else "en"


def _links(text: str, html: str) -> list[str]:
    """The links (paths with their query and fragment) of a mail's text, then its HTML."""
    found = LINK.findall(text) + [markup.unescape(link) for link in LINK.findall(html)]
    assert LINK.findall(text) and LINK.findall(html), (text, html)
    return found


def _opens_in(api: Api, link: str, lang: str) -> str:
    """Open ``link`` as a reader whose browser remembers the other language; assert that the
    page is in ``lang`` and return which page it is (``t``, ``confirm`` …)."""
    parts = urlsplit(link)
    assert parse_qs(parts.query).get("lang") == [lang], link
    page = parts.path.split("/")[1]
    api.client.cookies.clear()
    api.client.cookies.set("lang", _other(lang))
    opened = api.client.get(f"{parts.path}?{parts.query}")  # a browser never sends #fragment
    assert opened.status_code == 200, (link, opened.text)
    assert f'<html lang="{lang}">' in opened.text, link
    assert f"<title>{TITLES[page][lang]} · Tanggap</title>" in opened.text, link
    assert SKIP[lang] in opened.text and SKIP[_other(lang)] not in opened.text
    return page


def _mail_pages(api: Api, code: str, kind: str, to: str, lang: str) -> list[str]:
    """The pages each link of every ``kind`` mail to ``to`` about ``code`` opens (asserting
    each opens in ``lang``), and that the mails are in ``lang``."""
    mails = [
        (language, body, html)
        for recipient, language, body, html in api.notifications(
            code, kind, lambda n: (n.recipient, n.language, n.body, n.html_body or "")
        )
        if recipient == to
    ]
    assert mails, f"no {kind} mail to {to}"
    pages = []
    for language, body, html in mails:
        assert language == lang
        pages += [_opens_in(api, link, lang) for link in _links(body, html)]
    return pages


@pytest.mark.parametrize("lang", LANGS)
def test_status_and_confirmation_mail_links_open_in_the_mail_s_language(
    api: Api, lang: str
) -> None:
    code = api.submit(email="sari@warga.example", language=lang)["code"]
    said = api.client.post(
        f"/api/v1/reports/{code}/supporters",
        json={"email": "budi@warga.example", "language": lang},
    )
    assert said.status_code == 200, said.text
    pages = _mail_pages(api, code, "follow_confirmation", "budi@warga.example", lang)
    assert sorted(set(pages)) == ["confirm", "t"]
    api.confirm(code, "budi@warga.example")
    api.drive(code, "verify", "assign", "start", "resolve")

    for reader in ("sari@warga.example", "budi@warga.example"):
        pages = _mail_pages(api, code, "citizen_update", reader, lang)
        assert sorted(set(pages)) == ["t", "unsubscribe"]
    # The List-Unsubscribe header's address, which a mail client POSTs to (and may show).
    headers = api.notifications(code, "citizen_update", lambda n: n.unsubscribe_url or "")
    assert headers
    for url in headers:
        assert _opens_in(api, url.removeprefix("http://127.0.0.1:8000"), lang) == "unsubscribe"


@pytest.mark.parametrize("lang", LANGS)
def test_a_duplicate_s_mails_link_the_report_that_stands_in_the_mail_s_language(
    api: Api, lang: str
) -> None:
    standing = api.submit()["code"]
    duplicate = api.submit(email="sari@warga.example", language=lang)["code"]
    said = api.client.post(
        f"/api/v1/reports/{duplicate}/supporters",
        json={"email": "budi@warga.example", "language": lang},
    )
    assert said.status_code == 200, said.text
    marked = api.act(duplicate, "mark_duplicate", "admin", duplicate_of=standing)
    assert marked.status_code == 200, marked.text

    # The reporter's mail about the marking: its own page, the one that stands, the stop.
    ((body, html),) = api.notifications(
        duplicate, "citizen_update", lambda n: (n.body, n.html_body or "")
    )
    assert any(f"/t/{standing}?" in link for link in _links(body, html))
    pages = _mail_pages(api, duplicate, "citizen_update", "sari@warga.example", lang)
    assert sorted(set(pages)) == ["t", "unsubscribe"]
    # The follower's waiting confirmation, re-worded to name the report that stands.
    ((body, html),) = api.notifications(
        duplicate, "follow_confirmation", lambda n: (n.body, n.html_body or "")
    )
    assert any(f"/t/{standing}?" in link for link in _links(body, html))
    pages = _mail_pages(api, duplicate, "follow_confirmation", "budi@warga.example", lang)
    assert sorted(set(pages)) == ["confirm", "t"]


@pytest.mark.parametrize("lang", LANGS)
def test_the_receipt_of_a_staff_filing_links_in_the_caller_s_language(api: Api, lang: str) -> None:
    body = {
        "category": "traffic_jam",
        "description": "Pelapor datang ke kantor",
        "lat": MONAS[0],
        "lon": MONAS[1],
        "email": "harun@warga.example",
        "language": lang,
    }
    filed = api.client.post("/api/v1/tickets", json=body, headers=api.auth("staff"))
    assert filed.status_code == 201, filed.text
    code = filed.json()["code"]
    pages = _mail_pages(api, code, "reporter_receipt", "harun@warga.example", lang)
    # The private link (its token in the fragment), the public one, the stop.
    assert sorted(pages) == ["t", "t", "t", "t", "unsubscribe", "unsubscribe"]
    ((text,),) = api.notifications(code, "reporter_receipt", lambda n: (n.body,))
    assert f"/t/{code}?lang={lang}#token=" in text


@pytest.mark.parametrize("lang", LANGS)
def test_a_digest_s_links_open_the_staff_page_in_the_digest_s_language(
    api: Api, api_settings: Settings, lang: str
) -> None:
    code = api.submit()["code"]
    later = api.clock.now + timedelta(days=10)  # its verification long overdue
    with api.transactions.write() as session:
        staff = add_staff(
            session,
            email="kepala@dishub.example",
            name="Kepala",
            role="supervisor",
            agency="DISHUB",
            now=api.clock.now,
        )
        scope = scope_of(session, staff)
        assert scope is not None
        letter = digest_letter(session, staff, scope, now=later, settings=api_settings, lang=lang)
    links = _links(letter.body, letter.html)
    assert f"/staff/tickets/{code}?lang={lang}" in links
    for link in links:
        # Not signed in: the sign-in page, in the digest's language, then back to the ticket.
        assert _opens_in(api, link, lang) == "staff"
        asked = api.client.get(link, follow_redirects=False)
        assert asked.status_code == 303
        assert f"lang={lang}" in unquote(asked.headers["location"].partition("next=")[2])
