"""The app's navigation, settings and lists: observable, with the actions the screens call.

``AppState`` holds what the screens show (current tab, the screens pushed above it,
language, the lists of the Patrol/Shifts/Map tabs, settings drafts, the sync badge)
and the actions that change them. Actions read and write through the ``Store`` and
talk to the sync engine through ``SyncService`` (stroll/state/sync_badge.py); there
is no SQL and no HTTP here. The patrol screens' data and actions are in
``AppState.patrol`` (stroll/state/patrol_screens.py); which of them shows is here.

``AppState`` is a Flet observable (``@ft.observable``): assigning a public attribute
re-renders the components that received the state. Its methods need no Flet page, so
tests/state/ drive them directly against a real Store.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Callable, Optional

import flet as ft

from stroll.domain.errors import StrollError
from stroll.domain.records import parse_time
from stroll.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator
from stroll.patrol import PatrolService
from stroll.state.patrol_screens import PatrolState
from stroll.state.sign_in import SETTING_SIGN_IN_LATER, SignIn, fresh_install
from stroll.state.sync_badge import (AUTH, ERROR, NO_SERVER, OFFLINE, ONLINE, SYNC_ERROR_CODES,
                                     SyncService, SyncView)
from sync.membership import signed_in_member
from sync.version import VERSION

log = logging.getLogger("stroll.state")

TABS = ("patrol", "shifts", "map", "more")
# Screens pushed above the tabs, bottom first.
SCREENS = ("new_stroll", "live", "check_in", "merchant", "add_merchant", "incident",
           "incident_form", "summary", "sign_in")

# Keys in the store's settings table owned by the UI.
SETTING_LANGUAGE = "ui.language"
SETTING_SERVER_URL = "sync.server_url"
SETTING_DEVICE_NAME = "device.name"
SETTING_TILE_URL = "map.tile_url"

# ---- the app state -----------------------------------------------------------------------


def _valid_url(value: str) -> bool:
    return value.startswith(("http://", "https://")) and len(value) > len("https://")


@ft.observable
class AppState:
    """Everything the screens show, and the actions they call."""

    def __init__(self, store, *, language: str = DEFAULT_LANGUAGE, server_url: str = "",
                 tile_url: str = "", device_name: str = "",
                 sync: Optional[SyncService] = None,
                 now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
                 version: str = VERSION, patrol: Optional[PatrolService] = None,
                 handoff: Optional[Callable[..., None]] = None):
        self._store = store
        self._sync = sync
        # how an answer from a background thread reaches this session (the UI hands it
        # to the page: stroll/ui/app.py); by default it is applied where it arrives
        self._handoff = handoff or (lambda fn, *args: fn(*args))
        self._now = now
        self._translators: dict[str, Translator] = {}
        self.version = version
        self.tab = "patrol"
        self.screens: tuple[str, ...] = ()
        self.patrol = PatrolState(patrol or PatrolService(store, clock=now), now=now)
        stored_lang = store.get_setting(SETTING_LANGUAGE)
        self.language = stored_lang if stored_lang in LANGUAGES else (
            language if language in LANGUAGES else DEFAULT_LANGUAGE)
        self.server_url = store.get_setting(SETTING_SERVER_URL) or server_url or ""
        self.device_name = store.get_setting(SETTING_DEVICE_NAME) or device_name or ""
        self.tile_url = store.get_setting(SETTING_TILE_URL) or tile_url or ""
        self.draft_server_url = self.server_url
        self.draft_device_name = self.device_name
        self.draft_tile_url = self.tile_url
        self.settings_message: Optional[str] = None   # catalog key of the last save result
        self.settings_error: Optional[str] = None     # catalog key of what is wrong
        self.sync = SyncView(connection=sync.connection if sync and self.server_url
                             else NO_SERVER)
        self.sync_details_open = False
        self.neighborhoods: list[dict] = []
        self.strolls: list[dict] = []
        self.shifts: list[dict] = []
        self.routes: list[dict] = []
        self.merchants: list[dict] = []
        self.map_neighborhood_id: Optional[str] = None
        self.new_stroll_neighborhood_id: Optional[str] = None
        self.load_error: Optional[str] = None
        self.account = SignIn(self._member())
        self.first_start = False  # the sign-in screen opened by itself (a fresh install)

    # ---- reading ---------------------------------------------------------------------

    @property
    def store(self):
        return self._store

    @property
    def tr(self) -> Translator:
        tr = self._translators.get(self.language)
        if tr is None:
            tr = self._translators[self.language] = Translator(self.language)
        return tr

    def now(self) -> datetime:
        return self._now()

    @property
    def screen(self) -> Optional[str]:
        """The screen on top (None: the tabs show)."""
        return self.screens[-1] if self.screens else None

    @property
    def tab_index(self) -> int:
        return TABS.index(self.tab)

    def load(self) -> None:
        """Read everything the tabs show, and the outbox counts, from the store."""
        self._load_lists()
        self.refresh_sync()

    def _load_lists(self) -> None:
        try:
            self.neighborhoods = self._store.neighborhoods()
            self.strolls = self._store.recent_strolls(limit=10)
            self.shifts = self._store.upcoming_shifts(self._now(), days=7)
            if self.map_neighborhood_id not in {n["id"] for n in self.neighborhoods}:
                self.map_neighborhood_id = self.neighborhoods[0]["id"] if self.neighborhoods else None
            self._load_map()
            self.load_error = None
        except StrollError as e:
            self.load_error = str(e)

    def _load_map(self) -> None:
        nid = self.map_neighborhood_id
        self.routes = self._store.routes(nid) if nid else []
        self.merchants = self._store.merchants(nid) if nid else []

    def neighborhood(self, neighborhood_id: Optional[str]) -> Optional[dict]:
        return next((n for n in self.neighborhoods if n["id"] == neighborhood_id), None)

    def neighborhood_name(self, neighborhood_id: Optional[str]) -> str:
        n = self.neighborhood(neighborhood_id)
        return n["name"] if n else ""

    def route_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self._store.routes():
            counts[r["neighborhood_id"]] = counts.get(r["neighborhood_id"], 0) + 1
        return counts

    def shifts_by_day(self) -> list[tuple[date, list[dict]]]:
        """Upcoming shifts grouped by local start day, in time order."""
        days: dict[date, list[dict]] = {}
        tz = self._now().tzinfo
        for s in sorted(self.shifts, key=lambda s: parse_time(s["starts_at"])):
            day = parse_time(s["starts_at"]).astimezone(tz).date()
            days.setdefault(day, []).append(s)
        return sorted(days.items())

    # ---- navigation --------------------------------------------------------------------

    def select_tab(self, tab: str) -> None:
        if tab not in TABS:
            raise ValueError(f"unknown tab {tab!r} (tabs: {', '.join(TABS)})")
        self.screens = ()
        self.tab = tab
        if tab in ("patrol", "shifts", "map"):
            self.load()
        else:
            self.refresh_sync()

    def select_tab_index(self, index: int) -> None:
        self.select_tab(TABS[int(index)])

    def open_new_stroll(self) -> None:
        """The start form; with a stroll already running, its live screen."""
        if self.patrol.core.stroll is not None:
            self.open_live()
            return
        if self.new_stroll_neighborhood_id is None and self.neighborhoods:
            self.new_stroll_neighborhood_id = (self.map_neighborhood_id
                                               or self.neighborhoods[0]["id"])
        self.patrol.start.open_start(self.new_stroll_neighborhood_id)
        self.screens = ("new_stroll",)

    def close_screen(self) -> None:
        """Back: leave the screen on top (the summary closes for good)."""
        if self.screen == "summary":
            self.close_summary()
            return
        self.screens = self.screens[:-1]
        if not self.screens:
            self.load()

    def _push(self, screen: str) -> None:
        self.screens = (*[s for s in self.screens if s != screen], screen)

    def choose_new_stroll_neighborhood(self, neighborhood_id: str) -> None:
        if self.neighborhood(neighborhood_id) is None:
            raise ValueError(f"unknown neighborhood {neighborhood_id!r}")
        self.new_stroll_neighborhood_id = neighborhood_id
        self.patrol.start.choose_neighborhood(neighborhood_id)

    # ---- the patrol screens (data and rules: self.patrol) --------------------------------

    def begin_stroll(self) -> None:
        if self.patrol.start.begin():
            self.screens = ("live",)

    def open_live(self) -> None:
        if self.patrol.core.stroll is None and not self.patrol.walk.restore():
            return
        self.screens = ("live",)

    def open_check_in(self) -> None:
        self.patrol.visit.open_check_in()
        self.screens = ("live", "check_in")

    def pick_merchant(self, merchant_id: str) -> None:
        self.patrol.visit.pick_merchant(merchant_id)
        self._push("merchant")

    def check_in(self, status: str) -> None:
        if self.patrol.visit.check_in(status):
            self.screens = ("live",)

    def open_add_merchant(self) -> None:
        self.patrol.visit.open_add_merchant()
        self._push("add_merchant")

    def save_merchant(self) -> None:
        if self.patrol.visit.save_merchant():
            self.screens = ("live", "check_in", "merchant")

    def open_incident(self) -> None:
        self.patrol.report.open_quick_incident()
        self.screens = ("live", "incident")

    def save_quick_incident(self) -> None:
        if self.patrol.report.save_quick_incident():
            self.screens = ("live",)

    def complete_incident(self, incident_id: str) -> None:
        if self.patrol.report.open_incident(incident_id):
            self._push("incident_form")

    def save_incident_form(self) -> None:
        if self.patrol.report.save_incident():
            self.screens = self.screens[:-1]

    def end_stroll(self) -> None:
        if self.patrol.walk.end():
            self.screens = ("summary",)
            self.refresh_sync()

    def close_summary(self) -> None:
        self.patrol.walk.close_summary()
        self.screens = ()
        self.tab = "patrol"
        self.load()

    def select_map_neighborhood(self, neighborhood_id: str) -> None:
        if self.neighborhood(neighborhood_id) is None:
            raise ValueError(f"unknown neighborhood {neighborhood_id!r}")
        self.map_neighborhood_id = neighborhood_id
        self._load_map()

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

    def save_settings(self) -> bool:
        """Check and store the drafts; (re)configure sync. False when a value is wrong."""
        server = self.draft_server_url.strip().rstrip("/")
        tiles = self.draft_tile_url.strip()
        name = self.draft_device_name.strip()
        if (server and not _valid_url(server)) or (tiles and not _valid_url(tiles)):
            self.settings_error = "error.invalid_server"
            self.settings_message = None
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
        self.refresh_sync()
        return True

    # ---- sync --------------------------------------------------------------------------

    def start(self) -> None:
        """Load the tabs and make sure sync runs for the configured server. A stroll
        still running on this device (the app was closed or killed) opens at once."""
        self.load()
        if self.patrol.walk.restore():
            self.screens = ("live",)
        if self._sync is not None and self.server_url and self._sync.server_url != self.server_url:
            self._sync.configure(self.server_url, self.device_name)
        if not self.screens and fresh_install(self._store, self.account.member):
            self.first_start, self.screens = True, ("sign_in",)
        self.refresh_sync()

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
        if not self.account.ready(server, _valid_url(server), self._sync is not None):
            return False
        if server != self.server_url or self._sync.engine is None:
            self._store.set_setting(SETTING_SERVER_URL, server)
            self.server_url = self.draft_server_url = server
            self._sync.configure(server, self.device_name)
        self._sync.sign_in(self.account.invite_code.strip(),
                           lambda *answer: self._handoff(self._signed_in, *answer))
        return True

    def _signed_in(self, member: Optional[dict], code: Optional[str]) -> None:
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
        self.refresh_sync()


__all__ = ["AppState", "TABS", "SCREENS"]
