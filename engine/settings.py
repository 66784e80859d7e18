"""Configuration from the environment (``TANGGAP_*``); secrets never live in files we ship."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TANGGAP_", extra="ignore")

    database_url: str = "sqlite:///tanggap.db"
    #: How long a citizen may dispute a fix before the ticket closes.
    dispute_window_days: int = 7
    #: Where photos are stored (local directory storage).
    media_dir: Path = Path("media")
    #: Public code prefix: JKT for Jakarta.
    code_prefix: str = "JKT"
    #: Local time zone for people-facing times (storage is always UTC).
    timezone: str = "Asia/Jakarta"
    #: A report this close (metres) to an area but in none goes to the nearest area; farther
    #: off it is refused as outside the city (see engine/routing.py).
    locate_tolerance_m: float = Field(default=100.0, ge=0, le=5000)
    max_description_chars: int = 4000
    max_photo_bytes: int = 8 * 1024 * 1024

    @property
    def dispute_window(self) -> timedelta:
        return timedelta(days=self.dispute_window_days)
