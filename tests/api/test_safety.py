"""Safety: no reporter identity in any public shape, nor in staff shapes of private reports;
uploads checked (413, 415); nothing left behind by a failed request; anonymous rate limit."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api import ratelimit
from api.app import create_app
from api.deps import Transactions
from tests.api.conftest import MONAS, Api
from tests.conftest import make_photo

NAME, EMAIL, PHONE = "Siti Nurhaliza", "siti.rahasia@example.id", "081299990000"
SECRETS = (NAME, EMAIL, PHONE, "Nurhaliza", "rahasia", "99990000")


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s.lower() in text.lower()]


def _identified(api: Api, private: bool, *steps: str) -> str:
    created = api.submit(name=NAME, email=EMAIL, phone=PHONE, private=private)
    code = created["code"]
    assert not _leaks(str({k: v for k, v in created.items() if k != "reporter_token"}))
    api.drive(code, *(steps or ("verify", "assign", "start", "resolve")))
    return code


def test_no_reporter_identity_in_any_public_shape(api: Api) -> None:
    code = _identified(api, False)
    still_open = _identified(api, False, "verify")
    since = {"start_date": "2026-11-01T00:00:00+07:00"}
    shapes = {
        "report": api.client.get(f"/api/v1/reports/{code}"),
        "list": api.client.get("/api/v1/reports"),
        "geojson": api.client.get("/api/v1/reports.geojson"),
        "me too": api.client.post(f"/api/v1/reports/{still_open}/supporters", json={}),
        "duplicates": api.client.post(
            "/api/v1/reports",
            json={"category": "traffic_jam", "description": "x", "lat": MONAS[0], "lon": MONAS[1]},
        ),
    }
    for fmt in ("json", "xml"):
        shapes[f"open311 list {fmt}"] = api.client.get(f"/open311/v2/requests.{fmt}", params=since)
        shapes[f"open311 one {fmt}"] = api.client.get(f"/open311/v2/requests/{code}.{fmt}")
        shapes[f"open311 ext {fmt}"] = api.client.get(
            f"/open311/v2/requests.{fmt}", params={**since, "extensions": "true"}
        )
        shapes[f"updates {fmt}"] = api.client.get(
            f"/open311/v2/servicerequestupdates.{fmt}", params=since
        )
    for name, response in shapes.items():
        assert response.status_code in (200, 201), (name, response.text)
        assert code in response.text or name in ("duplicates", "me too"), name
        assert _leaks(response.text) == [], name


def test_no_reporter_identity_in_staff_shapes_of_private_report(api: Api) -> None:
    code = _identified(api, True)
    for who in ("staff", "supervisor", "kecamatan", "governor"):
        shapes = {
            "detail": api.client.get(f"/api/v1/tickets/{code}", headers=api.auth(who)),
            "worklist": api.client.get(
                "/api/v1/tickets", params={"state": "resolved"}, headers=api.auth(who)
            ),
            "csv": api.client.get(
                "/api/v1/tickets.csv", params={"state": "resolved"}, headers=api.auth(who)
            ),
        }
        for name, response in shapes.items():
            assert response.status_code == 200, (who, name, response.text)
            assert code in response.text, (who, name)
            assert _leaks(response.text) == [], (who, name)
    admin = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin"))
    assert set(_leaks(admin.text)) == set(SECRETS)  # admins may see who it was


def _multipart(api: Api, files: list[tuple[str, tuple[str, bytes, str]]]) -> object:
    data = {"category": "traffic_jam", "description": "Macet", "lat": "-6.1754", "lon": "106.8272"}
    return api.client.post("/api/v1/reports", data=data, files=files)


def _stored(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def test_multipart_photos_are_stored_without_metadata(api: Api) -> None:
    response = _multipart(api, [("photos", ("a.jpg", make_photo(exif=True), "image/jpeg"))])
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    code = response.json()["code"]  # type: ignore[attr-defined]
    (photo,) = api.client.get(f"/api/v1/reports/{code}").json()["photos"]
    served = api.client.get(photo["url"])
    assert served.headers["content-type"] == "image/jpeg"
    assert b"PhoneMaker" not in served.content and b"Exif" not in served.content
    assert len(_stored(api.media)) == 1


def test_upload_too_large_413_wrong_type_415_too_many_422(api: Api) -> None:
    big = make_photo(size=(64, 48)) + b"\0" * (8 * 1024 * 1024)
    assert _multipart(api, [("photos", ("big.jpg", big, "image/jpeg"))]).status_code == 413  # type: ignore[attr-defined]
    text = _multipart(api, [("photos", ("a.txt", b"not an image", "image/jpeg"))])
    assert text.status_code == 415  # type: ignore[attr-defined]
    six = [
        ("photos", (f"{n}.png", make_photo("PNG", size=(8 + n, 8)), "image/png")) for n in range(6)
    ]
    assert _multipart(api, six).status_code == 422  # type: ignore[attr-defined]
    wrong = api.client.post("/api/v1/reports", content=b"x", headers={"Content-Type": "text/plain"})
    assert wrong.status_code == 415
    assert _stored(api.media) == []


def test_rejected_submission_with_photo_writes_nothing(api: Api) -> None:
    data = {"category": "traffic_jam", "description": "Macet", "lat": "-7.0", "lon": "110.0"}
    files = [("photos", ("a.png", make_photo("PNG"), "image/png"))]
    response = api.client.post("/api/v1/reports", data=data, files=files)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "outside_service_area"
    assert _stored(api.media) == []


def test_anonymous_submissions_are_rate_limited_per_client(api: Api, api_settings) -> None:  # type: ignore[no-untyped-def]
    limited = create_app(
        api_settings.model_copy(update={"submit_rate_limit": "2/minute"}),
        transactions=api.app.state.transactions,
    )
    limited.dependency_overrides = api.app.dependency_overrides
    body = {"category": "traffic_jam", "description": "x", "lat": MONAS[0], "lon": MONAS[1]}
    with TestClient(limited) as client:
        assert [client.post("/api/v1/reports", json=body).status_code for _ in range(2)] == [
            201,
            201,
        ]
        third = client.post("/api/v1/reports", json=body)
        assert third.status_code == 429
        assert int(third.headers["Retry-After"]) >= 1
        assert third.json()["code"] == "too_many_requests"


@pytest.mark.parametrize("shared", [False, True], ids=["in_memory", "shared_store"])
def test_the_allowance_is_asked_on_the_event_loop_only_when_it_is_in_memory(
    api: Api,
    api_settings,  # type: ignore[no-untyped-def]
    shared: bool,
) -> None:
    """Counters in this process's memory are asked on the event loop (a hand-off to a thread
    for each half of the dependency cost more than asking); a shared store (Redis, Memcached:
    a network round trip) on the thread pool, never blocking the loop. Either way a client
    gets the same answers: its reports up to the limit, then a 429."""
    limited = create_app(
        api_settings.model_copy(update={"submit_rate_limit": "2/minute"}),
        transactions=api.app.state.transactions,
    )
    limited.dependency_overrides = api.app.dependency_overrides
    limiter = limited.state.limiter
    limiter.in_memory = not shared
    on_loop: list[bool] = []
    counters = limiter.limiter

    class Watched:
        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            ask = getattr(counters, name)

            def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
                try:
                    asyncio.get_running_loop()
                    on_loop.append(True)
                except RuntimeError:
                    on_loop.append(False)
                return ask(*args, **kwargs)

            return watched

    limiter.limiter = Watched()
    body = {"category": "traffic_jam", "description": "x", "lat": MONAS[0], "lon": MONAS[1]}
    with TestClient(limited) as client:
        # A refused request first: it does not use up the allowance of reports.
        answers = [client.post("/api/v1/reports", json={}).status_code]
        answers += [client.post("/api/v1/reports", json=body).status_code for _ in range(3)]
    assert answers == [422, 201, 201, 429]
    assert on_loop and set(on_loop) == {not shared}


def test_the_in_process_allowance_starts_no_thread_per_request(
    api: Api,
    api_settings,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ``limits`` library prunes its in-process counters on a new thread 10 ms after a
    hit whose last pruning thread has ended: one thread per request when requests come 10 ms
    or more apart. The app's counters start one at most once a second (here: once in five),
    and the allowance is what it was: two reports a second, the third refused, and once the
    window has moved on, a report accepted again."""
    limited = create_app(
        api_settings.model_copy(update={"submit_rate_limit": "2/second"}),
        transactions=api.app.state.transactions,
    )
    limited.dependency_overrides = api.app.dependency_overrides
    monkeypatch.setattr(ratelimit, "PRUNE_EVERY_S", 5.0)
    timers: list[threading.Timer] = []

    class Counted(threading.Timer):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            timers.append(self)

    monkeypatch.setattr(threading, "Timer", Counted)
    body = {"category": "traffic_jam", "description": "x", "lat": MONAS[0], "lon": MONAS[1]}
    with TestClient(limited) as client:
        answers = []
        for _ in range(3):
            answers.append(client.post("/api/v1/reports", json=body).status_code)
            time.sleep(0.02)
        time.sleep(1.1)
        answers.append(client.post("/api/v1/reports", json=body).status_code)
    assert answers == [201, 201, 429, 201]
    assert len(timers) == 1


def test_me_too_over_the_limit_speaks_of_supporting_not_of_reports(api: Api, api_settings) -> None:  # type: ignore[no-untyped-def]
    limited = create_app(
        api_settings.model_copy(update={"submit_rate_limit": "2/minute"}),
        transactions=api.app.state.transactions,
    )
    limited.dependency_overrides = api.app.dependency_overrides
    code = api.submit()["code"]
    body = {"category": "traffic_jam", "description": "x", "lat": MONAS[0], "lon": MONAS[1]}
    with TestClient(limited) as client:
        supporters = f"/api/v1/reports/{code}/supporters"
        assert [client.post(supporters, json={}).status_code for _ in range(2)] == [200, 200]
        third = client.post(supporters, json={})
        assert third.status_code == 429, third.text
        assert third.json()["code"] == "too_many_requests"
        assert third.json()["detail"] == (
            'too many "me too"s (supporting or following a report) from this address; '
            "the limit is 2 per 1 minute"
        )
        assert "reports from" not in third.text
        # Supporting others' reports has not used up the client's own reporting.
        assert client.post("/api/v1/reports", json=body).status_code == 201
        assert client.post("/api/v1/reports", json=body).status_code == 201
        refused = client.post("/api/v1/reports", json=body)
        assert refused.status_code == 429
        assert refused.json()["detail"] == (
            "too many reports from this address; the limit is 2 per 1 minute"
        )


def test_refused_submissions_do_not_use_up_the_allowance(api: Api, api_settings) -> None:  # type: ignore[no-untyped-def]
    limited = create_app(
        api_settings.model_copy(update={"submit_rate_limit": "2/minute"}),
        transactions=api.app.state.transactions,
    )
    limited.dependency_overrides = api.app.dependency_overrides
    good = {"category": "traffic_jam", "description": "x", "lat": MONAS[0], "lon": MONAS[1]}
    with TestClient(limited) as client:
        # A new user's first tries: a missing field (pydantic), an unknown category (engine).
        assert client.post("/api/v1/reports", json={"category": "x"}).status_code == 422
        unknown = client.post("/api/v1/reports", json={**good, "category": "nope"})
        assert unknown.status_code == 422
        assert [client.post("/api/v1/reports", json=good).status_code for _ in range(2)] == [
            201,
            201,
        ]
        assert client.post("/api/v1/reports", json=good).status_code == 429
    with TestClient(limited, client=("10.0.0.9", 5000)) as other:
        # Refused requests have their own allowance, five times as large.
        answers = [other.post("/api/v1/reports", json={}).status_code for _ in range(11)]
        assert answers == [422] * 10 + [429]
        assert "too many refused requests" in other.post("/api/v1/reports", json=good).text


def test_photos_are_removed_when_the_commit_fails(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """The photo is in storage before COMMIT; if COMMIT fails, the request rolls back and the
    file must go too (a 500 to the caller, no traceback, no orphan file)."""
    write = api.app.state.transactions.write

    @contextmanager
    def failing_commit() -> Iterator[Session]:
        with write() as session:
            yield session
            session.flush()
            raise OperationalError("COMMIT", {}, Exception("could not serialize access"))

    broken = create_app(api.app.state.settings, transactions=Transactions(failing_commit, write))
    broken.dependency_overrides = api.app.dependency_overrides
    data = {"category": "traffic_jam", "description": "Macet", "lat": "-6.1754", "lon": "106.8272"}
    files = [("photos", ("a.png", make_photo("PNG"), "image/png"))]
    with (
        caplog.at_level(logging.ERROR, logger="api.errors"),
        TestClient(broken, raise_server_exceptions=False) as client,
    ):
        response = client.post("/api/v1/reports", data=data, files=files)
    assert response.status_code == 500
    assert response.json()["detail"] == "the server failed; try again later"
    assert "Traceback" not in response.text and "serialize" not in response.text
    assert _stored(api.media) == []
    # The operator's log, unlike the caller, gets the cause and where it was raised.
    logged = [r for r in caplog.records if r.name == "api.errors"]
    assert [r.getMessage() for r in logged] == ["unexpected error on POST /api/v1/reports"]
    assert "could not serialize access" in caplog.text and "failing_commit" in caplog.text


def test_nul_characters_anywhere_are_a_4xx_never_a_500(api: Api) -> None:
    """PostgreSQL refuses NUL even in a value it only compares; SQLite does not care."""
    nul = "\x00"
    body = {"category": f"traffic{nul}", "description": "x", "lat": MONAS[0], "lon": MONAS[1]}
    responses = [
        api.client.get("/api/v1/reports", params={"category": nul}),
        api.client.get("/open311/v2/requests.json", params={"service_code": nul}),
        api.client.get("/open311/v2/requests.xml", params={"service_request_id": f"JKT{nul}"}),
        api.client.get("/api/v1/tickets", params={"agency": nul}, headers=api.auth("staff")),
        api.client.get("/api/v1/reports/JKT-%00"),
        api.client.delete("/api/v1/admin/keys/%00", headers=api.auth("admin")),
        api.client.post("/api/v1/reports", json=body),
        api.client.post("/api/v1/reports", json={**body, "category": "traffic_jam", "email": nul}),
    ]
    for response in responses:
        assert response.status_code < 500, (response.request.url, response.text)
        assert response.headers["content-type"] in (
            "application/json",
            "application/problem+json",
            "text/xml; charset=utf-8",
        )


def test_upload_too_large_says_the_real_size_and_the_limit_in_words(api: Api) -> None:
    """A 20,979,750-byte photo is not "8388609 bytes": the reader stops at the limit, the form
    knows the whole size; both sizes read in MB for people, exact for programs."""
    big = make_photo(size=(64, 48))
    big += b"\0" * (20_979_750 - len(big))
    response = _multipart(api, [("photos", ("big.jpg", big, "image/jpeg"))])
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert response.json()["detail"] == (  # type: ignore[attr-defined]
        "big.jpg is 20.0 MB (20,979,750 bytes), larger than the limit of 8 MB (8,388,608 bytes)"
    )
    open311 = api.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": api.keys["staff"],
            "service_code": "traffic_jam",
            "description": "Macet",
            "lat": "-6.1754",
            "long": "106.8272",
        },
        files=[("media[]", ("big.jpg", big, "image/jpeg"))],
    )  # with a key: without one the answer is 403 before any media is judged
    assert open311.status_code == 413
    assert open311.json()[0]["description"] == (
        "big.jpg is 20.0 MB (20,979,750 bytes), larger than the limit of 8 MB (8,388,608 bytes)"
    )
    assert _stored(api.media) == []


def test_an_ipv6_client_is_its_64_network_for_the_allowance(api: Api, api_settings) -> None:  # type: ignore[no-untyped-def]
    """A phone or home gets a whole IPv6 /64 and picks addresses in it at will: two addresses
    of one /64 share one allowance, another /64 has its own, and an IPv4 address written as
    IPv6 is that IPv4 client."""
    limited = create_app(
        api_settings.model_copy(update={"submit_rate_limit": "2/minute"}),
        transactions=api.app.state.transactions,
    )
    limited.dependency_overrides = api.app.dependency_overrides
    good = {"category": "traffic_jam", "description": "x", "lat": MONAS[0], "lon": MONAS[1]}

    def submit(host: str) -> int:
        with TestClient(limited, client=(host, 5000)) as client:
            return client.post("/api/v1/reports", json=good).status_code

    assert submit("2001:db8:1:2::1") == 201
    assert submit("2001:db8:1:2:ffff:ffff:ffff:fffe") == 201
    refused = submit("2001:db8:1:2:a:b:c:d")
    assert refused == 429  # the same /64: the third report in a minute
    assert submit("2001:db8:1:3::1") == 201  # the next /64 is someone else
    assert submit("198.51.100.4") == 201
    assert submit("::ffff:198.51.100.4") == 201
    assert submit("198.51.100.4") == 429  # the same IPv4 client, written both ways
