"""The language an address is followed in: given with it, it is the language of every mail the
address gets; a repeat that names none (a second "me too", the reporter adding it again)
leaves it as it was, on every door that subscribes an address; a repeat that names one may
change it while the address waits for its confirmation."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import Response

from engine.settings import Settings
from tests.api.conftest import Api, each_change_mailed_at_once

ADDRESS = "ani@warga.example"
#: A day and more: a repeat then sends the address a second confirmation mail.
NEXT_DAY = 60 * 25


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    return each_change_mailed_at_once(api_settings)


def _subscribe(api: Api, code: str, door: str, **language: Any) -> Response:
    """``ADDRESS`` given to follow ``code`` on ``door``: "me too", or the reporter's own
    addition with the token; ``language`` as given (nothing: no language named)."""
    if door == "me_too":
        said = api.client.post(
            f"/api/v1/reports/{code}/supporters", json={"email": ADDRESS, **language}
        )
    else:
        said = api.client.post(
            f"/api/v1/reports/{code}/subscriptions",
            json={"email": ADDRESS, **language},
            headers={"X-Reporter-Token": api.tokens[code]},
        )
    assert said.status_code == 200, said.text
    return said


def _confirmations(api: Api, code: str) -> list[tuple[str, str, str]]:
    """(language, subject, text) of each confirmation mail ``ADDRESS`` got about ``code``."""
    return [
        (lang, subject, body)
        for to, lang, subject, body in api.notifications(
            code,
            "follow_confirmation",
            lambda n: (n.recipient, n.language, n.subject, n.body),
        )
        if to == ADDRESS
    ]


DOORS = ("me_too", "reporter")


@pytest.mark.parametrize("repeat", DOORS)
@pytest.mark.parametrize("first", DOORS)
def test_a_repeat_naming_no_language_keeps_a_waiting_address_s_language(
    api: Api, first: str, repeat: str
) -> None:
    code = api.submit(email="sari@warga.example")["code"]
    _subscribe(api, code, first, language="en")
    _subscribe(api, code, repeat)  # at once: no second mail, the address still waits
    api.clock.tick(NEXT_DAY)
    _subscribe(api, code, repeat)  # a day later: asked again, in its own language

    (_, subject_1, _), (lang, subject, text) = _confirmations(api, code)
    assert lang == "en"
    assert subject == subject_1 == f"[Tanggap] Confirm e-mails about report {code}"
    assert "To get these e-mails, confirm here:" in text
    # The link with its language taken off, in a browser that kept no language: the page
    # opens in the address's own.
    path = api.confirmation_links(code, ADDRESS)[-1].partition("?")[0]
    api.client.cookies.clear()
    page = api.client.get(path).text
    assert f"Get e-mails about report {code}?" in page and "Terima surel" not in page

    assert "This address now gets an e-mail" in api.client.post(path).text
    api.drive(code, "verify")
    told = [(lang, subject) for to, lang, subject in api.mails(code) if to == ADDRESS]
    assert told == [("en", f"[Tanggap] Report {code}: Waiting (verified)")]


@pytest.mark.parametrize("door", DOORS)
def test_a_repeat_naming_a_language_changes_a_waiting_address_s_language(
    api: Api, door: str
) -> None:
    code = api.submit(email="sari@warga.example")["code"]
    _subscribe(api, code, door, language="en")
    api.clock.tick(NEXT_DAY)
    _subscribe(api, code, door, language="id")

    assert [(lang, subject) for lang, subject, _ in _confirmations(api, code)] == [
        ("en", f"[Tanggap] Confirm e-mails about report {code}"),
        ("id", f"[Tanggap] Konfirmasi surel tentang laporan {code}"),
    ]
    api.confirm(code, ADDRESS)
    api.drive(code, "verify")
    assert [lang for to, lang, _ in api.mails(code) if to == ADDRESS] == ["id"]


@pytest.mark.parametrize("door", DOORS)
def test_an_address_that_stopped_its_mail_is_asked_again_in_its_own_language(
    api: Api, door: str
) -> None:
    code = api.submit(email="sari@warga.example")["code"]
    _subscribe(api, code, door, language="en")
    api.confirm(code, ADDRESS)
    api.drive(code, "verify")
    ((unsubscribe,),) = [
        (url,)
        for to, url in api.notifications(
            code, "citizen_update", lambda n: (n.recipient, n.unsubscribe_url or "")
        )
        if to == ADDRESS
    ]
    stopped = api.client.post(unsubscribe.removeprefix("http://127.0.0.1:8000"))
    assert "No more e-mails" in stopped.text, stopped.text

    api.clock.tick(NEXT_DAY)
    _subscribe(api, code, door)
    lang, subject, _ = _confirmations(api, code)[-1]
    assert (lang, subject) == ("en", f"[Tanggap] Confirm e-mails about report {code}")


def test_a_new_address_with_no_language_is_followed_in_indonesian(api: Api) -> None:
    code = api.submit(email="sari@warga.example", language="en")["code"]
    _subscribe(api, code, "me_too")
    ((lang, subject, _),) = _confirmations(api, code)
    assert (lang, subject) == ("id", f"[Tanggap] Konfirmasi surel tentang laporan {code}")
