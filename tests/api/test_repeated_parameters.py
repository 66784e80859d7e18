"""A single-valued query parameter given twice is refused on every door — the JSON API, Open311,
/media/ and the web pages with the JSON helpers they fetch — never read as its last value
(``/web/nearby?…&lat=-6.1754&lat=1`` answered 200 with no report near latitude 1). A program
reads "lat is given more than once; send it once" (422, Open311's 400); a person at a page reads
it in the page's words."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute

from api.query import _query_names, _single_valued

from .conftest import MONAS, Api
from .test_web_staff_ticket import _text

#: A value for each path parameter, so that every route can be asked.
_PATH_VALUES = {
    "code": "JKT-0000-0000",
    "token": "no-such-token",
    "fmt": "json",
    "key": "no/such.jpg",
    "service_code": "traffic_jam",
    "service_request_id": "JKT-0000-0000",
    "prefix": "tg_nokey",
    "email": "a@warga.example",
}
#: The prefixes of the doors that are programs' (no page, no ``?lang=``).
_PROGRAMS = ("/api/", "/open311/", "/media/", "/webhooks/", "/openapi.json", "/favicon.ico")


def _routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every route of the app, through the routers it includes."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI's lazily included router
            yield from _routes(route.original_router.routes)


def _single_parameters(api: Api) -> list[tuple[str, str, str]]:
    """(method, path, parameter) for each single-valued query parameter of each route; every
    page also reads ``?lang=``."""
    found = []
    for route in _routes(api.app.routes):
        names = _single_valued(route.dependant)
        assert names <= _query_names(route.dependant)
        if not route.path.startswith(_PROGRAMS):
            names |= {"lang"}
        path = route.path.replace("{key:path}", "{key}").format(**_PATH_VALUES)
        for method in sorted(route.methods):
            found.extend((method, path, name) for name in sorted(names))
    return found


def test_every_single_valued_parameter_of_every_route_given_twice_is_refused(api: Api) -> None:
    asked = _single_parameters(api)
    # The sweep reaches every door (a route added later is in it without a word here).
    for door in ("/api/v1/reports", "/open311/v2/requests.json", "/media/no/such.jpg",
                 "/web/nearby", "/t", "/staff", "/staff/sign-in", "/dashboard",
                 "/unsubscribe/no-such-token"):  # fmt: skip
        assert door in {path for _, path, _ in asked}, door
    headers = api.auth("admin")
    refused = []
    for method, path, name in asked:
        response = api.client.request(method, f"{path}?{name}=1&{name}=2", headers=headers)
        expected = f"{name} is given more than once; "
        if path.startswith("/open311/"):
            ok = response.status_code == 400 and response.json()[0]["description"].startswith(
                expected
            )
        else:
            body = response.json() if response.status_code == 422 else {}
            ok = body.get("detail", "").startswith(expected) and body.get("params") == {
                "field": name
            }
        if not ok:
            refused.append((method, path, name, response.status_code))
    assert refused == []


NEARBY = f"/web/nearby?category=traffic_jam&lat={MONAS[0]}&lon={MONAS[1]}"


@pytest.mark.parametrize(
    "query",
    [f"{NEARBY}&lat=1", f"{NEARBY}&category=flood", f"{NEARBY}&lang=en&lang=id"],
)
def test_the_nearby_fragment_refuses_a_repeated_parameter_instead_of_reading_the_last(
    api: Api, query: str
) -> None:
    """A tester's report: ``lat`` twice was answered 200 "no report nearby" for latitude 1."""
    api.submit()  # an open jam at Monas: the first point has one nearby
    assert "Monas" in api.client.get(NEARBY).text
    response = api.client.get(query)
    assert response.status_code == 422
    name = query.rsplit("&", 1)[1].split("=")[0]
    assert response.json()["detail"] == f"{name} is given more than once; send it once"


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("/t?code=JKT-1&code=JKT-2&lang=en",
         'The address of this page gives "code" more than once. Open the page again from its '
         "link or menu."),
        ("/t?code=JKT-1&code=JKT-2",
         'Alamat halaman ini memuat "code" lebih dari sekali. Buka lagi halamannya dari tautan '
         "atau menunya."),
        ("/?lang=en&lang=id",
         'Alamat halaman ini memuat "lang" lebih dari sekali. Buka lagi halamannya dari tautan '
         "atau menunya."),
        ("/staff/sign-in?next=/staff&next=/dashboard&lang=en",
         'The address of this page gives "next" more than once.'),
        (f"{NEARBY}&lat=1&lang=en", 'The address of this page gives "lat" more than once.'),
    ],
)  # fmt: skip
def test_a_page_given_a_parameter_twice_says_so_in_the_pages_words(
    api: Api, address: str, words: str
) -> None:
    page = api.client.get(address, headers={"Accept": "text/html"})
    assert page.status_code == 422
    assert words in _text(page.text)
    if "lang=id" in address:  # a repeated switch sets no language: the page keeps its own
        assert "lang" not in page.cookies


def test_the_staff_pages_notice_after_an_act_given_twice_is_refused(api: Api) -> None:
    code = api.submit()["code"]
    for address in (f"/staff?done={code}&did=verify&did=reject",
                    f"/staff/tickets/{code}?done={code}&done=X&did=verify"):  # fmt: skip
        page = api.client.get(address, headers={**api.auth("staff"), "Accept": "text/html"})
        assert page.status_code == 422, address
        name = "did" if "did=reject" in address else "done"
        assert f'Alamat halaman ini memuat "{name}" lebih dari sekali.' in _text(page.text)
