"""Settings from the environment and `.env` (pydantic-settings).

Every setting is an environment variable of the same name in upper case (ENTSOE_API_KEY,
DATA_DIR, ...). The API key is a SecretStr so it never shows in a repr, a log line or a
validation error; `load_settings` turns pydantic's errors into one readable message.
"""

from __future__ import annotations

import ipaddress
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from swissenergy.entsoe.client import (
    DEFAULT_BACKOFF_MAX_S,
    DEFAULT_BACKOFF_S,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_BAN_WAIT_S,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MIN_REQUEST_INTERVAL_S,
    DEFAULT_TIMEOUT_S,
    DEFAULT_ZONE,
)
from swissenergy.secrets_rule import is_placeholder

__all__ = ["DEFAULT_BASE_URL", "ConfigError", "Settings", "load_settings"]


class ConfigError(RuntimeError):
    """Start-up configuration is unusable; the message says which variable and why."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Docker/compose secrets are files here (one per setting, named like it: entsoe_api_key).
# Reading the key from a file keeps it out of the container's environment, which
# `docker inspect` and /proc/<pid>/environ show to anyone on the host with Docker access.
SECRETS_DIR = Path("/run/secrets")
# The database file in DATA_DIR (the backup command finds it without the rest of the settings).
DB_FILENAME = "swissenergy.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        # Only when present: pydantic-settings warns about a missing secrets directory.
        secrets_dir=SECRETS_DIR if SECRETS_DIR.is_dir() else None,
    )

    entsoe_api_key: SecretStr
    entsoe_base_url: str = DEFAULT_BASE_URL
    # The token travels in the query string, so plain HTTP would expose it on the wire.
    # Allowed without this flag only for loopback hosts (tests, a local fake server).
    entsoe_allow_insecure_http: bool = False
    entsoe_zone: str = DEFAULT_ZONE
    # ENTSO-E itself cuts requests off at 300 s.
    entsoe_timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, le=300)
    entsoe_max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0, le=10)
    entsoe_backoff_s: float = Field(default=DEFAULT_BACKOFF_S, ge=0, le=60)
    entsoe_backoff_max_s: float = Field(default=DEFAULT_BACKOFF_MAX_S, ge=0, le=300)
    entsoe_max_ban_wait_s: float = Field(default=DEFAULT_MAX_BAN_WAIT_S, ge=0, le=3600)
    entsoe_min_request_interval_s: float = Field(
        default=DEFAULT_MIN_REQUEST_INTERVAL_S, ge=0, le=10
    )

    data_dir: Path = Path("/code/data")
    timezone: str = "Europe/Zurich"
    history_start: date = date(2015, 1, 1)
    refetch_days: int = Field(default=10, ge=1, le=60)
    # An update fails (keeping the last forecast) when actual load ends this long before the
    # issue time: a forecast from days-old data would be published as if it were fresh.
    max_data_lag_hours: int = Field(default=48, ge=1, le=24 * 14)
    # "process" isolates training from the API process (no GIL contention with reads);
    # "thread" exists for tests and platforms without fork/exec.
    update_worker: Literal["process", "thread"] = "process"

    model_backtest_origins: int = Field(default=14, ge=1, le=365)
    model_train_days: int = Field(default=365, ge=14, le=3650)
    model_seed: int = 42

    # The source version the image was built from (the Dockerfile's RELEASE build argument):
    # /health reports it, so a deploy can tell which release answers.
    swissenergy_release: str = Field(default="unknown", max_length=80, pattern=r"^[A-Za-z0-9._-]+$")

    host: str = "0.0.0.0"
    port: int = Field(default=80, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    _zone: ZoneInfo = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        # Made once here; every time rule gets this object instead of the zone's name.
        self._zone = ZoneInfo(self.timezone)

    @field_validator("entsoe_api_key")
    @classmethod
    def _key_not_placeholder(cls, v: SecretStr) -> SecretStr:
        if is_placeholder(v.get_secret_value()):
            # The message names the variable, never the value.
            raise ValueError("is empty or a placeholder")
        return v

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @model_validator(mode="after")
    def _base_url_safe(self) -> Settings:
        parts = urlsplit(self.entsoe_base_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("ENTSOE_BASE_URL must be an absolute http(s) URL")
        if parts.query:
            raise ValueError("ENTSOE_BASE_URL must not contain a query string")
        if (
            parts.scheme == "http"
            and not self.entsoe_allow_insecure_http
            and not _is_loopback(parts.hostname)
        ):
            raise ValueError(
                "ENTSOE_BASE_URL uses plain http to a non-loopback host; the API key would "
                "travel unencrypted (set ENTSOE_ALLOW_INSECURE_HTTP=true for a test server)"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        """TIMEZONE as a ZoneInfo: the local time of the forecast day."""
        return self._zone

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILENAME

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "update.lock"


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning validation errors into a ConfigError naming each variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_input=False, include_url=False):
            loc = "_".join(str(p) for p in err["loc"]).upper()
            msg = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "is not set (put it in the environment, in .env or in /run/secrets)"
            if loc == "ENTSOE_API_KEY":
                msg += "; get a token from the ENTSO-E Transparency Platform account settings"
            problems.append(f"{loc} {msg}" if loc else msg)
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
