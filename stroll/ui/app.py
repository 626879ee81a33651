"""Entry point of the device UI: ``build_main(settings)`` returns the Flet ``main``.

One process serves one device: the Store (settings.db_path) and the SyncService are
opened once, on the first session, and shared by every browser tab of this process;
each session gets its own ``AppState`` (tab, language shown, drafts).

Used by stroll/cli.py:
    ft.run(build_main(settings), view=ft.AppView.WEB_BROWSER, host=..., port=...,
           assets_dir=str(settings.assets_dir), no_cdn=True)
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import flet as ft

from stroll.i18n import DEFAULT_LANGUAGE, Translator
from stroll.settings import is_loopback
from stroll.state import AppState, SyncService, default_engine_factory
from stroll.state.account import SETTING_MBTILES, SETTING_TILE_URL
from stroll.store import Store, StoreError
from stroll.tiles import TileService
from stroll.ui import flet_compat
from stroll.ui.sensors import LiveSensors
from stroll.ui.shell import App
from stroll.ui.theme import build_theme, fonts, locale_configuration
from sync.version import VERSION

log = logging.getLogger("stroll.ui")


class _Device:
    """The process's store, sync service and map tiles, opened on first use."""

    def __init__(self, settings, engine_factory):
        self.settings = settings
        self.engine_factory = engine_factory
        self.store: Store | None = None
        self.sync: SyncService | None = None
        self.tiles: TileService | None = None
        self._lock = threading.Lock()

    def open(self) -> tuple[Store, SyncService]:
        with self._lock:
            if self.store is None:
                self.store = Store(self.settings.db_path)
                self.sync = SyncService(self.store, self.engine_factory)
                self.tiles = self._open_tiles(self.store)
            return self.store, self.sync

    def _open_tiles(self, store: Store) -> TileService | None:
        """The local tile endpoint: the layer file (the More tab's, else the setting)
        and the tile cache beside the database; the patrol areas cached meanwhile."""
        s = self.settings
        layer = store.get_setting(SETTING_MBTILES)
        layer = getattr(s, "mbtiles", None) if layer is None else layer
        host = s.host if not is_loopback(f"http://{s.host}/") else "127.0.0.1"
        try:
            tiles = TileService(layer, Path(s.db_path).parent / "tiles-cache.mbtiles",
                                host=host).start()
        except OSError as e:  # no port to listen on: the maps go without a basemap
            log.warning("map tiles not served: %s", e)
            return None
        url = store.get_setting(SETTING_TILE_URL) or getattr(s, "tile_url", "")
        tiles.cache_patrol_areas(url, store.neighborhoods(), user_agent=f"stroll/{VERSION}")
        return tiles


def _error_page(page: ft.Page, settings, error: Exception) -> None:
    lang = getattr(settings, "language", DEFAULT_LANGUAGE)
    tr = Translator(lang)
    page.title = tr.t("app.title")
    page.fonts = fonts()
    page.theme = build_theme(lang)
    page.add(ft.SafeArea(ft.Semantics(identifier="store-error", content=ft.Text(
        tr.t("error.store", error=str(error)), color=ft.Colors.ERROR, selectable=True))))


def _browser_host(page: ft.Page) -> str | None:
    """The address the browser reached this computer by (None on a phone: loopback)."""
    try:
        host = urlsplit(page.url or "").hostname
    except (AttributeError, ValueError):
        return None
    return host if host and not is_loopback(f"http://{host}/") else None


def build_main(settings, *, engine_factory: Callable[..., Any] = default_engine_factory
               ) -> Callable[[ft.Page], None]:
    """The Flet ``main`` for ``settings`` (db_path, language, server_url, tile_url)."""
    device = _Device(settings, engine_factory)
    version = VERSION
    flet_compat.apply()

    def main(page: ft.Page) -> None:
        try:
            store, sync = device.open()
        except StoreError as e:
            log.error("%s", e)
            _error_page(page, settings, e)
            return
        # an answer from a background thread (sign-in, sign-out) runs on this session,
        # as the sync statuses do
        def handoff(fn, *args) -> None:
            if page.session.connection is not None:
                page.run_thread(fn, *args)
            else:  # no browser right now: keep the state right, it renders on reconnect
                fn(*args)

        state = AppState(
            store,
            handoff=handoff,
            language=getattr(settings, "language", DEFAULT_LANGUAGE),
            server_url=getattr(settings, "server_url", "") or "",
            tile_url=getattr(settings, "tile_url", "") or "",
            sync=sync,
            tiles=device.tiles,
            tile_host=_browser_host(page),
            version=version,
        )
        page.fonts = fonts()
        page.theme = build_theme(state.language)
        page.locale_configuration = locale_configuration(state.language)
        page.title = state.tr.t("app.title")
        page.padding = 0
        page.on_view_pop = lambda _: state.close_screen()
        # The engine reports from its own thread: hand each status to this page's loop
        # while a browser is connected (a status missed meanwhile is re-read on connect).
        def on_sync_status(connection, status) -> None:
            if page.session.connection is not None:
                page.run_thread(state.apply_sync_status, connection, status)

        unsubscribe = sync.subscribe(on_sync_status)
        state.start()  # a stroll still running on this device reopens its live screen
        page.render_views(App, state)
        # GPS stream and clock while a stroll runs (also the one just reopened)
        sensors = LiveSensors(page, state.patrol.walk, state.patrol.start, state.my_shifts)

        # A reloaded or closed tab leaves its session waiting for a reconnect (an hour):
        # its clock and GPS stream rest meanwhile, so two sessions never record at once.
        def disconnected(_):
            log.info("session %s: browser disconnected", page.session.id)
            sensors.suspend()

        def connected(_):
            log.info("session %s: browser reconnected", page.session.id)
            sensors.resume()
            state.refresh_sync()

        def closed(_):
            log.info("session %s: closed", page.session.id)
            unsubscribe()
            sensors.close()
        page.on_disconnect = disconnected
        page.on_connect = connected
        page.on_close = closed

    return main


__all__ = ["build_main"]
