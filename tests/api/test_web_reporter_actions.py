"""The tracking page offers the reporter exactly what the API takes from them now: in every
state, the forms shown once their token is accepted and the sentence above them, which names
those actions and no others (in both languages). What the API takes is checked too: the
actions not shown are refused, with the shown ones as what is allowed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.api.conftest import Api

#: The reporter's forms on the page, by the action each sends.
FORMS = {
    "comment": "comment-form",
    "appeal": "appeal-form",
    "dispute": "dispute-form",
    "rate": "rating-form",
}
#: Each action's request, to see the API refuse it (the body is beside the point: a refused
#: action is refused before its body is read).
REQUESTS = {
    "comment": ("comments", {"text": "Masih macet"}),
    "appeal": ("appeal", {"reason": "Bukan spam"}),
    "dispute": ("dispute", {"reason": "Belum beres"}),
    "rate": ("rating", {"rating": 4}),
}
AFTER_WINDOW = timedelta(days=7, hours=1)

#: state → how staff get the ticket there, whether the reporter's 7-day window (from the
#: resolution, or the rejection) has passed, and what the reporter may do then.
STATES: dict[str, tuple[tuple[str, ...], bool, tuple[str, ...]]] = {
    "submitted": ((), False, ("comment",)),
    "verified": (("verify",), False, ("comment",)),
    "assigned": (("verify", "assign"), False, ("comment",)),
    "in_progress": (("verify", "assign", "start"), False, ("comment",)),
    "on_hold": (("verify", "assign", "start", "hold"), False, ("comment",)),
    "resolved": (("verify", "assign", "start", "resolve"), False, ("comment", "dispute", "rate")),
    "resolved, window passed": (
        ("verify", "assign", "start", "resolve"),
        True,
        ("comment", "rate"),
    ),
    "closed": (("verify", "assign", "start", "resolve", "close"), False, ("dispute", "rate")),
    "closed, window passed": (("verify", "assign", "start", "resolve", "close"), True, ("rate",)),
    "rejected": (("reject",), False, ("appeal",)),
    "rejected, window passed": (("reject",), True, ()),
    "duplicate": (("duplicate",), False, ()),
}

SAID = {
    "en": {
        ("comment",): "You can add a comment (with a photo if you like).",
        ("comment", "dispute", "rate"): "You can add a comment (with a photo if you like), "
        "dispute the fix or rate how it was solved.",
        ("comment", "rate"): "You can add a comment (with a photo if you like) or rate how it "
        "was solved.",
        ("dispute", "rate"): "You can dispute the fix or rate how it was solved.",
        ("rate",): "You can rate how it was solved.",
        ("appeal",): "You can appeal its rejection.",
        (): "There is nothing more you can do with it now.",
    },
    "id": {
        ("comment",): "Anda bisa menambah komentar (boleh dengan foto).",
        ("comment", "dispute", "rate"): "Anda bisa menambah komentar (boleh dengan foto), "
        "membantah penyelesaiannya, atau memberi nilai penyelesaiannya.",
        ("comment", "rate"): "Anda bisa menambah komentar (boleh dengan foto) atau memberi nilai "
        "penyelesaiannya.",
        ("dispute", "rate"): "Anda bisa membantah penyelesaiannya atau memberi nilai "
        "penyelesaiannya.",
        ("rate",): "Anda bisa memberi nilai penyelesaiannya.",
        ("appeal",): "Anda bisa mengajukan banding atas penolakannya.",
        (): "Tidak ada lagi yang bisa Anda lakukan dengan laporan ini sekarang.",
    },
}
YOURS = {"en": "This is your report.", "id": "Ini laporan Anda."}


def _into(api: Api, state: str) -> str:
    steps, late, _ = STATES[state]
    code = api.submit()["code"]
    for step in steps:
        if step == "duplicate":
            standing = api.submit()["code"]
            marked = api.act(code, "mark_duplicate", "admin", duplicate_of=standing)
            assert marked.status_code == 200, marked.text
        else:
            api.drive(code, step)
    if late:
        api.clock.now += AFTER_WINDOW
    return code


def _offered(html: str) -> tuple[set[str], str]:
    """The reporter's forms on the page and the sentence above them, as its words."""
    forms = {action for action, form in FORMS.items() if f'id="{form}"' in html}
    found = re.search(r'<p class="status" id="token-status">(.*?)</p>', html, re.S)
    assert found is not None, html
    return forms, " ".join(found[1].split())


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("state", list(STATES))
def test_tracking_page_offers_the_reporter_only_what_the_api_takes(
    api: Api, state: str, lang: str
) -> None:
    code = _into(api, state)
    may = STATES[state][2]

    page = api.client.get(f"/t/{code}", params={"lang": lang})
    assert page.status_code == 200, page.text
    forms, sentence = _offered(page.text)
    assert forms == set(may)
    assert sentence == f"{YOURS[lang]} {SAID[lang][may]}"
    # Before the token, the page promises nothing the state may not give.
    assert "comment, dispute or rate" not in page.text
    assert "berkomentar, membantah, atau memberi nilai" not in page.text


@pytest.mark.parametrize("state", list(STATES))
def test_what_the_page_leaves_out_the_api_refuses_naming_what_it_shows(
    api: Api, state: str
) -> None:
    code = _into(api, state)
    forms, _ = _offered(api.client.get(f"/t/{code}").text)
    headers = {"X-Reporter-Token": api.tokens[code]}
    for action in sorted(set(FORMS) - forms):
        path, body = REQUESTS[action]
        refused = api.client.post(f"/api/v1/reports/{code}/{path}", json=body, headers=headers)
        assert refused.status_code in (403, 409), (action, refused.text)
        if refused.status_code == 409:
            assert set(refused.json()["allowed"]) == forms, action


def test_the_reporter_s_own_page_of_a_report_the_public_may_not_see_offers_the_same(
    api: Api,
) -> None:
    code = api.submit()["code"]
    api.drive(code, "verify", "assign", "start", "resolve", "close")
    hidden = api.act(code, "unpublish", "admin", note="wajah terlihat")
    assert hidden.status_code == 200, hidden.text

    own = api.client.post(f"/t/{code}?lang=en", data={"token": api.tokens[code]})
    assert own.status_code == 200, own.text
    forms, sentence = _offered(own.text)
    assert forms == {"dispute", "rate"}
    assert sentence == "This is your report. You can dispute the fix or rate how it was solved."


@pytest.mark.parametrize("state", list(STATES))
def test_the_reporters_json_view_lists_what_they_may_do_as_the_page_offers_it(
    api: Api, state: str
) -> None:
    """An app shows the reporter's buttons from ``allowed``, the same list a 409 names."""
    code = _into(api, state)
    view = api.client.get(
        f"/api/v1/reports/{code}/private", headers={"X-Reporter-Token": api.tokens[code]}
    )
    assert view.status_code == 200, view.text
    assert set(view.json()["allowed"]) == set(STATES[state][2])
    appeal_until = view.json()["appeal_until"]
    assert (appeal_until is not None) == ("appeal" in STATES[state][2])
