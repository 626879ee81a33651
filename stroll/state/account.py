"""The settings, sync and sign-in actions of ``AppState`` (stroll/state/app.py).

``AccountActions`` is a base of ``AppState``: the More tab's settings drafts and the
language, the sync badge (counts, the engine's answers, the details dialog) and signing
in and out. It reads and writes through the ``Store`` and ``SyncService`` the app state
holds; it has no state of its own beyond what ``AppState.__init__`` sets.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

from stroll.domain.errors import StrollError
from stroll.i18n import LANGUAGES
from stroll.state.sign_in import SETTING_SIGN_IN_LATER
from stroll.state.sync_badge import (AUTH, ERROR, NO_SERVER, OFFLINE, ONLINE, SYNC_ERROR_CODES,
                                     SyncView)
from sync.membership import signed_in_member

# Keys in the store's settings table owned by the UI.
SETTING_LANGUAGE = "ui.language"
SETTING_SERVER_URL = "sync.server_url"
SETTING_DEVICE_NAME = "device.name"
SETTING_TILE_URL = "map.tile_url"
SETTING_MBTILES = "map.mbtiles_path"   # the offline layer file; "" for none


def valid_url(value: str) -> bool:
    return value.startswith(("http://", "https://")) and len(value) > len("https://")


class AccountActions:
    """Settings, language, the sync badge and signing in: the actions of ``AppState``."""

    # ---- language and settings ---------------------------------------------------------

    def set_language(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
        self._store.set_setting(SETTING_LANGUAGE, lang)
        self.language = lang

    def edit_server_url(self, value: str) -> None:
        self.draft_server_url = value or ""
        self.settings_message = None

    def edit_device_name(self, value: str) -> None:
        self.draft_device_name = value or ""
        self.settings_message = None

    def edit_tile_url(self, value: str) -> None:
        self.draft_tile_url = value or ""
        self.settings_message = None

    def edit_mbtiles_path(self, value: str) -> None:
        self.draft_mbtiles_path = value or ""
        self.settings_message = None

    def save_settings(self) -> bool:
        """Check and store the drafts; (re)configure sync. False when a value is wrong."""
        server = self.draft_server_url.strip().rstrip("/")
        tiles = self.draft_tile_url.strip()
        name = self.draft_device_name.strip()
        if (server and not valid_url(server)) or (tiles and not valid_url(tiles)):
            self.settings_error = "error.invalid_server"
            self.settings_message = None
            return False
        if not self._save_map_layer():
            return False
        self._store.set_setting(SETTING_SERVER_URL, server)
        self._store.set_setting(SETTING_DEVICE_NAME, name)
        self._store.set_setting(SETTING_TILE_URL, tiles)
        self.server_url, self.device_name, self.tile_url = server, name, tiles
        self.draft_server_url, self.draft_device_name, self.draft_tile_url = server, name, tiles
        self.settings_error = None
        self.settings_message = "more.saved"
        if self._sync is not None:
            self._sync.configure(server, name)
        if self._tiles is not None and tiles:
            self._tiles.cache_patrol_areas(tiles, self._store.neighborhoods(),
                                           user_agent=f"stroll/{self.version}")
        self.refresh_sync()
        return True

    def _save_map_layer(self) -> bool:
        """Serve the layer file typed (an MBTiles file; empty: none). False, with the
        error said, when it is not one."""
        layer = self.draft_mbtiles_path.strip()
        if self._tiles is None or layer == self.mbtiles_path:
            return True
        if not self._tiles.use_layer(layer or None):
            self.settings_error = "error.invalid_mbtiles"
            self.settings_message = None
            return False
        self._store.set_setting(SETTING_MBTILES, layer)
        self.mbtiles_path = self.draft_mbtiles_path = layer
        self.local_tile_url = self._tiles.url_template(self._tile_host)
        return True

    # ---- sync --------------------------------------------------------------------------

    def refresh_sync(self) -> None:
        """Re-read the outbox counts and last sync from the store."""
        try:
            s = self._store.sync_status()
        except StrollError as e:
            self.sync = replace(self.sync, connection=ERROR, last_error=str(e),
                                error_code="device_failure")
            return
        connection = self._connection()
        code = s.get("last_error_code") or ("rejected" if s["last_error"] else None)
        self.sync = replace(self.sync, connection=connection, pending=s["pending"],
                            rejected=s.get("rejected", 0), last_synced_at=s["last_synced_at"],
                            last_error=s["last_error"] if connection != NO_SERVER else None,
                            error_code=code if connection != NO_SERVER else None)

    def _connection(self) -> str:
        if not self.server_url:
            return NO_SERVER
        if self._sync is None:
            return OFFLINE
        return self._sync.connection

    def apply_sync_status(self, connection: str, status: Any = None) -> None:
        """Take a status from the sync engine (on the UI's loop)."""
        if not self.server_url:
            connection = NO_SERVER
        if status is None:
            self.sync = replace(self.sync, connection=connection)
            self.refresh_sync()
            return
        self.sync = SyncView(connection=connection, pending=status.pending,
                             rejected=getattr(status, "rejected", 0),
                             last_synced_at=status.last_synced_at, last_error=status.last_error,
                             error_code=(getattr(status, "error_code", None)
                                         or ("rejected" if status.last_error else None)))
        if connection == ONLINE and self.tab in ("patrol", "shifts", "map"):
            self._load_lists()  # a round may have pulled new records
        if connection == AUTH:
            self.account.reload(self._member())  # a revoked device forgot its member
            self._reload_calendar()

    def sync_now(self) -> None:
        if self._sync is not None:
            self._sync.sync_now()
        self.refresh_sync()

    def sync_error_text(self) -> Optional[str]:
        """What went wrong with sync, in the person's language (None: nothing)."""
        code = self.sync.error_code
        if not code:
            return None
        return self.tr.t(f"sync.failed.{code if code in SYNC_ERROR_CODES else 'rejected'}")

    def open_sync_details(self) -> None:
        self.refresh_sync()
        self.sync_details_open = True

    def close_sync_details(self) -> None:
        self.sync_details_open = False

    # ---- signing in (what the card and the screen show: self.account) -------------------

    def _member(self) -> Optional[dict]:
        return self._sync.member() if self._sync is not None else signed_in_member(self._store)

    def open_sign_in(self) -> None:  # the sync dialog's "Sign in"
        self.sync_details_open = False
        self.account.reload(self._member())
        self._push("sign_in")

    def sign_in_later(self) -> None:
        """"Not now": on to the app offline; the screen no longer opens by itself."""
        self._store.set_setting(SETTING_SIGN_IN_LATER, True)
        self.first_start, self.screens, self.tab = False, (), "patrol"
        self.load()

    def edit_invite_code(self, value: str) -> None:
        self.account.edit_invite_code(value)

    def sign_in(self) -> bool:
        """Sign in with the typed invite code at the server address typed (saved first
        when it changed). False when something is missing: nothing was sent then."""
        server = self.draft_server_url.strip().rstrip("/")
        if not self.account.ready(server, valid_url(server), self._sync is not None):
            return False
        if server != self.server_url or self._sync.engine is None:
            self._store.set_setting(SETTING_SERVER_URL, server)
            self.server_url = self.draft_server_url = server
            self._sync.configure(server, self.device_name)
        self._sync.sign_in(self.account.invite_code.strip(),
                           lambda *answer: self._handoff(self._signed_in, *answer))
        return True

    def _signed_in(self, member: Optional[dict], code: Optional[str]) -> None:
        self._reload_calendar()  # another member's link was forgotten
        if self.account.finish_sign_in(member, code):
            self.first_start = False
            if self.screen == "sign_in":
                self.screens, self.tab = (), "patrol"
            self.load()
        self.refresh_sync()

    def sign_out(self) -> bool:
        """Sign the member out; refused (the sentence shows) while records wait to be sent."""
        if self._sync is None or not self.server_url:
            self.account.refuse("signin.server_needed")
            return False
        if not self.account.begin():
            return False
        if self._sync.engine is None:
            self._sync.configure(self.server_url, self.device_name)
        self._sync.sign_out(lambda *answer: self._handoff(self._signed_out, *answer))
        return True

    def _signed_out(self, member: Optional[dict], code: Optional[str]) -> None:
        self.account.finish_sign_out(member, code)
        self._reload_calendar()
        self.refresh_sync()


__all__ = ["AccountActions", "valid_url", "SETTING_LANGUAGE", "SETTING_SERVER_URL",
           "SETTING_DEVICE_NAME", "SETTING_TILE_URL"]
