"""MBTiles files: the map's offline basemap (a layer file) and the device's tile cache.

An MBTiles file (spec 1.3) is SQLite with a ``tiles`` table (``zoom_level``,
``tile_column``, ``tile_row``, ``tile_data``; a view in some files) and a
``metadata`` table of name/value pairs. Rows count from the south (TMS): the map asks
for XYZ tiles counted from the north, so row = 2^z - 1 - y. ``MBTiles.tile`` takes XYZ.

A file is opened read-only unless ``writable`` (the cache, and the script that builds
the demo layer). One connection per file shared by the tile server's threads under a
lock: a tile read is one indexed lookup.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Optional

from stroll.domain.errors import StrollError

SCHEMA = """
CREATE TABLE IF NOT EXISTS metadata (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL,
                                  tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles (zoom_level, tile_column, tile_row);
"""


class MBTilesError(StrollError):
    """A file that is not an MBTiles layer (no ``tiles`` table, not SQLite)."""
    code = "bad_mbtiles"


def tms_row(z: int, y: int) -> int:
    """The MBTiles row of the XYZ tile row ``y`` at zoom ``z`` (and back: it is its own
    inverse)."""
    return (1 << z) - 1 - y


class MBTiles:
    """One MBTiles file. ``tile(z, x, y)`` is the tile's bytes or None."""

    def __init__(self, path: str | Path, *, writable: bool = False):
        self.path = Path(path)
        self.writable = writable
        self._lock = threading.Lock()
        try:
            if writable:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(str(self.path), check_same_thread=False)
                self._db.executescript(SCHEMA)
            else:
                if not self.path.is_file():
                    raise MBTilesError(f"no MBTiles file at {self.path}")
                self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                           check_same_thread=False)
            self._db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles "
                             "LIMIT 0").fetchall()
        except sqlite3.DatabaseError as e:
            raise MBTilesError(f"{self.path} is not an MBTiles file: {e}") from None

    def tile(self, z: int, x: int, y: int) -> Optional[bytes]:
        """The XYZ tile (row counted from the north), or None when the file has none."""
        if z < 0 or z > 30 or not (0 <= x < 1 << z) or not (0 <= y < 1 << z):
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                "AND tile_row = ?", (z, x, tms_row(z, y))).fetchone()
        return bytes(row[0]) if row else None

    def has(self, z: int, x: int, y: int) -> bool:
        with self._lock:
            return self._db.execute(
                "SELECT 1 FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                (z, x, tms_row(z, y))).fetchone() is not None

    def put(self, z: int, x: int, y: int, data: bytes) -> None:
        """Store the XYZ tile (replacing one there)."""
        self.put_many([(z, x, y, data)])

    def put_many(self, tiles: Iterable[tuple[int, int, int, bytes]]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row, tile_data) "
                "VALUES (?, ?, ?, ?)", [(z, x, tms_row(z, y), data) for z, x, y, data in tiles])

    def metadata(self) -> dict[str, str]:
        with self._lock:
            try:
                return dict(self._db.execute("SELECT name, value FROM metadata").fetchall())
            except sqlite3.DatabaseError:
                return {}

    def set_metadata(self, values: dict[str, str]) -> None:
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)",
                                 [(k, str(v)) for k, v in values.items()])

    def stats(self) -> tuple[int, int]:
        """(tiles, bytes of tile data) in the file."""
        with self._lock:
            n, size = self._db.execute(
                "SELECT count(*), coalesce(sum(length(tile_data)), 0) FROM tiles").fetchone()
        return int(n), int(size)

    def vacuum(self) -> None:
        with self._lock:
            self._db.execute("VACUUM")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> "MBTiles":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["MBTiles", "MBTilesError", "tms_row"]
