"""What a person's browser gets where a program gets a problem document: the HTML 404, the
favicon, /docs from the app itself; and the words the pages give for the API's problem codes."""

from __future__ import annotations

import re

from api.errors import ApiError
from api.web.i18n import Translator
from api.web.problems import explain, explain_api, words
from engine import Language, RuleViolated
from engine.text import clean_text

from .conftest import Api

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_a_browser_gets_the_friendly_page_for_an_unknown_address(api: Api) -> None:
    for path in ("/nonexistent", "/t/%3Cscript%3Ealert(1)%3C/script%3E/x", "/t/A/B"):
        page = api.client.get(path, headers=HTML)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "Halaman tidak ditemukan" in page.text and "<script>alert" not in page.text
        assert "Content-Security-Policy" in page.headers
    english = api.client.get("/nonexistent?lang=en", headers=HTML)
    assert "Page not found" in english.text


def test_programs_keep_problem_documents(api: Api) -> None:
    for path, accept in (("/nonexistent", "application/json"), ("/api/v1/nope", HTML["Accept"])):
        response = api.client.get(path, headers={"Accept": accept})
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert api.client.get("/open311/v2/nope.json", headers=HTML).status_code == 404
    assert "html" not in api.client.get("/open311/v2/nope.json", headers=HTML).text.lower()


def test_favicon_is_served(api: Api) -> None:
    icon = api.client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon" href="/static/favicon.svg"' in api.client.get("/").text


def test_docs_come_from_the_app_itself(api: Api) -> None:
    docs = api.client.get("/docs")
    assert docs.status_code == 200 and "SwaggerUIBundle" in docs.text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", docs.text) + re.findall(
        r"https?://[^\s\"'<>]+", docs.text
    )
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    csp = docs.headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in csp and "unsafe-eval" not in csp
    for url in urls:
        assert api.client.get(url).status_code == 200, url
    assert api.client.get("/redoc").status_code == 404


def test_problem_documents_carry_a_stable_code_and_params(api: Api) -> None:
    body = api.submit()
    code, token = body["code"], api.tokens[body["code"]]
    bell = api.client.post(
        f"/api/v1/reports/{code}/comments",
        json={"text": "ada\x07bunyi"},
        headers={"X-Reporter-Token": token},
    ).json()
    assert bell["code"] == "control_character"
    assert bell["params"] == {"field": "text", "char": "U+0007", "position": 4}
    blank = api.client.post(
        f"/api/v1/reports/{code}/comments", json={}, headers={"X-Reporter-Token": token}
    ).json()
    assert blank["code"] == "field_required" and blank["params"] == {"field": "text"}
    far = api.client.post(
        "/api/v1/reports",
        json={"category": "traffic_jam", "description": "x", "lat": -6.45, "lon": 106.8},
    ).json()
    assert far["code"] == "outside_service_area" and far["params"]["nearest_km"] > 1


def test_problems_read_in_the_pages_words() -> None:
    id_, en = Translator(Language.ID), Translator(Language.EN)
    try:
        clean_text("ada\x1bbunyi", field="note", limit=100)
    except RuleViolated as exc:
        bell = exc
    said = explain(id_, bell, {"note": "comment"})
    assert said.startswith('Kotak "komentar" berisi karakter tersembunyi (U+001B)'), said
    assert "note" not in said and "control character" not in said
    assert explain(en, bell, {"note": "comment"}).startswith('The "comment" box has a hidden')
    too_big = ApiError(
        "photo 1 is 8388609 bytes", params={"name": "Foto 1", "size": 8388609, "limit": 8388608}
    )
    too_big.code = "payload_too_large"
    # numbers as each language writes them: a decimal comma in Indonesian
    assert explain_api(id_, too_big) == "Foto 1 terlalu besar (8,0 MB); paling besar 8,0 MB."
    assert explain_api(en, too_big) == "Foto 1 is too big (8.0 MB); at most 8.0 MB."
    # under a megabyte in KB, never "0,1 MB"; under a kilobyte in bytes
    small = {"size": 71_680, "limit": 65_536}
    assert words(id_, "photo_too_large", small) == "Foto terlalu besar (70 KB); paling besar 64 KB."
    assert words(en, "photo_too_large", {"size": 2_000, "limit": 1_000}) == (
        "The photo is too big (2 KB); at most 1,000 bytes."
    )
    assert words(en, "invalid_number", {"field": "lat"}) == 'The "latitude" box must hold a number.'
    assert "2,5 km" in words(id_, "outside_service_area", {"nearest_km": 2.5})
    assert "2.5 km" in words(en, "outside_service_area", {"nearest_km": 2.5})
    assert words(id_, "outside_service_area", {}) == (
        "Lokasi itu di luar wilayah layanan kota ini. Pilih titik di dalam kota."
    )
    # a code without words of its own: plain words, naming the field in the page's language
    assert words(id_, "answer_out_of_range", {"field": "description"}) == (
        'Ada isian yang belum benar: "keterangan".'
    )
    assert words(en, "something_new", {}) == (
        "This could not be done. Check what you entered and try again."
    )
    assert words(id_, "proof_photo_required", {"field": "photos"}) == (
        "Jenis masalah ini perlu foto bukti perbaikan. Tambahkan fotonya."
    )


def test_a_missing_report_photo_has_its_own_code(api: Api) -> None:
    body = {"category": "broken_road", "description": "Lubang besar", "lat": -6.1754}
    refused = api.client.post("/api/v1/reports", json={**body, "lon": 106.8272})
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "photo_required" and problem["params"] == {"field": "photos"}
    assert words(Translator(Language.ID), problem["code"], problem["params"]).startswith(
        "Laporan jenis ini perlu minimal satu foto."
    )


def test_a_json_report_needing_a_photo_is_told_to_come_as_multipart(api: Api) -> None:
    """It said to add a photo, and a JSON body with ``photos`` is refused: "photos is not a
    field of this request". The JSON door says how a photo can be sent; multipart works."""
    body = {"category": "broken_road", "description": "Lubang besar", "lat": -6.1754}
    refused = api.client.post("/api/v1/reports", json={**body, "lon": 106.8272})
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == (
        "a report of broken road / pothole needs at least one photo; "
        "a JSON body cannot carry photos: send the report as multipart/form-data, "
        "with the photo as a photos file"
    )
    on_behalf = api.client.post(
        "/api/v1/tickets",
        json={**body, "lon": 106.8272, "channel": "phone"},
        headers=api.auth("admin"),
    )
    assert on_behalf.status_code == 422, on_behalf.text
    assert "send the report as multipart/form-data" in on_behalf.json()["detail"]
    # multipart without the photo: "add one" is right there, and nothing about JSON
    form = {**body, "lon": "106.8272", "lat": "-6.1754"}
    bare = api.client.post("/api/v1/reports", data=form, files=[("photos", ("", b"", ""))])
    assert bare.status_code == 422, bare.text
    assert bare.json()["detail"] == "a report of broken road / pothole needs at least one photo"
