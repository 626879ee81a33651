"""Server settings: from the environment (prefix ``SYNC_``), typed, loud when wrong.

Built by ``load_settings()`` (or ``Settings(...)`` in tests) and passed into
``create_app(settings)``; nothing is read at import time.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Optional

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from stroll.domain import StrollError

from ..protocol import MAX_BATCH_ENTRIES, MAX_BODY_BYTES


def default_database_url() -> str:
    """A SQLite file in the user's data folder (XDG on Linux)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return "sqlite:///" + str(Path(base) / "stroll-server" / "sync.db")


class ConfigError(StrollError):
    """A setting has a value the server cannot use. The message names the variable."""
    code = "config_error"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SYNC_", extra="forbid",
                                      validate_default=True)

    database_url: str = Field(default_factory=default_database_url, description=(
        "sqlite:////absolute/path.db (default: a file in the user's data folder) "
        "or postgresql://user@host:5432/dbname"))
    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8765, ge=1, le=65535, description="TCP port to listen on")
    workers: int = Field(1, ge=1, le=64, description="server processes (uvicorn workers)")
    max_batch: int = Field(MAX_BATCH_ENTRIES, ge=1, le=MAX_BATCH_ENTRIES,
                           description="most entries one push may carry")
    max_body_bytes: int = Field(MAX_BODY_BYTES, ge=1024, le=64 * 1024 * 1024,
                                description="largest request body in bytes")
    pool_size: int = Field(10, ge=1, le=200, description="database connections per process")
    token_ttl_days: float = Field(30, gt=0, le=3650, description=(
        "a device token not used for this many days expires (a token in use is "
        "refreshed silently)"))
    invite_ttl_hours: float = Field(168, gt=0, le=24 * 90, description=(
        "an invite code expires this many hours after it is made"))
    enroll_per_minute: int = Field(30, ge=1, le=1_000_000, description=(
        "enrollments one client address may try a minute, per server process"))
    enroll_failures_per_hour: int = Field(20, ge=1, le=1_000_000, description=(
        "wrong invite codes one client address may send an hour, per server process"))
    calendar_per_minute: int = Field(60, ge=1, le=1_000_000, description=(
        "calendar feed fetches one client address may make a minute, per server process"))
    public_url: Optional[str] = Field(None, description=(
        "the address devices reach this server at, put in invite QR codes "
        "(e.g. https://sync.example.org)"))
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        "FULL", description="SQLite durability: FULL survives power loss")
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    access_log: bool = False
    # Limits at the edge (sync/server/edge.py; docs/SYNC.md "Limits"), per server process.
    max_connections: int = Field(1000, ge=1, le=100_000, description=(
        "open connections one server process serves; past it the one idle longest is "
        "closed, or, when all are busy with a request, a new request gets 503 unavailable"))
    header_timeout: float = Field(10.0, gt=0, le=600, description=(
        "seconds a client has to send a request's line and headers (from connecting, or "
        "from the first byte of a request on a kept-alive connection); then 408 and closed"))
    body_timeout: float = Field(120.0, gt=0, le=3600, description=(
        "seconds a client has to send a request's whole body once its headers are in; "
        "then 408 and closed"))
    keep_alive_timeout: float = Field(5.0, gt=0, le=600, description=(
        "seconds an idle connection is kept open after an answer"))
    max_header_bytes: int = Field(32 * 1024, ge=1024, le=1024 * 1024, description=(
        "largest request line + headers in bytes; over it: 431 and closed"))
    max_headers: int = Field(100, ge=10, le=1000, description=(
        "most header lines a request may carry; over it: 431 and closed"))
    ssl_keyfile: Optional[str] = Field(None, description=(
        "TLS private key file (PEM); with ssl_certfile the server speaks HTTPS"))
    ssl_certfile: Optional[str] = Field(None, description=(
        "TLS certificate chain file (PEM); with ssl_keyfile the server speaks HTTPS"))

    # The console (sync/server/console/).
    console_session_hours: float = Field(12, gt=0, le=24 * 30, description=(
        "a console session not used for this many hours ends (sign in again)"))
    console_sign_in_failures: int = Field(10, ge=1, le=1_000_000, description=(
        "wrong console passwords one client address, or one sign-in name, may send in "
        "15 minutes, per server process"))
    mbtiles: Optional[str] = Field(None, description=(
        "an MBTiles file the console's maps draw their streets from (default: the demo "
        "neighborhoods' basemap shipped in assets/tiles)"))
    console_map_tiles: Literal["none", "mbtiles"] = Field("none", description=(
        "what the console's route and coverage maps draw under the program's routes: "
        "none (a plain background) or mbtiles (the streets of the MBTiles basemap)"))
    program_timezone: str = Field("America/Los_Angeles", description=(
        "the time zone shifts are planned in (an IANA name)"))

    @field_validator("program_timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a time zone name (e.g. America/Los_Angeles)") from None
        return v

    @field_validator("database_url")
    @classmethod
    def _url(cls, v: str) -> str:
        v = v.strip()
        if v.startswith("sqlite:"):
            if not v.startswith("sqlite:///") or len(v) <= len("sqlite:///"):
                raise ValueError("a SQLite URL is sqlite:////absolute/path.db "
                                 "(or sqlite:///relative/path.db)")
            if v in ("sqlite:///:memory:",):
                raise ValueError("the server needs a SQLite file, not :memory:")
            return v
        if v.startswith(("postgresql://", "postgres://")):
            return v
        raise ValueError("must start with sqlite:/// or postgresql://")

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, v):
        return v.lower() if isinstance(v, str) else v

    @field_validator("mbtiles")
    @classmethod
    def _tiles(cls, v: Optional[str]) -> Optional[str]:
        if v and not Path(v).expanduser().is_file():
            raise ValueError("no such file")
        return str(Path(v).expanduser()) if v else v

    @field_validator("ssl_keyfile", "ssl_certfile")
    @classmethod
    def _tls_file(cls, v: Optional[str], info) -> Optional[str]:
        if v and not Path(v).expanduser().is_file():
            raise ValueError("no such file")
        if info.field_name == "ssl_certfile" and bool(v) != bool(info.data.get("ssl_keyfile")):
            raise ValueError("HTTPS needs both the key and the certificate "
                             "(SYNC_SSL_KEYFILE and SYNC_SSL_CERTFILE, or --ssl-keyfile and "
                             "--ssl-certfile)")
        return str(Path(v).expanduser()) if v else v

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_certfile else "http"

    @property
    def backend(self) -> str:
        return "sqlite" if self.database_url.startswith("sqlite:") else "postgres"


def load_settings(**overrides) -> Settings:
    """Settings from the environment, with ``overrides`` (e.g. from the command line)
    on top. Raises ConfigError naming each bad variable and why."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    unknown = sorted(k for k in os.environ if k.startswith("SYNC_")
                     and k[5:].lower() not in Settings.model_fields)
    if unknown:  # a typo, or a setting this version no longer has
        raise ConfigError("bad server settings:\n  " + "\n  ".join(
            f"{k}: is not a setting of stroll-server (see stroll-server --help)"
            for k in unknown))
    try:
        return Settings(**overrides)
    except ValidationError as e:
        raise ConfigError(describe(e, overrides)) from None


def describe(e: ValidationError, overrides: dict | None = None) -> str:
    lines = []
    for err in e.errors():
        name = str(err["loc"][0]) if err["loc"] else "?"
        where = (f"--{name.replace('_', '-')}" if overrides and name in overrides
                 else f"SYNC_{name.upper()}")
        value = err.get("input")
        shown = "" if "key" in name or isinstance(value, dict) else f" (got {value!r})"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "is not a setting of stroll-server"
        lines.append(f"{where}: {msg}{shown}")
    return "bad server settings:\n  " + "\n  ".join(lines)
