"""What the reporter, staff and a supervisor read of a report fixed twice: resolved with a proof
photo, rated, disputed, resolved again with the same photo and rated again. A rating is of one
fix (the dispute sets it aside, the history keeps it); a stored photo is listed once, with every
event it was sent with."""

from __future__ import annotations

import base64
import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_photo

from .conftest import Api

ORIGIN = "https://testserver"
PROOF = make_photo(size=(80, 60))


def _token(api: Api, code: str) -> dict[str, str]:
    return {"X-Reporter-Token": api.tokens[code]}


def _private(api: Api, code: str) -> dict[str, Any]:
    mine = api.client.get(f"/api/v1/reports/{code}/private", headers=_token(api, code))
    assert mine.status_code == 200, mine.text
    body: dict[str, Any] = mine.json()
    return body


def _detail(api: Api, code: str, who: str = "staff") -> dict[str, Any]:
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth(who))
    assert detail.status_code == 200, detail.text
    body: dict[str, Any] = detail.json()
    return body


def _resolve(api: Api, code: str, *photos: bytes) -> int:
    """Resolve ``code`` with ``photos``; the seq of the resolution."""
    sent = [base64.b64encode(p).decode() for p in photos]
    resolved = api.act(code, "resolve", note="lampu diganti", photos=sent)
    assert resolved.status_code == 200, resolved.text
    return int(_detail(api, code)["version"])


def _rate(api: Api, code: str, rating: int, note: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"rating": rating} | ({"note": note} if note else {})
    rated = api.client.post(f"/api/v1/reports/{code}/rating", json=body, headers=_token(api, code))
    assert rated.status_code == 200, rated.text
    return dict(rated.json())


def _fixed_twice(api: Api) -> tuple[str, int, int]:
    """A broken traffic light resolved with ``PROOF``, rated 2, disputed, resolved again with
    the same photo and rated 5; its code and the seqs of the two resolutions."""
    code = str(api.submit(category="broken_traffic_light")["code"])
    api.drive(code, "verify", "assign", "start")
    first = _resolve(api, code, PROOF)
    _rate(api, code, 2, "hanya sebentar menyala")
    disputed = api.client.post(
        f"/api/v1/reports/{code}/dispute", json={"reason": "mati lagi"}, headers=_token(api, code)
    )
    assert disputed.status_code == 200, disputed.text
    api.drive(code, "start")
    second = _resolve(api, code, PROOF)
    _rate(api, code, 5)
    return code, first, second


def test_after_a_dispute_the_reporter_reads_no_rating_until_they_rate_the_new_fix(
    api: Api,
) -> None:
    code = str(api.submit(category="broken_traffic_light")["code"])
    api.drive(code, "verify", "assign", "start")
    _resolve(api, code, PROOF)
    assert _rate(api, code, 2)["rating"] == 2
    api.client.post(
        f"/api/v1/reports/{code}/dispute", json={"reason": "mati lagi"}, headers=_token(api, code)
    )
    mine = _private(api, code)
    assert (mine["rating"], "rate" in mine["allowed"]) == (None, False)

    api.drive(code, "start")
    _resolve(api, code, PROOF)
    mine = _private(api, code)
    assert (mine["rating"], "rate" in mine["allowed"]) == (None, True)
    assert _rate(api, code, 5)["rating"] == 5
    assert _private(api, code)["rating"] == 5


@pytest.mark.parametrize("who", ["staff", "supervisor"])
def test_staff_read_both_ratings_in_the_history_each_of_its_own_fix(api: Api, who: str) -> None:
    code, first, second = _fixed_twice(api)
    events = _detail(api, code, who)["events"]
    rated = [(e["seq"], e["data"]["rating"]) for e in events if e["action"] == "rate"]
    assert rated == [
        (first + 1, {"from": None, "to": 2}),
        (second + 1, {"from": None, "to": 5}),  # the first fix's 2 is not what the 5 replaced
    ]


def test_the_reporter_and_the_public_read_the_proof_once_with_both_resolutions(api: Api) -> None:
    code, first, second = _fixed_twice(api)
    public = api.client.get(f"/api/v1/reports/{code}").json()
    own = _private(api, code)["report"]
    for view in (public, own):
        (photo,) = view["photos"]
        assert (photo["purpose"], photo["after_fix"], photo["events"]) == (
            "proof",
            True,
            [first, second],
        )
        assert (photo["width"], photo["height"]) == (80, 60)
    assert api.client.get(public["photos"][0]["url"]).status_code == 200


def test_staff_read_the_proof_once_with_both_resolutions(api: Api) -> None:
    code, first, second = _fixed_twice(api)
    (photo,) = _detail(api, code)["photos"]
    assert (photo["purpose"], photo["events"], photo["public"], photo["hidden"]) == (
        "proof",
        [first, second],
        True,
        False,
    )


def test_the_same_file_sent_twice_at_once_is_one_photo(api: Api) -> None:
    code = str(api.submit(category="broken_traffic_light")["code"])
    api.drive(code, "verify", "assign", "start")
    other = make_photo(size=(32, 32))
    seq = _resolve(api, code, PROOF, PROOF, other)
    photos = api.client.get(f"/api/v1/reports/{code}").json()["photos"]
    assert [(p["width"], p["events"]) for p in photos] == [(80, [seq]), (32, [seq])]
    assert len(_detail(api, code)["photos"]) == 2


def test_pages_show_the_proof_once(api: Api) -> None:
    code, first, second = _fixed_twice(api)
    track = api.client.get(f"/t/{code}?lang=en").text
    after = track[track.index('<figure class="after">') :].split("</figure>")[0]
    assert len(re.findall(r"<img ", after)) == 1

    web = TestClient(api.app, base_url=ORIGIN, follow_redirects=False)
    web.headers["Origin"] = ORIGIN
    signed = web.post("/staff/sign-in", data={"key": api.keys["staff"], "next": "/staff"})
    assert signed.status_code == 303, signed.text
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    photos = page[page.index('<div class="photos">') :].split("</div>")[0]
    (caption,) = re.findall(r"<figcaption>(.*?)</figcaption>", photos)
    assert re.findall(r'data-seq="(\d+)"', caption) == [str(first), str(second)]
    assert html.unescape(re.sub(r"<[^>]+>", "", caption)).startswith("Proof of the fix · ")
    # Both ratings stay in the history, each where it was given.
    history = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert history.index("Rating: 2 of 5") < history.index("Rating: 5 of 5")


def test_open311_names_the_proof_as_the_requests_photo_and_with_each_resolution(
    api: Api,
) -> None:
    code, _first, _second = _fixed_twice(api)
    (item,) = api.client.get(f"/open311/v2/requests/{code}.json").json()
    url = api.client.get(f"/api/v1/reports/{code}").json()["photos"][0]["url"]
    assert item["media_url"].endswith(url)
    updates = api.client.get("/open311/v2/servicerequestupdates.json").json()
    resolved = [u for u in updates if u["service_request_id"] == code and u["media_url"]]
    assert [u["media_url"] for u in resolved] == [item["media_url"]] * 2
