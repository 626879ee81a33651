"""Device app settings: from the environment (prefix ``STROLL_``), then command-line flags.

Typed and loud: a bad value stops the app with a message that names the variable.
Nothing is read at import time; ``Settings.from_env()`` is called by the entry point.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from stroll.domain.errors import StrollError
from stroll.i18n import LANGUAGES

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


class SettingsError(StrollError):
    code = "bad_setting"


def default_db_path() -> Path:
    """The user's data folder (XDG on Linux; the app's data dir on a phone)."""
    base = os.environ.get("FLET_APP_STORAGE_DATA") or os.environ.get("XDG_DATA_HOME") \
        or str(Path.home() / ".local" / "share")
    return Path(base) / "stroll" / "stroll.db"


@dataclass(frozen=True)
class Settings:
    db_path: Path = field(default_factory=default_db_path)
    host: str = "127.0.0.1"
    port: int = 8550
    server_url: str = ""          # central server; empty: no sync configured yet
    language: str = "en"
    tile_url: str = DEFAULT_TILE_URL
    assets_dir: Path = ASSETS_DIR
    open_browser: bool = True

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        s = cls()
        if v := env.get("STROLL_DB_PATH"):
            s = replace(s, db_path=Path(v).expanduser())
        if v := env.get("STROLL_HOST"):
            s = replace(s, host=v)
        if v := env.get("STROLL_PORT"):
            s = replace(s, port=_port("STROLL_PORT", v))
        if v := env.get("STROLL_SERVER_URL"):
            s = replace(s, server_url=_url("STROLL_SERVER_URL", v))
        if v := env.get("STROLL_LANGUAGE"):
            s = replace(s, language=_language("STROLL_LANGUAGE", v))
        if v := env.get("STROLL_TILE_URL"):
            s = replace(s, tile_url=v)
        if v := env.get("STROLL_OPEN_BROWSER"):
            s = replace(s, open_browser=_bool("STROLL_OPEN_BROWSER", v))
        return s


def _port(name: str, value: str | int) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a port number (1-65535), got {value!r}") from None
    if not 1 <= port <= 65535:
        raise SettingsError(f"{name} must be a port number (1-65535), got {value!r}")
    return port


def _url(name: str, value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must start with http:// or https://, got {value!r}")
    return value.rstrip("/")


def _language(name: str, value: str) -> str:
    if value not in LANGUAGES:
        raise SettingsError(f"{name} must be one of {', '.join(LANGUAGES)}, got {value!r}")
    return value


def _bool(name: str, value: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {value!r}")


validate_port, validate_url, validate_language = _port, _url, _language
