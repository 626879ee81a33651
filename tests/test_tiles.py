"""The offline basemap: MBTiles files (stroll/store/mbtiles.py), the local tile endpoint
and the cache of the patrol areas (stroll/tiles.py), and the demo layer shipped."""
from __future__ import annotations

import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from stroll.settings import DEMO_MBTILES, Settings, SettingsError
from stroll.store.mbtiles import MBTiles, MBTilesError, tms_row
from stroll.tiles import (CACHE_MAX_BYTES, TileService, may_prefetch, patrol_areas, tile_xy,
                          tiles_of_bbox)

PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 40
SF = [[37.7895, -122.41], [37.799, -122.403]]


@pytest.fixture
def layer(tmp_path) -> Path:
    path = tmp_path / "layer.mbtiles"
    with MBTiles(path, writable=True) as mb:
        mb.put(16, 10484, 25326, PNG)
    return path


def test_a_tile_is_found_by_its_xyz_address_though_the_file_counts_rows_from_the_south(layer):
    with sqlite3.connect(layer) as db:
        (row,) = db.execute("SELECT tile_row FROM tiles").fetchone()
    assert row == (1 << 16) - 1 - 25326 == tms_row(16, 25326)
    with MBTiles(layer) as mb:
        assert mb.tile(16, 10484, 25326) == PNG
        assert mb.tile(16, 10484, row) is None  # the TMS row is not an XYZ row


def test_a_missing_or_impossible_tile_is_none_not_an_error(layer):
    with MBTiles(layer) as mb:
        assert mb.tile(16, 10484, 25327) is None
        assert mb.tile(3, 99, 0) is None
        assert mb.tile(-1, 0, 0) is None


def test_a_file_that_is_not_mbtiles_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "notes.mbtiles"
    bad.write_text("not a database at all, just words " * 50)
    with pytest.raises(MBTilesError, match="notes.mbtiles"):
        MBTiles(bad)
    with pytest.raises(MBTilesError, match="no MBTiles file"):
        MBTiles(tmp_path / "absent.mbtiles")


def test_the_tiles_over_a_neighborhood_are_few_at_low_zoom_and_more_closer_in():
    counts = [len(tiles_of_bbox(SF, [z])) for z in range(13, 19)]
    assert counts == sorted(counts) and counts[0] == 1
    assert tile_xy(37.7946, -122.4068, 16) in {(x, y) for _, x, y in tiles_of_bbox(SF, [16])}


def test_the_endpoint_serves_the_layer_then_the_cache_and_404_for_the_rest(layer, tmp_path):
    service = TileService(layer, tmp_path / "cache.mbtiles").start()
    try:
        service._cache.put(16, 1, 2, PNG + b"cached")
        base = service.url_template().split("/tiles/")[0]
        with urllib.request.urlopen(f"{base}/tiles/16/10484/25326.png?v=1") as r:
            assert r.status == 200 and r.read() == PNG
            assert r.headers["Content-Type"] == "image/png"
            assert r.headers["Access-Control-Allow-Origin"] == "*"
        with urllib.request.urlopen(f"{base}/tiles/16/1/2.png") as r:
            assert r.read() == PNG + b"cached"
        for path in ("/tiles/16/10484/25327.png", "/tiles/x/y/z.png", "/other", "/tiles/99/1/1.png"):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(base + path)
            assert e.value.code == 404
    finally:
        service.close()


def test_the_url_is_on_the_loopback_address_with_a_generation_that_changes_with_the_layer(
        layer, tmp_path):
    service = TileService(None, None).start()
    try:
        first = service.url_template()
        assert first.startswith("http://127.0.0.1:") and "/tiles/{z}/{x}/{y}.png?v=" in first
        assert service.use_layer(layer) and service.url_template() != first
        assert service.url_template("192.168.1.5").startswith("http://192.168.1.5:")
        assert service.tile(16, 10484, 25326) == PNG
        assert not service.use_layer(tmp_path / "absent.mbtiles")
        assert service.tile(16, 10484, 25326) == PNG  # the layer before stays
    finally:
        service.close()


def test_the_cache_copies_the_patrol_areas_once_and_stops_at_its_bound(tmp_path):
    asked = []

    def fetch(url):
        asked.append(url)
        return PNG

    service = TileService(None, tmp_path / "cache.mbtiles")
    n = service.cache_areas("https://tiles.example.org/{z}/{x}/{y}.png", [SF], fetch=fetch,
                            zooms=range(13, 17))
    assert n == len(tiles_of_bbox(SF, range(13, 17))) == len(asked)
    assert asked[0].startswith("https://tiles.example.org/13/")
    assert service.cache_areas("https://tiles.example.org/{z}/{x}/{y}.png", [SF], fetch=fetch,
                               zooms=range(13, 17)) == 0  # all there: nothing asked again
    assert len(asked) == n
    small = TileService(None, tmp_path / "small.mbtiles")
    assert small.cache_areas("https://t.example.org/{z}/{x}/{y}.png", [SF], fetch=fetch,
                             zooms=[18], max_bytes=len(PNG) * 3) == 3
    assert CACHE_MAX_BYTES == 40 * 1024 * 1024


def test_offline_the_cache_stops_at_the_first_failed_request(tmp_path):
    def fetch(url):
        raise urllib.error.URLError("no network")

    service = TileService(None, tmp_path / "cache.mbtiles")
    assert service.cache_areas("https://t.example.org/{z}/{x}/{y}.png", [SF], fetch=fetch) == 0


def test_the_public_openstreetmap_tiles_are_never_prefetched():
    assert not may_prefetch("https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    assert may_prefetch("https://tiles.coalition.example/{z}/{x}/{y}.png")
    assert not may_prefetch("")
    assert patrol_areas([{"bbox": SF}, {"bbox": "[[1, 2], [3, 4]]"}, {"bbox": None}]) == \
        [SF, [[1, 2], [3, 4]]]


def test_the_demo_layer_ships_small_and_covers_the_three_neighborhoods_at_zooms_13_to_18():
    assert DEMO_MBTILES.is_file()
    assert DEMO_MBTILES.stat().st_size < 5 * 1024 * 1024
    with MBTiles(DEMO_MBTILES) as mb:
        meta = mb.metadata()
        assert (meta["format"], meta["minzoom"], meta["maxzoom"]) == ("png", "13", "18")
        for lat, lon in ((37.7946, -122.4068), (37.7995, -122.2695), (47.598, -122.3175)):
            for z in range(13, 19):
                data = mb.tile(z, *tile_xy(lat, lon, z))
                assert data and data.startswith(b"\x89PNG"), (lat, lon, z)


def test_the_layer_file_is_a_setting(tmp_path, layer):
    assert Settings.from_env({}).mbtiles == DEMO_MBTILES
    assert Settings.from_env({"STROLL_MBTILES": str(layer)}).mbtiles == layer
    assert Settings.from_env({"STROLL_MBTILES": ""}).mbtiles is None
    with pytest.raises(SettingsError, match="STROLL_MBTILES"):
        Settings.from_env({"STROLL_MBTILES": str(tmp_path / "absent.mbtiles")})


def test_the_shipped_demo_layer_is_what_the_script_draws(tmp_path):
    """assets/tiles/demo.mbtiles is rebuilt by scripts/make_demo_tiles.py (here its two
    widest zooms, which are quick): the same tiles, byte for byte."""
    pytest.importorskip("PIL")
    import importlib.util
    script = Path(__file__).resolve().parents[1] / "scripts" / "make_demo_tiles.py"
    spec = importlib.util.spec_from_file_location("make_demo_tiles", script)
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    out = tmp_path / "demo.mbtiles"
    count, _ = make.build(out, range(13, 15))
    with MBTiles(out) as built, MBTiles(DEMO_MBTILES) as shipped:
        for z in (13, 14):
            for _, x, y in tiles_of_bbox([[37.78, -122.42], [37.81, -122.39]], [z]):
                assert built.tile(z, x, y) == shipped.tile(z, x, y), (z, x, y)
    assert count > 0
