"""TANGGAP_PUBLIC_BASE_URL must be a proper http(s) address: one line naming the variable."""

from __future__ import annotations

import pytest

from engine.errors import ConfigurationError
from engine.settings import load_settings


@pytest.mark.parametrize(
    "value",
    [
        "http://x y",
        "http://x\ty",
        "http:// lapor.example.id",
        "https://lapor example.id/",
        "ftp://lapor.example.id",
        "https://",
        "lapor.example.id",
        "https://lapor.example.id:port",
        "https://lapor.example.id:99999",
        "https://lapor_example!.id",
        "https://lapor.example.id/?x=1",
        "https://lapor.example.id/#top",
        "https://admin:secret@lapor.example.id",
    ],
)
def test_a_bad_public_base_url_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TANGGAP_PUBLIC_BASE_URL", value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("TANGGAP_PUBLIC_BASE_URL: not a web address like https://")
    assert "\n" not in message
    assert "secret" not in message


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("https://lapor.example.go.id/", "https://lapor.example.go.id"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8000/tanggap/", "http://[::1]:8000/tanggap"),
        ("http://localhost", "http://localhost"),
    ],
)
def test_a_good_public_base_url_is_kept(
    monkeypatch: pytest.MonkeyPatch, value: str, kept: str
) -> None:
    monkeypatch.setenv("TANGGAP_PUBLIC_BASE_URL", value)
    assert load_settings().public_base_url == kept
