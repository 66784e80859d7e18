"""The staff pages' forms: a field sent twice, or text whose bytes were not UTF-8, is refused in
the page's own words (never read as its last value, never stored as Latin-1), and nothing is
done to the ticket or the sign-in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.web.staff_session import COOKIE

from .conftest import Api
from .test_input_kinds import LATIN1_CAFE, _multipart
from .test_web_staff_ticket import _text, sign_in, web

__all__ = ["web"]  # the fixture, imported for these tests


def _state(api: Api, code: str) -> tuple[str, int]:
    report = api.client.get(f"/api/v1/reports/{code}").json()
    return report["state"]["code"], len(report["timeline"])


def _version(web: TestClient, code: str) -> str:
    found = re.search(
        r'name="expected_version" value="(\d+)"', web.get(f"/staff/tickets/{code}").text
    )
    assert found
    return found.group(1)


def test_an_action_form_naming_a_field_twice_is_refused_on_the_page(
    web: TestClient, api: Api
) -> None:
    """FastAPI took the last ``trigger``: a page tampered with (or a script) that sent
    ``reject`` then ``verify`` had the ticket verified."""
    code = api.submit()["code"]
    sign_in(web, api)
    before = _state(api, code)
    form = {"expected_version": _version(web, code), "back": "ticket", "note": "dicek"}
    for twice, box in (
        ({"trigger": ["reject", "verify"]}, "action"),
        ({"note": ["dicek", "selesai"], "trigger": "comment"}, "note"),
    ):
        sent = web.post(f"/staff/tickets/{code}/actions?lang=en", data={**form, **twice})
        assert sent.status_code == 422, sent.headers.get("location")
        # The box by its name on the page (a tester read "one of the boxes" for the action).
        assert f'"{box}" box was sent twice. Send the form once more.' in _text(sent.text)
    assert _state(api, code) == before


def test_an_action_form_in_latin1_bytes_is_refused_on_the_page(web: TestClient, api: Api) -> None:
    code = api.submit()["code"]
    sign_in(web, api)
    before = _state(api, code)
    parts = [
        (b"trigger", b"comment"),
        (b"expected_version", _version(web, code).encode()),
        (b"back", b"ticket"),
        (b"note", b"sudah " + LATIN1_CAFE),
    ]
    body, content_type = _multipart(parts)
    sent = web.post(
        f"/staff/tickets/{code}/actions?lang=en",
        content=body,
        headers={"Content-Type": content_type},
    )
    assert sent.status_code == 422, sent.headers.get("location")
    assert 'The "note" box has a broken character at character 10.' in _text(sent.text)
    assert _state(api, code) == before


def test_a_sign_in_naming_the_key_twice_is_refused_on_the_page(web: TestClient, api: Api) -> None:
    """The last key was used: which of two keys someone meant to sign in with is not ours to
    guess."""
    sent = web.post(
        "/staff/sign-in?lang=en",
        data={"key": ["not-a-key", api.keys["staff"]], "next": "/staff"},
    )
    assert sent.status_code == 422, sent.headers.get("location")
    assert "box was sent twice. Send the form once more." in _text(sent.text)
    assert COOKIE not in sent.headers.get("set-cookie", "")  # not signed in


def test_an_action_sent_as_json_is_refused_as_a_form_that_cannot_be_read(
    web: TestClient, api: Api
) -> None:
    """A tester's report: JSON posted to a page's form was read as an empty form, and the page
    said "That action is not on this page" (the action was in the JSON)."""
    code = api.submit()["code"]
    sign_in(web, api)
    before = _state(api, code)
    sent = web.post(
        f"/staff/tickets/{code}/actions?lang=en",
        content=b'{"trigger": "verify", "expected_version": 1}',
        headers={"Content-Type": "application/json"},
    )
    assert sent.status_code == 422, sent.headers.get("location")
    assert "The form could not be read." in _text(sent.text)
    assert "not on this page" not in _text(sent.text)
    assert _state(api, code) == before
