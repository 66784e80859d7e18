"""Every setting is checked where it enters: a wrong value is one line naming the variable,
never repeating a secret, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ConfigurationError
from engine.settings import Settings, load_settings

SECRET = "s3cretPassw0rd"

BAD = [
    # variable, value, words of the message
    ("RATE_LIMIT_STORAGE", "bogus", "not a rate-limit storage like memory://"),
    ("RATE_LIMIT_STORAGE", "async+memory://", "not a rate-limit storage"),
    ("RATE_LIMIT_STORAGE", f"redis://:{SECRET}@localhost:99999", "(it does not parse)"),
    ("SMTP_PORT", "99999", "less than or equal to 65535"),
    ("SMTP_PORT", "0", "greater than or equal to 1"),
    ("SMTP_HOST", "smtp example", "not a host name"),
    ("SMTP_TIMEOUT_SECONDS", "0", "greater than 0"),
    ("SMTP_STARTTLS", "maybe", "valid boolean"),
    ("SMTP_PASSWORD", f"{SECRET}\n", "control character"),
    ("SENDGRID_TIMEOUT_SECONDS", "-1", "greater than 0"),
    ("SENDGRID_API_KEY", " ", "is empty"),
    ("SENDGRID_BASE_URL", "api.sendgrid.com", "not a web address"),
    # Printed as "mail goes to: …" by deliver and serve: a tester's password was shown there.
    ("SENDGRID_BASE_URL", f"http://user:{SECRET}@127.0.0.1:8025", "the address holds no secret"),
    (
        "SENDGRID_BASE_URL",
        f"https://api.sendgrid.com/?key={SECRET}",
        "user name, password or query",
    ),
    ("SENDGRID_WEBHOOK_PUBLIC_KEY", "not-a-key", "not a verification key"),
    ("SENDGRID_TEMPLATE_IDS", '{"escalation": "d 1"}', "template id"),
    ("OPERATOR_EMAIL", "notanemail", "not an e-mail address"),
    ("MAIL_FROM", "tanggap.example", "not an e-mail address"),
    # Blank is refused whatever the setting (it used to be taken as unset by some).
    ("MAIL_FROM", "", "is empty: unset it, or give a value"),
    ("OPERATOR_EMAIL", "", "is empty: unset it, or give a value"),
    ("MAIL_REPLY_TO", " ", "is empty: unset it, or give a value"),
    ("MEDIA_DIR", "", "is empty: unset it, or give a value"),
    ("MAIL_REPLY_TO", "a@b@c", "not an e-mail address"),
    ("MAIL_FROM_NAME", "Tang\x1bgap", "control character"),
    ("MAP_TILE_ATTRIBUTION", "osm\x07", "control character"),
    ("DELIVERY_MAX_ATTEMPTS", "0", "greater than or equal to 1"),
    ("DELIVERY_BATCH_SIZE", "0", "greater than or equal to 1"),
    ("DELIVERY_BACKOFF_SECONDS", "-5", "greater than 0"),
    ("DELIVERY_LEASE_SECONDS", "0", "greater than 0"),
    ("DELIVERY_UNCERTAIN_GRACE_SECONDS", "0", "greater than 0"),
    ("DIGEST_HOUR", "24", "less than or equal to 23"),
    ("CITIZEN_MAIL_HOLD_MINUTES", "-1", "greater than or equal to 0"),
    ("CITIZEN_MAIL_HOLD_MINUTES", "61", "less than or equal to 60"),
    ("CITIZEN_MAIL_HOLD_MINUTES", "five", "valid integer"),
    ("API_THREADS", "0", "greater than or equal to 1"),
    ("API_THREADS", "four", "valid integer"),
    ("DEBUG", "maybe", "valid boolean"),
    ("SESSION_SECRET", SECRET, "too short: use at least 32 random characters"),
    ("MAP_CENTRE", "[100, 0]", "less than or equal to 90"),
    ("SUBMIT_RATE_LIMIT", "0/minute", "must allow at least 1 request"),
    ("PUBLIC_BASE_URL", "https://x.example:0", "the port is not a number 1-65535"),
    ("DATABASE_URL", "sqlite:///", "an SQLite database needs a file"),
    ("DATABASE_URL", "sqlite:///:memory:", "an SQLite database needs a file"),
    ("SESSION_SECRET", " " * 40, "is empty: unset it, or give a value"),
    ("MEDIA_DIR", "/dev/null/media", "'/dev/null' is not a directory"),
    ("MAIL_DIR", "/dev/null/outbox", "'/dev/null' is not a directory"),
    # os.access says root may write in /proc; making a folder there fails (ENOENT)
    ("MEDIA_DIR", "/proc/nope", "cannot create '/proc/nope': '/proc' takes no new folder"),
    ("MAIL_DIR", "/proc/nope/outbox", "cannot create '/proc/nope/outbox': '/proc' takes no"),
]


@pytest.mark.parametrize(("variable", "value", "words"), BAD)
def test_a_bad_setting_is_one_line_naming_the_variable_without_its_value(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, words: str
) -> None:
    monkeypatch.setenv(f"TANGGAP_{variable}", value)

    with pytest.raises(ConfigurationError) as caught:
        load_settings()

    message = caught.value.message
    assert message.startswith(f"TANGGAP_{variable}: ")
    assert words in message
    assert "\n" not in message
    assert SECRET not in message


def test_backoff_ceiling_below_first_delay_names_both_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TANGGAP_DELIVERY_BACKOFF_SECONDS", "60")
    monkeypatch.setenv("TANGGAP_DELIVERY_BACKOFF_MAX_SECONDS", "30")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert caught.value.message == (
        "TANGGAP_DELIVERY_BACKOFF_MAX_SECONDS: must be at least TANGGAP_DELIVERY_BACKOFF_SECONDS"
    )


@pytest.mark.parametrize(
    ("variable", "value", "field", "kept"),
    [
        ("SMTP_PORT", "25", "smtp_port", 25),
        ("OPERATOR_EMAIL", "Ops@Jakarta.Example", "operator_email", "Ops@jakarta.example"),
        ("DEBUG", "1", "debug", True),
        ("DEBUG", "no", "debug", False),
        ("RATE_LIMIT_STORAGE", "redis://localhost:6379/0", "rate_limit_storage",
         "redis://localhost:6379/0"),
        ("SMTP_HOST", "::1", "smtp_host", "::1"),
        ("CITIZEN_MAIL_HOLD_MINUTES", "0", "citizen_mail_hold_minutes", 0),
        ("CITIZEN_MAIL_HOLD_MINUTES", "15", "citizen_mail_hold_minutes", 15),
        # The zone words a staff member's zone takes (a tester's report: WITA was refused here).
        ("TIMEZONE", "WITA", "timezone", "Asia/Makassar"),
        ("TIMEZONE", " asia/jayapura ", "timezone", "Asia/Jayapura"),
        ("TIMEZONE", "Asia/Jakarta", "timezone", "Asia/Jakarta"),
    ],
)  # fmt: skip
def test_a_good_setting_is_kept(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, kept: object
) -> None:
    monkeypatch.setenv(f"TANGGAP_{variable}", value)
    assert getattr(load_settings(), field) == kept


def test_a_sendgrid_verification_key_as_sendgrid_shows_it_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    der = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    key = base64.b64encode(der).decode()
    monkeypatch.setenv("TANGGAP_SENDGRID_WEBHOOK_PUBLIC_KEY", key + "\n")
    assert load_settings().sendgrid_webhook_public_key == key


def test_a_folder_setting_is_tried_and_the_try_leaves_nothing(tmp_path: Path) -> None:
    made = Settings(media_dir=tmp_path / "media" / "photos", mail_dir=tmp_path)
    assert made.media_dir == tmp_path / "media" / "photos"
    assert list(tmp_path.iterdir()) == []  # neither the folder nor the probe is left behind


@pytest.mark.parametrize(
    "variable",
    ["LOCATE_TOLERANCE_M", "DUPLICATE_RADIUS_M", "SMTP_TIMEOUT_SECONDS", "SESSION_HOURS",
     "DELIVERY_BACKOFF_SECONDS", "DELIVERY_LEASE_SECONDS"],
)  # fmt: skip
@pytest.mark.parametrize("value", ["nan", "NaN", "-nan"])
def test_a_number_setting_given_nan_says_it_is_not_a_number(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """TANGGAP_LOCATE_TOLERANCE_M=nan said "Input should be less than or equal to 5000"."""
    monkeypatch.setenv(f"TANGGAP_{variable}", value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert caught.value.message == f"TANGGAP_{variable}: not a number"
