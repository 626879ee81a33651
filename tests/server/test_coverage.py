"""Coverage, worked out by hand (coverage_case.py): which pieces of the planned routes
and which businesses were visited, how often, when, and the gaps."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from stroll.domain.geo import Fix, decode_track, encode_track, walk_fixes
from sync.server import coverage as cov

from tests.support import coverage_case as case

TODAY = datetime.now(case.ZONE).date()


def result():
    segments = cov.route_segments([{"id": "A", "path": case.ROUTE_A},
                                   {"id": "B", "path": case.ROUTE_B}])
    strolls = case.strolls(TODAY)
    tracks = [np.array([(f.lat, f.lon, f.t) for f in case.fixes_of(s)]) for s in strolls]
    check_ins = [(business, s["start"] + timedelta(minutes=20))
                 for s in strolls for business in s["check_ins"]]
    return cov.coverage(segments, tracks, check_ins, ["bakery", "tea"], case.ZONE)


def test_routes_are_cut_into_pieces_of_at_most_80_metres():
    segments = cov.route_segments([{"id": "A", "path": case.ROUTE_A},
                                   {"id": "B", "path": case.ROUTE_B}])
    assert [(s.route_id, s.index) for s in segments] == [("A", 0), ("A", 1), ("A", 2),
                                                         ("B", 0), ("B", 1)]
    assert [round(s.length_m) for s in segments] == [80, 80, 80, 80, 80]


def test_each_piece_counts_the_strolls_that_walked_along_it_not_across_it():
    got = result()
    assert [t.visits for t in got.by_segment] == [2, 2, 1, 1, 0]
    assert got.strolls == 3


def test_the_gaps_are_the_ones_worked_out_by_hand():
    got = result()
    end = datetime.now(case.ZONE)
    assert [t.gaps(end) for t in got.by_segment] == [[], [], ["no_evening"],
                                                    ["no_evening"], ["never"]]
    assert round(got.walked_share(), 3) == 0.8


def test_walks_are_counted_by_day_of_week_and_time_of_day():
    got = result()
    a0 = got.by_segment[0]
    assert a0.bands == {"morning": 1, "afternoon": 0, "evening": 1}
    s1, s2, s3 = case.strolls(TODAY)
    assert a0.weekdays[s1["start"].weekday()] >= 1 and a0.weekdays[s2["start"].weekday()] >= 1
    week = got.week()
    assert sum(map(sum, week)) == 6  # 2 + 2 + 1 + 1 walks of pieces
    assert week[s3["start"].weekday()][1] >= 1  # B's piece, in the afternoon


def test_a_piece_not_walked_in_14_days_is_stale():
    got = result()
    ten_weeks_on = datetime.now(case.ZONE) + timedelta(days=13)
    assert "stale" in got.by_segment[0].gaps(ten_weeks_on)  # last walked 3 days ago + 13
    assert "stale" not in got.by_segment[0].gaps(datetime.now(case.ZONE))


def test_businesses_count_their_check_ins_and_the_unvisited_one_is_a_gap():
    got = result()
    bakery, tea = got.merchants["bakery"], got.merchants["tea"]
    assert bakery.visits == 2 and bakery.bands["evening"] == 1
    assert bakery.gaps(datetime.now(case.ZONE)) == []
    assert tea.visits == 0 and tea.gaps(datetime.now(case.ZONE)) == ["never"]


def test_a_track_far_from_every_route_walks_nothing():
    far = walk_fixes([case.at_metres(2000, 2000), case.at_metres(2200, 2000)])
    segments = cov.route_segments([{"id": "A", "path": case.ROUTE_A}])
    matcher = cov.Matcher(segments)
    assert matcher.walked(np.array([(f.lat, f.lon, f.t) for f in far])) == []
    assert matcher.walked(np.zeros((0, 3))) == []
    assert cov.Matcher([]).walked(np.zeros((5, 3))) == []


def test_a_stroll_back_and_forth_walks_each_piece_once_from_its_first_fix():
    long_walk = walk_fixes(case.ROUTE_A * 30, step_m=1.0, seed=4)   # back and forth
    points = np.array([(f.lat, f.lon, f.t) for f in long_walk])
    segments = cov.route_segments([{"id": "A", "path": case.ROUTE_A}])
    walked = sorted(cov.Matcher(segments).walked(points), key=lambda w: w.segment)
    assert [w.segment for w in walked] == [0, 1, 2]
    assert walked[0].at == pytest.approx(points[0, 2])


def test_a_month_matched_at_once_gives_what_each_stroll_matched_alone_gives():
    segments = cov.route_segments([{"id": "A", "path": case.ROUTE_A},
                                   {"id": "B", "path": case.ROUTE_B}])
    tracks = [np.array([(f.lat, f.lon, f.t) for f in case.fixes_of(s)])
              for s in case.strolls(TODAY)] * 4 + [np.zeros((0, 3))]
    matcher = cov.Matcher(segments)
    alone = sorted((k, w.segment, w.at) for k, t in enumerate(tracks)
                   for w in matcher.walked(t))
    together = sorted((w.stroll, w.segment, w.at) for w in matcher.walked_all(tracks))
    assert together == alone and len(together) == 4 * 6


def test_fixes_matched_in_small_blocks_give_the_same_walks(monkeypatch):
    segments = cov.route_segments([{"id": "A", "path": case.ROUTE_A},
                                   {"id": "B", "path": case.ROUTE_B}])
    tracks = [np.array([(f.lat, f.lon, f.t) for f in case.fixes_of(s)])
              for s in case.strolls(TODAY)]
    whole = sorted((w.stroll, w.segment, w.at) for w in cov.Matcher(segments)
                   .walked_all(tracks))
    monkeypatch.setattr(cov, "BLOCK", 7)   # a walk's fixes spread over many blocks
    blocks = sorted((w.stroll, w.segment, w.at) for w in cov.Matcher(segments)
                    .walked_all(tracks))
    assert blocks == whole and len(whole) == 6


def test_routes_cities_apart_are_each_matched_in_their_own_frame():
    seattle = [(47.5980, -122.3190), (47.5980, -122.3158)]   # 240 m east, at 47.6 N
    segments = cov.route_segments([{"id": "A", "path": case.ROUTE_A},
                                   {"id": "S", "path": seattle}])
    walk_sf = walk_fixes(case.ROUTE_A, seed=2)
    walk_seattle = walk_fixes(seattle, seed=3)
    # a walk 20 m north of the Seattle street is on it; 35 m north is not
    north = [(lat + 20 / 111_200, lon) for lat, lon in seattle]
    farther = [(lat + 35 / 111_200, lon) for lat, lon in seattle]
    tracks = [np.array([(f.lat, f.lon, f.t) for f in w])
              for w in (walk_sf, walk_seattle, walk_fixes(north), walk_fixes(farther))]
    walked = cov.Matcher(segments).walked_all(tracks)
    by_stroll = {k: sorted(segments[w.segment].route_id for w in walked if w.stroll == k)
                 for k in range(4)}
    pieces = sum(1 for s in segments if s.route_id == "S")
    assert pieces == 4    # 240.4 m: the lon degree is shorter at 47.6 N than at 37.8 N
    assert by_stroll == {0: ["A"] * 3, 1: ["S"] * 4, 2: ["S"] * 4, 3: []}


def test_the_numpy_decoder_reads_the_tracks_the_phones_write():
    fixes = walk_fixes(case.ROUTE_A + case.ROUTE_B, seed=9) + [
        Fix(-33.8688, 151.2093, 2_000_000_000.0, 9999.0), Fix(0.0, 0.0, 0.0, 0.0)]
    text = encode_track(fixes)
    mine = cov.decode_points(text)
    theirs = decode_track(text)
    assert mine.shape == (len(theirs), 3)
    assert np.allclose(mine[:, 0], [f.lat for f in theirs], atol=1e-9)
    assert np.allclose(mine[:, 1], [f.lon for f in theirs], atol=1e-9)
    assert np.array_equal(mine[:, 2], [f.t for f in theirs])
    assert cov.decode_points("").shape == (0, 3)


def test_many_chunks_decode_at_once_as_each_decodes_alone():
    walks = [walk_fixes(case.ROUTE_A, seed=k)[: 10 + 7 * k] for k in range(6)]
    texts = [encode_track(w) for w in walks] + [""]
    together = cov.decode_many(texts)
    assert len(together) == 7 and together[-1].shape == (0, 3)
    for text, mine in zip(texts, together):
        alone = np.array([(f.lat, f.lon, f.t) for f in decode_track(text)]).reshape(-1, 3)
        assert np.allclose(mine, alone, atol=1e-9)
    with pytest.raises(ValueError, match="track chunk 1"):
        cov.decode_many([texts[0], texts[1][:-1], texts[2]])


@pytest.mark.parametrize("bad", ["~~~~", "ab c", "?????", "_", "é", "éééé"])
def test_the_numpy_decoder_refuses_what_is_not_a_track(bad):
    with pytest.raises(ValueError):
        cov.decode_points(bad)
