"""A single-valued field of a page's form given twice is refused, never read as its last value,
as a query parameter given twice is (``test_repeated_parameters``): a tester opened a report
the public may not see with ``token=wrong&token=RIGHT`` (FastAPI took the last ``token``),
while ``token=RIGHT&token=wrong`` was the page of an unknown code. A person reads it in the
page's words (422); a field the form has no box for is refused naming it (README: "nothing
sent is dropped unread", as the JSON API refuses a field of no request). Fields that take
several values (photos, photos to hide, a multiple choice's boxes) are left alone."""

from __future__ import annotations

import importlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.web import PAGE_MODULES, report_form

from .conftest import Api
from .test_repeated_parameters import _routes
from .test_web_staff_ticket import _text, sign_in, web

__all__ = ["web"]  # the fixture, imported for these tests

_PROBLEM_WORDS = Path(report_form.__file__).parent / "i18n" / "en" / "problem.yaml"
_BOX_NAMES: dict[str, str] = yaml.safe_load(_PROBLEM_WORDS.read_text("utf-8"))["field"]
_SEQUENCE_ORIGINS = (list, tuple, set, frozenset)


def _takes_several(annotation: object) -> bool:
    """``list[str] | None`` and the like: a field the route reads as several values."""
    args = getattr(annotation, "__args__", ())
    origin = getattr(annotation, "__origin__", None)
    return origin in _SEQUENCE_ORIGINS or any(_takes_several(a) for a in args)


def _non_public(api: Api) -> str:
    return str(api.submit(category="illegal_levy", description="Pungli di loket")["code"])


# --- the token of the tracking page -------------------------------------------------------


@pytest.mark.parametrize("first_right", [True, False])
def test_the_token_given_twice_opens_nothing_in_either_order(api: Api, first_right: bool) -> None:
    code = _non_public(api)
    right, wrong = api.tokens[code], "bukan-token-saya"
    sent = f"token={right}&token={wrong}" if first_right else f"token={wrong}&token={right}"
    page = api.client.post(
        f"/t/{code}?lang=en",
        content=sent,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert page.status_code == 422
    text = _text(page.text)
    assert 'The "secret code" box was sent twice. Send the form once more.' in text
    assert "Pungli di loket" not in text  # the report is not shown
    # a program reads the API's words
    answer = api.client.post(
        f"/t/{code}",
        content=sent,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "*/*"},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == "token is given more than once; send it once"
    assert answer.json()["params"] == {"field": "token"}
    # once, the right token still opens it
    once = api.client.post(f"/t/{code}?lang=en", data={"token": right})
    assert once.status_code == 200 and "Pungli di loket" in once.text


def test_a_field_the_tracking_form_has_no_box_for_is_refused_naming_it(api: Api) -> None:
    code = _non_public(api)
    page = api.client.post(
        f"/t/{code}?lang=id",
        data={"token": api.tokens[code], "foo": "bar"},
        headers={"Accept": "text/html"},
    )
    assert page.status_code == 422
    text = _text(page.text)
    assert 'Formulir ini tidak punya kotak "foo". Kirim formulirnya dari halaman ini.' in text
    assert "Pungli di loket" not in text


# --- every single-valued field of every page form -------------------------------------------


def _page_forms() -> list[tuple[str, str]]:
    """(path, field) for each single-valued field of each page route that reads a form: the
    ``Form()`` fields of the routes (a list is several values) and the report form's boxes,
    which it reads by hand (``report_form.TYPED``)."""
    found: set[tuple[str, str]] = {("/", name) for name in report_form.TYPED}
    for module in PAGE_MODULES:
        router = importlib.import_module(f"api.web.{module}").router
        for route in _routes(router.routes):
            if "POST" in route.methods:
                found.update((route.path, param) for param in _body_params(route))
    return sorted(found)


def _body_params(route: APIRoute) -> list[str]:
    names = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        stack.extend(dependant.dependencies)
        names += [
            p.alias for p in dependant.body_params if not _takes_several(p.field_info.annotation)
        ]
    return names


class _Boxes(HTMLParser):
    """The names of the boxes of the report page that take one value: every box but a file box
    and a checkbox whose name is given to several (a multiple choice's values)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        name = found.get("name")
        if tag in ("input", "select", "textarea") and name:
            self.names.setdefault(name, []).append(found.get("type") or tag)

    def single(self) -> set[str]:
        return {
            name
            for name, kinds in self.names.items()
            if "file" not in kinds and not (kinds.count("checkbox") > 1)
        }


FORMS = _page_forms()


def test_the_sweep_reaches_every_page_form() -> None:
    paths = {path for path, _ in FORMS}
    assert {"/", "/t/{code}", "/staff/sign-in", "/staff/tickets/{code}/actions"} <= paths
    assert ("/t/{code}", "token") in FORMS
    assert ("/staff/tickets/{code}/actions", "hide_photos") not in FORMS  # several


def _refused(response_text: str, name: str) -> bool:
    box = _BOX_NAMES.get(name, _BOX_NAMES["any"])
    return f'The "{box}" box was sent twice. Send the form once more.' in _text(response_text)


@pytest.mark.parametrize(("path", "name"), FORMS)
def test_every_single_valued_page_field_given_twice_is_refused_in_the_pages_words(
    web: TestClient, api: Api, path: str, name: str
) -> None:
    code = _non_public(api)
    if path.startswith("/staff/tickets/"):
        sign_in(web, api)
    before = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    response = web.post(
        f"{path.format(code=code)}?lang=en",
        content=urlencode([(name, "satu"), (name, "dua")]),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert response.status_code == 422, (response.status_code, _text(response.text)[:400])
    assert name in _BOX_NAMES, f"the pages have no word for the {name!r} box"
    assert _refused(response.text, name), _text(response.text)[:600]
    after = api.client.get(f"/api/v1/tickets/{code}", headers=api.auth("admin")).json()
    assert after["version"] == before["version"]


def test_every_single_valued_answer_box_of_the_report_form_given_twice_is_refused(
    web: TestClient, api: Api
) -> None:
    """The boxes the report page shows (every category's questions without a script): each
    one-value box sent twice is refused, naming it; a multiple choice's boxes take several."""
    boxes = _Boxes()
    boxes.feed(api.client.get("/?lang=en").text)
    answers = sorted(n for n in boxes.single() if n.startswith("answers["))
    assert answers, "the shipped catalogue asks questions"
    several = sorted(set(boxes.names) - boxes.single() - {"photos"})
    for name in answers:
        category = re.match(r"answers\[([^\]]+)\]", name)
        assert category
        sent = [("category", category.group(1)), ("description", "Banjir"),
                ("coords", "-6.1754, 106.8272"), (name, "10"), (name, "20")]  # fmt: skip
        response = web.post(
            "/?lang=en",
            content=urlencode(sent),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 422, name
        assert "sent twice. Send the form once more." in _text(response.text), name
    for name in several:  # a multiple choice: several values are its answer
        assert name.startswith("answers["), name
    assert api.client.get("/api/v1/reports").json()["items"] == []
