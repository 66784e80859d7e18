"""Open311 GeoReport v2: every method in XML (read with a real parser) and JSON, which agree."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from engine import list_services
from engine.instants import W3C_FORM
from engine.models import Ticket
from tests.api.conftest import MONAS, Api
from tests.api.test_instants import OPEN311 as OPEN311_DATES
from tests.conftest import make_photo

W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")
LISTS = {"endpoints", "formats", "attributes", "values"}


def _plain(element: ET.Element) -> Any:
    children = list(element)
    if element.tag in LISTS:
        return [_plain(child) for child in children]
    if not children:
        return element.text or ""
    return {child.tag: _plain(child) for child in children}


def _as_text(value: Any) -> Any:
    """JSON values as XML would spell them."""
    if isinstance(value, dict):
        return {k: _as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_text(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def fetch(api: Api, path: str, *, expect: int = 200, **params: Any) -> Any:
    """GET ``path`` as JSON and as XML; assert both say the same; return the JSON."""
    as_json = api.client.get(f"/open311/v2/{path}.json", params=params)
    as_xml = api.client.get(f"/open311/v2/{path}.xml", params=params)
    assert as_json.status_code == as_xml.status_code == expect, as_json.text
    assert as_json.headers["content-type"] == "application/json"
    assert as_xml.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(as_xml.content)
    body = as_json.json()
    if isinstance(body, list):
        assert [_plain(item) for item in root] == _as_text(body)
    else:
        assert _plain(root) == _as_text(body)
    return body


def post(api: Api, fmt: str = "json", files: Any = None, **fields: Any) -> Any:
    data = {
        "api_key": api.keys["staff"],
        "service_code": "traffic_jam",
        "lat": str(MONAS[0]),
        "long": str(MONAS[1]),
        "description": "Macet parah",
        "first_name": "Siti",
        "last_name": "Rahma",
        "email": "siti@example.id",
    }
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    api.clock.tick()
    return api.client.post(f"/open311/v2/requests.{fmt}", data=data, files=files)


def test_discovery_lists_this_endpoint_in_both_formats(api: Api) -> None:
    body = fetch(api, "discovery")
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://127.0.0.1:8000/open311/v2"  # TANGGAP_PUBLIC_BASE_URL
    assert endpoint["formats"] == ["text/xml", "application/json"]


def test_absolute_urls_come_from_the_public_base_url_never_the_host_header(api: Api) -> None:
    api.app.state.settings = api.app.state.settings.model_copy(
        update={"public_base_url": "https://lapor.example.go.id"}
    )
    files = [("media[]", ("a.jpg", make_photo(), "image/jpeg"))]
    code = post(api, files=files).json()[0]["service_request_id"]
    api.drive(code, "verify", "assign", "start", "resolve")
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    documents = {
        "discovery.json": [],
        f"requests/{code}.json": [],
        "requests.json": [],
        "servicerequestupdates.json": [],
    }
    for path in documents:
        for fmt in ("json", "xml"):
            response = api.client.get(f"/open311/v2/{path[:-4]}{fmt}", headers=forged)
            assert response.status_code == 200, response.text
            assert "evil.example" not in response.text
            documents[path].append(response.text)
    (endpoint,) = json.loads(documents["discovery.json"][0])["endpoints"]
    assert endpoint["url"] == "https://lapor.example.go.id/open311/v2"
    (item,) = json.loads(documents[f"requests/{code}.json"][0])
    assert item["media_url"].startswith("https://lapor.example.go.id/media/")
    assert "https://lapor.example.go.id/media/" in documents["requests.json"][1]  # XML too


def test_services_are_the_catalogue_categories(api: Api) -> None:
    services = fetch(api, "services")
    jam = next(s for s in services if s["service_code"] == "traffic_jam")
    assert jam == {
        "service_code": "traffic_jam",
        "service_name": "Kemacetan",
        "description": "Kemacetan",
        "metadata": False,
        "type": "realtime",
        "keywords": "Kemacetan",
        "group": "transport",
    }


@pytest.mark.parametrize(
    ("params", "headers", "words"),
    [
        ({}, {}, "Kemacetan"),
        ({"locale": "en"}, {}, "Traffic jam"),
        ({}, {"Accept-Language": "en-GB,en;q=0.9"}, "Traffic jam"),
        ({"locale": "id"}, {"Accept-Language": "en"}, "Kemacetan"),
        # q=0 is "not this one" (a tester's report: it still gave English); the highest weight
        # wins over the order; a weight that is no number counts as none.
        ({}, {"Accept-Language": "en;q=0"}, "Kemacetan"),
        ({}, {"Accept-Language": "en;q=0, id;q=0"}, "Kemacetan"),
        ({}, {"Accept-Language": "id;q=0.3, en;q=0.8"}, "Traffic jam"),
        ({}, {"Accept-Language": "en;q=0.5, id"}, "Kemacetan"),
        ({}, {"Accept-Language": "fr, en;q=0.1"}, "Traffic jam"),
        ({}, {"Accept-Language": "en;q=x"}, "Kemacetan"),
        ({}, {"Accept-Language": "en;q=2"}, "Kemacetan"),
    ],
)
def test_services_and_requests_speak_one_language_by_locale(
    api: Api, params: dict[str, str], headers: dict[str, str], words: str
) -> None:
    """Name, description and keywords in one language: locale, else Accept-Language, else id."""
    post(api)
    for fmt in ("json", "xml"):
        response = api.client.get(f"/open311/v2/services.{fmt}", params=params, headers=headers)
        assert response.status_code == 200
        if fmt == "json":
            jam = next(s for s in response.json() if s["service_code"] == "traffic_jam")
            assert (jam["service_name"], jam["description"], jam["keywords"]) == (words,) * 3
        else:
            service = next(
                e for e in ET.fromstring(response.content)
                if e.findtext("service_code") == "traffic_jam"
            )  # fmt: skip
            assert {service.findtext(k) for k in ("service_name", "description", "keywords")} == {
                words
            }
    listed = api.client.get("/open311/v2/requests.json", params=params, headers=headers).json()
    assert {r["service_name"] for r in listed} == {words}


@pytest.mark.parametrize(
    ("path", "params", "description"),
    [
        ("requests.json", {"radius": "100"}, "radius needs lat and long: the centre of the circle"),
        ("requests.xml", {"radius": "100"}, "radius needs lat and long: the centre of the circle"),
        ("requests.json", {"lat": "-6.17"}, "long is required with lat: give both lat and long"),
        ("requests.json", {"long": "106.8"}, "lat is required with long: give both lat and long"),
        ("requests.json", {"page": "0"}, "page must be between 1 and 1,000,000"),
        ("requests.json", {"page": "99999999999999999999"}, "page must be between 1 and 1,000,000"),
        ("requests.json", {"page": "9" * 60}, "page must be a number between 1 and 1,000,000"),
        ("requests.json", {"page_size": "9" * 60},
         "page_size must be a number between 1 and 1,000"),
        ("requests.json", {"page_size": "5000"}, "page_size must be between 1 and 1,000"),
        # a whole number written as one (a tester's report: 1e3 was read as 1,000)
        ("requests.json", {"page_size": "1e3"}, "page_size must be a whole number"),
        ("requests.json", {"page": "2.0"}, "page must be a whole number"),
        ("requests.json", {"extensions": "maybe"}, "extensions must be true or false"),
        ("requests/JKT-0000-0000.json", {"extensions": "1"}, "extensions must be true or false"),
        ("requests.json", {"radius": "0", "lat": "-6.1", "long": "106.8"},
         "radius must be between 1 and 100,000"),
        ("requests.json", {"lat": "nan", "long": "106.8"},
         "lat is not a number; give a number between -90 and 90"),
        ("requests.json", {"lat": "-6.1", "long": "-inf"}, "long must be between -180 and 180"),
        ("requests.json", {"lat": "91", "long": "106.8"}, "lat must be between -90 and 90"),
        ("requests.json", {"lat": "-6.1", "long": "106.8", "radius": "NaN"},
         "radius is not a number; give a number between 1 and 100,000"),
        ("requests.json", {"page": "nan"},
         "page is not a number; give a number between 1 and 1,000,000"),
        ("requests.json", {"start_date": "2026-11-30T00:00:00"},
         "start_date needs a time zone offset, e.g. 2026-11-23T09:00:00+07:00"),
        ("requests.json", {"start_date": "2026-13-01"},
         "start_date names no real day or time: there is no month 13"),
        ("requests.json", {"start_date": "2026-11-30 09:00"},
         f"start_date must be a W3C date: a date and time, {W3C_FORM}, or a day, YYYY-MM-DD"),
        # an offset's '+' sent unescaped arrives as a space
        ("requests.json", {"updated_after": "2026-11-23T09:00:00 07:00"},
         "updated_after must be a W3C date, send the '+' of its offset as %2B: a bare '+' in "
         "a URL reads as a space"),
        # a space for W3C's T: the whole form is said, not only the missing offset
        ("requests.json", {"end_date": "2026-11-23 09:00:00"},
         f"end_date must be a W3C date: a date and time, {W3C_FORM}, or a day, YYYY-MM-DD"),
        ("requests.html", {}, "format must be xml or json"),
        ("services.csv", {}, "format must be xml or json"),
        ("requests/JKT-AAAA-AAAA.yaml", {}, "format must be xml or json"),
    ],
)  # fmt: skip
def test_bad_parameters_are_the_spec_error_array_in_words(
    api: Api, path: str, params: dict[str, str], description: str
) -> None:
    response = api.client.get(f"/open311/v2/{path}", params=params)
    assert response.status_code == 400
    if path.endswith(".xml"):
        (error,) = ET.fromstring(response.content)
        assert (error.findtext("code"), error.findtext("description")) == ("400", description)
    else:
        assert response.json() == [{"code": 400, "description": description}]


def test_service_definition_and_unknown_service(api: Api) -> None:
    assert fetch(api, "services/traffic_jam") == {"service_code": "traffic_jam", "attributes": []}
    errors = fetch(api, "services/nope", expect=404)
    assert errors == [{"code": 404, "description": "no service with code 'nope'"}]


def test_post_request_returns_id_and_stores_reporter_privately(api: Api) -> None:
    response = post(api)
    assert response.status_code == 201, response.text
    (created,) = response.json()
    code = created["service_request_id"]
    assert created == {"service_request_id": code, "service_notice": "", "account_id": ""}
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    # ``post`` files with a staff key: staff filing for a caller (tests/api/test_client_keys.py)
    assert detail["channel"] == "staff-on-behalf"
    assert detail["reporter"]["name"] == "Siti Rahma"
    xml = post(api, "xml")
    assert xml.status_code == 201
    root = ET.fromstring(xml.content)
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text.startswith("JKT-")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"api_key": None}, 403, "api_key is required"),
        ({"api_key": "tgk_nope_nope"}, 403, "unknown api key"),
        ({"service_code": None}, 400, "service_code is required"),
        ({"service_code": "nope"}, 400, "unknown report category"),
        ({"lat": None}, 400, "lat and long are required"),
        ({"lat": "north"}, 400, "lat must be a number"),
        ({"lat": "nan"}, 400, "lat is not a number; give a number between -90 and 90"),
        ({"long": "Infinity"}, 400, "long must be between -180 and 180"),
        ({"lat": "1e309"}, 400, "lat must be between -90 and 90"),
        # Open311's own field names, never the engine's (reporter_email …)
        ({"email": "notanemail"}, 400, "email is not an e-mail address"),
        ({"phone": "\x1b[31m"}, 400, "phone contains control character U+001B"),
        ({"first_name": "x" * 300, "last_name": None}, 400, "first_name has 300 characters"),
        # each name part under its own name; the two together naming both
        (
            {"last_name": "Rahma\x1b"},
            400,
            "last_name contains control character U+001B at character 6",
        ),
        ({"first_name": None, "last_name": "x" * 201}, 400, "last_name has 201 characters"),
        (
            {"last_name": "x" * 199},
            400,
            "first_name and last_name together have 204 characters; the limit is 200",
        ),
        ({"address_string": "x" * 400}, 400, "address_string has 400 characters; the limit is 300"),
        ({"address_string": "Jl.\x1b"}, 400, "address_string contains control character U+001B"),
        (
            {"address_string": "Jl.\u2028Sudirman"},
            400,
            "address_string must be one line: found a line break at character 4",
        ),
    ],
)
def test_post_request_errors_are_the_spec_array(
    api: Api, fields: dict[str, Any], status: int, words: str
) -> None:
    for fmt in ("json", "xml"):
        response = post(api, fmt, **fields)
        assert response.status_code == status
        if fmt == "json":
            (error,) = response.json()
        else:
            node = ET.fromstring(response.content).find("error")
            assert node is not None
            error = {
                "code": int(node.findtext("code", "")),
                "description": node.findtext("description"),
            }
        assert error["code"] == status
        assert error["description"].startswith(words)
        assert "reporter_" not in error["description"]


def test_post_request_with_media_files(api: Api) -> None:
    response = post(api, files=[("media[]", ("a.jpg", make_photo(exif=True), "image/jpeg"))])
    assert response.status_code == 201, response.text
    code = response.json()[0]["service_request_id"]
    (item,) = fetch(api, f"requests/{code}")
    assert item["media_url"].startswith("http://127.0.0.1:8000/media/")
    photo = api.client.get(item["media_url"].removeprefix("http://127.0.0.1:8000"))
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert b"PhoneMaker" not in photo.content  # EXIF gone
    wrong = post(api, files=[("media[]", ("a.txt", b"hello", "text/plain"))])
    assert wrong.status_code == 415


SENT_PHOTO = "https://fixmystreet.example/photo/12.full.jpeg?v=2"


def test_post_media_url_is_kept_and_given_back_while_we_have_no_photo(api: Api) -> None:
    # FixMyStreet sends the address of its own photo; it is never fetched from here
    response = post(api, media_url=SENT_PHOTO, jurisdiction_id="jakarta", foo="bar")
    assert response.status_code == 201, response.text  # unknown parameters: extensions
    code = response.json()[0]["service_request_id"]
    (item,) = fetch(api, f"requests/{code}")  # JSON and XML agree
    assert item["media_url"] == SENT_PHOTO
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("staff")).json()
    assert detail["media_url"] == SENT_PHOTO
    web = TestClient(api.app, base_url="https://testserver", follow_redirects=False)
    web.headers["Origin"] = "https://testserver"
    signed = web.post("/staff/sign-in", data={"key": api.keys["staff"], "next": "/staff"})
    assert signed.status_code == 303
    page = web.get(f"/staff/tickets/{code}?lang=en").text
    assert f'<a href="{SENT_PHOTO}" rel="noopener noreferrer nofollow"' in page
    # a photo of our own comes first
    files = [("media[]", ("a.jpg", make_photo(), "image/jpeg"))]
    both = post(api, files=files, media_url=SENT_PHOTO).json()[0]["service_request_id"]
    (ours,) = fetch(api, f"requests/{both}")
    assert ours["media_url"].startswith("http://127.0.0.1:8000/media/")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://fixmystreet.example/a.jpg", "media_url is not a web address like https://"),
        ("javascript:alert(1)", "media_url is not a web address like https://"),
        ("https://fix mystreet.example/a.jpg", "media_url is not a web address like https://"),
        ("https://user:secret@fixmystreet.example/", "media_url is not a web address like"),
        ("/photo/12.jpeg", "media_url is not a web address like https://"),
        ("https://x.example/" + "a" * 2000, "media_url has 2018 characters; the limit is 2000"),
        ("https://x.example/\x1b[31m", "media_url contains control character U+001B"),
        ("https://x.example/\uffff", "media_url contains U+FFFF at character 19"),
        # characters RFC 3986 never allows unencoded
        ('https://x.example/"><script>alert(1)</script>', "media_url is not a web address like"),
        ("https://x.example/a{b}|c", "media_url is not a web address like https://"),
    ],
)
def test_post_bad_media_url_is_refused_naming_it(api: Api, url: str, words: str) -> None:
    response = post(api, media_url=url)
    assert response.status_code == 400, response.text
    (error,) = response.json()
    assert error["description"].startswith(words)
    assert "secret" not in error["description"]


def test_the_key_is_checked_before_the_media(api: Api) -> None:
    settings = api.app.state.settings
    big = make_photo() + b"\0" * (settings.max_photo_bytes + 1)
    for files in (
        [("media[]", ("big.jpg", big, "image/jpeg"))],
        [("media[]", ("a.txt", b"hello", "text/plain"))],
        [
            ("media[]", (f"{n}.jpg", make_photo(), "image/jpeg"))
            for n in range(settings.max_photos + 1)
        ],
    ):
        response = post(api, files=files, api_key=None)
        assert response.status_code == 403, response.text
        assert response.json() == [{"code": 403, "description": "api_key is required"}]
    too_many = post(
        api,
        files=[
            ("media[]", (f"{n}.jpg", make_photo(), "image/jpeg"))
            for n in range(settings.max_photos + 1)
        ],
    )
    assert too_many.status_code == 400
    assert "media files" in too_many.json()[0]["description"]


def _status(api: Api, code: str) -> tuple[str, str, str]:
    """(status, detailed status, status_notes) of ``code``, alone and in the list, JSON = XML."""
    (one,) = fetch(api, f"requests/{code}", extensions="true")
    (listed,) = [
        i for i in fetch(api, "requests", extensions="true") if i["service_request_id"] == code
    ]
    assert listed["status_notes"] == one["status_notes"]
    return one["status"], one["extended_attributes"]["status_label_id"], one["status_notes"]


def test_status_notes_describe_the_current_status_never_an_older_one(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start")
    assert api.act(code, "resolve", "admin", note="Sudah lancar").status_code == 200
    assert _status(api, code) == ("closed", "Selesai", "Sudah lancar")

    disputed = api.client.post(
        f"/api/v1/reports/{code}/dispute",
        json={"reason": "masih macet"},
        headers={"X-Reporter-Token": api.tokens[code]},
    )
    assert disputed.status_code == 200, disputed.text
    # Open again: "Sudah lancar" no longer describes it, and the reporter's reason is theirs.
    assert _status(api, code) == ("open", "Disposisi", "")

    said = api.act(code, "comment", "admin", note="Petugas dikirim lagi", public=True)
    assert said.status_code == 200, said.text
    assert _status(api, code)[2] == "Petugas dikirim lagi"  # a later public staff note
    inner = api.act(code, "comment", "admin", note="cek CCTV", public=False)
    assert inner.status_code == 200, inner.text
    assert _status(api, code)[2] == "Petugas dikirim lagi"  # an internal note is not shown

    moved = api.act(code, "transfer", "admin", agency="DBM", note="jalan amblas", public=True)
    assert moved.status_code == 200, moved.text
    assert _status(api, code) == ("open", "Koordinasi", "jalan amblas")
    api.drive(code, "start")  # a change of state without a note: nothing older is shown
    assert _status(api, code) == ("open", "Proses", "")


def test_get_request_is_a_one_element_list_with_w3c_dates(api: Api) -> None:
    code = api.submit(address="Jl. Medan Merdeka")["code"]
    api.drive(code, "verify", "assign", "start", "hold")
    (item,) = fetch(api, f"requests/{code}", extensions="true")
    assert item["service_request_id"] == code
    assert item["status"] == "open"
    assert item["status_notes"] == "menunggu PLN"
    assert item["service_code"] == "traffic_jam"
    assert item["agency_responsible"] == "Dinas Perhubungan"
    assert item["address"] == "Jl. Medan Merdeka"
    assert item["lat"] == MONAS[0] and item["long"] == MONAS[1]
    for field in ("requested_datetime", "updated_datetime"):
        assert W3C.match(item[field]), item[field]
    # on hold the clocks are paused: no expected date holds (it moves by the hold's length)
    assert item["expected_datetime"] == ""
    assert item["extended_attributes"]["clock_paused"] is True
    assert item["requested_datetime"] == "2026-11-23T09:05:00+07:00"
    assert item["extended_attributes"]["detailed_status"] == "IN_PROCESS"
    api.drive(code, "resume")
    (going,) = fetch(api, f"requests/{code}", extensions="true")
    assert W3C.match(going["expected_datetime"]), going["expected_datetime"]
    (plain,) = fetch(api, f"requests/{code}")
    assert "extended_attributes" not in plain
    assert fetch(api, "requests/JKT-0000-0000", expect=404)[0]["code"] == 404


def test_closed_states_are_closed_with_their_detailed_status(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve")
    (item,) = fetch(api, f"requests/{code}", extensions="true")
    assert (item["status"], item["extended_attributes"]["detailed_status"]) == (
        "closed",
        "PROCESSED",
    )


def test_get_requests_filters_and_defaults(api: Api) -> None:
    old = api.submit()["code"]
    api.clock.now += timedelta(days=91)
    jam = api.submit()["code"]
    light = api.submit(category="broken_street_light")["code"]
    done = api.submit()["code"]
    api.drive(done, "reject")

    def codes(**params: Any) -> list[str]:
        return sorted(r["service_request_id"] for r in fetch(api, "requests", **params))

    assert codes() == sorted([jam, light, done])  # 90 days by default
    assert codes(status="", service_code="") == sorted([jam, light, done])  # empty = absent
    assert codes(start_date="2026-11-01") == sorted([old, jam, light, done])
    assert codes(status="open") == sorted([jam, light])
    assert codes(status="closed") == [done]
    assert codes(service_code="broken_street_light,nope") == [light]
    assert codes(service_code="BROKEN_STREET_LIGHT") == [light]  # any case, as the API
    assert codes(service_request_id=f"{old},{light}", status="closed") == sorted([old, light])
    assert len(codes(page_size="2")) == 2
    assert len(codes(page_size="2", page="2")) == 1
    assert codes(lat=str(MONAS[0]), long=str(MONAS[1] + 0.05), radius="1000") == []
    assert len(codes(lat=str(MONAS[0]), long=str(MONAS[1]), radius="1000")) == 3
    assert fetch(api, "requests", expect=400, start_date="yesterday")[0]["code"] == 400
    assert fetch(api, "requests", expect=400, page_size="5000")[0]["code"] == 400


def test_start_and_end_date_honour_time_and_offset(api: Api) -> None:
    code = api.submit()["code"]  # 2026-11-23 09:05 WIB = 02:05 UTC

    def found(**params: Any) -> bool:
        return code in [r["service_request_id"] for r in fetch(api, "requests", **params)]

    assert found(start_date="2026-11-23T09:05:00+07:00")
    assert not found(start_date="2026-11-23T09:06:00+07:00")
    assert found(start_date="2026-11-23T02:04:00Z")
    assert not found(start_date="2026-11-23T02:06:00+00:00")
    assert found(start_date="2026-11-23", end_date="2026-11-23T09:05:00+07:00")
    assert not found(start_date="2026-11-23", end_date="2026-11-23T09:04:59+07:00")


def test_bare_dates_are_the_whole_day_in_city_time(api: Api) -> None:
    code = api.submit()["code"]  # 2026-11-23 09:05 WIB = 02:05 UTC
    api.clock.now += timedelta(hours=2)
    api.drive(code, "verify")  # updated at 11:10 WIB

    def found(**params: Any) -> bool:
        return code in [r["service_request_id"] for r in fetch(api, "requests", **params)]

    # the day 2026-11-23 in Jakarta: 2026-11-22T17:00Z .. 2026-11-23T17:00Z
    assert found(start_date="2026-11-23", end_date="2026-11-23")
    assert not found(start_date="2026-11-24")
    assert not found(end_date="2026-11-22")
    assert found(updated_after="2026-11-23", updated_before="2026-11-23")
    assert not found(updated_after="2026-11-24")
    assert not found(updated_before="2026-11-22")
    updates = fetch(api, "servicerequestupdates", start_date="2026-11-23", end_date="2026-11-23")
    assert {u["service_request_id"] for u in updates} == {code}
    assert fetch(api, "servicerequestupdates", start_date="2026-11-24", end_date="2026-11-24") == []


@pytest.mark.parametrize(("path", "name"), OPEN311_DATES)
@pytest.mark.parametrize("value", ["2026-11-30T00:00:00", "2026-11-30T09:00"])
def test_a_date_and_time_without_an_offset_is_refused_naming_it(
    api: Api, name: str, path: str, value: str
) -> None:
    errors = fetch(api, path, expect=400, **{name: value})
    assert errors == [
        {
            "code": 400,
            "description": f"{name} needs a time zone offset, e.g. 2026-11-23T09:00:00+07:00",
        }
    ]


def test_updated_after_and_before(api: Api) -> None:
    code = api.submit()["code"]
    api.clock.now += timedelta(hours=2)
    api.drive(code, "verify")  # updated at 11:10 WIB

    def found(**params: Any) -> bool:
        return code in [r["service_request_id"] for r in fetch(api, "requests", **params)]

    assert found(updated_after="2026-11-23T11:00:00+07:00")
    assert not found(updated_after="2026-11-23T11:30:00+07:00")
    assert found(updated_before="2026-11-23T11:30:00+07:00")
    assert not found(updated_before="2026-11-23T11:00:00+07:00")


def test_tokens_resolve_to_request_ids(api: Api) -> None:
    code = post(api).json()[0]["service_request_id"]
    assert fetch(api, f"tokens/{code}") == [{"service_request_id": code, "token": code}]
    assert fetch(api, "tokens/JKT-0000-0000", expect=404)[0]["code"] == 404


def test_service_request_updates_feed_speaks_fixmystreet_statuses(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "hold", "resume", "resolve")
    updates = fetch(
        api,
        "servicerequestupdates",
        start_date="2026-11-23T00:00:00+07:00",
        end_date="2026-11-24T00:00:00+07:00",
    )
    mine = [u for u in updates if u["service_request_id"] == code]
    assert [u["status"] for u in mine] == [
        "open",
        "investigating",
        "action_scheduled",
        "in_progress",
        "action_scheduled",
        "in_progress",
        "fixed",
    ]
    assert mine[-1]["description"] == "petugas diturunkan"
    assert all(W3C.match(u["updated_datetime"]) for u in mine)
    assert len({u["update_id"] for u in mine}) == 7


def test_service_request_updates_say_the_state_a_resume_lands_in(api: Api) -> None:
    """A ticket held before work started goes back to assigned on resume: FixMyStreet reads
    "action_scheduled" again there, not "in_progress" (nobody has started the work)."""
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "hold", "resume")
    updates = fetch(
        api,
        "servicerequestupdates",
        start_date="2026-11-23T00:00:00+07:00",
        end_date="2026-11-24T00:00:00+07:00",
    )
    mine = [u["status"] for u in updates if u["service_request_id"] == code]
    assert mine == [
        "open",
        "investigating",
        "action_scheduled",
        "action_scheduled",
        "action_scheduled",
    ]
    assert api.client.get(f"/api/v1/reports/{code}").json()["state"]["code"] == "assigned"


def test_service_request_updates_are_paged_like_requests(api: Api) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "hold", "resume")  # 6 public updates
    period = {
        "start_date": "2026-11-23T00:00:00+07:00",
        "end_date": "2026-11-24T00:00:00+07:00",
    }

    def ids(**params: Any) -> list[str]:
        # fetch: the JSON and the XML document say the same
        return [u["update_id"] for u in fetch(api, "servicerequestupdates", **period, **params)]

    every = ids()
    assert len(every) == 6
    assert ids(page_size="2") == every[:2]
    assert ids(page_size="2", page="2") == every[2:4]
    assert ids(page_size="4", page="2") == every[4:]
    assert ids(page_size="2", page="4") == []
    assert ids(page="1") == every
    for name, value, words in (
        ("page_size", "5000", "page_size must be between 1 and 1,000"),
        ("page_size", "0", "page_size must be between 1 and 1,000"),
        ("page", "zwei", "page must be a number between 1 and 1,000,000"),
    ):
        refused = fetch(api, "servicerequestupdates", expect=400, **period, **{name: value})
        assert refused == [{"code": 400, "description": words}]


@pytest.mark.parametrize("field", ["description", "address_string", "first_name"])
def test_form_bytes_that_are_not_utf8_are_refused_naming_the_parameter(
    api: Api, field: str
) -> None:
    """Percent-encoded bytes that are not UTF-8 were decoded to U+FFFD and stored garbled."""
    fields = {"description": "Macet+parah", field: "Macet%ED%A0%80x%E9y"}
    body = f"api_key={api.keys['staff']}&service_code=traffic_jam&lat={MONAS[0]}&long={MONAS[1]}"
    body += "".join(f"&{name}={value}" for name, value in fields.items())
    before = api.client.get("/open311/v2/requests.json").json()
    response = api.client.post(
        "/open311/v2/requests.json",
        content=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400, response.text
    (error,) = response.json()
    assert error["description"].startswith(f"{field} is not valid text (broken encoding at ")
    assert api.client.get("/open311/v2/requests.json").json() == before


@pytest.mark.parametrize(
    ("path", "first", "last"),
    [
        ("requests", "start_date", "end_date"),
        ("requests", "updated_after", "updated_before"),
        ("servicerequestupdates", "start_date", "end_date"),
    ],
)
def test_a_period_that_ends_before_it_starts_is_a_400_naming_its_end(
    api: Api, path: str, first: str, last: str
) -> None:
    """It used to be answered with an empty list, as if nothing had happened then."""
    api.submit()
    errors = fetch(api, path, expect=400, **{first: "2026-12-01", last: "2026-11-30"})
    assert errors == [
        {
            "code": 400,
            "description": f"{last} is before {first}: the period must end after it starts",
        }
    ]
    # One day given as both ends is that whole day, not an inverted period.
    assert fetch(api, path, **{first: "2026-11-23", last: "2026-11-23"}) is not None


# --- a service that needs a photo ------------------------------------------------------------

PHOTO_HOW = "send it as a media[] file in multipart/form-data; media_url is not fetched"
PHOTO_WORDS = {
    "id": "Laporan jenis ini wajib menyertakan minimal satu foto: kirim sebagai berkas media[] "
    "dalam multipart/form-data; media_url tidak diambil.",
    "en": f"A report of this kind needs at least one photo: {PHOTO_HOW}.",
}


def _needing_a_photo(api: Api) -> set[str]:
    with api.transactions.read() as session:
        return {s.code for s in list_services(session) if s.photo_on_submit}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_photo_required_refusal_says_how_an_open311_client_sends_one(api: Api, fmt: str) -> None:
    """GeoReport v2 has only media_url, which is never fetched: the 400 says what works."""
    response = post(api, fmt, service_code="broken_road", media_url="https://example.org/hole.jpg")
    assert response.status_code == 400, response.text
    words = f"a report of broken road / pothole needs at least one photo: {PHOTO_HOW}"
    if fmt == "json":
        assert response.json() == [{"code": 400, "description": words}]
    else:
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        (error,) = root
        assert (error.tag, error.findtext("code"), error.findtext("description")) == (
            "error",
            "400",
            words,
        )
    # done as it says: the same report with the photo as a media[] file is taken
    files = [("media[]", ("hole.jpg", make_photo(), "image/jpeg"))]
    taken = post(api, fmt, files, service_code="broken_road")
    assert taken.status_code == 201, taken.text


def test_the_json_apis_photo_refusal_keeps_its_own_words(api: Api) -> None:
    """media[] and media_url are Open311's words: the JSON API's refusal does not use them."""
    response = api.client.post(
        "/api/v1/reports",
        json={"category": "broken_road", "description": "Lubang", "lat": MONAS[0], "lon": MONAS[1]},
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("a report of broken road / pothole needs at least one photo; ")
    assert "media" not in detail and "multipart/form-data" in detail  # its own door's words


@pytest.mark.parametrize("locale", ["id", "en"])
def test_services_needing_a_photo_say_so_in_their_description(api: Api, locale: str) -> None:
    needing = _needing_a_photo(api)
    assert {"broken_road", "illegal_parking"} <= needing  # the catalogue's, not a guess
    services = fetch(api, "services", locale=locale)  # JSON and XML alike (a real parser)
    for service in services:
        says = PHOTO_WORDS[locale] in service["description"]
        assert says is (service["service_code"] in needing), service
        if says:
            assert service["metadata"] is True  # its definition has the attribute below
    road = next(s for s in services if s["service_code"] == "broken_road")
    name = {"id": "Jalan rusak / berlubang", "en": "Broken road / pothole"}[locale]
    assert road["description"] == f"{name}. {PHOTO_WORDS[locale]}"
    xml = ET.fromstring(
        api.client.get("/open311/v2/services.xml", params={"locale": locale}).content
    )
    described = {
        s.findtext("service_code"): s.findtext("description") or "" for s in xml.iter("service")
    }
    assert {code for code, text in described.items() if PHOTO_WORDS[locale] in text} == needing


@pytest.mark.parametrize("locale", ["id", "en"])
def test_a_service_definition_needing_a_photo_says_so_first(api: Api, locale: str) -> None:
    for code in sorted(_needing_a_photo(api)):
        definition = fetch(api, f"services/{code}", locale=locale)
        first = definition["attributes"][0]
        assert first == {
            "variable": False,  # GeoReport v2: no input, its description shown to the person
            "code": "media",
            "datatype": "string",
            "required": False,
            "datatype_description": "",
            "order": 0,
            "description": PHOTO_WORDS[locale],
            "values": [],
        }
    xml = ET.fromstring(
        api.client.get("/open311/v2/services/broken_road.xml", params={"locale": locale}).content
    )
    attribute = xml.find("attributes/attribute")
    assert attribute is not None and attribute.findtext("variable") == "false"
    assert attribute.findtext("description") == PHOTO_WORDS[locale]
    assert fetch(api, "services/traffic_jam", locale=locale)["attributes"] == []


@pytest.mark.parametrize("name", ["service_request_id", "service_code", "status"])
@pytest.mark.parametrize("value", [",,,", ",", " , ,"])
def test_a_list_parameter_of_only_commas_is_refused_naming_it(
    api: Api, name: str, value: str
) -> None:
    """``service_request_id=,,,`` answered the whole list: it names no id, which is not the
    same as an empty (absent) parameter."""
    api.submit()
    errors = fetch(api, "requests", expect=400, **{name: value})
    assert errors == [
        {
            "code": 400,
            "description": f"{name} lists nothing: give one or more values separated by commas",
        }
    ]
    # the control: an empty parameter is absent, and the list answers
    assert len(fetch(api, "requests", **{name: ""})) == 1


def test_a_bare_start_date_on_the_windows_first_day_is_taken(api: Api) -> None:
    """A bare date is a day in city time (+07:00): 1970-01-01 begins before the window's first
    instant (1970-01-01T00:00Z), yet it is the day the refusal's words allow."""
    first = api.client.get("/open311/v2/requests.json", params={"start_date": "1970-01-01"})
    last = api.client.get("/open311/v2/requests.json", params={"end_date": "9000-01-01"})
    before = api.client.get("/open311/v2/requests.json", params={"start_date": "1969-12-31"})
    assert (first.status_code, last.status_code) == (200, 200), first.text + last.text
    assert before.status_code == 400
    assert before.json()[0]["description"] == (
        "start_date must lie between 1970-01-01 and 9000-01-01"
    )


# --- a default end never makes a period "the wrong way round" ---------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("requests", "start_date"),
        ("requests", "updated_after"),
        ("servicerequestupdates", "start_date"),
    ],
)
def test_a_future_start_without_an_end_is_an_empty_list(api: Api, path: str, name: str) -> None:
    """A tester's report: servicerequestupdates with start_date an hour ahead and no end_date
    was a 400 "end_date is before start_date", naming a parameter never sent (its default end
    is now). Nothing has happened after now: an empty list, as requests.json answers."""
    code = api.submit()["code"]
    api.drive(code, "verify", "assign")
    in_an_hour = (api.clock.now + timedelta(hours=1)).isoformat()
    assert fetch(api, path, **{name: in_an_hour}) == []  # JSON and XML (a real parser) agree
    # a day given as the start: the same, in the city's time zone
    assert fetch(api, path, **{name: "2026-11-24"}) == []
    # and the same start an hour ago lists what happened since
    an_hour_ago = (api.clock.now - timedelta(hours=1)).isoformat()
    assert fetch(api, path, **{name: an_hour_ago}) != []


def test_the_updates_feeds_default_start_names_no_parameter_left_out(api: Api) -> None:
    """Its start defaults to the day before end_date: before 1970-01-01 that day was refused
    as "start_date must lie between …", a parameter the client never sent."""
    api.submit()
    for end in ("1970-01-01", "1970-01-01T12:00:00Z"):
        assert fetch(api, "servicerequestupdates", end_date=end) == []
    # a start_date the client did send, out of the window, is still named
    refused = fetch(api, "servicerequestupdates", expect=400, start_date="1969-12-31")
    assert refused == [
        {"code": 400, "description": "start_date must lie between 1970-01-01 and 9000-01-01"}
    ]


# --- a locale this service does not have falls back -----------------------------------------

ENGLISH, INDONESIAN = "Traffic jam", "Kemacetan"
LOCALES = [
    ("en", ENGLISH),
    ("EN", ENGLISH),
    ("en-US", ENGLISH),
    ("en_GB", ENGLISH),
    ("en-Latn-GB", ENGLISH),
    ("en_US.UTF-8", ENGLISH),
    ("id", INDONESIAN),
    ("id-ID", INDONESIAN),
    ("in_ID", INDONESIAN),  # Java's (and Android's) old code for Indonesian
    ("fr", INDONESIAN),
    ("fr-FR", INDONESIAN),
    ("zh-Hant-TW", INDONESIAN),
    ("english", INDONESIAN),
]


@pytest.mark.parametrize(("locale", "words"), LOCALES)
def test_every_method_taking_a_locale_answers_in_one_it_has(
    api: Api, locale: str, words: str
) -> None:
    """locale=fr was a 400 "locale must be id or en" on every method: a locale is read by its
    primary language, and one this service lacks falls back (here to Indonesian)."""
    code = post(api).json()[0]["service_request_id"]
    services = fetch(api, "services", locale=locale)  # JSON and XML (a real parser) agree
    (jam,) = [s for s in services if s["service_code"] == "traffic_jam"]
    assert (jam["service_name"], jam["description"], jam["keywords"]) == (words,) * 3
    road = fetch(api, "services/broken_road", locale=locale)
    assert road["attributes"][0]["description"] == PHOTO_WORDS["en" if words == ENGLISH else "id"]
    (listed,) = fetch(api, "requests", locale=locale)
    assert listed["service_name"] == words
    (one,) = fetch(api, f"requests/{code}", locale=locale)
    assert one["service_name"] == words


@pytest.mark.parametrize(
    ("locale", "accept", "words"),
    [
        ("fr", "en-GB,en;q=0.9", ENGLISH),  # locale none of ours: Accept-Language, as if absent
        ("fr", "fr-FR,de;q=0.8", INDONESIAN),  # neither: the default
        ("id", "en", INDONESIAN),  # a locale we have wins
        ("", "en", ENGLISH),  # an empty parameter is absent
    ],
)
def test_a_locale_it_lacks_falls_back_as_if_none_were_given(
    api: Api, locale: str, accept: str, words: str
) -> None:
    for fmt in ("json", "xml"):
        response = api.client.get(
            f"/open311/v2/services.{fmt}",
            params={"locale": locale},
            headers={"Accept-Language": accept},
        )
        assert response.status_code == 200, response.text
        if fmt == "json":
            names = {s["service_code"]: s["service_name"] for s in response.json()}
        else:
            names = {
                e.findtext("service_code"): e.findtext("service_name")
                for e in ET.fromstring(response.content)
            }
        assert names["traffic_jam"] == words


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("locale", "mailed"), [("fr", "id"), ("fr-CA", "id"), ("en-US", "en"), ("id-ID", "id")]
)
def test_a_report_filed_with_a_locale_it_lacks_is_filed_in_one_it_has(
    api: Api, fmt: str, locale: str, mailed: str
) -> None:
    """The report is filed (201, a service_request_id), and its reporter's status mails are
    written in the language the locale falls back to."""
    response = post(api, fmt, locale=locale)
    assert response.status_code == 201, response.text
    if fmt == "json":
        (filed,) = response.json()
        code = filed["service_request_id"]
    else:
        (filed_xml,) = ET.fromstring(response.content)
        code = filed_xml.findtext("service_request_id") or ""
    assert code
    assert api.act(code, "verify").status_code == 200
    ((to, language, _subject),) = api.mails(code)
    assert (to, language) == ("siti@example.id", mailed)


MALFORMED = [
    ("en\x01", "locale must be a language tag such as id, en or en-US"),
    ("en US", "locale must be a language tag such as id, en or en-US"),
    ("<en>", "locale must be a language tag such as id, en or en-US"),
    ("é", "locale must be a language tag such as id, en or en-US"),
    ("en-" + "x" * 33, "locale is too long: at most 35 characters"),
]


@pytest.mark.parametrize(("locale", "words"), MALFORMED)
def test_a_locale_that_is_no_language_tag_is_a_400_naming_locale(
    api: Api, locale: str, words: str
) -> None:
    for path in ("services", "services/broken_road", "requests"):
        assert fetch(api, path, expect=400, locale=locale) == [{"code": 400, "description": words}]
    before = api.client.get("/open311/v2/requests.json").json()
    for fmt in ("json", "xml"):
        response = post(api, fmt, locale=locale)
        assert response.status_code == 400, response.text
        if fmt == "json":
            assert response.json() == [{"code": 400, "description": words}]
        else:
            (error,) = ET.fromstring(response.content)
            assert (error.findtext("code"), error.findtext("description")) == ("400", words)
    assert api.client.get("/open311/v2/requests.json").json() == before  # nothing filed


# --- a request located by its address_string alone ------------------------------------------
# GeoReport v2: a request gives lat & long, or address_string, or address_id. An address alone
# is placed by the search the web report form uses (``engine.queries.places``): one kelurahan
# takes the request; several places alike, or none, are the spec's 400 saying which and to
# send lat and long, and nothing is written.

CIDENG_LABEL = "Kelurahan Cideng, Kecamatan Gambir, Jakarta Pusat"


def _answer(response: Any, fmt: str) -> list[dict[str, str]]:
    """The answer's items, read from JSON or (with a real parser) from XML."""
    if fmt == "json":
        return [{k: str(v) for k, v in item.items()} for item in response.json()]
    root = ET.fromstring(response.content)
    return [{child.tag: child.text or "" for child in item} for item in root]


def _ticket_codes(api: Api) -> list[str]:
    with api.transactions.read() as session:
        return list(session.scalars(select(Ticket.code).order_by(Ticket.code)))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_address_string_alone_naming_one_kelurahan_places_the_request_there(
    api: Api, fmt: str
) -> None:
    address = "Jl. Cideng Barat 12, Cideng"
    response = post(api, fmt, lat=None, long=None, address_string=address)
    assert response.status_code == 201, response.text
    (filed,) = _answer(response, fmt)
    code = filed["service_request_id"]
    assert filed["service_notice"] == f"placed in {CIDENG_LABEL} by its address_string"
    place = api.client.get("/api/v1/places", params={"q": address}).json()[0]
    assert place["label"] == CIDENG_LABEL
    report = api.client.get(f"/api/v1/reports/{code}").json()
    assert report["area"]["name"] == "Kelurahan Cideng"
    assert report["address"] == address  # what was sent goes with the request
    assert (report["lat"], report["lon"]) == (place["lat"], place["lon"])
    (listed,) = fetch(api, f"requests/{code}")
    assert listed["address"] == address
    assert (listed["lat"], listed["long"]) == (place["lat"], place["lon"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("address", "words"),
    [
        (
            "Gambir",
            "address_string 'Gambir' does not name one kelurahan: it could be Kelurahan Gambir, "
            "Kecamatan Gambir, Jakarta Pusat; Kecamatan Gambir, Jakarta Pusat. Send lat and "
            "long, or an address_string that names its kelurahan",
        ),
        (
            "Jl. Tidak Ada 1, Atlantis",
            "address_string 'Jl. Tidak Ada 1, Atlantis' names no kelurahan, kecamatan or kota of "
            "this city. Send lat and long, or an address_string that names its kelurahan",
        ),
    ],
)
def test_an_address_string_alone_that_places_no_one_kelurahan_is_the_spec_400(
    api: Api, fmt: str, address: str, words: str
) -> None:
    before = _ticket_codes(api)
    response = post(api, fmt, lat=None, long=None, address_string=address)
    assert response.status_code == 400, response.text
    assert _answer(response, fmt) == [{"code": "400", "description": words}]
    assert _ticket_codes(api) == before  # nothing written


def test_lat_and_long_still_place_a_request_whatever_its_address_string(api: Api) -> None:
    response = post(api, address_string="Gambir")  # several places: the point decides
    assert response.status_code == 201, response.text
    (filed,) = response.json()
    assert filed["service_notice"] == ""
    report = api.client.get(f"/api/v1/reports/{filed['service_request_id']}").json()
    assert (report["lat"], report["lon"]) == MONAS
    assert report["address"] == "Gambir"
    # one of the two without the other is no location, address or not
    for missing in ("lat", "long"):
        half = post(api, address_string="Cideng", **{missing: None})
        assert half.status_code == 400
        assert half.json()[0]["description"].startswith("lat and long are required")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_address_id_alone_is_the_spec_400_saying_the_city_has_no_address_ids(
    api: Api, fmt: str
) -> None:
    before = _ticket_codes(api)
    response = post(api, fmt, lat=None, long=None, address_id="JKT-0001234")
    assert response.status_code == 400, response.text
    assert _answer(response, fmt) == [
        {
            "code": "400",
            "description": "address_id is not offered: this city has no address register. "
            "Send lat and long, or an address_string that names its kelurahan",
        }
    ]
    assert _ticket_codes(api) == before  # nothing written
