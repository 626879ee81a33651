"""Geo math for GPS tracks: jitter filter, distance, odometer, simplification, encoding."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stroll.domain.geo import (Fix, Odometer, decode_track, distance_m, encode_track,
                               filter_jitter, local_distance_m, simplify,
                               track_length_m, walk_fixes)

# Real street geometry (intersections along the streets), one loop per neighborhood.
SF_STOCKTON_LOOP = [
    (37.797822, -122.407016), (37.797628, -122.408619), (37.796704, -122.408431),
    (37.795824, -122.408253), (37.794941, -122.408079), (37.79406, -122.407903),
    (37.793178, -122.407727), (37.793223, -122.407374), (37.793315, -122.406643),
    (37.79338, -122.406129), (37.793832, -122.40622), (37.794264, -122.406305),
    (37.795144, -122.406476), (37.796025, -122.406652), (37.796902, -122.406828),
    (37.797469, -122.406945), (37.797822, -122.407016)]
OAKLAND_WEBSTER_FRANKLIN_LOOP = [
    (37.799256, -122.271403), (37.799948, -122.270971), (37.800617, -122.270552),
    (37.801323, -122.27011), (37.801786, -122.271285), (37.80108, -122.271727),
    (37.800411, -122.272145), (37.799719, -122.272578), (37.799034, -122.273007),
    (37.798571, -122.271832), (37.799256, -122.271403)]
LITTLE_SAIGON_LOOP = [
    (47.5992, -122.31725), (47.5992, -122.3154), (47.59921, -122.314078),
    (47.5983, -122.313382), (47.59737, -122.312671), (47.5965, -122.312006),
    (47.59583, -122.311494), (47.59583, -122.3148), (47.59583, -122.31725),
    (47.5965, -122.31725), (47.59737, -122.31725), (47.5983, -122.31725),
    (47.5992, -122.31725)]
ROUTES = {"sf_stockton": SF_STOCKTON_LOOP, "oakland_webster": OAKLAND_WEBSTER_FRANKLIN_LOOP,
          "little_saigon": LITTLE_SAIGON_LOOP}


def geodesic_length(points) -> float:
    return sum(distance_m(a, b) for a, b in zip(points, points[1:]))


def metres_north(fix: Fix, m: float, dt: float = 5.0, accuracy: float = 5.0) -> Fix:
    return Fix(fix.lat + m / 111_000, fix.lon, fix.t + dt, accuracy)


START = Fix(37.7946, -122.4068, 1_767_225_600.0, 5.0)


# ---- jitter filter -------------------------------------------------------------------

def test_filter_drops_fixes_with_poor_accuracy():
    a = START
    b = metres_north(a, 10, accuracy=60.0)    # a cell-tower guess
    c = metres_north(a, 20, dt=10)
    assert filter_jitter([a, b, c]) == [a, c]


def test_filter_drops_sub_metre_moves_of_someone_standing_still():
    a = START
    still = [metres_north(a, 0.4 * (i % 2), dt=i + 1.0, accuracy=3.0) for i in range(10)]
    moved = metres_north(a, 6, dt=20, accuracy=3.0)
    assert filter_jitter([a, *still, moved]) == [a, moved]


def test_filter_drops_moves_smaller_than_the_fixes_noise():
    a = Fix(START.lat, START.lon, START.t, 20.0)
    wobble = metres_north(a, 6, accuracy=20.0)       # 6 m with +-20 m accuracy: noise
    walked = metres_north(a, 15, dt=12, accuracy=20.0)
    assert filter_jitter([a, wobble, walked]) == [a, walked]


def test_filter_drops_impossible_jumps_and_recovers_after_them():
    a = START
    jump = metres_north(a, 400, dt=2)                 # 200 m/s: multipath outlier
    b = metres_north(a, 5, dt=4)
    c = metres_north(a, 10, dt=8)
    assert filter_jitter([a, jump, b, c]) == [a, b, c]


def test_filter_drops_fixes_not_later_than_the_last_kept_one():
    a = START
    same_time = metres_north(a, 5, dt=0)
    earlier = metres_north(a, 5, dt=-3)
    later = metres_north(a, 5, dt=3)
    assert filter_jitter([a, same_time, earlier, later]) == [a, later]


@pytest.mark.parametrize("bad", [
    Fix(float("nan"), -122.4, 1.0, 5.0), Fix(37.79, 181.0, 1.0, 5.0),
    Fix(91.0, -122.4, 1.0, 5.0), Fix(37.79, -122.4, float("nan"), 5.0),
    Fix(37.79, -122.4, 1.0, float("nan")), Fix(37.79, -122.4, 1.0, -1.0),
    Fix(37.79, -122.4, 1.0, None), Fix(None, -122.4, 1.0, 5.0), Fix(37.79, "x", 1.0, 5.0),
    Fix(37.79, -122.4, None, 5.0)])
def test_filter_drops_fixes_that_are_not_positions(bad):
    assert filter_jitter([bad]) == []


def test_filter_continues_from_the_last_kept_fix_across_batches():
    fixes = walk_fixes(SF_STOCKTON_LOOP, step_m=2.0, noise_m=1.5, seed=7)
    whole = filter_jitter(fixes)
    pieces: list[Fix] = []
    for i in range(0, len(fixes), 13):
        pieces += filter_jitter(fixes[i:i + 13], last=pieces[-1] if pieces else None)
    assert pieces == whole
    assert 0 < len(whole) < len(fixes)


# ---- distance --------------------------------------------------------------------------

@pytest.mark.parametrize("route", sorted(ROUTES))
def test_track_length_is_within_a_tenth_of_a_percent_of_per_segment_geodesic(route):
    fixes = walk_fixes(ROUTES[route], step_m=5.0, noise_m=1.5, seed=1)
    points = [(f.lat, f.lon) for f in fixes]
    exact = geodesic_length(points)
    assert track_length_m(points) == pytest.approx(exact, rel=1e-3)
    # and on the bare route (segments of 30-180 m)
    assert track_length_m(ROUTES[route]) == pytest.approx(geodesic_length(ROUTES[route]),
                                                          rel=1e-3)


def test_track_length_of_no_walk_is_zero():
    assert track_length_m([]) == 0.0
    assert track_length_m([(37.79, -122.4)]) == 0.0


def test_local_distance_matches_geodesic_for_nearby_points():
    a, b = SF_STOCKTON_LOOP[1], SF_STOCKTON_LOOP[6]
    assert local_distance_m(a, b) == pytest.approx(distance_m(a, b), rel=1e-3)


# ---- odometer ------------------------------------------------------------------------

@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("step_m", [1.5, 5.0])
def test_odometer_measures_a_noisy_walk_within_2_percent_of_the_route(route, step_m):
    fixes = filter_jitter(walk_fixes(ROUTES[route], step_m=step_m, noise_m=1.0, seed=2))
    odo = Odometer()
    odo.add(fixes)
    assert odo.close() == pytest.approx(geodesic_length(ROUTES[route]), rel=0.02)


def test_odometer_does_not_count_gps_noise_while_standing_still():
    a = START
    wander = [Fix(a.lat + (i % 3) * 3 / 111_000, a.lon + (i % 2) * 3 / 88_000, a.t + i, 5.0)
              for i in range(200)]
    odo = Odometer()
    odo.add(wander)
    assert odo.close() < 5.0


def test_odometer_counts_the_same_in_batches_as_at_once():
    fixes = filter_jitter(walk_fixes(SF_STOCKTON_LOOP, seed=3))
    whole = Odometer()
    whole.add(fixes)
    batched = Odometer()
    for i in range(0, len(fixes), 17):
        # as after a restart: rebuilt from the stored metres, anchor and last fix
        batched = Odometer(batched.metres, batched.anchor, batched.last)
        batched.add(fixes[i:i + 17])
    assert batched.total_m == pytest.approx(whole.total_m, abs=1e-6)


def test_odometer_close_ends_the_segment_so_a_jump_after_it_is_not_counted():
    odo = Odometer()
    odo.add([START, metres_north(START, 8)])
    assert odo.metres == 0.0 and odo.pending_m == pytest.approx(8, rel=0.01)
    assert odo.close() == pytest.approx(8, rel=0.01)
    far = metres_north(START, 500, dt=600)
    odo.add([far, metres_north(far, 12)])
    assert odo.total_m == pytest.approx(8 + 12, rel=0.01)


# ---- simplification ------------------------------------------------------------------

def _distance_to_segment_m(p, a, b) -> float:
    ky, kx = 111_000.0, 111_000.0 * math.cos(math.radians(a[0]))
    px, py = (p[1] - a[1]) * kx, (p[0] - a[0]) * ky
    bx, by = (b[1] - a[1]) * kx, (b[0] - a[0]) * ky
    seg2 = bx * bx + by * by
    u = 0.0 if seg2 == 0 else max(0.0, min(1.0, (px * bx + py * by) / seg2))
    return math.hypot(px - u * bx, py - u * by)


def test_simplify_keeps_both_ends_and_the_shape():
    points = [(f.lat, f.lon) for f in walk_fixes(SF_STOCKTON_LOOP, step_m=2.0, seed=4)]
    out = simplify(points, tolerance_m=3.0)
    assert out[0] == points[0] and out[-1] == points[-1]
    assert len(out) < len(points) / 4
    # every original point lies within the tolerance (+ projection slack) of the line
    idx = [points.index(p) for p in out]
    for (i, a), b in zip(zip(idx, out), out[1:]):
        j = points.index(b, i)
        for p in points[i:j + 1]:
            assert _distance_to_segment_m(p, a, b) <= 3.0 * 1.01
    # the street corners survive: each is near some kept point
    for corner in [SF_STOCKTON_LOOP[1], SF_STOCKTON_LOOP[6], SF_STOCKTON_LOOP[9]]:
        assert min(distance_m(corner, p) for p in out) < 8.0


def test_simplify_handles_a_walk_that_ends_where_it_started():
    loop = [(37.79, -122.40), (37.7905, -122.40), (37.7905, -122.4005), (37.79, -122.40)]
    assert simplify(loop) == loop
    assert simplify(loop[:2]) == loop[:2]


# ---- compact encoding ------------------------------------------------------------------

fix_strategy = st.builds(
    Fix,
    st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False),
    st.floats(0, 4e9, allow_nan=False), st.floats(0, 9999, allow_nan=False))


@settings(max_examples=300, deadline=None)
@given(st.lists(fix_strategy, max_size=60))
def test_encode_decode_round_trip_within_the_encodings_resolution(fixes):
    decoded = decode_track(encode_track(fixes))
    assert len(decoded) == len(fixes)
    for a, b in zip(fixes, decoded):
        assert abs(a.lat - b.lat) <= 0.5e-5 + 1e-9
        assert abs(a.lon - b.lon) <= 0.5e-5 + 1e-9
        assert abs(a.t - b.t) <= 0.5
        assert abs(a.accuracy - b.accuracy) <= 0.5
    assert encode_track(decoded) == encode_track(fixes)   # stable once encoded


def test_decode_refuses_truncated_or_foreign_text():
    text = encode_track(walk_fixes(SF_STOCKTON_LOOP[:3], seed=5))
    with pytest.raises(ValueError, match="truncated"):
        decode_track(text[:-1])
    with pytest.raises(ValueError, match="invalid character"):
        decode_track(text[:5] + " " + text[6:])
    with pytest.raises(ValueError, match="invalid character"):
        decode_track(text[:5] + "é" + text[6:])


def test_a_realistic_walk_costs_at_most_10_bytes_a_point():
    fixes = filter_jitter(walk_fixes(SF_STOCKTON_LOOP, step_m=5.0, noise_m=1.5, seed=6))
    text = encode_track(fixes)
    assert text.isascii() and text.isprintable()
    assert len(text.encode()) / len(fixes) <= 10
