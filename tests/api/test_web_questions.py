"""A category's questions on the report page (no browser): the form shows each category's
questions under its name, in the page's language, marked when required; posted without the
page's script (the browser posts it to ``/`` itself) the answers reach the engine as the API's
``answers`` do; a refusal of an answer is said under its question; a field the form has no box
for is refused, naming it, never dropped."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from engine.models import Category
from tests.api.conftest import MONAS, Api
from tests.api.test_questions import answers, tickets
from tests.conftest import make_photo

FORM = {
    "category": "flood",
    "coords": f"{MONAS[0]}, {MONAS[1]}",
    "address": "",
    "description": "Banjir setinggi lutut di depan Monas",
    "name": "",
    "email": "",
    "phone": "",
}


def _post(
    api: Api, fields: list[tuple[str, str]], lang: str = "id", photo: bool = False, **typed: str
) -> Any:
    """The form as a browser sends it without the page's script: multipart, the photo box
    (empty unless ``photo``) and the question boxes given."""
    api.clock.tick()
    boxes: list[tuple[str, Any]] = [(k, (None, v)) for k, v in {**FORM, **typed}.items()]
    boxes += [(k, (None, v)) for k, v in fields]
    picture = ("a.jpg", make_photo(), "image/jpeg") if photo else ("", b"", "text/plain")
    files = [*boxes, ("photos", picture)]
    return api.client.post(f"/?lang={lang}", files=files, headers={"Accept": "text/html"})


def _created(response: Any) -> str:
    assert response.status_code == 201, response.text[:2000]
    code = re.search(r'<p class="code" id="receipt-code">([^<]+)</p>', response.text)
    assert code is not None
    return code[1]


def _error_under(html: str, box: str) -> str:
    said = re.search(rf'<p id="{box}-error" class="error">([^<]*)</p>', html)
    assert said is not None, f"no refusal under {box}"
    return unescape(said[1])


def _require_water_depth(api: Api) -> None:
    with api.transactions.write() as session:
        flood = session.scalars(select(Category).where(Category.code == "flood")).one()
        flood.questions = [{**(flood.questions or [])[0], "required": True}, *flood.questions[1:]]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("id", ["Kedalaman air", "sentimeter, kira-kira", "Naik", "Seberapa besar lubangnya?"]),
        ("en", ["Water depth", "centimetres, roughly", "Rising", "How big is the hole?"]),
    ],
)
def test_report_page_shows_each_category_questions_in_its_language(
    api: Api, lang: str, words: list[str]
) -> None:
    _require_water_depth(api)
    html = unescape(api.client.get(f"/?lang={lang}").text)
    for said in words:
        assert said in html, said
    flood = re.search(
        r'<fieldset class="question-group" id="questions-flood".*?</fieldset>', html, re.S
    )
    assert flood is not None
    group = flood[0]
    assert ("Jika memilih: Banjir / genangan" if lang == "id" else "If you chose: Flood") in group
    # each datatype its own box, named as the form posts it
    assert re.search(
        r'<input type="text" id="q-flood-water_depth" name="answers\[flood\]\[water_depth\]"', group
    )
    assert (
        'aria-required="true"' in group and ("(wajib)" if lang == "id" else "(required)") in group
    )
    assert '<select id="q-flood-water_trend" name="answers[flood][water_trend]"' in group
    assert '<option value="rising">' in group
    assert '<input type="datetime-local" id="q-flood-since"' in group
    near_school = 'id="q-broken_road-hazards-near_school" name="answers[broken_road][hazards]"'
    assert f'type="checkbox" {near_school}' in html
    # a category that asks nothing has no group
    assert 'id="questions-traffic_jam"' not in html


def test_form_posted_without_script_stores_the_answers(api: Api) -> None:
    # what a browser sends: every box, the other category's left empty
    code = _created(
        _post(
            api,
            [
                ("answers[broken_road][hole_size]", ""),
                ("answers[flood][water_depth]", "40"),
                ("answers[flood][water_trend]", "rising"),
                ("answers[flood][since]", ""),
            ],
        )
    )
    assert answers(api, code) == [("water_depth", 40.0, "40"), ("water_trend", "rising", "Rising")]


def test_a_date_box_is_the_city_wall_clock(api: Api) -> None:
    # 2 hours ago in Jakarta, as a datetime-local box sends it (no offset)
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    local = (api.clock.now - timedelta(hours=2)).astimezone(ZoneInfo("Asia/Jakarta"))
    code = _created(_post(api, [("answers[flood][since]", local.strftime("%Y-%m-%dT%H:%M"))]))
    ((question, value, _text),) = answers(api, code)
    assert question == "since"
    assert value.startswith(local.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M"))


def test_answers_as_the_api_spells_them_are_stored_too(api: Api) -> None:
    code = _created(_post(api, [("answers[water_depth]", "40")]))
    assert answers(api, code) == [("water_depth", 40.0, "40")]
    road = _created(
        _post(
            api,
            [("answers[hazards][]", "near_school"), ("answers[hazards][]", "water_filled")],
            category="broken_road",
            photo=True,
        )
    )
    assert answers(api, road)[0][:2] == ("hazards", ["near_school", "water_filled"])


@pytest.mark.parametrize(
    ("lang", "under"),
    [("id", "Pertanyaan ini wajib dijawab."), ("en", "This question needs an answer.")],
)
def test_required_question_unanswered_is_said_under_it(api: Api, lang: str, under: str) -> None:
    _require_water_depth(api)
    before = tickets(api)
    response = _post(
        api,
        [("answers[flood][water_depth]", ""), ("answers[flood][water_trend]", "rising")],
        lang=lang,
    )
    assert response.status_code == 422, response.text[:500]
    assert _error_under(response.text, "q-flood-water_depth") == under
    html = unescape(response.text)
    assert (
        'id="q-flood-water_depth" name="answers[flood][water_depth]" '
        'aria-describedby="q-flood-water_depth-hint q-flood-water_depth-error" '
        'aria-required="true" aria-invalid="true"' in html
    )
    # the rest as typed
    assert '<option value="rising" selected>' in html
    assert "Banjir setinggi lutut di depan Monas" in html
    assert tickets(api) == before

    code = _created(_post(api, [("answers[flood][water_depth]", "25")], lang=lang))
    assert answers(api, code) == [("water_depth", 25.0, "25")]


@pytest.mark.parametrize(
    ("lang", "under"),
    [("id", "Isi angka dari 0 sampai 1.000."), ("en", "Give a number from 0 to 1,000.")],
)
def test_a_wrong_answer_is_said_under_its_question(api: Api, lang: str, under: str) -> None:
    before = tickets(api)
    response = _post(api, [("answers[flood][water_depth]", "setinggi lutut")], lang=lang)
    assert response.status_code == 422
    assert _error_under(response.text, "q-flood-water_depth") == under
    assert 'value="setinggi lutut"' in response.text
    assert tickets(api) == before


def test_an_answer_to_another_category_question_is_refused_not_dropped(api: Api) -> None:
    before = tickets(api)
    response = _post(api, [("answers[broken_road][hole_size]", "large")], lang="en")
    assert response.status_code == 422
    said = _error_under(response.text, "q-broken_road-hole_size")
    assert said.startswith("This question is for “Broken road / pothole”")
    assert tickets(api) == before


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ([("answers[depth]", "40")], '"depth"'),
        ([("lampiran", "x")], '"lampiran"'),
        ([("answers[flood][depth]", "40")], '"depth"'),
    ],
)
def test_a_field_or_answer_the_form_has_no_box_for_is_refused_naming_it(
    api: Api, fields: list[tuple[str, str]], named: str
) -> None:
    before = tickets(api)
    response = _post(api, fields, lang="en")
    assert response.status_code == 422, response.text[:300]
    refusal = re.search(r'<p id="form-error" class="error" role="alert">([^<]*)</p>', response.text)
    assert refusal is not None and named in unescape(refusal[1]), refusal
    assert tickets(api) == before
