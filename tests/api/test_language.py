"""A reporter is written to in the language they reported in, whichever door they came through:
the citizen API (JSON and multipart), Open311 (``locale`` or ``Accept-Language``) and staff
filing on a caller's behalf."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import MONAS, Api
from tests.conftest import make_photo

EN_SUBJECT = "[Tanggap] Report {code}: Waiting (verified)"
ID_SUBJECT = "[Tanggap] Laporan {code}: Menunggu (terverifikasi)"

_REPORT = {
    "category": "traffic_jam",
    "description": "Traffic jam in front of Monas",
    "lat": MONAS[0],
    "lon": MONAS[1],
    "email": "Sari@Warga.example",
}


def _json(api: Api, language: str | None) -> str:
    body = {**_REPORT, **({"language": language} if language else {})}
    response = api.client.post("/api/v1/reports", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def _multipart(api: Api, language: str | None) -> str:
    fields = {k: str(v) for k, v in _REPORT.items()}
    if language:
        fields["language"] = language
    photo = [("photos", ("a.jpg", make_photo(), "image/jpeg"))]
    response = api.client.post("/api/v1/reports", data=fields, files=photo)
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def _on_behalf(api: Api, language: str | None) -> str:
    body = {**_REPORT, **({"language": language} if language else {})}
    response = api.client.post("/api/v1/tickets", json=body, headers=api.auth("staff"))
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


def _open311(api: Api, language: str | None, headers: dict[str, str] | None = None) -> str:
    data = {
        "api_key": api.keys["staff"],
        "service_code": "traffic_jam",
        "lat": str(MONAS[0]),
        "long": str(MONAS[1]),
        "description": "Traffic jam",
        "email": "Sari@Warga.example",
        **({"locale": language} if language else {}),
    }
    response = api.client.post("/open311/v2/requests.json", data=data, headers=headers or {})
    assert response.status_code == 201, response.text
    return str(response.json()[0]["service_request_id"])


def _open311_header(api: Api, language: str | None) -> str:
    header = {"en": "en-GB,en;q=0.9", "id": "id-ID", None: "fr-FR,de;q=0.8"}[language]
    return _open311(api, None, {"Accept-Language": header})


PATHS: dict[str, Callable[[Api, str | None], str]] = {
    "json": _json,
    "multipart": _multipart,
    "staff-on-behalf": _on_behalf,
    "open311 locale": _open311,
    "open311 Accept-Language": _open311_header,
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("language", "subject"), [("en", EN_SUBJECT), ("id", ID_SUBJECT), (None, ID_SUBJECT)]
)
def test_submission_language_is_the_language_of_the_reporters_status_mail(
    api: Api, path: str, language: str | None, subject: str
) -> None:
    api.clock.tick()
    code = PATHS[path](api, language)
    assert api.mails(code) == []

    assert api.act(code, "verify").status_code == 200

    expected = "en" if language == "en" else "id"
    assert api.mails(code) == [("sari@warga.example", expected, subject.format(code=code))]


def test_open311_locale_it_lacks_files_the_report_in_the_default_language(api: Api) -> None:
    """locale=fr was a 400 and nothing was filed: a locale none of ours falls back (here,
    no Accept-Language, to Indonesian), and the reporter is written to in it."""
    api.clock.tick()
    data: dict[str, Any] = {
        "api_key": api.keys["staff"],
        "service_code": "traffic_jam",
        "lat": str(MONAS[0]),
        "long": str(MONAS[1]),
        "description": "Macet",
        "email": "Sari@Warga.example",
        "locale": "fr",
    }
    response = api.client.post("/open311/v2/requests.json", data=data)
    assert response.status_code == 201, response.text
    code = response.json()[0]["service_request_id"]
    assert api.act(code, "verify").status_code == 200
    assert api.mails(code) == [("sari@warga.example", "id", ID_SUBJECT.format(code=code))]
