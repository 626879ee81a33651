"""The console's basemap: tiles read from an MBTiles file (SQLite, rows counted from
the south: row = 2^z - 1 - y), as the phones read theirs, so the coordinators' maps
show streets with no tile service. Read-only; one connection shared under a lock (a
tile is one indexed lookup)."""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

TILE = ("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
        "AND tile_row = ?")
ZOOMS = "SELECT min(zoom_level), max(zoom_level) FROM tiles"


class TileFile:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                     check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            low, high = self._conn.execute(ZOOMS).fetchone()
        self.zooms = (low or 0, high or 0)

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if not (0 <= z <= 22 and 0 <= x < (1 << z) and 0 <= y < (1 << z)):
            return None
        with self._lock:
            row = self._conn.execute(TILE, (z, x, (1 << z) - 1 - y)).fetchone()
        return bytes(row[0]) if row else None

    def close(self) -> None:
        self._conn.close()
