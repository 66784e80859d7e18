"""One person's "me too" counts once: first without an address, then with one, from the same
client the same day, the supporters figure grows by one (the address takes the anonymous count
over). A tester saw the figure say 2 after they tapped "Saya juga" and then followed by e-mail.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.routes import reports as reports_routes
from engine.errors import RuleViolated
from tests.api.conftest import Api


def _me_too(client: TestClient, code: str, email: str | None = None) -> tuple[int, bool]:
    answer = client.post(
        f"/api/v1/reports/{code}/supporters", json={"email": email} if email else None
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["supporters"], answer.json()["counted"]


def test_me_too_without_then_with_an_address_from_one_client_counts_once(api: Api) -> None:
    code = api.submit()["code"]
    assert _me_too(api.client, code) == (1, True)
    assert _me_too(api.client, code, "tetangga@warga.example") == (1, False)
    # still followed: the address gets its confirmation mail
    assert [to for to, _l, _s in api.mails(code, "follow_confirmation")] == [
        "tetangga@warga.example"
    ]
    assert _me_too(api.client, code, "tetangga@warga.example") == (1, False)
    assert api.client.get(f"/api/v1/reports/{code}").json()["supporters"] == 1


def test_a_second_address_from_the_same_client_is_a_second_person(api: Api) -> None:
    code = api.submit()["code"]
    assert _me_too(api.client, code) == (1, True)
    assert _me_too(api.client, code, "ani@warga.example") == (1, False)  # took it over
    assert _me_too(api.client, code, "budi@warga.example") == (2, True)
    assert _me_too(api.client, code) == (2, False)


def test_an_address_from_another_client_is_another_person(api: Api) -> None:
    code = api.submit()["code"]
    assert _me_too(api.client, code) == (1, True)
    with TestClient(api.app, client=("203.0.113.7", 50000)) as elsewhere:
        assert _me_too(elsewhere, code, "tetangga@warga.example") == (2, True)


def test_an_address_first_and_then_none_counts_once(api: Api) -> None:
    code = api.submit()["code"]
    assert _me_too(api.client, code, "tetangga@warga.example") == (1, True)
    assert _me_too(api.client, code) == (1, False)


def test_an_address_whose_me_too_failed_leaves_the_anonymous_count_to_take_over(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = api.submit()["code"]
    assert _me_too(api.client, code) == (1, True)

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuleViolated("the answer could not be made", key="test_refusal")

    with monkeypatch.context() as patched:
        patched.setattr(reports_routes.SupportRead, "of_support", refuse)
        failed = api.client.post(
            f"/api/v1/reports/{code}/supporters", json={"email": "ani@warga.example"}
        )
    assert failed.status_code == 422, failed.text
    assert _me_too(api.client, code, "ani@warga.example") == (1, False)
