"""The map's offline basemap, served to the maps from this process.

Like ODK Collect's offline layers, the basemap is an MBTiles file (``STROLL_MBTILES``,
the More tab; the demo ships ``assets/tiles/demo.mbtiles``, built by
``scripts/make_demo_tiles.py``). flet-map's ``TileLayer`` loads tiles by URL, so the
device process answers ``http://<host>:<port>/tiles/{z}/{x}/{y}.png`` itself, from a
small HTTP server on a thread of its own (``TileService``): the layer file first, then
the device's tile cache (``tiles-cache.mbtiles`` beside the database), else 404, which
the map shows as nothing (the online tiles, drawn above, or the map's background).
The same works in a packaged phone app, where the Flutter client and Python share the
phone: the server listens on the loopback address only (or on the address the app is
served on, for a browser on another computer).

With an online tile address set (by the person: the More tab or ``STROLL_TILE_URL``),
``cache_patrol_areas`` copies the tiles of the patrol areas
(the neighborhoods' bounding boxes, zooms 13-18) into the cache while the network is
there: one request at a time, tiles already cached skipped, at most ``CACHE_MAX_TILES``
tiles a pass and the cache file held under ``CACHE_MAX_BYTES`` (40 MB). Offline, a
pass stops at its first failed request and tries again ``RETRY_S`` later. The public
OpenStreetMap tile servers forbid bulk downloads, so stroll never copies from them
(``may_prefetch``): a coalition that wants the cache points the tile address at a
tile service whose terms allow offline copies (or its own).
"""
from __future__ import annotations

import json
import logging
import math
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from stroll.store.mbtiles import MBTiles, MBTilesError

log = logging.getLogger("stroll.tiles")

CACHE_ZOOMS = range(13, 19)
CACHE_MAX_TILES = 3000            # per pass
CACHE_MAX_BYTES = 40 * 1024 * 1024
RETRY_S = 600.0
FETCH_TIMEOUT_S = 10.0
_TYPES = ((b"\x89PNG", "image/png"), (b"\xff\xd8", "image/jpeg"), (b"RIFF", "image/webp"))


def tile_xy(lat: float, lon: float, z: int) -> tuple[int, int]:
    """The XYZ tile (column, row from the north) that holds the point at zoom ``z``."""
    n = 1 << z
    lat = max(-85.05, min(85.05, lat))
    x = int((lon + 180.0) / 360.0 * n)
    s = math.sin(math.radians(lat))
    y = int((0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * n)
    return min(n - 1, max(0, x)), min(n - 1, max(0, y))


def tiles_of_bbox(bbox: Sequence[Sequence[float]], zooms: Iterable[int]
                  ) -> list[tuple[int, int, int]]:
    """Every (z, x, y) tile over ``bbox`` ([[south, west], [north, east]]) at ``zooms``."""
    (south, west), (north, east) = bbox
    out = []
    for z in zooms:
        x0, y0 = tile_xy(north, west, z)
        x1, y1 = tile_xy(south, east, z)
        out += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return out


def may_prefetch(url_template: str) -> bool:
    """Whether the patrol areas' tiles may be copied from ``url_template`` ahead of use."""
    return bool(url_template) and "openstreetmap.org" not in url_template.lower()


def patrol_areas(neighborhoods: Iterable[dict]) -> list:
    """The bounding boxes ([[south, west], [north, east]]) of the neighborhoods."""
    out = []
    for n in neighborhoods:
        bbox = n.get("bbox")
        if isinstance(bbox, str):
            try:
                bbox = json.loads(bbox)
            except ValueError:
                bbox = None
        if bbox and len(bbox) == 2:
            out.append(bbox)
    return out


def image_type(data: bytes) -> str:
    return next((t for magic, t in _TYPES if data.startswith(magic)), "application/octet-stream")


class TileService:
    """The layer file and the device's tile cache, served over HTTP on ``host``."""

    def __init__(self, layer_path: Optional[str | Path], cache_path: Optional[str | Path], *,
                 host: str = "127.0.0.1", port: int = 0):
        self.host, self.port = host, port
        self.generation = 0  # in the URL: a new layer file is fetched afresh by the maps
        self._layer: Optional[MBTiles] = None
        self.layer_path: Optional[Path] = None
        self._cache: Optional[MBTiles] = None
        self._server: Optional[ThreadingHTTPServer] = None
        self._caching: Optional[threading.Thread] = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._job: tuple = ("", [], {})
        self.use_layer(layer_path)
        if cache_path:
            try:
                self._cache = MBTiles(cache_path, writable=True)
            except MBTilesError as e:
                log.warning("tile cache not usable: %s", e)

    # ---- the tiles ---------------------------------------------------------------------

    def use_layer(self, path: Optional[str | Path]) -> bool:
        """Serve the MBTiles file at ``path`` (None or "": no layer file). False when
        the file is missing or not MBTiles: the layer served before stays."""
        new = None
        if path:
            try:
                new = MBTiles(Path(path).expanduser())
            except MBTilesError as e:
                log.warning("map layer not usable: %s", e)
                return False
        old, self._layer = self._layer, new
        self.layer_path = Path(path).expanduser() if path else None
        self.generation += 1
        if old is not None:
            old.close()
        return True

    def tile(self, z: int, x: int, y: int) -> Optional[bytes]:
        for source in (self._layer, self._cache):
            if source is not None:
                data = source.tile(z, x, y)
                if data:
                    return data
        return None

    # ---- the local endpoint ------------------------------------------------------------

    def start(self) -> "TileService":
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server name
                status, body, kind = service.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Cache-Control", "max-age=3600" if status == 200 else "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, fmt, *args):
                log.debug("tiles: " + fmt, *args)

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="stroll-tiles",
                         daemon=True).start()
        return self

    def answer(self, path: str) -> tuple[int, bytes, str]:
        """(status, body, content type) for a request path ``/tiles/z/x/y.png``."""
        parts = path.split("?", 1)[0].strip("/").split("/")
        try:
            if len(parts) != 4 or parts[0] != "tiles":
                raise ValueError(path)
            z, x, y = int(parts[1]), int(parts[2]), int(parts[3].split(".", 1)[0])
        except ValueError:
            return 404, b"not a tile", "text/plain"
        try:
            data = self.tile(z, x, y)
        except Exception as e:  # a broken layer file: no tile, never a dead server
            log.warning("tile %s/%s/%s: %s", z, x, y, e)
            data = None
        if not data:
            return 404, b"no tile", "text/plain"
        return 200, data, image_type(data)

    def url_template(self, host: Optional[str] = None) -> str:
        """The URL flet-map's TileLayer asks (``host``: the address the browser used to
        reach this computer; the loopback address by default)."""
        if self._server is None:
            return ""
        h = host or ("127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host)
        return f"http://{h}:{self.port}/tiles/{{z}}/{{x}}/{{y}}.png?v={self.generation}"

    # ---- the cache of the patrol areas -------------------------------------------------

    def cache_areas(self, url_template: str, bboxes: Sequence, *,
                    fetch: Optional[Callable[[str], bytes]] = None,
                    zooms: Iterable[int] = CACHE_ZOOMS, max_tiles: int = CACHE_MAX_TILES,
                    max_bytes: int = CACHE_MAX_BYTES, user_agent: str = "stroll") -> int:
        """Copy the tiles over ``bboxes`` from ``url_template`` into the cache; the number
        copied. Stops at the first failed request (offline), at ``max_tiles`` or when
        the cache holds ``max_bytes``."""
        if self._cache is None or not url_template:
            return 0
        fetch = fetch or _fetcher(user_agent)
        wanted = list(dict.fromkeys(t for b in bboxes if b for t in tiles_of_bbox(b, zooms)))
        _, size = self._cache.stats()
        copied = 0
        for z, x, y in wanted:
            if self._stop.is_set() or copied >= max_tiles or size >= max_bytes:
                break
            if self._cache.has(z, x, y):
                continue
            url = url_template.replace("{z}", str(z)).replace("{x}", str(x)) \
                .replace("{y}", str(y)).replace("{s}", "a")
            try:
                data = fetch(url)
            except (OSError, ValueError) as e:
                log.info("tile cache: stopped at %s (%s)", url, e)
                break
            if data:
                self._cache.put(z, x, y, data)
                size += len(data)
                copied += 1
        return copied

    def cache_in_background(self, url_template: str, bboxes: Sequence, **kw) -> None:
        """``cache_areas`` on a thread, again every ``RETRY_S`` until a pass finds
        nothing left to copy (or the process ends). A new address or new areas are
        taken up by the running thread at its next pass."""
        if not url_template or self._cache is None:
            return
        self._job = (url_template, list(bboxes), kw)
        self._wake.set()
        if self._caching is not None and self._caching.is_alive():
            return

        def run():
            while not self._stop.is_set():
                self._wake.clear()
                url, areas, options = self._job
                try:
                    copied = self.cache_areas(url, areas, **options)
                except Exception as e:  # never take the app down for a cache
                    log.warning("tile cache pass failed: %s", e)
                    copied = -1
                if copied == 0 and self._job[0] == url and \
                        self._complete(areas, options.get("zooms", CACHE_ZOOMS)):
                    return
                self._wake.wait(RETRY_S if copied <= 0 else 1.0)

        self._caching = threading.Thread(target=run, name="stroll-tile-cache", daemon=True)
        self._caching.start()

    def cache_patrol_areas(self, url_template: str, neighborhoods: Iterable[dict], *,
                           user_agent: str = "stroll") -> bool:
        """Start copying the neighborhoods' tiles in the background, when the tile
        address allows it; whether it started."""
        if not may_prefetch(url_template):
            return False
        areas = patrol_areas(neighborhoods)
        if not areas:
            return False
        self.cache_in_background(url_template, areas, user_agent=user_agent)
        return True

    def _complete(self, bboxes, zooms) -> bool:
        return all(self._cache.has(*t) for b in bboxes if b for t in tiles_of_bbox(b, zooms))

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _fetcher(user_agent: str) -> Callable[[str], bytes]:
    def fetch(url: str) -> bytes:
        req = urllib.request.Request(url, headers={"User-Agent": user_agent})
        with urllib.request.urlopen(req, timeout=FETCH_TIMEOUT_S) as r:
            data = r.read(2 * 1024 * 1024)
        time.sleep(0.05)  # one request at a time, gently
        return data
    return fetch


__all__ = ["CACHE_MAX_BYTES", "CACHE_MAX_TILES", "CACHE_ZOOMS", "TileService", "image_type",
           "may_prefetch", "patrol_areas", "tile_xy", "tiles_of_bbox"]
