"""A NUL (``%00``) in what a path names — a photo key, a ticket code, a service, a token, a key
prefix, a followed address — names nothing: the 404 of an unknown one, on SQLite and on
PostgreSQL alike (PostgreSQL refuses NUL in any text value, even one only compared, so it must
never reach the database as a lookup)."""

from __future__ import annotations

import pytest

from .conftest import Api


@pytest.mark.parametrize(
    ("method", "path", "words"),
    [
        ("GET", "/media/%00", "no photo '?'"),
        ("GET", "/media/ab%00cd.jpg", "no photo 'ab?cd.jpg'"),
        ("GET", "/api/v1/reports/JKT-AAAA-AAA%00", "no ticket with code"),
        ("GET", "/api/v1/tickets/JKT-AAAA-AAA%00", "no ticket with code"),
        ("GET", "/api/v1/tickets/JKT-AAAA-AAA%00/sla", "no ticket with code"),
        ("GET", "/open311/v2/services/flood%00.json", "flood?"),
        ("GET", "/open311/v2/requests/JKT-AAAA-AAA%00.json", "JKT-AAAA-AAA?"),
        ("GET", "/open311/v2/tokens/abc%00def.json", "token"),
        # what names no key may be a secret pasted by mistake: nothing of it comes back
        ("DELETE", "/api/v1/admin/keys/ab%00cd", "no api key with that prefix"),
    ],
)
def test_a_nul_in_a_path_is_an_unknown_one(api: Api, method: str, path: str, words: str) -> None:
    response = api.client.request(method, path, headers=api.auth("admin"))
    assert response.status_code == 404, response.text
    assert words in response.text
    assert "\\u0000" not in response.text and "NUL" not in response.text


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/api/v1/tickets", "agency"),
        ("/api/v1/tickets", "category"),
        ("/api/v1/tickets", "area"),
        ("/api/v1/tickets.csv", "category"),
        ("/api/v1/reports", "category"),
    ],
)
def test_a_nul_in_a_lookup_parameter_is_an_unknown_code(api: Api, path: str, param: str) -> None:
    unknown = api.client.get(path, params={param: "nope"}, headers=api.auth("admin"))
    nul = api.client.get(path, params={param: "no\x00pe"}, headers=api.auth("admin"))
    assert nul.status_code == unknown.status_code, nul.text
    assert "NUL" not in nul.text and "\\u0000" not in nul.text
