"""Configuration from the environment (``TANGGAP_*``); secrets never live in files we ship.

Every setting is validated where it enters: a wrong value stops the process with one line that
names the variable (``TANGGAP_DISPUTE_WINDOW_DAYS: …``), before anything touches the database.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import math
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_der_public_key
from limits import parse as parse_limit
from limits import storage as limits_storage
from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from engine.db import not_a_database, sqlite_file
from engine.errors import ConfigurationError, RuleViolated
from engine.installation import BLANK, HOME_VARIABLE, home_dir, running_serve_base_url
from engine.text import LIMITS, NOT_DELIVERABLE, clean_email
from engine.zones import checked_zone

ENV_PREFIX = "TANGGAP_"
#: A host name (letters, digits, hyphens, dots), an IPv4 address or a bracketed IPv6 one.
_HOST = re.compile(
    r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?|[0-9a-f:.]+"
)
#: Database URL schemes Tanggap runs on (SQLite embedded, PostgreSQL through psycopg 3).
DATABASE_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")
#: A TCP port.
Port = Annotated[int, Field(ge=1, le=65535)]
#: A wait for another system (seconds): never zero, never unbounded.
Timeout = Annotated[float, Field(gt=0, le=3600)]
#: Fields whose values are never repeated in an error (they are, or may hold, secrets).
SECRET_FIELDS = frozenset(
    {
        "database_url",
        "rate_limit_storage",
        "session_secret",
        "sendgrid_api_key",
        "sendgrid_base_url",
        "smtp_password",
    }
)
_NOT_EMAIL = "not an e-mail address like name@example.org"


def _one_line_text(value: str | None) -> str | None:
    if value is not None and any(not ch.isprintable() for ch in value):
        raise ValueError("has a control character (tab, newline, escape …)")
    return value


def _email(value: str | None, *, required: bool) -> str | None:
    try:
        return clean_email(value, field="email", required=required)
    except RuleViolated as exc:
        if exc.code == "email_not_deliverable":
            raise ValueError(NOT_DELIVERABLE) from None
        raise ValueError(_NOT_EMAIL if (value or "").strip() else "must not be empty") from None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    #: ``TANGGAP_DEBUG=1``: the command line shows the traceback of a fault of ours.
    debug: bool = False

    database_url: str = "sqlite:///tanggap.db"
    #: How long a citizen may dispute a fix before the ticket closes.
    dispute_window_days: Annotated[int, Field(ge=0, le=365)] = 7
    #: Where photos are stored (local directory storage).
    media_dir: Path = Path("media")

    @field_validator("media_dir", "mail_dir")
    @classmethod
    def _usable_folder(cls, value: Path) -> Path:
        """A folder that is there or can be made: its nearest existing part is a directory we
        may write in (checked when the settings are read, not when the first photo or mail
        fails).

        Writing is tried, not asked: ``os.access`` says yes to root everywhere, /proc and
        read-only mounts included, where making anything fails. A probe folder is made in the
        nearest existing part and removed at once."""
        probe = value
        while not probe.exists() and probe.parent != probe:
            probe = probe.parent
        shown = repr(str(probe)[:80])
        if probe.exists() and not probe.is_dir():
            raise ValueError(f"{shown} is not a directory")
        if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
            raise ValueError(f"{shown} cannot be written to")
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".tanggap-probe-", dir=probe))
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            wanted = repr(str(value)[:80])
            message = f"cannot create {wanted}: {shown} takes no new folder ({why})"
            raise ValueError(message) from None
        return value

    #: Public code prefix: JKT for Jakarta. Codes are PREFIX-XXXX-XXXX in a 24-character column.
    code_prefix: Annotated[str, Field(pattern=r"^[A-Z]{2,10}$")] = "JKT"
    # The HTTP API (issue 10).
    #: Threads that run the API's request handlers (and database connections kept for them).
    #: One process has one interpreter lock, so more threads than a few only wait for it: 8
    #: served as many submissions as AnyIO's default of 40, with a lower p99 and fewer
    #: connections (bench/README.md).
    api_threads: int = Field(default=8, ge=1, le=256)
    #: Photos per report, comment or transition.
    max_photos: int = Field(default=5, ge=1, le=20)
    #: Open reports of the same category this close (metres) and this recent are offered to a
    #: citizen as possible duplicates to follow instead (a category may set its own radius).
    duplicate_radius_m: float = Field(default=250.0, gt=0, le=5000)
    duplicate_days: int = Field(default=30, ge=1, le=365)
    #: Anonymous reports per client address (``limits`` notation, e.g. "10/minute"); "me too"s
    #: have an allowance of the same size of their own.
    submit_rate_limit: str = "10/minute"
    #: A reporter's follow-ups (comments, ratings, disputes, appeals: each is mailed to the
    #: agency) per report, and per client address (IPv4, or IPv6 /64), in ``limits`` notation.
    follow_up_rate_limit: str = "10/hour"
    follow_up_client_rate_limit: str = "30/hour"
    #: Where rate-limit counters live: "memory://" for one process, "redis://…" for several.
    rate_limit_storage: str = "memory://"

    @field_validator("rate_limit_storage")
    @classmethod
    def _rate_limit_storage(cls, value: str) -> str:
        # The value may hold a password (redis://:secret@host): it is never repeated.
        wrong = "not a rate-limit storage like memory:// or redis://HOST:6379"
        scheme = urlsplit(value).scheme
        known: dict[str, object] = getattr(limits_storage, "SCHEMES", {})
        if scheme not in known or scheme.startswith("async+"):
            raise ValueError(f"{wrong} (unknown scheme)")
        if scheme != "memory":
            try:  # the limits library's own parser: the URL, the port, its client library
                limits_storage.storage_from_string(value)
            except Exception as exc:
                reason = (
                    "its client library is not installed"
                    if "prerequisite" in str(exc)
                    else "it does not parse"
                )
                raise ValueError(f"{wrong} ({reason})") from None
        return value

    #: Supervisor figures over fewer cases than this are withheld.
    figures_min_count: int = Field(default=5, ge=1, le=1000)
    # The web pages (issue 11).
    #: Map tiles for the web pages' maps, e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
    #: empty means no tiles (markers on a plain background, no request leaves the app).
    map_tile_url: str = ""
    #: Credit line the tile provider asks for (shown on the map).
    map_tile_attribution: str = Field(default="", max_length=300)
    #: Where the report page's map opens (latitude, longitude) and how close (Leaflet zoom).
    map_centre: tuple[
        Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]
    ] = (
        -6.2,
        106.8456,
    )
    map_zoom: int = Field(default=11, ge=1, le=19)

    _one_line = field_validator("map_tile_attribution", "mail_from_name", "smtp_username")(
        _one_line_text
    )

    @field_validator("map_tile_url")
    @classmethod
    def _tile_template(cls, value: str) -> str:
        if value and (
            not value.startswith(("https://", "http://"))
            or not all(part in value for part in ("{z}", "{x}", "{y}"))
        ):
            raise ValueError("a tile URL like https://host/{z}/{x}/{y}.png, or unset for none")
        return value

    @field_validator("submit_rate_limit", "follow_up_rate_limit", "follow_up_client_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str, info: ValidationInfo) -> str:
        try:
            limit = parse_limit(value)
        except ValueError:
            raise ValueError(f"not a rate limit like 10/minute: {value[:40]!r}") from None
        if limit.amount < 1:
            what = "report" if info.field_name == "submit_rate_limit" else "follow-up"
            raise ValueError(f"must allow at least 1 request (0/minute would refuse every {what})")
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

    @field_validator("session_secret")
    @classmethod
    def _session_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 32:
            raise ValueError(
                "too short: use at least 32 random characters, e.g. the output of "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @field_validator("sendgrid_api_key", "smtp_password")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value()
        if not secret.strip():
            raise ValueError(BLANK)
        if not secret.isprintable():
            raise ValueError("has a control character (a newline pasted with it?)")
        return value

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
        path = sqlite_file(value) if driver.startswith("sqlite") else None
        if driver.startswith("sqlite") and path is None:
            # In memory (or no file): every command would see a new empty database.
            raise ValueError("an SQLite database needs a file, e.g. sqlite:///tanggap.db")
        # A photo or a text file named by mistake: refused here, by every process alike (the
        # command line, serve, the HTTP app, the flows), before SQLite opens it.
        problem = not_a_database(path) if path is not None else None
        if problem:
            raise ValueError(problem)
        return value

    # The one rule for a typed zone (engine.zones), as for a staff member's: WITA works.
    _known_zone = field_validator("timezone")(checked_zone)

    # --- mail delivery (issue 9) ---
    #: "auto": SendGrid when an API key is set, else .eml files in ``mail_dir``.
    mail_backend: Literal["auto", "sendgrid", "eml", "smtp"] = "auto"
    mail_from: str = "tanggap@tanggap.example"
    mail_from_name: str = Field(default="Tanggap", min_length=1, max_length=120)
    mail_reply_to: str | None = None
    #: Where the .eml backend writes one file per outbox row.
    mail_dir: Path = Path("outbox")
    sendgrid_api_key: SecretStr | None = None
    #: SendGrid's API host; a local stand-in in tests, https://api.eu.sendgrid.com in the EU.
    sendgrid_base_url: str = "https://api.sendgrid.com"
    #: Per request; the library waits forever without one.
    sendgrid_timeout_seconds: Timeout = 10.0
    #: The Event Webhook's verification key (base64 DER, as SendGrid shows it).
    sendgrid_webhook_public_key: str | None = None
    #: Optional SendGrid dynamic template id per kind, e.g. {"escalation": "d-…"} (JSON).
    sendgrid_template_ids: dict[str, str] = {}
    smtp_host: str = "localhost"
    smtp_port: Port = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_timeout_seconds: Timeout = 10.0
    #: Who hears of dead letters, bounced escalation recipients and calendar problems.
    operator_email: str | None = None
    #: Links in mail point here (the tracking page is ``/t/{code}``). Unset, ``load_settings``
    #: takes the base URL a running ``tanggap serve`` of this data directory recorded (its own
    #: address), else this default (``engine.installation``).
    public_base_url: str = "http://127.0.0.1:8000"
    #: Where ``public_base_url`` came from: "variable", "serve" or "default".
    _public_base_url_source: str = PrivateAttr(default="default")

    @field_validator("mail_from")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _email(value, required=True) or ""

    @field_validator("mail_reply_to", "operator_email")
    @classmethod
    def _optional_email(cls, value: str | None) -> str | None:
        return _email(value, required=False)

    @field_validator("smtp_host")
    @classmethod
    def _smtp_host(cls, value: str) -> str:
        if not _HOST.fullmatch(value.lower()):
            raise ValueError("not a host name or IP address like smtp.example.org")
        return value

    @field_validator("sendgrid_base_url")
    @classmethod
    def _sendgrid_url(cls, value: str) -> str:
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018 - a malformed port raises here
        except ValueError:
            raise ValueError("not a web address like https://api.sendgrid.com") from None
        if parts.scheme not in ("http", "https") or not _HOST.fullmatch(parts.hostname or ""):
            raise ValueError("not a web address like https://api.sendgrid.com")
        if parts.username is not None or parts.password is not None or parts.query:
            # Printed by `tanggap deliver` and `serve` ("mail goes to: …"): a password in it
            # would be shown to whoever reads the terminal or the log.
            raise ValueError(
                "has a user name, password or query: the API key goes in "
                "TANGGAP_SENDGRID_API_KEY, the address holds no secret"
            )
        return value.rstrip("/")

    @field_validator("sendgrid_webhook_public_key")
    @classmethod
    def _webhook_key(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            load_der_public_key(base64.b64decode(value.strip(), validate=True))
        except (ValueError, binascii.Error, UnsupportedAlgorithm):
            raise ValueError(
                "not a verification key (base64 DER, as SendGrid's Event Webhook page shows it)"
            ) from None
        return value.strip()

    @field_validator("sendgrid_template_ids")
    @classmethod
    def _template_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for kind, template in value.items():
            if not kind or not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", template):
                raise ValueError("each template id must be a SendGrid id like d-1234abcd")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        wrong = "not a web address like https://lapor.example.go.id"
        if any(ch.isspace() or not ch.isprintable() for ch in value):
            raise ValueError(f"{wrong} (it has a space or control character)")
        parts = urlsplit(value)
        try:
            port = parts.port
        except ValueError:
            port = 0
        if port == 0:
            raise ValueError(f"{wrong} (the port is not a number 1-65535)")
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
    delivery_batch_size: int = Field(default=50, ge=1, le=1000)
    #: Tries before a row is dead-lettered.
    delivery_max_attempts: int = Field(default=8, ge=1, le=100)
    #: First retry delay; doubles per try up to ``delivery_backoff_max_seconds``.
    delivery_backoff_seconds: float = Field(default=30.0, gt=0, le=86400)
    delivery_backoff_max_seconds: float = Field(default=3600.0, gt=0, le=7 * 86400)
    #: A row still ``sending`` this long after its claim belonged to a crashed sender. Must
    #: exceed a batch's worst case (batch size × timeout).
    delivery_lease_seconds: float = Field(default=900.0, gt=0, le=86400)
    #: How long to wait for a provider event before resending an ``uncertain`` row.
    delivery_uncertain_grace_seconds: float = Field(default=600.0, gt=0, le=7 * 86400)
    #: Digest hour in each supervisor's local time.
    digest_hour: int = Field(default=7, ge=0, le=23)
    #: How long a citizen's status mail waits before it is sent, so that the changes staff
    #: make in a burst (verify, assign, start within a few minutes) reach each reader as one
    #: mail (``engine.status_mail``); 0 sends each change at once.
    citizen_mail_hold_minutes: int = Field(default=5, ge=0, le=60)

    @model_validator(mode="after")
    def _backoff_bounds(self) -> Settings:
        if self.delivery_backoff_max_seconds < self.delivery_backoff_seconds:
            raise ValueError(
                "TANGGAP_DELIVERY_BACKOFF_MAX_SECONDS: must be at least "
                "TANGGAP_DELIVERY_BACKOFF_SECONDS"
            )
        return self

    @property
    def public_base_url_source(self) -> Literal["variable", "serve", "default"]:
        """Where the base URL of links in mail came from: TANGGAP_PUBLIC_BASE_URL
        ("variable"), a running ``tanggap serve`` of this data directory ("serve"), or the
        default."""
        if self._public_base_url_source == "serve":
            return "serve"
        return "variable" if "public_base_url" in self.model_fields_set else "default"

    @property
    def dispute_window(self) -> timedelta:
        return timedelta(days=self.dispute_window_days)

    @property
    def citizen_mail_hold(self) -> timedelta:
        return timedelta(minutes=self.citizen_mail_hold_minutes)

    @property
    def resolved_mail_backend(self) -> Literal["sendgrid", "eml", "smtp"]:
        if self.mail_backend != "auto":
            return self.mail_backend
        return "sendgrid" if self.sendgrid_api_key else "eml"


#: ``TANGGAP_*`` variables that are not settings of the engine but are read elsewhere: the data
#: directory of ``tanggap serve``, and the test suite's and benchmarks' own switches.
OTHER_VARIABLES = frozenset(
    {
        "TANGGAP_HOME",
        "TANGGAP_BOUNDARIES_FILE",
        "TANGGAP_CHROMIUM",
        "TANGGAP_SCREENSHOTS",
        "TANGGAP_SCHEMATHESIS_EXAMPLES",
        "TANGGAP_TEST_RESET",
        "TANGGAP_BENCH_PG_URL",
        "TANGGAP_BENCH_RUN",
        "TANGGAP_CI_PG_URL",
    }
)


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """One warning per ``TANGGAP_*`` variable in ``environ`` that nothing reads (a misspelt
    ``TANGGAP_DATABSE_URL`` would otherwise leave the default database in use silently),
    naming the closest real variable when there is one. Values are never repeated."""
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields} | OTHER_VARIABLES
    warnings = []
    for name in sorted(environ):
        if not name.upper().startswith(ENV_PREFIX) or name.upper() in known:
            continue
        shown = name if name.isprintable() else name.encode("unicode_escape").decode()
        close = difflib.get_close_matches(name.upper(), sorted(known), n=1, cutoff=0.8)
        hint = f"; did you mean {close[0]}?" if close else ""
        warnings.append(f"{shown} is not a Tanggap setting and is ignored{hint}")
    return warnings


def _with_serve_base_url(settings: Settings) -> Settings:
    """``settings`` with the base URL of links in mail a running ``tanggap serve`` of this data
    directory recorded, when TANGGAP_PUBLIC_BASE_URL is unset: every process of one
    installation links to where serve listens (precedence: the variable, a running serve, the
    default)."""
    if "public_base_url" in settings.model_fields_set:
        return settings
    recorded = running_serve_base_url(home_dir())
    if recorded is None:
        return settings
    found = settings.model_copy(update={"public_base_url": recorded})
    found._public_base_url_source = "serve"
    return found


#: Validation errors about a number's bounds, which NaN fails whatever the bounds.
_BOUNDS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})


def _nan(error: Any) -> bool:
    """Whether a validation error is a bound that NaN (``nan``, ``NaN``) failed."""
    if error.get("type") not in _BOUNDS:
        return False
    given = error.get("input")
    try:
        return isinstance(given, str | float) and math.isnan(float(given))
    except ValueError:
        return False


def blank_variables(environ: Mapping[str, str]) -> list[str]:
    """The settings (``TANGGAP_HOME`` too) set blank in ``environ``: empty, or spaces only.

    One rule for all: a blank value is refused, naming the variable, whatever the setting
    (unset, each takes its default). Left to each setting's type, an empty value was refused
    by some (a number, TANGGAP_SENDGRID_API_KEY), read as unset by others
    (TANGGAP_OPERATOR_EMAIL, TANGGAP_HOME) and taken literally by a few (TANGGAP_MEDIA_DIR="" is
    the working directory, TANGGAP_HOME="   " a folder named by three spaces)."""
    names = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields} | {HOME_VARIABLE}
    # pydantic-settings reads the variables whatever their case (tanggap_media_dir).
    return sorted(
        {name.upper() for name, value in environ.items() if name.upper() in names}
        - {name.upper() for name, value in environ.items() if value.strip()}
    )


def load_settings() -> Settings:
    """Settings from the environment, or ``ConfigurationError`` naming the variable that is
    wrong (its value is not repeated: it may be a password in a URL). A blank one is refused
    before any is read (``blank_variables``)."""
    blank = blank_variables(os.environ)
    if blank:
        raise ConfigurationError("; ".join(f"{name}: {BLANK}" for name in blank))
    try:
        return _with_serve_base_url(Settings())
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            message = re.sub(r"^Value error, ", "", error["msg"])
            if _nan(error):  # NaN fails every bound: pydantic says it is above the highest
                message = "not a number"
            if not error["loc"]:  # a check across fields names its variables itself
                problems.append(message)
                continue
            # The variable, not the part of its value (TANGGAP_MAP_CENTRE, not …_CENTRE_0).
            field = str(error["loc"][0])
            problems.append(f"{ENV_PREFIX}{field.upper()}: {message}")
        raise ConfigurationError("; ".join(problems)) from None
    except SettingsError as exc:
        # A complex value (JSON, e.g. TANGGAP_SENDGRID_TEMPLATE_IDS) that does not parse.
        found = re.search(r'field "([a-z_]+)"', str(exc))
        variable = ENV_PREFIX + (found.group(1).upper() if found else "…")
        raise ConfigurationError(f"{variable}: not valid JSON") from None
