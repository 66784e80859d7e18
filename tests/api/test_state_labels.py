"""A state reads the same everywhere a citizen or an app reads it — the tracking page's badge,
the API's ``label_id``, Open311's ``status_label_id`` and the mail's subject — and a closed
report never reads as a resolved one (``engine.presentation``, the one table)."""

from __future__ import annotations

import html
import re

from .conftest import Api


def _labels(api: Api, code: str) -> dict[str, str]:
    public = api.client.get(f"/api/v1/reports/{code}").json()
    [item] = api.client.get(
        f"/open311/v2/requests/{code}.json", params={"extensions": "true"}
    ).json()
    page = api.client.get(f"/t/{code}?lang=id").text
    badge = re.search(r'<span class="badge[^"]*"[^>]*>([^<]+)</span>', page)
    assert badge, page
    return {
        "api": public["state"]["label_id"],
        "open311": item["extended_attributes"]["status_label_id"],
        "page": html.unescape(badge.group(1)).strip(),
    }


def test_resolved_and_closed_read_apart_and_alike_everywhere(api: Api) -> None:
    code = str(api.submit(email="warga@example.org")["code"])
    api.drive(code, "verify", "assign", "start", "resolve")
    resolved = _labels(api, code)
    api.drive(code, "close")
    closed = _labels(api, code)
    assert set(resolved.values()) == {"Selesai"}, resolved
    assert set(closed.values()) == {"Selesai (ditutup)"}, closed
    subjects = [subject for _, _, subject in api.mails(code)]
    assert subjects[-1].endswith(": Selesai (ditutup)"), subjects
