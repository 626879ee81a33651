"""The map's settings on the More tab: the offline layer file (an MBTiles file the device
serves its maps) and the tile address whose tiles of the patrol areas are cached."""
from __future__ import annotations

import pytest

from stroll.settings import DEMO_MBTILES
from stroll.state import AppState
from stroll.tiles import TileService


@pytest.fixture
def tiles(tmp_path):
    service = TileService(DEMO_MBTILES, tmp_path / "cache.mbtiles").start()
    yield service
    service.close()


def test_the_maps_ask_the_local_endpoint_for_the_layer_file(demo_store, tiles):
    state = AppState(demo_store, tiles=tiles)
    assert state.mbtiles_path == str(DEMO_MBTILES)
    assert state.local_tile_url.startswith(f"http://127.0.0.1:{tiles.port}/tiles/{{z}}/")
    assert AppState(demo_store, tiles=tiles, tile_host="192.168.1.20").local_tile_url \
        .startswith("http://192.168.1.20:")
    assert AppState(demo_store).local_tile_url == ""  # no endpoint: no local layer


def test_a_path_that_is_not_an_mbtiles_file_is_refused_and_the_layer_stays(
        demo_store, tiles, tmp_path):
    state = AppState(demo_store, tiles=tiles)
    url = state.local_tile_url
    state.edit_mbtiles_path(str(tmp_path / "nothing-here.mbtiles"))
    assert state.save_settings() is False
    assert state.settings_error == "error.invalid_mbtiles"
    assert demo_store.get_setting("map.mbtiles_path") is None
    assert (state.mbtiles_path, state.local_tile_url) == (str(DEMO_MBTILES), url)
    assert tiles.layer_path == DEMO_MBTILES


def test_an_empty_path_turns_the_layer_off_and_the_maps_fetch_afresh(demo_store, tiles):
    state = AppState(demo_store, tiles=tiles)
    url = state.local_tile_url
    state.edit_mbtiles_path("  ")
    assert state.save_settings() is True
    assert demo_store.get_setting("map.mbtiles_path") == ""
    assert tiles.layer_path is None and state.mbtiles_path == ""
    assert state.local_tile_url != url  # a new generation: no tile kept from the old file


def test_a_tile_address_saved_starts_caching_the_patrol_areas(demo_store, tiles, monkeypatch):
    started = []
    monkeypatch.setattr(tiles, "cache_in_background",
                        lambda url, areas, **kw: started.append((url, len(areas))))
    state = AppState(demo_store, tiles=tiles)
    state.edit_tile_url("https://tiles.coalition.example/{z}/{x}/{y}.png")
    assert state.save_settings() is True
    assert started == [("https://tiles.coalition.example/{z}/{x}/{y}.png", 3)]
    state.edit_tile_url("https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    assert state.save_settings() is True
    assert len(started) == 1  # never bulk-copied from the public OpenStreetMap servers
