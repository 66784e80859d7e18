"""What a person reads when an input is malformed: photos that are not photos, points that are
not places, codes that are not codes — each with its stable code and one line in words."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from tests.api.conftest import MONAS, Api
from tests.conftest import make_photo, png_claiming

BODY = {
    "category": "traffic_jam",
    "description": "Macet total di depan Monas sejak pagi",
    "lat": MONAS[0],
    "lon": MONAS[1],
}


def _bomb() -> bytes:
    """A small file that decodes to 48 million pixels."""
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, format="PNG")
    return out.getvalue()


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="GIF")
    return out.getvalue()


def _count(api: Api) -> int:
    listed = api.client.get("/api/v1/reports", headers=api.auth("admin"))
    return len(listed.json()["items"]) if listed.status_code == 200 else -1


UNSUPPORTED = "unsupported_media_type"  # an upload whose first bytes are no photo's (415)
#: kind: (bytes, the engine's code, the API's own code when it refuses first)
PHOTOS = {
    "wrong_magic": (b"\xff\xd8\xff\xe0 not really a jpeg", "photo_unreadable", None),
    "truncated_jpeg": (make_photo("JPEG")[:200], "photo_unreadable", None),
    "truncated_png": (make_photo("PNG")[:-20], "photo_unreadable", None),
    "png_magic_only": (b"\x89PNG\r\n\x1a\n", "photo_unreadable", None),
    "webp_header_only": (b"RIFF\x04\x00\x00\x00WEBP", "photo_unreadable", None),
    "bomb": (_bomb(), "photo_too_many_pixels", None),
    "bomb_144_megapixels": (png_claiming(12_000, 12_000), "photo_too_many_pixels", None),
    "bomb_400_megapixels": (png_claiming(20_000, 20_000), "photo_too_many_pixels", None),
    "wrong_type": (_gif(), "photo_format", UNSUPPORTED),
    "text": (b"hello, this is not a photo", "photo_unreadable", UNSUPPORTED),
}


@pytest.mark.parametrize("kind", sorted(PHOTOS))
def test_each_malformed_photo_gets_its_own_code(api: Api, kind: str) -> None:
    raw, code, as_file = PHOTOS[kind]
    before = _count(api)

    report = api.client.post(
        "/api/v1/reports",
        data={key: str(value) for key, value in BODY.items()},
        files=[("photos", ("a.jpg", raw, "image/jpeg"))],
    )

    if as_file == UNSUPPORTED:
        assert (report.status_code, report.json()["code"]) == (415, UNSUPPORTED)
    else:
        assert report.status_code == 422, report.text
        assert (report.json()["code"], report.json()["params"]["field"]) == (code, "photos")
    assert _count(api) == before
    ticket = api.submit()["code"]
    comment = api.client.post(
        f"/api/v1/reports/{ticket}/comments",
        json={"text": "fotonya", "photos": [base64.b64encode(raw).decode()]},
        headers={"X-Reporter-Token": api.tokens[ticket]},
    )
    if as_file == UNSUPPORTED:  # the API knows it is no photo before the engine looks
        assert (comment.status_code, comment.json()["code"]) == (415, UNSUPPORTED)
    else:
        assert comment.status_code == 422, comment.text
        assert comment.json()["code"] == code


#: What the person reads when the bad photo is the second of two (the first a good one).
SECOND = {
    "photo_unreadable": "photo 2 is not a readable image",
    "photo_too_many_pixels": "photo 2 has too many pixels; the limit is 40 megapixels",
}


@pytest.mark.parametrize("kind", sorted(k for k, v in PHOTOS.items() if v[2] is None))
def test_the_refusal_names_which_photo_of_several_is_bad(api: Api, kind: str) -> None:
    """With several photos, "the uploaded file is not a readable image" left the citizen to
    guess which one; the refusal names it, as the API's own type check does: by its file name
    ("b.jpg"), or by its place in a JSON list ("photo 2"). A tester found a single file's
    "too many pixels" named no file at all."""
    raw, code, _ = PHOTOS[kind]
    before = _count(api)
    report = api.client.post(
        "/api/v1/reports",
        data={key: str(value) for key, value in BODY.items()},
        files=[("photos", ("a.jpg", make_photo("JPEG"), "image/jpeg")),
               ("photos", ("b.jpg", raw, "image/jpeg"))],
    )  # fmt: skip
    assert report.status_code == 422, report.text
    problem = report.json()
    # A file is named as the sender named it, as its size and type refusals name it.
    named = SECOND[code].replace("photo 2", "b.jpg")
    assert (problem["code"], problem["detail"]) == (code, named)
    assert problem["params"]["name"] == "b.jpg" and problem["params"]["field"] == "photos"
    assert _count(api) == before

    ticket = api.submit()["code"]
    good = base64.b64encode(make_photo("JPEG")).decode()
    comment = api.client.post(
        f"/api/v1/reports/{ticket}/comments",
        json={"text": "fotonya", "photos": [good, base64.b64encode(raw).decode()]},
        headers={"X-Reporter-Token": api.tokens[ticket]},
    )
    assert comment.status_code == 422, comment.text
    assert (comment.json()["code"], comment.json()["detail"]) == (code, SECOND[code])


def test_a_photo_over_the_limit_is_photo_too_large_in_kb(api: Api) -> None:
    api.app.state.settings = api.app.state.settings.model_copy(update={"max_photo_bytes": 65_536})
    raw = make_photo("PNG") + b"\x00" * 70_000

    response = api.client.post(
        "/api/v1/reports",
        data={key: str(value) for key, value in BODY.items()},
        files=[("photos", ("a.png", raw, "image/png"))],
    )

    assert response.status_code == 413, response.text
    body = response.json()
    assert body["code"] == "payload_too_large"
    assert body["detail"].endswith("larger than the limit of 64 KB (65,536 bytes)")


LAT_NAN = "lat is not a number; give a number between -90 and 90"
LAT_OFF = "lat must be between -90 and 90"
LON_OFF = "lon must be between -180 and 180"


@pytest.mark.parametrize(
    ("lat", "lon", "words"),
    [
        ("91", "106.8", LAT_OFF),
        ("-6.1", "200", LON_OFF),
        ("NaN", "106.8", LAT_NAN),
        ("Infinity", "106.8", LAT_OFF),
        ("-6.1", "-Infinity", LON_OFF),
        ("1e309", "106.8", LAT_OFF),
    ],
)
def test_a_point_that_is_no_place_is_refused_in_the_engines_words(
    api: Api, lat: str, lon: str, words: str
) -> None:
    before = _count(api)
    raw = json.dumps({**BODY, "lat": "LAT", "lon": "LON"})
    raw = raw.replace('"LAT"', lat).replace('"LON"', lon)

    report = api.client.post(
        "/api/v1/reports", content=raw, headers={"Content-Type": "application/json"}
    )

    assert report.status_code == 422, report.text
    assert (report.json()["code"], report.json()["detail"]) == ("invalid_location", words)
    assert report.json()["params"]["field"] == words.split()[0]
    assert _count(api) == before
    form = api.client.post(
        "/api/v1/reports",
        data={**{key: str(value) for key, value in BODY.items()}, "lat": lat, "lon": lon},
        files=[("photos", ("a.png", make_photo("PNG"), "image/png"))],
    )
    assert (form.status_code, form.json()["detail"]) == (422, words)
    nearby = api.client.get("/web/nearby", params={"category": "flood", "lat": lat, "lon": lon})
    assert nearby.status_code == 422, nearby.text


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("JKT-NOPE-NOPE", "no ticket with code JKT-NOPE-NOPE"),
        (
            "JKT-FKHV-GRB%00",
            "no ticket with code JKT-FKHV-GRB?: a ticket code has only letters, digits and "
            "hyphens, e.g. JKT-7K3M-Q9XD",
        ),
    ],
)
def test_an_unknown_code_is_echoed_as_typed(api: Api, path: str, detail: str) -> None:
    response = api.client.get(f"/api/v1/reports/{path}")
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == detail


@pytest.mark.parametrize(
    ("depth", "words"),
    [
        ("NaN", "answer to 'water_depth' is not a number; give a number between 0 and 1,000"),
        ("-Infinity", "answer to 'water_depth' must be between 0 and 1,000"),
        ("-1e308", "answer to 'water_depth' must be between 0 and 1,000"),
        # in JSON a number answer is a JSON number: text is refused whatever it says
        ('"-1e308"', "answer to 'water_depth' must be a number between 0 and 1,000"),
    ],
)
def test_a_number_answer_out_of_bounds_is_refused_in_the_questions_words(
    api: Api, depth: str, words: str
) -> None:
    before = _count(api)
    body = {**BODY, "category": "flood", "answers": {"water_depth": "DEPTH"}}
    raw = json.dumps(body).replace('"DEPTH"', depth)

    response = api.client.post(
        "/api/v1/reports", content=raw, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["detail"]) == ("invalid_answer", words)
    assert _count(api) == before


@pytest.mark.parametrize(
    ("path", "query", "who", "status", "detail"),
    [
        ("/api/v1/reports", "limit=5&limit=5000", None, 422,
         "limit is given more than once; send it once"),
        ("/api/v1/reports.geojson", "bbox=106.8,-6.2,106.9,-6.1&bbox=0,0,1,1", None, 422,
         "bbox is given more than once; send it once"),
        ("/api/v1/tickets", "officer=a@dbm.example&officer=b@dbm.example", "staff", 422,
         "officer is given more than once; send it once"),
        ("/api/v1/tickets.csv", "overdue=true&overdue=false", "staff", 422,
         "overdue is given more than once; send it once"),
        ("/api/v1/figures", "group_by=agency&group_by=area", "supervisor", 422,
         "group_by is given more than once; send it once"),
        ("/open311/v2/requests.json", "status=open&status=closed", None, 400,
         "status is given more than once; send it once"),
        ("/open311/v2/requests.json", "service_code=flood&service_code=traffic_jam", None, 400,
         "service_code is given more than once; give several as one comma-separated value"),
    ],
)  # fmt: skip
def test_a_single_valued_parameter_given_twice_is_refused_naming_it(
    api: Api, path: str, query: str, who: str | None, status: int, detail: str
) -> None:
    """It used to be read as its last value: the caller got an answer to a question they may
    not have asked (``limit=5&limit=5000``)."""
    headers = api.auth(who) if who else {}
    response = api.client.get(f"{path}?{query}", headers=headers)
    assert response.status_code == status, response.text
    body = response.json()
    if status == 400:
        assert body == [{"code": 400, "description": detail}]
    else:
        assert (body["detail"], body["params"]) == (detail, {"field": detail.split()[0]})


def test_list_parameters_still_take_every_value(api: Api) -> None:
    flood = api.submit(category="flood")["code"]
    jam = api.submit(category="traffic_jam")["code"]
    listed = api.client.get("/api/v1/reports?category=flood&category=traffic_jam&limit=50")
    assert listed.status_code == 200, listed.text
    assert {flood, jam} <= {item["code"] for item in listed.json()["items"]}
    staff = api.client.get(
        "/api/v1/tickets?state=submitted&state=verified", headers=api.auth("staff")
    )
    assert staff.status_code == 200, staff.text


@pytest.mark.parametrize(
    ("path", "body", "who", "key"),
    [
        ("/api/v1/reports", '{"category": "traffic_jam", "description": "Macet total", '
         '"description": "Aman", "lat": -6.1754, "lon": 106.8272}', None, "description"),
        ("/api/v1/reports", '{"category": "flood", "description": "Banjir di depan Monas", '
         '"lat": -6.1754, "lon": 106.8272, "answers": {"water_depth": 40, "water_depth": 1}}',
         None, "answers.water_depth"),
        ("/api/v1/reports", '{"category": "flood", "description": "Banjir di depan Monas", '
         '"lat": -6.1754, "lon": 106.8272, "photos": [], "answers": {"water_trend": "rising", '
         '"water_depth": 40, "water_depth": 1}}', None, "answers.water_depth"),
        ("/api/v1/tickets/{code}/transitions",
         '{"trigger": "verify", "trigger": "reject", "expected_version": 1}', "staff", "trigger"),
        ("/api/v1/reports/{code}/supporters", '{"email": "a@warga.example", '
         '"email": "b@warga.example"}', None, "email"),
    ],
)  # fmt: skip
def test_a_json_key_given_twice_is_refused_naming_it_and_nothing_is_written(
    api: Api, path: str, body: str, who: str | None, key: str
) -> None:
    """JSON parsers keep the last of two equal keys: a proxy or a log may have read the first."""
    code = api.submit()["code"]
    before = api.client.get(f"/api/v1/reports/{code}").json()
    headers = {"Content-Type": "application/json", **(api.auth(who) if who else {})}
    response = api.client.post(path.format(code=code), content=body, headers=headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "invalid_request"
    assert problem["detail"] == f"{key} is given more than once; send it once"
    assert problem["params"] == {"field": key}
    assert api.client.get(f"/api/v1/reports/{code}").json() == before


def test_nearby_refuses_an_unknown_category_as_the_api_does(api: Api) -> None:
    """The report form's nearby list answered 200 with nothing for ``category=nope``."""
    where = {"lat": MONAS[0], "lon": MONAS[1]}
    nearby = api.client.get("/web/nearby", params={"category": "nope", **where})
    listed = api.client.get("/api/v1/reports", params={"category": "nope"})
    assert nearby.status_code == listed.status_code == 422, nearby.text
    assert nearby.json()["detail"] == listed.json()["detail"]
    assert nearby.json()["detail"].startswith("unknown report category 'nope'; valid: ")
    assert nearby.json()["params"] == {"field": "category"}
    # the control: a known category still answers its (here empty) list
    assert api.client.get("/web/nearby", params={"category": "flood", **where}).status_code == 200


@pytest.mark.parametrize(
    "blank", ["\ufe0f", "\u0301", "\u200e", "\u00ad", "\u00a0\ufe0f"], ids=repr
)
def test_a_description_that_shows_nothing_is_empty_on_every_door(api: Api, blank: str) -> None:
    # A tester's report: a lone U+FE0F was stored as a report's description, U+200E refused.
    before = _count(api)
    as_json = api.client.post("/api/v1/reports", json={**BODY, "description": blank})
    as_form = api.client.post(
        "/api/v1/reports",
        data={**{k: str(v) for k, v in BODY.items()}, "description": blank},
        files=[("photos", ("a.jpg", make_photo(), "image/jpeg"))],
    )
    open311 = api.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": api.keys["client"],
            "service_code": BODY["category"],
            "description": blank,
            "lat": str(MONAS[0]),
            "long": str(MONAS[1]),
        },
    )

    for response in (as_json, as_form):
        assert response.status_code == 422, response.text
        assert response.json()["params"]["field"] == "description"
        assert response.json()["detail"] == "description is empty"
    assert open311.status_code == 400, open311.text
    assert "description" in open311.json()[0]["description"]
    assert _count(api) == before


@pytest.mark.parametrize("kind", sorted(k for k, v in PHOTOS.items() if v[2] is None))
def test_a_single_bad_file_is_named_by_its_file_name(api: Api, kind: str) -> None:
    raw, code, _ = PHOTOS[kind]
    report = api.client.post(
        "/api/v1/reports",
        data={key: str(value) for key, value in BODY.items()},
        files=[("photos", ("jalan-rusak.png", raw, "image/png"))],
    )
    assert report.status_code == 422, report.text
    problem = report.json()
    assert problem["detail"] == SECOND[code].replace("photo 2", "jalan-rusak.png")
    assert problem["params"]["name"] == "jalan-rusak.png"
