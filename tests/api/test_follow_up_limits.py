"""A reporter token cannot fill an agency's mailbox: the reporter's follow-ups (comments,
ratings, disputes, appeals: each mailed to the agency) have an allowance per report and per
client network. Over it: a 429 problem with Retry-After that writes and mails nothing. Only
accepted follow-ups use it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from engine.settings import Settings
from tests.api.conftest import Api

QUEUE = "dishub.queue@tanggap.example"


@contextmanager
def limited(
    api: Api, api_settings: Settings, host: str = "203.0.113.7", **limits: str
) -> Iterator[TestClient]:
    app = create_app(
        api_settings.model_copy(update=limits), transactions=api.app.state.transactions
    )
    app.dependency_overrides = api.app.dependency_overrides
    with TestClient(app, client=(host, 5000)) as client:
        yield client


def _mails(api: Api, code: str) -> list[str]:
    return api.notifications(code, "citizen_follow_up", lambda n: n.recipient)


def _events(api: Api, code: str) -> int:
    detail = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin"))
    version: int = detail.json()["version"]
    return version


def _comment(client: TestClient, code: str, token: str, text: str = "masih macet") -> Any:
    return client.post(
        f"/api/v1/reports/{code}/comments", json={"text": text}, headers={"X-Reporter-Token": token}
    )


def test_follow_ups_over_the_reports_allowance_are_refused_and_mail_nothing(
    api: Api, api_settings: Settings
) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve")
    token = api.tokens[code]
    headers = {"X-Reporter-Token": token}
    with limited(api, api_settings, follow_up_rate_limit="4/hour") as client:
        answers = [_comment(client, code, token, f"komentar {n}").status_code for n in range(2)]
        for n in range(2):
            rated = client.post(
                f"/api/v1/reports/{code}/rating",
                json={"rating": 1 + n, "note": f"catatan {n}"},
                headers=headers,
            )
            answers.append(rated.status_code)
        assert answers == [200, 200, 200, 200]
        events, mails = _events(api, code), len(_mails(api, code))
        assert mails == 4

        refused = [
            _comment(client, code, token, "sekali lagi"),
            client.post(
                f"/api/v1/reports/{code}/rating", json={"rating": 1, "note": "x"}, headers=headers
            ),
            client.post(f"/api/v1/reports/{code}/dispute", json={"reason": "x"}, headers=headers),
        ]

    for response in refused:
        assert response.status_code == 429, response.text
        assert response.headers["content-type"] == "application/problem+json"
        retry = int(response.headers["Retry-After"])
        assert 1 <= retry <= 3600
        problem = response.json()
        assert problem["code"] == "too_many_requests"
        assert problem["detail"].startswith(
            "too many follow-ups (comments, ratings, disputes and appeals) on this report; "
            "the limit is 4 per 1 hour: try again in "
        )
        assert problem["params"]["retry_after"] == retry
    # Refused before anything was read or written: no event, no mail, still resolved.
    assert _events(api, code) == events
    assert len(_mails(api, code)) == mails
    assert api.client.get(f"/api/v1/reports/{code}").json()["state"]["code"] == "resolved"


def test_the_reports_allowance_follows_the_report_not_the_address_nor_the_spelling(
    api: Api, api_settings: Settings
) -> None:
    code = api.submit()["code"]
    token = api.tokens[code]
    with limited(api, api_settings, "198.51.100.1", follow_up_rate_limit="2/hour") as first:
        assert _comment(first, code, token).status_code == 200
        assert _comment(first, code.lower(), token).status_code == 200
    with limited(api, api_settings, "198.51.100.2", follow_up_rate_limit="2/hour") as second:
        # Another app process shares nothing in memory://; one app, two addresses, below.
        assert _comment(second, code, token).status_code == 200
    app = create_app(
        api_settings.model_copy(update={"follow_up_rate_limit": "2/hour"}),
        transactions=api.app.state.transactions,
    )
    app.dependency_overrides = api.app.dependency_overrides
    with TestClient(app, client=("198.51.100.1", 1)) as one:
        assert _comment(one, code, token).status_code == 200
    with TestClient(app, client=("2001:db8:9::1", 1)) as other:
        assert _comment(other, code.lower(), token).status_code == 200
        moved = _comment(other, code, token)
    assert moved.status_code == 429
    assert "on this report" in moved.json()["detail"]


def test_one_network_holding_many_tokens_has_one_allowance(
    api: Api, api_settings: Settings
) -> None:
    codes = [api.submit()["code"] for _ in range(3)]
    app = create_app(
        api_settings.model_copy(update={"follow_up_client_rate_limit": "2/hour"}),
        transactions=api.app.state.transactions,
    )
    app.dependency_overrides = api.app.dependency_overrides
    with TestClient(app, client=("2001:db8:1:2::1", 1)) as phone:
        assert _comment(phone, codes[0], api.tokens[codes[0]]).status_code == 200
        assert _comment(phone, codes[1], api.tokens[codes[1]]).status_code == 200
    with TestClient(app, client=("2001:db8:1:2:ffff::9", 1)) as same_network:
        refused = _comment(same_network, codes[2], api.tokens[codes[2]])
    with TestClient(app, client=("2001:db8:1:3::1", 1)) as elsewhere:
        assert _comment(elsewhere, codes[2], api.tokens[codes[2]]).status_code == 200
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith(
        "too many follow-ups (comments, ratings, disputes and appeals) from this address; "
        "the limit is 2 per 1 hour"
    )


def test_refused_follow_ups_do_not_use_the_allowance(api: Api, api_settings: Settings) -> None:
    code = api.submit()["code"]
    token = api.tokens[code]
    with limited(api, api_settings, follow_up_rate_limit="2/hour") as client:
        assert _comment(client, code, "wrong-token").status_code == 403
        assert _comment(client, code, token, "").status_code == 422
        dispute = client.post(
            f"/api/v1/reports/{code}/dispute",
            json={"reason": "x"},
            headers={"X-Reporter-Token": token},
        )
        assert dispute.status_code == 409  # not resolved: nothing to dispute
        stale = client.post(
            f"/api/v1/reports/{code}/comments",
            json={"text": "x", "expected_version": 99},
            headers={"X-Reporter-Token": token},
        )
        assert stale.status_code == 409
        assert [_comment(client, code, token).status_code for _ in range(3)] == [200, 200, 429]
    assert len(_mails(api, code)) == 2


def test_a_follow_up_limit_that_allows_nothing_is_refused_naming_the_variable() -> None:
    import pytest

    from engine.errors import ConfigurationError
    from engine.settings import load_settings

    with pytest.MonkeyPatch.context() as env:
        env.setenv("TANGGAP_FOLLOW_UP_RATE_LIMIT", "0/hour")
        with pytest.raises(ConfigurationError) as zero:
            load_settings()
        env.setenv("TANGGAP_FOLLOW_UP_RATE_LIMIT", "10/hour")
        env.setenv("TANGGAP_FOLLOW_UP_CLIENT_RATE_LIMIT", "lots")
        with pytest.raises(ConfigurationError) as words:
            load_settings()
    assert zero.value.message == (
        "TANGGAP_FOLLOW_UP_RATE_LIMIT: must allow at least 1 request (0/minute would refuse "
        "every follow-up)"
    )
    assert words.value.message == (
        "TANGGAP_FOLLOW_UP_CLIENT_RATE_LIMIT: not a rate limit like 10/minute: 'lots'"
    )
