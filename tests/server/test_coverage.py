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


def test_a_long_stroll_is_matched_in_blocks_with_the_same_answer():
    long_walk = walk_fixes(case.ROUTE_A * 30, step_m=1.0, seed=4)   # back and forth
    points = np.array([(f.lat, f.lon, f.t) for f in long_walk])
    assert len(points) > 3 * cov.BLOCK
    segments = cov.route_segments([{"id": "A", "path": case.ROUTE_A}])
    walked = cov.Matcher(segments).walked(points)
    assert [w.segment for w in walked] == [0, 1, 2]
    assert walked[0].at == pytest.approx(points[0, 2])


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


@pytest.mark.parametrize("bad", ["~~~~", "ab c", "?????", "_", "é"])
def test_the_numpy_decoder_refuses_what_is_not_a_track(bad):
    with pytest.raises(ValueError):
        cov.decode_points(bad)
