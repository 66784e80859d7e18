"""A report's area as people read it, before and after the official boundary import.

The Kemendagri file names areas bare ("Gambir": a kelurahan and a kecamatan both); the catalogue
titles them ("Kelurahan Gambir"). Every answer and page says "Kelurahan Gambir" either way,
never "Kelurahan Kelurahan Gambir" (``engine.models.area_title``).
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from .conftest import Api

ORIGIN = "https://testserver"
DOUBLED = re.compile(r"(Kelurahan|Kecamatan)\s+(Kelurahan|Kecamatan)")


def _web(api: Api, who: str) -> TestClient:
    """A browser-like client signed in as ``who`` (https: the cookie is Secure)."""
    web = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    web.headers["Origin"] = ORIGIN
    signed = web.post("/staff/sign-in", data={"key": api.keys[who], "next": "/staff"})
    assert signed.status_code == 303, signed.text
    return web


def _what_people_read(api: Api) -> dict[str, str]:
    """A report at Monas, then the area as each door shows it to a person."""
    code = api.submit()["code"]
    again = api.submit(description="Macet lagi di depan Monas")  # offered the first as a duplicate
    shown = {"possible duplicate": again["possible_duplicates"][0]["area"]["name"]}
    report = api.client.get(f"/api/v1/reports/{code}").json()
    shown["public JSON"] = report["area"]["name"]
    listed = api.client.get("/api/v1/reports").json()["items"]
    shown["public list"] = next(r for r in listed if r["code"] == code)["area"]["name"]
    (open311,) = api.client.get(
        f"/open311/v2/requests/{code}.json", params={"extensions": "true"}
    ).json()
    shown["Open311"] = open311["extended_attributes"]["area"]
    board = api.client.get("/api/v1/dashboard/tickets", headers=api.auth("supervisor")).json()
    shown["dashboard JSON"] = next(t for t in board if t["code"] == code)["area_name"]

    track = api.client.get(f"/t/{code}?lang=en")
    assert track.status_code == 200
    shown["tracking page"] = _term(track.text, "Area")
    web = _web(api, "supervisor")
    worklist = web.get("/staff?lang=en")
    assert worklist.status_code == 200, worklist.text
    card = worklist.text[worklist.text.index(code) :]
    shown["worklist"] = _term(card, "Area")
    ticket_page = web.get(f"/staff/tickets/{code}?lang=en")
    assert ticket_page.status_code == 200, ticket_page.text
    state_line = re.search(r'<p class="state-line">(.*?)</p>', ticket_page.text, re.DOTALL)
    assert state_line is not None
    shown["staff ticket page"] = state_line[1].split(" · ")[2].strip()
    dashboard = web.get("/dashboard?lang=en")
    assert dashboard.status_code == 200, dashboard.text
    start = dashboard.text.index(f'<tr data-code="{code}"')
    row = dashboard.text[start : dashboard.text.index("</tr>", start)]
    shown["dashboard page"] = re.findall(r"<td>([^<]*)</td>", row)[-1]
    for page in (track, worklist, ticket_page, dashboard):
        assert not DOUBLED.search(page.text), DOUBLED.search(page.text)
    return shown


def _term(html: str, term: str) -> str:
    """The first ``<dd>`` after ``<dt>term</dt>``."""
    found = re.search(rf"<dt>{term}</dt>\s*<dd>([^<]*)</dd>", html)
    assert found is not None, html[:2000]
    return found[1]


def test_a_report_in_gambir_reads_kelurahan_gambir_before_and_after_the_official_import(
    api: Api, official_api: Api
) -> None:
    before = _what_people_read(api)  # the catalogue's areas: "Kelurahan Gambir" as stored
    after = _what_people_read(official_api)  # the Kemendagri file's: "Gambir" as stored

    assert before == dict.fromkeys(before, "Kelurahan Gambir")
    assert after == before
