"""The confirmation page of an address that followed a report since marked a duplicate says how
the report that stands is as its mail says it: "being handled" only while it is, and nothing
that names it once the public may not see it."""

from __future__ import annotations

import pytest

from engine.settings import Settings
from tests.api.conftest import Api, each_change_mailed_at_once

#: How the report that stands ended, as the steps that take it there (None: still open).
ENDINGS: dict[str, tuple[str, ...]] = {
    "open": (),
    "resolved": ("verify", "assign", "start", "resolve"),
    "closed": ("verify", "assign", "start", "resolve", "close"),
    "rejected": ("reject",),
}
HANDLED = {"en": "which is being handled", "id": "yang sedang ditangani"}


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    return each_change_mailed_at_once(api_settings)


def _page(text: str) -> str:
    return " ".join(text.split())


def _marked(api: Api, address: str) -> tuple[str, str, str]:
    """A report that stands, and one ``address`` said "me too" on, marked its duplicate:
    (standing, duplicate, the path of the confirmation link ``address`` was mailed)."""
    standing = api.submit(email="alice@warga.example")["code"]
    duplicate = api.submit(email="bob@warga.example")["code"]
    said = api.client.post(f"/api/v1/reports/{duplicate}/supporters", json={"email": address})
    assert said.status_code == 200, said.text
    (link,) = api.confirmation_links(duplicate, address)
    marked = api.act(duplicate, "mark_duplicate", "admin", duplicate_of=standing)
    assert marked.status_code == 200, marked.text
    return standing, duplicate, link.partition("?")[0]


@pytest.mark.parametrize("ending", ENDINGS)
def test_the_confirm_page_says_being_handled_only_while_the_standing_report_is(
    api: Api, ending: str
) -> None:
    standing, duplicate, link = _marked(api, "dave@warga.example")
    api.drive(standing, *ENDINGS[ending])
    handled = ending == "open"

    asked = {
        "en": (
            f"Report {duplicate} was found to be the same problem as report {standing}"
            + (", which is being handled," if handled else "")
            + " and will not change again."
        ),
        "id": (
            f"Laporan {duplicate} dinyatakan sama dengan laporan {standing}"
            + (", yang sedang ditangani," if handled else "")
            + " dan tidak akan berubah lagi."
        ),
    }
    for lang, words in asked.items():
        page = _page(api.client.get(link, params={"lang": lang}).text)
        assert words in page
        assert (HANDLED[lang] in page) is handled
        assert f'href="/t/{standing}"' in page

    confirmed = _page(api.client.post(link, params={"lang": "en"}).text)
    assert (
        f"Confirmed. Report {duplicate} was found to be the same problem as report {standing}"
        + (", which is being handled" if handled else "")
        + f": this address now gets an e-mail each time report {standing} changes."
    ) in confirmed
    assert (HANDLED["en"] in confirmed) is handled
    assert f'href="/t/{standing}"' in confirmed


@pytest.mark.parametrize("ending", ["open", "resolved"])
def test_the_confirmed_page_in_indonesian_says_being_handled_only_while_it_is(
    api: Api, ending: str
) -> None:
    standing, duplicate, link = _marked(api, "dave@warga.example")
    api.drive(standing, *ENDINGS[ending])
    handled = ending == "open"
    confirmed = _page(api.client.post(link, params={"lang": "id"}).text)
    assert (
        f"Terkonfirmasi. Laporan {duplicate} dinyatakan sama dengan laporan {standing}"
        + (", yang sedang ditangani" if handled else "")
        + f": alamat ini kini menerima surel setiap kali laporan {standing} berubah."
    ) in confirmed
    assert (HANDLED["id"] in confirmed) is handled


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            "Confirmed. Report {duplicate} was found to be the same problem as another report, "
            "which the public may not see now, and will not change again.",
        ),
        (
            "id",
            "Terkonfirmasi. Laporan {duplicate} dinyatakan sama dengan laporan lain, yang "
            "sekarang tidak ditampilkan untuk umum, dan tidak akan berubah lagi.",
        ),
    ],
)
def test_the_confirmed_page_names_no_standing_report_the_public_may_not_see(
    api: Api, lang: str, words: str
) -> None:
    """The standing report's own reporter said "me too" on the duplicate; it was taken off
    the public record before she confirmed. Her address follows it (her own report), but the
    page may not name it, nor call it "being handled", nor link to a page that will not open."""
    standing, duplicate, link = _marked(api, "alice@warga.example")
    hidden = api.act(standing, "unpublish", "admin", note="memuat nama petugas")
    assert hidden.status_code == 200, hidden.text

    confirmed = api.client.post(link, params={"lang": lang})
    assert confirmed.status_code == 200, confirmed.text
    page = _page(confirmed.text)
    assert words.format(duplicate=duplicate) in page
    assert standing not in page
    assert HANDLED[lang] not in page
    assert f'href="/t/{duplicate}"' in page  # the duplicate's own page still opens
