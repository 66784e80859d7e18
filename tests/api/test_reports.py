"""Citizen API: submit, track, duplicates nearby, me too, the reporter's own view."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.routes import reports as reports_routes
from engine.errors import RuleViolated
from tests.api.conftest import MONAS, Api


def test_submit_json_returns_code_token_agency_and_deadline(api: Api) -> None:
    created = api.submit(name="Siti", email="siti@example.id", phone="0812 3456 7890")
    assert created["code"].startswith("JKT-")
    assert len(created["reporter_token"]) > 20
    assert created["state"]["code"] == "submitted"
    assert created["state"]["label_id"] == "Menunggu"
    assert created["state"]["colour"] == "red"
    assert created["agency"]["code"] == "DISHUB"
    assert created["expected_resolution_at"] is not None
    assert created["possible_duplicates"] == []


def test_public_view_shows_state_labels_and_timeline(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "hold")
    view = api.client.get(f"/api/v1/reports/{code.lower()}").json()
    assert view["state"] == {
        "code": "on_hold",
        "label_id": "Ditunda",
        "label_en": "On hold",
        "colour": "yellow",
        "open311_status": "open",
        "detailed_status": "IN_PROCESS",
    }
    assert [e["action"] for e in view["timeline"]] == [
        "submit",
        "verify",
        "assign",
        "start",
        "hold",
    ]
    assert view["timeline"][-1]["note"] == "menunggu PLN"
    assert view["area"]["name"] == "Kelurahan Gambir"
    assert view["overdue"] is False


def test_public_view_of_unknown_code_is_404_problem(api: Api) -> None:
    response = api.client.get("/api/v1/reports/JKT-0000-0000")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "ticket_not_found"


def _offset(metres_north: float) -> float:
    return MONAS[0] + metres_north / 111_320.0


def test_submit_offers_open_reports_of_same_category_within_250_m(api: Api) -> None:
    near = api.submit(lat=_offset(100))["code"]
    edge = api.submit(lat=_offset(240))["code"]
    api.submit(lat=_offset(400))  # too far
    api.submit(lat=_offset(100), category="broken_street_light")  # other category
    closed = api.submit(lat=_offset(50))["code"]
    api.drive(closed, "reject")
    created = api.submit()
    offered = [(d["code"], round(d["distance_m"], -1)) for d in created["possible_duplicates"]]
    assert offered == [(near, 100), (edge, 240)]


def test_me_too_counts_a_supporter_and_subscribes(api: Api) -> None:
    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/reports/{code}/supporters", json={"email": "tetangga@example.id"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["supporters"] == 1
    other = api.client.post(
        f"/api/v1/reports/{code}/supporters", json={"email": "warga@example.id"}
    )
    assert (other.json()["supporters"], other.json()["counted"]) == (2, True)
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin"))
    assert detail.status_code == 200, detail.text
    # Each address is asked to confirm; staff count the ones that get mail.
    assert detail.json()["subscribers"] == 0
    assert [to for to, _, _ in api.mails(code, "follow_confirmation")] == [
        "tetangga@example.id",
        "warga@example.id",
    ]
    api.confirm(code, "tetangga@example.id")
    api.confirm(code, "warga@example.id")
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin"))
    assert detail.json()["subscribers"] == 2


def test_me_too_counts_each_person_once_not_each_call(api: Api) -> None:
    """Three calls with one address then three without any took supporters from 0 to 6, and
    60 more to 66: now an address counts once, and a client without one once (a day)."""
    code = api.submit(email="pelapor@example.id")["code"]
    url = f"/api/v1/reports/{code}/supporters"
    said = [api.client.post(url, json={"email": "budi@example.id"}) for _ in range(3)]
    said += [api.client.post(url) for _ in range(3)]
    assert [r.status_code for r in said] == [200] * 6
    assert [(r.json()["supporters"], r.json()["counted"]) for r in said] == [
        (1, True),
        *[(1, False)] * 5,
    ]
    assert said[1].json()["message"] == "already counted: each person supports a report once"
    for _ in range(60):
        api.client.post(url)
    # a second address is a second person
    assert api.client.post(url, json={"email": "BUDI@example.id"}).json()["counted"] is False
    assert api.client.post(url, json={"email": "siti@example.id"}).json()["supporters"] == 2
    # The reporter's own address is answered as any new one (once): a different answer would
    # tell whoever knows an address that it filed the report (a pungli report, say).
    own = [api.client.post(url, json={"email": "Pelapor@example.id"}).json() for _ in range(2)]
    fresh = [api.client.post(url, json={"email": "rina@example.id"}).json() for _ in range(2)]
    assert [(o["counted"], o.get("message")) for o in own] == [
        (f["counted"], f.get("message")) for f in fresh
    ]
    assert api.client.get(f"/api/v1/reports/{code}").json()["supporters"] == 4


def test_me_too_without_an_address_counts_once_per_client(api: Api) -> None:
    code = api.submit()["code"]
    url = f"/api/v1/reports/{code}/supporters"
    first = api.client.post(url)
    again = api.client.post(url, json={"language": "en"})
    assert (first.json()["supporters"], first.json()["counted"]) == (1, True)
    assert (again.json()["supporters"], again.json()["counted"]) == (1, False)
    with TestClient(api.app, client=("203.0.113.7", 50000)) as elsewhere:
        third = elsewhere.post(url)
    assert (third.json()["supporters"], third.json()["counted"]) == (2, True)


def test_me_too_needs_no_body_and_an_unknown_code_is_404(api: Api) -> None:
    code = api.submit()["code"]
    bare = api.client.post(f"/api/v1/reports/{code}/supporters")
    assert bare.status_code == 200, bare.text
    assert bare.json()["supporters"] == 1
    for body in (None, {}, {"email": "tetangga@example.id"}):
        unknown = api.client.post("/api/v1/reports/JKT-AAAA-AAAA/supporters", json=body)
        assert unknown.status_code == 404, unknown.text
        assert "no ticket with code JKT-AAAA-AAAA" in unknown.json()["detail"]
    wrong = api.client.post(f"/api/v1/reports/{code}/supporters", json={"email": "nope"})
    assert wrong.status_code == 422
    assert api.client.get(f"/api/v1/reports/{code}").json()["supporters"] == 1


def _me_too_counts(api: Api, code: str) -> tuple[int, bool]:
    """An anonymous "me too" from the test's client: (supporters, counted)."""
    bare = api.client.post(f"/api/v1/reports/{code}/supporters")
    assert bare.status_code == 200, bare.text
    return bare.json()["supporters"], bare.json()["counted"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"email": "not-an-email"}, "email is not an e-mail address like name@example.org"),
        ({"email": "a@b"}, "email is not an e-mail address like name@example.org"),
        ({"email": "x" * 250 + "@warga.example"}, "email is"),
        ({"email": "budi\n@warga.example"}, "email"),
    ],
)
def test_a_refused_me_too_leaves_the_clients_me_too(
    api: Api, body: dict[str, str], words: str
) -> None:
    """A "me too" refused for its address counted nothing, and the client's one anonymous
    "me too" is still to come (it was used up, and the next answered "already counted")."""
    code = api.submit()["code"]
    refused = api.client.post(f"/api/v1/reports/{code}/supporters", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith(words)
    assert _me_too_counts(api, code) == (1, True)
    assert _me_too_counts(api, code) == (1, False)  # the control: a real one is used up


def test_a_me_too_on_a_closed_report_leaves_the_clients_me_too_for_its_reopening(
    api: Api,
) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve")
    closed = api.client.post(f"/api/v1/reports/{code}/supporters")
    assert closed.status_code == 422
    assert closed.json()["detail"] == f"{code} is resolved: support open reports only"
    disputed = api.client.post(
        f"/api/v1/reports/{code}/dispute",
        json={"reason": "masih macet"},
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    assert disputed.status_code == 200, disputed.text
    assert _me_too_counts(api, code) == (1, True)


def test_a_me_too_on_a_hidden_report_leaves_the_clients_me_too_for_when_it_is_shown(
    api: Api,
) -> None:
    code = api.submit(category="illegal_levy", description="Petugas minta uang parkir liar")["code"]
    hidden = api.client.post(f"/api/v1/reports/{code}/supporters")
    assert hidden.status_code == 404
    assert f"no ticket with code {code}" in hidden.json()["detail"]
    moved = api.act(code, "update", "admin", category="traffic_jam", note="bukan pungli")
    assert moved.status_code == 200, moved.text
    # Moved out of the confidential category, it stays off the public record until put back.
    assert api.client.post(f"/api/v1/reports/{code}/supporters").status_code == 404
    shown = api.act(code, "republish", "admin", note="dibaca, tidak menyebut nama")
    assert shown.status_code == 200, shown.text
    assert _me_too_counts(api, code) == (1, True)


def test_a_me_too_that_fails_after_its_checks_leaves_the_clients_me_too(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever ends a "me too" in a refusal, even after the engine counted it (its write
    rolled back), the client's "me too" is not used up."""
    code = api.submit()["code"]

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuleViolated("the answer could not be made", key="test_refusal")

    with monkeypatch.context() as patched:
        patched.setattr(reports_routes.SupportRead, "of_support", refuse)
        failed = api.client.post(f"/api/v1/reports/{code}/supporters")
    assert failed.status_code == 422, failed.text
    assert failed.json()["detail"] == "the answer could not be made"
    assert api.client.get(f"/api/v1/reports/{code}").json()["supporters"] == 0  # rolled back
    assert _me_too_counts(api, code) == (1, True)


def test_the_me_too_description_says_the_reporters_address_counts_once(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    words = spec["paths"]["/api/v1/reports/{code}/supporters"]["post"]["description"]
    assert "not at all" not in words
    assert "the reporter's own address too, once, like any other" in words
    assert 'A refused "me too"' in words


def test_me_too_on_a_closed_report_is_422(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "reject")
    response = api.client.post(f"/api/v1/reports/{code}/supporters", json={})
    assert response.status_code == 422
    assert "open reports only" in response.json()["detail"]


def test_reporter_view_needs_the_token(api: Api) -> None:
    code = api.submit(name="Siti", email="siti@example.id")["code"]
    mine = api.client.get(
        f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": api.tokens[code]}
    )
    assert mine.status_code == 200
    assert mine.json()["name"] == "Siti"
    assert mine.json()["subscribed"] is True and mine.json()["followers"] == 1
    wrong = api.client.get(f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": "x"})
    assert wrong.status_code == 403
    missing = api.client.get(f"/api/v1/reports/{code}/private")
    assert missing.status_code == 422


def test_dispute_reopens_within_window_with_reason(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve")
    headers = {"X-Reporter-Token": api.tokens[code]}
    empty = api.client.post(
        f"/api/v1/reports/{code}/dispute", json={"reason": " "}, headers=headers
    )
    assert empty.status_code == 422
    response = api.client.post(
        f"/api/v1/reports/{code}/dispute", json={"reason": "masih macet"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"]["code"] == "assigned"
    assert response.json()["timeline"][-1]["by"] == "citizen"
    assert response.json()["timeline"][-1]["note"] is None  # the reporter's words stay private


def test_reporter_comment_with_photo_reaches_staff_not_public(api: Api) -> None:
    import base64

    from tests.conftest import make_photo

    code = api.submit()["code"]
    headers = {"X-Reporter-Token": api.tokens[code]}
    photo = base64.b64encode(make_photo()).decode()
    response = api.client.post(
        f"/api/v1/reports/{code}/comments",
        json={"text": "sekarang lebih parah", "photos": [photo]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["timeline"][-1]["action"] == "comment"
    assert response.json()["timeline"][-1]["note"] is None  # not shown to the public
    assert len(response.json()["photos"]) == 1
    staff = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    assert staff["events"][-1]["note"] == "sekarang lebih parah"
    assert staff["events"][-1]["by"] == "citizen"
    stranger = api.client.post(
        f"/api/v1/reports/{code}/comments", json={"text": "x"}, headers={"X-Reporter-Token": "no"}
    )
    assert stranger.status_code == 403


def test_reporter_rates_after_resolution_only(api: Api) -> None:
    code = api.submit()["code"]
    headers = {"X-Reporter-Token": api.tokens[code]}
    early = api.client.post(f"/api/v1/reports/{code}/rating", json={"rating": 4}, headers=headers)
    assert early.status_code == 409
    api.drive(code, "verify", "assign", "start", "resolve")
    response = api.client.post(
        f"/api/v1/reports/{code}/rating", json={"rating": 4}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["rating"] == 4
    bad = api.client.post(f"/api/v1/reports/{code}/rating", json={"rating": 6}, headers=headers)
    assert bad.status_code == 422


def test_control_characters_and_blank_text_are_422_naming_the_field(api: Api) -> None:
    body = {"category": "traffic_jam", "lat": MONAS[0], "lon": MONAS[1]}
    escape = api.client.post("/api/v1/reports", json={**body, "description": "macet\x1b[31m"})
    assert escape.status_code == 422
    assert "description" in escape.json()["detail"]
    blank = api.client.post("/api/v1/reports", json={**body, "description": "\u200b \u3164"})
    assert blank.status_code == 422
    code = api.submit()["code"]
    bell = api.client.post(
        f"/api/v1/reports/{code}/comments",
        json={"text": "tolong\x07"},
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    assert bell.status_code == 422
    after = api.client.get(f"/api/v1/reports/{code}").json()
    assert [e["action"] for e in after["timeline"]] == ["submit"]  # nothing written


def test_public_list_filters_pages_and_geojson(api: Api) -> None:
    monas = api.submit()["code"]
    menteng = api.submit(lat=-6.195, lon=106.830)["code"]  # Kelurahan Menteng
    light = api.submit(category="broken_street_light")["code"]
    api.drive(light, "reject")

    def codes(**params: object) -> list[str]:
        response = api.client.get("/api/v1/reports", params=params)
        assert response.status_code == 200, response.text
        return [r["code"] for r in response.json()["items"]]

    assert codes() == [light, menteng, monas]  # newest change first
    assert codes(bbox="106.82,-6.18,106.835,-6.17") == [light, monas]
    assert codes(state="submitted") == [menteng, monas]
    assert codes(category="broken_street_light") == [light]
    assert codes(since="2026-11-23T09:08:00+07:00") == [light, menteng]  # 09:05, 09:10, 09:20
    first = api.client.get("/api/v1/reports", params={"limit": 2}).json()
    rest = api.client.get("/api/v1/reports", params={"limit": 2, "cursor": first["next_cursor"]})
    assert [r["code"] for r in rest.json()["items"]] == [monas]
    assert api.client.get("/api/v1/reports", params={"bbox": "1,2,3"}).status_code == 422
    # each corner is a point under the engine's one rule: a latitude of -95 is off the globe
    for bbox, words in (
        ("106.8,-95,106.9,-6.1", "bbox min_lat must be between -90 and 90"),
        ("nan,-6.2,106.9,-6.1", "bbox min_lon is not a number"),
        ("106.8,-6.2,106.9,inf", "bbox max_lat must be between -90 and 90"),
    ):
        refused = api.client.get("/api/v1/reports.geojson", params={"bbox": bbox})
        assert refused.status_code == 422, bbox
        assert refused.json()["code"] == "invalid_location"
        assert words in refused.json()["detail"], refused.text
    assert api.client.get("/api/v1/reports", params={"cursor": "garbage"}).status_code == 422
    geo = api.client.get("/api/v1/reports.geojson", params={"state": "submitted"})
    assert geo.headers["content-type"] == "application/geo+json"
    features = geo.json()["features"]
    assert geo.json()["type"] == "FeatureCollection"
    assert [f["id"] for f in features] == [menteng, monas]
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [106.830, -6.195]}
    assert features[0]["properties"]["state"]["colour"] == "red"


def test_reporter_subscribes_and_unsubscribes_an_address(api: Api) -> None:
    code = api.submit()["code"]
    headers = {"X-Reporter-Token": api.tokens[code]}
    added = api.client.post(
        f"/api/v1/reports/{code}/subscriptions",
        json={"email": "Ibu.Ani@Example.ID", "language": "en"},
        headers=headers,
    )
    assert added.status_code == 200, added.text
    # The reporter left no address: the added one waits for its owner's confirmation.
    assert [added.json()[k] for k in ("subscribed", "followers", "pending")] == [False, 0, 1]
    api.confirm(code, "ibu.ani@example.id")
    api.client.post(f"/api/v1/reports/{code}/supporters", json={"email": "tetangga@example.id"})
    view = api.client.get(f"/api/v1/reports/{code}/private", headers=headers)
    assert (view.json()["followers"], view.json()["pending"]) == (1, 1)
    api.confirm(code, "tetangga@example.id")
    view = api.client.get(f"/api/v1/reports/{code}/private", headers=headers)
    assert (view.json()["followers"], view.json()["pending"]) == (2, 0)
    assert "tetangga" not in view.text  # another citizen's address is not the reporter's to see
    removed = api.client.delete(
        f"/api/v1/reports/{code}/subscriptions/ibu.ani@example.id", headers=headers
    )
    assert removed.json()["followers"] == 1
    bad = api.client.post(
        f"/api/v1/reports/{code}/subscriptions", json={"email": "nope"}, headers=headers
    )
    assert bad.status_code == 422


def test_dispute_after_the_window_is_403(api: Api) -> None:
    from datetime import timedelta

    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve")
    api.clock.now += timedelta(days=8)  # the window is 7 days from the resolution
    response = api.client.post(
        f"/api/v1/reports/{code}/dispute",
        json={"reason": "masih macet"},
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    assert response.status_code == 403
    assert "window" in response.json()["detail"]


def test_duplicate_radius_comes_from_the_category(api: Api) -> None:
    """Floods are offered within 750 m (the Jakarta catalogue), traffic jams within 250 m."""
    flood = api.submit(category="flood", lat=_offset(600))["code"]
    api.submit(lat=_offset(600))  # a traffic jam as far away: not offered
    offered = api.submit(category="flood")["possible_duplicates"]
    assert [d["code"] for d in offered] == [flood]
    assert api.submit()["possible_duplicates"] == []


def test_reporter_comment_as_multipart_with_photo_file(api: Api) -> None:
    from tests.conftest import make_photo

    code = api.submit()["code"]
    response = api.client.post(
        f"/api/v1/reports/{code}/comments",
        data={"text": "ini fotonya"},
        files=[("photos", ("a.png", make_photo("PNG"), "image/png"))],
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    assert response.status_code == 200, response.text
    assert [p["content_type"] for p in response.json()["photos"]] == ["image/png"]


def test_lists_and_possible_duplicates_show_the_photos_the_report_shows(api: Api) -> None:
    """A tester's report: a new report's possible duplicates (and every list item) said
    ``"photos": []`` of a report with two public photos, so a citizen deciding "is this the
    same problem?" was told it had none. Each list shows what the report's own view shows."""
    from tests.conftest import make_photo

    api.clock.tick()
    response = api.client.post(
        "/api/v1/reports",
        data={
            "category": "traffic_jam",
            "description": "Macet total, lihat fotonya",
            "lat": str(MONAS[0]),
            "lon": str(MONAS[1]),
        },
        files=[
            ("photos", ("a.png", make_photo("PNG"), "image/png")),
            ("photos", ("b.jpg", make_photo(), "image/jpeg")),
        ],
    )
    assert response.status_code == 201, response.text
    with_two = response.json()["code"]
    plain = api.submit(lat=_offset(100))["code"]
    shown = api.client.get(f"/api/v1/reports/{with_two}").json()["photos"]
    assert len(shown) == 2 and all(p["url"] for p in shown)

    offered = {d["code"]: d for d in api.submit()["possible_duplicates"]}
    assert offered[with_two]["photos"] == shown
    assert offered[plain]["photos"] == []
    items = {r["code"]: r for r in api.client.get("/api/v1/reports").json()["items"]}
    assert items[with_two]["photos"] == shown and items[plain]["photos"] == []


def test_a_me_too_on_a_duplicate_names_the_report_that_stands(api: Api) -> None:
    """A tester's report: "me too" on a duplicate answered "… is duplicate: support open
    reports only", with no pointer to the report whose followers it now has."""
    standing = api.submit()["code"]
    duplicate = api.submit()["code"]
    marked = api.act(duplicate, "mark_duplicate", "admin", duplicate_of=standing)
    assert marked.status_code == 200, marked.text
    refused = api.client.post(f"/api/v1/reports/{duplicate}/supporters", json={})
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["detail"] == (
        f"{duplicate} is a duplicate of {standing}: support {standing}, the report that stands"
    )
    assert body["params"] == {"state": "duplicate", "code": duplicate, "duplicate_of": standing}
