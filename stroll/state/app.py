"""The app's navigation, settings and lists: observable, with the actions the screens call.

``AppState`` holds what the screens show (current tab, the screens pushed above it,
language, the lists of the Patrol/Shifts/Map tabs, settings drafts, the sync badge)
and the actions that change them. Actions read and write through the ``Store`` and
talk to the sync engine through ``SyncService`` (stroll/state/sync_badge.py); there
is no SQL and no HTTP here. The patrol screens' data and actions are in
``AppState.patrol`` (stroll/state/patrol_screens.py); which of them shows is here.

Settings, the sync badge and signing in are its base ``AccountActions``
(stroll/state/account.py), the member's calendar link its base ``CalendarActions``
(stroll/state/calendar_link.py). ``AppState`` is a Flet observable
(``@ft.observable``): assigning a public attribute re-renders the components that
received the state. Its methods need no Flet page, so tests/state/ drive them directly
against a real Store.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Optional

import flet as ft

from stroll.domain.errors import StrollError
from stroll.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator
from stroll.patrol import PatrolService
from stroll.state.account import (SETTING_DEVICE_NAME, SETTING_LANGUAGE, SETTING_SERVER_URL,
                                  SETTING_TILE_URL, AccountActions)
from stroll.state.calendar_link import CalendarActions
from stroll.state.drafts import DraftActions
from stroll.state.history import History
from stroll.state.my_shifts import MyShifts
from stroll.state.shifts import ShiftBoard
from stroll.state.patrol_screens import PatrolState
from stroll.state.sign_in import SignIn, fresh_install
from stroll.state.sync_badge import NO_SERVER, SyncService, SyncView
from stroll.tiles import TileService
from sync.version import VERSION

log = logging.getLogger("stroll.state")

TABS = ("patrol", "shifts", "map", "more")
# Screens pushed above the tabs, bottom first.
SCREENS = ("new_stroll", "live", "check_in", "merchant", "add_merchant", "incident",
           "incident_form", "summary", "sign_in", "past_stroll", "my_shifts",
           "shift")


@ft.observable
class AppState(AccountActions, CalendarActions, DraftActions):
    """Everything the screens show, and the actions they call."""

    def __init__(self, store, *, language: str = DEFAULT_LANGUAGE, server_url: str = "",
                 tile_url: str = "", device_name: str = "",
                 sync: Optional[SyncService] = None,
                 now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
                 version: str = VERSION, patrol: Optional[PatrolService] = None,
                 handoff: Optional[Callable[..., None]] = None,
                 tiles: Optional[TileService] = None, tile_host: Optional[str] = None):
        self._store = store
        self._sync = sync
        # the offline basemap this process serves (stroll/tiles.py), and the address the
        # browser reached this computer by (None: this device)
        self._tiles, self._tile_host = tiles, tile_host
        # how an answer from a background thread reaches this session (the UI hands it
        # to the page: stroll/ui/app.py); by default it is applied where it arrives
        self._handoff = handoff or (lambda fn, *args: fn(*args))
        self._now = now
        self._translators: dict[str, Translator] = {}
        self.version = version
        self.tab = "patrol"
        self.screens: tuple[str, ...] = ()
        self.patrol = PatrolState(patrol or PatrolService(store, clock=now), now=now)
        # past strolls and the incidents left to complete (stroll/state/history.py)
        self.history = History(self.patrol.core.service, now=now)
        # the member's sign-ups, check-ins and hours (stroll/state/my_shifts.py)
        self.my_shifts = MyShifts(store, now=now, nudge=self.sync_now)
        stored_lang = store.get_setting(SETTING_LANGUAGE)
        self.language = stored_lang if stored_lang in LANGUAGES else (
            language if language in LANGUAGES else DEFAULT_LANGUAGE)
        self.server_url = store.get_setting(SETTING_SERVER_URL) or server_url or ""
        self.device_name = store.get_setting(SETTING_DEVICE_NAME) or device_name or ""
        self.tile_url = store.get_setting(SETTING_TILE_URL) or tile_url or ""
        self.draft_server_url = self.server_url
        self.draft_device_name = self.device_name
        self.draft_tile_url = self.tile_url
        self.mbtiles_path = str(tiles.layer_path or "") if tiles is not None else ""
        self.draft_mbtiles_path = self.mbtiles_path
        self.local_tile_url = tiles.url_template(tile_host) if tiles is not None else ""
        self.settings_message: Optional[str] = None   # catalog key of the last save result
        self.settings_error: Optional[str] = None     # catalog key of what is wrong
        self.sync = SyncView(connection=sync.connection if sync and self.server_url
                             else NO_SERVER)
        self.sync_details_open = False
        self.neighborhoods: list[dict] = []
        self.strolls: list[dict] = []
        self.routes: list[dict] = []
        self.merchants: list[dict] = []
        self.map_neighborhood_id: Optional[str] = None
        self.new_stroll_neighborhood_id: Optional[str] = None
        self.load_error: Optional[str] = None
        self.account = SignIn(self._member())
        # the Shifts tab and the shift screen (stroll/state/shifts.py)
        self.shifts = ShiftBoard(store, now=now,
                                 member=lambda: (self._member() or {}).get("member_id"),
                                 nudge=self.sync_now)
        self.first_start = False  # the sign-in screen opened by itself (a fresh install)
        self._init_calendar()  # the member's calendar link (stroll/state/calendar_link.py)
        self._init_drafts()

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
            self._load_drafts()
            self.history.load_needing()
            self.shifts.load()
            self.my_shifts.load()
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
        """The neighborhood's name in the app's language (its English name without one)."""
        return self.tr.place(self.neighborhood(neighborhood_id))

    def route_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self._store.routes():
            counts[r["neighborhood_id"]] = counts.get(r["neighborhood_id"], 0) + 1
        return counts

    # ---- navigation --------------------------------------------------------------------

    def select_tab(self, tab: str) -> None:
        if tab not in TABS:
            raise ValueError(f"unknown tab {tab!r} (tabs: {', '.join(TABS)})")
        self.screens = ()
        self.history.close()
        self.shifts.close()
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
        """Back: leave the screen on top (the summary closes for good). On a form
        holding unsaved changes, ask first (``leaving``: keep_draft / discard_draft)."""
        if not self._asks_before_leaving():
            self._leave_form()

    def _pop_screen(self) -> None:
        if self.screen == "summary":
            self.close_summary()
            return
        if self.screen == "past_stroll":
            self.history.close()
        if self.screen == "shift":
            self.shifts.close()
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

    def confirm_begin_stroll(self) -> None:
        """"Start anyway", after the far-from-the-neighborhood warning."""
        if self.patrol.start.confirm_begin():
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

    def _after_patrol_form(self, *screens: str) -> None:
        """Back to the live screen (and ``screens`` above it) after a form saved; with
        no stroll running (a draft finished later), back to the tabs."""
        if self.patrol.core.stroll is not None:
            self.screens = ("live", *screens)
        else:
            self.screens = screens[-1:]
            if not self.screens:
                self.load()

    def check_in(self, status: str) -> None:
        if self.patrol.visit.check_in(status):
            self._after_patrol_form()

    def confirm_check_in(self) -> None:
        """"Check in anyway", after the far-from-the-business warning."""
        if self.patrol.visit.confirm_check_in():
            self._after_patrol_form()

    def open_add_merchant(self) -> None:
        self.patrol.visit.open_add_merchant()
        self._push("add_merchant")

    def save_merchant(self) -> None:
        """"Save and check in": the business and the visit saved, back to the stroll."""
        if self.patrol.visit.save_merchant():
            self._after_patrol_form()

    def open_incident(self) -> None:
        self.patrol.report.open_quick_incident()
        self.screens = ("live", "incident")

    def save_quick_incident(self) -> None:
        if self.patrol.report.save_quick_incident():
            self._after_patrol_form()

    def complete_incident(self, incident_id: str) -> None:
        if self.patrol.report.open_incident(incident_id):
            self._push("incident_form")

    def save_incident_form(self) -> None:
        if self.patrol.report.save_incident():
            self.screens = self.screens[:-1]
            self.history.refresh()  # its row says "Details complete" once they are
            if not self.screens:
                self.load()

    # ---- my shifts (data and actions: self.my_shifts) ------------------------------------

    def open_my_shifts(self) -> None:
        self.my_shifts.clear_messages()
        self.my_shifts.load()
        self._push("my_shifts")

    def check_in_to_shift(self, signup_id: str) -> None:
        """The day's reminder's "Check in": My shifts opens, where the check-in goes on
        (the position, the question when away from the meeting point)."""
        self.open_my_shifts()
        self.my_shifts.check_in(signup_id)

    def start_stroll_for_shift(self, shift_id: str) -> None:
        """The start form for a shift of today: its neighborhood, the shift linked (its
        route, its confirmed members on the team)."""
        if self.patrol.core.stroll is not None:
            self.open_live()
            return
        shift = self._store.get("shift", shift_id)
        if shift is None:
            return
        self.new_stroll_neighborhood_id = shift["neighborhood_id"]
        self.open_new_stroll()
        start = self.patrol.start
        if start.neighborhood_id != shift["neighborhood_id"]:
            self.choose_new_stroll_neighborhood(shift["neighborhood_id"])
        if start.shift_id != shift_id and any(s["id"] == shift_id for s in start.shifts):
            start.choose_shift(shift_id)

    # ---- the shift screen (data and actions: self.shifts) -----------------------------------

    def open_shift(self, shift_id: str) -> None:
        """A shift's card tapped: its screen (time, meeting point, who is going)."""
        if self.shifts.open(shift_id):
            self._push("shift")

    # ---- past strolls (data: self.history) -------------------------------------------------

    def open_past_stroll(self, stroll_id: str) -> None:
        """A recent stroll tapped: the one running on this phone opens its live
        screen; any other its past-stroll screen."""
        if stroll_id == self.patrol.core.stroll_id:
            self.open_live()
        elif self.history.open(stroll_id):
            self._push("past_stroll")

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


__all__ = ["AppState", "TABS", "SCREENS"]
