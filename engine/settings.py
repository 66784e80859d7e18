"""Configuration from the environment (``TANGGAP_*``); secrets never live in files we ship.

Every setting is validated where it enters: a wrong value stops the process with one line that
names the variable (``TANGGAP_DISPUTE_WINDOW_DAYS: …``), before anything touches the database.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse as parse_limit
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from engine.errors import ConfigurationError
from engine.text import LIMITS

ENV_PREFIX = "TANGGAP_"
#: A host name (letters, digits, hyphens, dots), an IPv4 address or a bracketed IPv6 one.
_HOST = re.compile(
    r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?|[0-9a-f:.]+"
)
#: Database URL schemes Tanggap runs on (SQLite embedded, PostgreSQL through psycopg 3).
DATABASE_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    database_url: str = "sqlite:///tanggap.db"
    #: How long a citizen may dispute a fix before the ticket closes.
    dispute_window_days: Annotated[int, Field(ge=0, le=365)] = 7
    #: Where photos are stored (local directory storage).
    media_dir: Path = Path("media")
    #: Public code prefix: JKT for Jakarta. Codes are PREFIX-XXXX-XXXX in a 24-character column.
    code_prefix: Annotated[str, Field(pattern=r"^[A-Z]{2,10}$")] = "JKT"
    # The HTTP API (issue 10).
    #: Photos per report, comment or transition.
    max_photos: int = Field(default=5, ge=1, le=20)
    #: Open reports of the same category this close (metres) and this recent are offered to a
    #: citizen as possible duplicates to follow instead (a category may set its own radius).
    duplicate_radius_m: float = Field(default=250.0, gt=0, le=5000)
    duplicate_days: int = Field(default=30, ge=1, le=365)
    #: Anonymous submissions per client address (``limits`` notation, e.g. "10/minute").
    submit_rate_limit: str = "10/minute"
    #: Where rate-limit counters live: "memory://" for one process, "redis://…" for several.
    rate_limit_storage: str = "memory://"
    #: Supervisor figures over fewer cases than this are withheld.
    figures_min_count: int = Field(default=5, ge=1, le=1000)
    # The web pages (issue 11).
    #: Map tiles for the web pages' maps, e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
    #: empty means no tiles (markers on a plain background, no request leaves the app).
    map_tile_url: str = ""
    #: Credit line the tile provider asks for (shown on the map).
    map_tile_attribution: str = ""
    #: Where the report page's map opens (latitude, longitude) and how close (Leaflet zoom).
    map_centre: tuple[
        Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]
    ] = (
        -6.2,
        106.8456,
    )
    map_zoom: int = Field(default=11, ge=1, le=19)

    @field_validator("map_tile_url")
    @classmethod
    def _tile_template(cls, value: str) -> str:
        if value and (
            not value.startswith(("https://", "http://"))
            or not all(part in value for part in ("{z}", "{x}", "{y}"))
        ):
            raise ValueError("a tile URL like https://host/{z}/{x}/{y}.png, or empty for none")
        return value

    @field_validator("submit_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            parse_limit(value)
        except ValueError:
            raise ValueError(f"not a rate limit like 10/minute: {value[:40]!r}") from None
        return value

    #: Local time zone for people-facing times (storage is always UTC).
    timezone: str = "Asia/Jakarta"
    #: A report this close (metres) to an area but in none goes to the nearest area; farther
    #: off it is refused as outside the city (see engine/routing.py).
    locate_tolerance_m: float = Field(default=100.0, ge=0, le=5000)
    max_description_chars: Annotated[int, Field(ge=1, le=LIMITS["description"])] = LIMITS[
        "description"
    ]
    max_photo_bytes: Annotated[int, Field(ge=1024, le=100 * 1024 * 1024)] = 8 * 1024 * 1024
    # The staff and supervisor web pages (issue 11).
    #: Signs the pages' session cookie: give every API process the same value. Unset, each
    #: process draws its own at start (sign-ins end at a restart and do not cross processes).
    session_secret: SecretStr | None = None
    #: How long a sign-in lasts.
    session_hours: float = Field(default=10.0, gt=0, le=24 * 30)

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        try:
            driver = make_url(value).drivername
        except ArgumentError:
            raise ValueError("not a database URL (e.g. sqlite:///tanggap.db)") from None
        if driver not in DATABASE_DRIVERS:
            raise ValueError(
                f"unsupported database {driver!r}: use sqlite:///FILE or "
                "postgresql+psycopg://USER@HOST/DB"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value[:40]!r} (e.g. Asia/Jakarta)") from None
        return value

    # --- mail delivery (issue 9) ---
    #: "auto": SendGrid when an API key is set, else .eml files in ``mail_dir``.
    mail_backend: Literal["auto", "sendgrid", "eml", "smtp"] = "auto"
    mail_from: str = "tanggap@tanggap.example"
    mail_from_name: str = "Tanggap"
    mail_reply_to: str | None = None
    #: Where the .eml backend writes one file per outbox row.
    mail_dir: Path = Path("outbox")
    sendgrid_api_key: SecretStr | None = None
    #: SendGrid's API host; a local stand-in in tests, https://api.eu.sendgrid.com in the EU.
    sendgrid_base_url: str = "https://api.sendgrid.com"
    #: Per request; the library waits forever without one.
    sendgrid_timeout_seconds: float = 10.0
    #: The Event Webhook's verification key (base64 DER, as SendGrid shows it).
    sendgrid_webhook_public_key: str | None = None
    #: Optional SendGrid dynamic template id per kind, e.g. {"escalation": "d-…"} (JSON).
    sendgrid_template_ids: dict[str, str] = {}
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 10.0
    #: Who hears of dead letters, bounced escalation recipients and calendar problems.
    operator_email: str | None = None
    #: Links in mail point here (the tracking page is ``/t/{code}``). ``tanggap serve`` sets it
    #: to the address it listens on when it is not set.
    public_base_url: str = "http://127.0.0.1:8000"

    @field_validator("public_base_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        wrong = "not a web address like https://lapor.example.go.id"
        if any(ch.isspace() or not ch.isprintable() for ch in value):
            raise ValueError(f"{wrong} (it has a space or control character)")
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018 - a malformed port raises here
        except ValueError:
            raise ValueError(f"{wrong} (the port is not a number 0-65535)") from None
        host = parts.hostname or ""
        if (
            parts.scheme not in ("http", "https")
            or not _HOST.fullmatch(host)
            or parts.query
            or parts.fragment
            or parts.username is not None
        ):
            raise ValueError(wrong)
        return value.rstrip("/")

    #: Outbox rows claimed per transaction.
    delivery_batch_size: int = 50
    #: Tries before a row is dead-lettered.
    delivery_max_attempts: int = 8
    #: First retry delay; doubles per try up to ``delivery_backoff_max_seconds``.
    delivery_backoff_seconds: float = 30.0
    delivery_backoff_max_seconds: float = 3600.0
    #: A row still ``sending`` this long after its claim belonged to a crashed sender. Must
    #: exceed a batch's worst case (batch size × timeout).
    delivery_lease_seconds: float = 900.0
    #: How long to wait for a provider event before resending an ``uncertain`` row.
    delivery_uncertain_grace_seconds: float = 600.0
    #: Digest hour in each supervisor's local time.
    digest_hour: int = 7

    @property
    def dispute_window(self) -> timedelta:
        return timedelta(days=self.dispute_window_days)

    @property
    def resolved_mail_backend(self) -> Literal["sendgrid", "eml", "smtp"]:
        if self.mail_backend != "auto":
            return self.mail_backend
        return "sendgrid" if self.sendgrid_api_key else "eml"


def load_settings() -> Settings:
    """Settings from the environment, or ``ConfigurationError`` naming the variable that is
    wrong (its value is not repeated: it may be a password in a URL)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            variable = ENV_PREFIX + "_".join(str(part) for part in error["loc"]).upper()
            message = re.sub(r"^Value error, ", "", error["msg"])
            problems.append(f"{variable}: {message}")
        raise ConfigurationError("; ".join(problems)) from None
    except SettingsError as exc:
        # A complex value (JSON, e.g. TANGGAP_SENDGRID_TEMPLATE_IDS) that does not parse.
        found = re.search(r'field "([a-z_]+)"', str(exc))
        variable = ENV_PREFIX + (found.group(1).upper() if found else "…")
        raise ConfigurationError(f"{variable}: not valid JSON") from None
