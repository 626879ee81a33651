"""Device app settings: from the environment (prefix ``STROLL_``), then command-line flags.

Typed and loud: a bad value stops the app with a message that names the variable.
Nothing is read at import time; ``Settings.from_env()`` is called by the entry point.
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

from stroll.domain.errors import StrollError
from stroll.i18n import LANGUAGES

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
# The offline basemap (an MBTiles layer file, stroll/tiles.py): the demo neighborhoods'
DEMO_MBTILES = ASSETS_DIR / "tiles" / "demo.mbtiles"


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
    mbtiles: Optional[Path] = DEMO_MBTILES  # None: no layer file (STROLL_MBTILES="")
    assets_dir: Path = ASSETS_DIR
    open_browser: bool = True
    allow_insecure_server: bool = False  # an http:// server address other than loopback

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, *,
                 allow_insecure_server: bool | None = None) -> "Settings":
        """``allow_insecure_server`` (the command line's flag) wins over the variable."""
        env = os.environ if env is None else env
        s = cls()
        if allow_insecure_server is not None:
            s = replace(s, allow_insecure_server=allow_insecure_server)
        elif v := env.get("STROLL_ALLOW_INSECURE_SERVER"):
            s = replace(s, allow_insecure_server=_bool("STROLL_ALLOW_INSECURE_SERVER", v))
        if v := env.get("STROLL_DB_PATH"):
            s = replace(s, db_path=Path(v).expanduser())
        if v := env.get("STROLL_HOST"):
            s = replace(s, host=v)
        if v := env.get("STROLL_PORT"):
            s = replace(s, port=_port("STROLL_PORT", v))
        if v := env.get("STROLL_SERVER_URL"):
            s = replace(s, server_url=_url("STROLL_SERVER_URL", v,
                                           allow_insecure=s.allow_insecure_server))
        if v := env.get("STROLL_LANGUAGE"):
            s = replace(s, language=_language("STROLL_LANGUAGE", v))
        if v := env.get("STROLL_TILE_URL"):
            s = replace(s, tile_url=v)
        if "STROLL_MBTILES" in env:
            s = replace(s, mbtiles=mbtiles_path("STROLL_MBTILES", env["STROLL_MBTILES"]))
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


def _url(name: str, value: str, *, allow_insecure: bool = False) -> str:
    """A server address: https://, or http:// to this computer (loopback); any other
    http:// only with ``allow_insecure`` (STROLL_ALLOW_INSECURE_SERVER=1,
    --allow-insecure-server)."""
    if not value.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must start with http:// or https://, got {value!r}")
    if value.startswith("http://") and not allow_insecure and not is_loopback(value):
        raise SettingsError(
            f"{name} is {value!r}: over http:// the device's token and every record it "
            f"syncs travel unencrypted. Use the server's https:// address (README: "
            f"Deploying the server with TLS), or, on a network you trust, set "
            f"STROLL_ALLOW_INSECURE_SERVER=1 or pass --allow-insecure-server")
    return value.rstrip("/")


def is_loopback(url: str) -> bool:
    """Whether ``url`` names this computer (localhost, 127.0.0.0/8, ::1)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def mbtiles_path(name: str, value: str) -> Optional[Path]:
    """An MBTiles layer file that exists; "" for none."""
    if not value.strip():
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise SettingsError(f"{name} must name an MBTiles file, and {str(path)!r} is not a file")
    return path


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
