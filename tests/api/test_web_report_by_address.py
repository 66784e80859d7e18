"""A report sent without the page's script, placed by its address alone (no map to tap, no
coordinates): one kelurahan found takes it and the receipt says where; several places, or only
a kecamatan or a city, come back as a choice (radio buttons, no script needed) with everything
typed kept; none is a refusal naming the address box. Photos cannot be put back into a file
box: a form that comes back says to choose them again. The search is the one the page's script
asks (``GET /api/v1/places``, ``engine.queries.places.search_address``)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from engine.models import Ticket
from tests.api.conftest import MONAS, Api
from tests.api.test_web_private import _form, _post, _tickets
from tests.conftest import make_photo

CIDENG = "Kelurahan Cideng, Kecamatan Gambir, Jakarta Pusat"
KEL_GAMBIR = "Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat"
KEC_GAMBIR = "Kecamatan Gambir, Jakarta Pusat"
PLACED = {
    "en": "Your report was put in {place}: the place found from the address you wrote",
    "id": "Laporan Anda ditempatkan di {place}: tempat yang ditemukan dari alamat yang Anda tulis",
}
PUBLIC_ADDRESS = {
    "en": "the address you wrote is shown publicly with the report",
    "id": "alamat yang Anda tulis tampil untuk umum bersama laporan",
}
PUBLIC_HINT = {
    "en": "The address is shown publicly with the report: write where the problem is, not your "
    "home address.",
    "id": "Alamat tampil untuk umum bersama laporan: tulis tempat masalahnya, bukan alamat rumah "
    "Anda.",
}
CHOOSE = {
    "en": 'Choose where the problem is among the places found for the "address" box (step 2), '
    "then send again. A kelurahan takes your report to the right office.",
    "id": 'Pilih tempat masalahnya di antara tempat yang ditemukan untuk kotak "alamat" '
    "(langkah 2), lalu kirim lagi. Kelurahan membawa laporan Anda ke kantor yang tepat.",
}
NOT_FOUND = {
    "en": 'No kelurahan, kecamatan or city of the map has the name in the "address" box. Write '
    "the name of the kelurahan or kecamatan (for example Gambir), or the coordinates.",
    "id": "Tidak ada kelurahan, kecamatan, atau kota di peta yang bernama seperti isi kotak "
    '"alamat". Tulis nama kelurahan atau kecamatannya (misalnya Gambir), atau koordinatnya.',
}
PHOTOS_AGAIN = {
    "en": "The photos you chose were not kept when the form came back: choose them again "
    "before you send.",
    "id": "Foto yang Anda pilih tidak tersimpan saat formulir kembali: pilih lagi sebelum "
    "mengirim.",
}


def _places(api: Api, q: str) -> dict[str, dict[str, Any]]:
    """The places the page's script is offered for ``q``, by label."""
    return {p["label"]: p for p in api.client.get("/api/v1/places", params={"q": q}).json()}


def _refusal(page: Any) -> str:
    said = re.search(r'<p id="form-error" class="error" role="alert">([^<]*)</p>', page.text)
    assert said is not None, page.text[:300]
    return unescape(said[1])


def _radios(page: Any) -> dict[str, bool]:
    """The place choices on the page: label → checked."""
    found = re.findall(
        r'<input type="radio" id="place-\d+" name="place" value="([^"]+)"[^>]*?( checked)?>\s*'
        r'<span aria-hidden="true">📍</span> ([^<]+?)\s*</label>',
        page.text,
    )
    return {unescape(label): bool(checked) for _code, checked, label in found}


def _filed(api: Api, page: Any) -> Ticket:
    assert page.status_code == 201, _refusal(page)
    code = re.search(r'id="receipt-code">(JKT-[0-9A-Z-]+)<', page.text)
    assert code is not None
    with api.transactions.read() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.code == code[1])).one()
        session.expunge(ticket)
        return ticket


def _placed_words(page: Any) -> str | None:
    said = re.search(r'<p id="receipt-placed" class="warning">([^<]*)</p>', page.text)
    return unescape(said[1]) if said else None


def _kept(page: Any, address: str) -> None:
    """Everything typed is on the page again (``_form``'s boxes), the address as typed."""
    text = unescape(page.text)
    box = re.search(r'<input id="address" name="address" [^>]*value="([^"]*)">', page.text)
    assert box is not None and unescape(box[1]) == address
    assert "Pungli parkir liar di depan Monas</textarea>" in text
    assert 'value="Siti Rahayu"' in text and 'value="siti.rahayu@example.id"' in text
    assert 'value="+62 812 5555 0101"' in text
    assert 'name="private" value="1" aria-describedby="private-hint" checked>' in text
    assert 'value="traffic_jam" required checked>' in text


@pytest.mark.parametrize("lang", ["en", "id"])
def test_an_address_naming_one_kelurahan_places_the_report_there_and_the_receipt_says_so(
    api: Api, lang: str
) -> None:
    address = "Jl. Cideng Barat 12, Cideng"
    page = _post(api, lang, coords="", address=address)
    ticket = _filed(api, page)
    place = _places(api, address)[CIDENG]
    assert (ticket.lat, ticket.lon) == (place["lat"], place["lon"])
    assert ticket.address == address  # what was typed goes with the report
    assert ticket.source == "web"
    report = api.client.get(f"/api/v1/reports/{ticket.code}").json()
    assert report["area"]["name"] == "Kelurahan Cideng"
    said = _placed_words(page)
    assert said is not None and said.startswith(PLACED[lang].format(place=CIDENG)), said
    # The address is public, as the report's page shows it: the receipt must not say otherwise.
    assert PUBLIC_ADDRESS[lang] in said
    assert report["address"] == address
    assert PUBLIC_HINT[lang] in unescape(api.client.get(f"/?lang={lang}").text)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_an_address_naming_several_places_offers_them_keeping_all_typed_then_files_the_chosen(
    api: Api, lang: str
) -> None:
    address = "Jl. Cideng Barat 12, Gambir"
    before = _tickets(api)
    page = _post(api, lang, coords="", address=address)
    assert page.status_code == 422
    assert _refusal(page) == CHOOSE[lang]
    # The page's script would offer the same places, in the same order; none chosen for them.
    assert list(_radios(page)) == list(_places(api, address)) == [KEL_GAMBIR, KEC_GAMBIR]
    assert _radios(page) == {KEL_GAMBIR: False, KEC_GAMBIR: False}
    assert "“Gambir”" in unescape(page.text)  # what was looked up
    _kept(page, address)
    assert "receipt-placed" not in page.text
    assert _tickets(api) == before

    kecamatan = _places(api, address)[KEC_GAMBIR]
    again = _post(api, lang, coords="", address=address, place=kecamatan["code"])
    ticket = _filed(api, again)
    assert (ticket.lat, ticket.lon) == (kecamatan["lat"], kecamatan["lon"])
    said = _placed_words(again)
    assert said is not None and said.startswith(PLACED[lang].format(place=KEC_GAMBIR)), said


def test_a_kecamatan_alone_is_offered_chosen_and_placed_only_once_confirmed(api: Api) -> None:
    """Its middle lies in one of its kelurahan, whose office the report would go to: the
    citizen says so first."""
    before = _tickets(api)
    page = _post(api, "en", coords="", address="Tanah Abang")
    assert page.status_code == 422
    assert _radios(page) == {"Kecamatan Tanah Abang, Jakarta Pusat": True}
    assert _tickets(api) == before
    (place,) = _places(api, "Tanah Abang").values()
    ticket = _filed(api, _post(api, "en", coords="", address="Tanah Abang", place=place["code"]))
    assert (ticket.lat, ticket.lon) == (place["lat"], place["lon"])


def test_a_choice_offered_for_another_address_is_no_choice_for_this_one(api: Api) -> None:
    """The citizen chose Kelurahan Gambir, then wrote another address: the address decides."""
    gambir = _places(api, "Gambir")[KEL_GAMBIR]
    page = _post(api, "en", coords="", address="Cideng", place=gambir["code"])
    ticket = _filed(api, page)
    cideng = _places(api, "Cideng")[CIDENG]
    assert (ticket.lat, ticket.lon) == (cideng["lat"], cideng["lon"])
    assert _placed_words(page) is not None and CIDENG in (_placed_words(page) or "")


def test_typed_coordinates_say_where_and_the_address_only_goes_with_the_report(
    api: Api,
) -> None:
    page = _post(api, "en", address="Gambir")
    ticket = _filed(api, page)
    assert (ticket.lat, ticket.lon) == MONAS
    assert ticket.address == "Gambir"
    assert _placed_words(page) is None


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("address", ["Monas", "Jl. Merdeka Barat, 10110", "zz"])
def test_an_address_naming_no_place_is_refused_naming_the_address_box(
    api: Api, lang: str, address: str
) -> None:
    before = _tickets(api)
    page = _post(api, lang, coords="", address=address)
    assert page.status_code == 422
    assert _refusal(page) == NOT_FOUND[lang]
    assert _radios(page) == {}
    _kept(page, address)
    assert _tickets(api) == before


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            "Say where the problem is (step 2): write the address with its kelurahan or "
            'kecamatan in the "address" box, or the coordinates.',
        ),
        (
            "id",
            "Sebutkan di mana masalahnya (langkah 2): tulis alamat beserta kelurahan atau "
            'kecamatannya di kotak "alamat", atau koordinatnya.',
        ),
    ],
)
def test_a_form_saying_nowhere_asks_for_the_address_or_the_coordinates(
    api: Api, lang: str, words: str
) -> None:
    before = _tickets(api)
    page = _post(api, lang, coords=" ", address="  ")
    assert page.status_code == 422
    assert _refusal(page) == words
    assert _tickets(api) == before


def test_a_refusal_for_another_box_keeps_the_places_offered_and_the_one_chosen(api: Api) -> None:
    kelurahan = _places(api, "Gambir")[KEL_GAMBIR]
    page = _post(api, "en", coords="", address="Gambir", place=kelurahan["code"], description="")
    assert page.status_code == 422
    assert "description" in _refusal(page)
    assert _radios(page) == {KEL_GAMBIR: True, KEC_GAMBIR: False}


def _with_photo(api: Api, lang: str, **fields: str) -> Any:
    api.clock.tick()
    files = [*_form(**fields).items(), ("photos", ("jalan.jpg", make_photo(), "image/jpeg"))]
    return api.client.post(f"/?lang={lang}", files=files, headers={"Accept": "text/html"})


def _photos_again(page: Any) -> str | None:
    said = re.search(r'<p id="photos-again" class="warning">([^<]*)</p>', page.text)
    return unescape(said[1]) if said else None


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_form_that_comes_back_says_plainly_to_choose_its_photos_again(
    api: Api, lang: str
) -> None:
    """A browser cannot put a photo back into a file box: whatever sends the form back (a place
    to choose, another box refused), the page says so under the photo boxes."""
    choose = _with_photo(api, lang, coords="", address="Gambir")
    assert choose.status_code == 422
    assert _photos_again(choose) == PHOTOS_AGAIN[lang]
    refused = _with_photo(api, lang, description="")
    assert refused.status_code == 422
    assert _photos_again(refused) == PHOTOS_AGAIN[lang]
    # No photo attached: nothing to choose again.
    assert _photos_again(_post(api, lang, coords="", address="Gambir")) is None
    # Filed: the photo went with the report.
    ticket = _filed(api, _with_photo(api, lang, coords="", address="Cideng"))
    report = api.client.get(f"/api/v1/reports/{ticket.code}").json()
    assert len(report["photos"]) == 1


@pytest.mark.parametrize(
    "address",
    [
        "Jl. Medan Merdeka Barat, Kel. Gambir, Kec. Gambir",
        "Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat",
        "kel gambir kec gambir",
    ],
)
def test_an_address_naming_a_kelurahan_and_its_kecamatan_places_the_report_in_the_kelurahan(
    api: Api, address: str
) -> None:
    """The most common way to write an address names both, and both areas are called Gambir:
    the kelurahan lies within the kecamatan the address also names, so it is the place meant
    (found by a tester: it came back as a choice of the two, neither ticked)."""
    page = _post(api, "en", coords="", address=address)
    ticket = _filed(api, page)
    kelurahan = _places(api, "Kel. Gambir")[KEL_GAMBIR]
    assert (ticket.lat, ticket.lon) == (kelurahan["lat"], kelurahan["lon"])
    said = _placed_words(page)
    assert said is not None and said.startswith(PLACED["en"].format(place=KEL_GAMBIR)), said


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize(
    ("address", "en"),
    [
        (
            "Cideng\x1b[31m",
            'The "address" box has a hidden character (U+001B) at character 7.',
        ),
        ("Cideng " + "x" * 300, 'The "address" box is too long: 307 characters, at most 300.'),
    ],
)
def test_an_address_breaking_a_text_rule_is_refused_by_that_rule_not_as_naming_no_place(
    api: Api, lang: str, address: str, en: str
) -> None:
    """Placed by the address alone, such text was answered "no kelurahan named like ..."; with
    coordinates, by the text rule. Both now say the text rule's words, naming the box."""
    before = _tickets(api)
    by_address = _post(api, lang, coords="", address=address)
    with_coordinates = _post(api, lang, address=address)
    assert (by_address.status_code, with_coordinates.status_code) == (422, 422)
    assert _refusal(by_address) == _refusal(with_coordinates) != NOT_FOUND[lang]
    if lang == "en":
        assert _refusal(by_address).startswith(en)
    assert _tickets(api) == before


@pytest.mark.parametrize("lang", ["en", "id"])
def test_an_address_of_zero_width_spaces_alone_asks_where_as_an_empty_box_does(
    api: Api, lang: str
) -> None:
    empty = _post(api, lang, coords="", address="")
    invisible = _post(api, lang, coords="", address="\u200b\u200b\u200b")
    assert invisible.status_code == 422
    assert _refusal(invisible) == _refusal(empty) != NOT_FOUND[lang]
    assert "address" in _refusal(empty) or "alamat" in _refusal(empty)
