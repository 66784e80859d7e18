"""A path whose bytes are not UTF-8 (``/open311/v2/requests/%FF.json``) is decoded with U+FFFD
where the bytes were; an error that quotes it shows that mark as "?", as it shows every
unprintable character (README: "anything unprintable shown as ``?``"), on every door: the JSON
API, Open311 (JSON and XML), /media/ and the pages. U+FFFD stood for no character anyone
typed, and a reader could not tell it from one."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from .conftest import Api
from .test_repeated_parameters import _PATH_VALUES, _routes
from .test_web_staff_ticket import _text, sign_in, web

__all__ = ["web"]  # the fixture, imported for these tests

#: Bytes that are not UTF-8, and how an error quotes them: no UTF-8 at all, a sequence cut
#: short (before "("), a surrogate's three bytes, and U+FFFD itself.
BROKEN = {"%FF": "?", "%C3%28": "?(", "%ED%A0%80": "???", "%EF%BF%BD": "?"}


@pytest.mark.parametrize("broken", BROKEN)
def test_no_door_echoes_a_path_parameter_with_the_replacement_character(
    api: Api, web: TestClient, broken: str
) -> None:
    """Every route, each of its path parameters given bytes that are not UTF-8, as a program
    (with an admin key) and as a browser asking for a page (signed in)."""
    sign_in(web, api, "admin")
    asked = 0
    for route in _routes(api.app.routes):
        names = re.findall(r"{(\w+)(?::path)?}", route.path)
        for name in names:
            values = {**_PATH_VALUES, name: broken}
            path = re.sub(r"{(\w+)(?::path)?}", lambda m, v=values: v[m.group(1)], route.path)
            for method in route.methods:
                for client, headers in (
                    (api.client, api.auth("admin")),
                    (web, {"Accept": "text/html"}),
                ):
                    response = client.request(method, path, headers=headers)
                    assert "\ufffd" not in response.text, (method, path, response.text[:300])
                    asked += 1
    assert asked > 40


@pytest.mark.parametrize(("broken", "q"), BROKEN.items())
def test_the_errors_that_quote_a_broken_path_show_a_question_mark(
    api: Api, web: TestClient, broken: str, q: str
) -> None:
    """A tester's report: ``/open311/v2/requests/%FF.json`` answered "no service request '�'"."""
    for fmt in ("json", "xml"):
        response = api.client.get(f"/open311/v2/requests/{broken}.{fmt}")
        assert response.status_code == 404
        if fmt == "json":
            assert response.json() == [{"code": 404, "description": f"no service request '{q}'"}]
        else:
            assert ET.fromstring(response.content).findtext("error/description") == (
                f"no service request '{q}'"
            )
    services = api.client.get(f"/open311/v2/services/{broken}.json")
    assert services.json() == [{"code": 404, "description": f"no service with code '{q}'"}]
    tokens = api.client.get(f"/open311/v2/tokens/{broken}.json")
    assert tokens.json() == [{"code": 404, "description": f"no token '{q}'"}]
    for path in (f"/api/v1/reports/{broken}", f"/api/v1/tickets/{broken}"):
        detail = api.client.get(path, headers=api.auth("admin")).json()["detail"]
        assert detail.startswith(f"no ticket with code {q}: a ticket code has only letters"), path
    assert api.client.get(f"/media/{broken}").json()["detail"] == f"no photo '{q}'"

    track = api.client.get(f"/t/{broken}?lang=en", headers={"Accept": "text/html"})
    assert track.status_code == 404
    assert f"There is no report with code {q}." in _text(track.text)
    sign_in(web, api, "admin")
    staff = web.get(f"/staff/tickets/{broken}?lang=en")
    assert staff.status_code == 404
    assert f"There is no ticket with code {q}." in _text(staff.text)
