"""The patrol on the phone: rules, the stroll, its GPS track, check-ins, incidents, tallies.

Plain Python (no Flet, no network) over a fresh device database per test.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from stroll.domain import Incident, Member, Merchant, Neighborhood, Stroll, ValidationError
from stroll.domain import patrol_rules as rules
from stroll.domain.geo import Fix, decode_track, distance_m, filter_jitter, walk_fixes
from stroll.patrol import (NoActiveStroll, PatrolService, StrollAlreadyActive, StrollEnded,
                           StrollNotOnThisDevice)
from stroll.state.errors import error_key
from stroll.store import RecordNotFound, Transaction

PACIFIC = timezone(timedelta(hours=-8))
# Stockton St, SF Chinatown, Broadway to Sacramento St (real intersections).
STOCKTON = [(37.797628, -122.408619), (37.796704, -122.408431), (37.795824, -122.408253),
            (37.794941, -122.408079), (37.79406, -122.407903), (37.793178, -122.407727)]
# Sacramento St east to Grant Ave, then north on Grant
SACRAMENTO_GRANT = [(37.793178, -122.407727), (37.793315, -122.406643),
                    (37.79338, -122.406129), (37.794264, -122.406305),
                    (37.795144, -122.406476)]


class FakeClock:
    def __init__(self):
        self.now = datetime(2026, 11, 21, 18, 0, 0, tzinfo=PACIFIC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def hood(store):
    return store.save(Neighborhood(name="SF Chinatown", city="San Francisco",
                                   center_lat=37.7945, center_lon=-122.4065), outbox=False)


@pytest.fixture
def people(store, hood):
    mei = Member(name="Mei Ling Chan", role="ambassador", neighborhood_id=hood.id,
                 trained_lead=True, languages=["yue", "en"])
    rosa = Member(name="Rosa Delgado", neighborhood_id=hood.id, languages=["es", "en"])
    wai = Member(name="Wai Keung Lau", neighborhood_id=hood.id, languages=["yue"])
    store.save_many([mei, rosa, wai], outbox=False)
    return {"mei": mei, "rosa": rosa, "wai": wai}


@pytest.fixture
def svc(store, clock):
    return PatrolService(store, clock, chunk_points=50)


@pytest.fixture
def team(people):
    return [{"member_id": people["mei"].id, "name": "", "lead": True},
            {"member_id": people["rosa"].id, "name": "Rosa", "lead": False}]


@pytest.fixture
def stroll(svc, hood, team):
    return svc.start_stroll(hood.id, team=team).stroll


@pytest.fixture
def shops(store, hood):
    # along Stockton St, north to south
    rows = [Merchant(neighborhood_id=hood.id, name=name, lat=lat, lon=lon)
            for name, lat, lon in [("Golden Gate Bakery", 37.7965, -122.40839),
                                   ("Wing Sing Market", 37.7950, -122.40809),
                                   ("Dragon Herbs", 37.7934, -122.40777),
                                   ("Apple Tea House", 37.7977, -122.40863)]]
    store.save_many(rows, outbox=False)
    return {m.name: m for m in rows}


def outbox(store, record_type=None):
    return [e for e in store.outbox_entries(limit=100_000)
            if record_type is None or e["record_type"] == record_type]


def feed(svc, stroll_id, fixes, batch=1):
    for i in range(0, len(fixes), batch):
        svc.add_fixes(stroll_id, fixes[i:i + batch])


def geodesic_length(path) -> float:
    return sum(distance_m(a, b) for a, b in zip(path, path[1:]))


# ---- rules: team and buddy rule ------------------------------------------------------

def test_buddy_rule_a_stroll_needs_at_least_two_people(svc, store, hood, people):
    with pytest.raises(ValidationError) as err:
        svc.start_stroll(hood.id, team=[{"member_id": people["mei"].id, "lead": True}])
    assert err.value.field == "team" and "at least 2" in err.value.reason
    assert store.count("stroll") == 0 and outbox(store) == []


def test_buddy_rule_a_member_listed_twice_is_one_person(svc, hood, people):
    mei = {"member_id": people["mei"].id, "name": "Mei"}
    with pytest.raises(ValidationError) as err:
        svc.start_stroll(hood.id, team=[mei, dict(mei)])
    assert err.value.field == "team"


@pytest.mark.parametrize("person", [{"member_id": None, "name": "  "},
                                    {"member_id": "no-such-member", "name": "X"}, "Ann"])
def test_every_person_on_the_team_is_named_or_a_known_member(svc, hood, people, person):
    with pytest.raises(ValidationError) as err:
        svc.start_stroll(hood.id, team=[{"member_id": people["mei"].id}, person])
    assert err.value.field == "team"


def test_two_guests_of_one_name_are_one_person_said_twice(svc, hood, people):
    with pytest.raises(ValidationError) as err:
        svc.start_stroll(hood.id, team=[{"member_id": people["mei"].id}, {"name": "Ann"},
                                        {"name": " ann "}])
    assert err.value.field == "team" and "listed twice" in str(err.value)
    assert error_key(err.value) == "error.team_twice"


def test_a_name_longer_than_80_characters_is_refused_with_its_own_sentence(svc, hood, people):
    with pytest.raises(ValidationError) as err:
        svc.start_stroll(hood.id, team=[{"member_id": people["mei"].id}, {"name": "A" * 81}])
    assert error_key(err.value) == "error.name_too_long"
    started = svc.start_stroll(hood.id, team=[{"member_id": people["mei"].id},
                                              {"name": "A" * 80}])
    assert started.stroll.team[1]["name"] == "A" * 80


def test_two_guests_may_stroll(svc, hood):
    started = svc.start_stroll(hood.id, team=[{"name": "Ann"}, {"name": "Bo"}])
    assert [p["member_id"] for p in started.stroll.team] == [None, None]


def test_no_trained_lead_is_a_warning_not_an_error(svc, store, hood, people):
    started = svc.start_stroll(hood.id, team=[{"member_id": people["rosa"].id},
                                              {"name": "Guest Ann"}])
    assert [w.code for w in started.warnings] == ["no_trained_lead"]
    assert started.warnings[0].field == "team"
    assert store.get("stroll", started.stroll.id)["status"] == "active"


def test_a_trained_lead_on_the_team_gives_no_warning(svc, hood, team):
    assert svc.start_stroll(hood.id, team=team).warnings == []


def test_leading_without_training_is_flagged_when_a_trained_member_walks_along(
        svc, hood, people):
    started = svc.start_stroll(hood.id, team=[
        {"member_id": people["rosa"].id, "lead": True}, {"member_id": people["mei"].id}])
    assert [(w.code, w.params) for w in started.warnings] == [
        ("lead_not_trained", {"name": "Rosa Delgado"})]


def test_warning_codes_are_catalog_keys_not_sentences(svc, hood, people):
    started = svc.start_stroll(hood.id, team=[{"name": "A"}, {"name": "B"}])
    for w in started.warnings:
        assert w.code.replace("_", "").isalpha() and w.code.islower()
        assert w.as_dict()["code"] == w.code


# ---- starting, the active stroll -----------------------------------------------------

def test_start_writes_one_stroll_for_the_team_with_its_outbox_entry(svc, store, hood, team,
                                                                     people, clock):
    s = svc.start_stroll(hood.id, team=team).stroll
    row = store.get("stroll", s.id)
    assert row["team"] == [
        {"member_id": people["mei"].id, "name": "Mei Ling Chan", "lead": True},
        {"member_id": people["rosa"].id, "name": "Rosa", "lead": False}]
    assert row["started_at"] == "2026-11-21T18:00:00-08:00"
    [entry] = outbox(store)
    assert (entry["record_type"], entry["record_id"], entry["op"]) == ("stroll", s.id, "upsert")
    assert svc.active_stroll().id == s.id


def test_start_refuses_an_unknown_neighborhood(svc, team):
    with pytest.raises(ValidationError) as err:
        svc.start_stroll("no-such-place", team=team)
    assert err.value.field == "neighborhood_id"


def test_only_one_stroll_runs_at_a_time_on_a_device(svc, hood, team, stroll):
    with pytest.raises(StrollAlreadyActive) as err:
        svc.start_stroll(hood.id, team=team)
    assert err.value.stroll_id == stroll.id
    svc.end_stroll()
    assert svc.start_stroll(hood.id, team=team).stroll.id != stroll.id


def test_a_stroll_synced_from_another_device_is_not_this_devices_active_one(svc, store, hood):
    other = Stroll(neighborhood_id=hood.id, team=[{"name": "A"}, {"name": "B"}],
                   started_at="2026-11-21T17:00:00-08:00")
    store.apply_remote([{"type": "stroll", "id": other.id, "op": "upsert",
                         "data": other.to_dict()}], cursor=1)
    assert svc.active_stroll() is None
    with pytest.raises(StrollNotOnThisDevice):
        svc.add_fixes(other.id, walk_fixes(STOCKTON[:2]))
    with pytest.raises(NoActiveStroll):
        svc.pause()


# ---- GPS track --------------------------------------------------------------------------

def test_walking_stockton_street_measures_within_3_percent_of_its_geodesic_length(
        svc, stroll):
    fixes = walk_fixes(STOCKTON, step_m=5.0, noise_m=1.5, seed=11)
    feed(svc, stroll.id, fixes)                       # one fix at a time, as the GPS streams
    route = geodesic_length(STOCKTON)
    assert 440 < route < 520
    assert svc.live()["distance_m"] == pytest.approx(route, rel=0.03)
    summary = svc.end_stroll()
    assert summary["distance_m"] == pytest.approx(route, rel=0.03)


def test_every_kept_fix_is_in_a_sealed_chunk_or_the_buffer_in_order(svc, store, stroll):
    fixes = walk_fixes(STOCKTON, step_m=4.0, noise_m=1.0, seed=12)
    kept = 0
    for i in range(0, len(fixes), 3):
        r = svc.add_fixes(stroll.id, fixes[i:i + 3])
        assert r.status == "active" and r.received == len(fixes[i:i + 3])
        kept += r.kept
    expected = filter_jitter(fixes)
    track = svc.track(stroll.id)
    assert len(track) == kept == len(expected) == svc.live()["points"] > 100
    assert store.count("track_chunk") == kept // 50
    for got, want in zip(track, expected):     # chunk points: 1e-5 degree, 1 s resolution
        assert abs(got.lat - want.lat) <= 0.6e-5 and abs(got.lon - want.lon) <= 0.6e-5
        assert abs(got.t - want.t) <= 0.5


def test_fixes_are_sealed_into_chunks_with_their_outbox_entries(svc, store, stroll):
    fixes = walk_fixes(STOCKTON + SACRAMENTO_GRANT[1:], step_m=4.0, noise_m=0.5, seed=13)
    feed(svc, stroll.id, fixes)
    points = svc.live()["points"]
    chunks = store.track_chunks(stroll.id)
    assert len(chunks) == points // 50 >= 3
    assert [c["seq"] for c in chunks] == list(range(len(chunks)))
    assert all(c["point_count"] == 50 == len(decode_track(c["points"])) for c in chunks)
    assert len(store.gps_buffer(stroll.id)) == points % 50
    entries = outbox(store, "track_chunk")
    assert [e["record_id"] for e in entries] == [c["id"] for c in chunks]
    assert all(e["op"] == "upsert" and e["payload"]["points"] for e in entries)
    # the device-local buffer never travels
    assert {e["record_type"] for e in outbox(store)} == {"stroll", "track_chunk"}


def test_a_large_batch_seals_several_chunks_in_one_call(svc, store, stroll):
    fixes = walk_fixes(STOCKTON + SACRAMENTO_GRANT[1:], step_m=4.0, noise_m=0.5, seed=14)
    r = svc.add_fixes(stroll.id, fixes)
    assert r.sealed == r.kept // 50 >= 3 and r.buffered == r.kept % 50
    assert len(svc.track(stroll.id)) == r.kept


def test_a_failed_seal_leaves_buffer_state_and_outbox_as_they_were(svc, store, stroll,
                                                                    monkeypatch):
    fixes = walk_fixes(STOCKTON, step_m=4.0, noise_m=0.5, seed=15)
    svc.add_fixes(stroll.id, fixes[:40])
    before = (svc.track(stroll.id), svc.live(), len(outbox(store)))
    real = Transaction._outbox

    def broken(tx, rtype, *a):
        if rtype == "track_chunk":
            raise OSError("disk full")
        return real(tx, rtype, *a)

    monkeypatch.setattr(Transaction, "_outbox", broken)
    with pytest.raises(OSError):
        svc.add_fixes(stroll.id, fixes[40:])
    assert (svc.track(stroll.id), svc.live(), len(outbox(store))) == before
    monkeypatch.setattr(Transaction, "_outbox", real)
    svc.add_fixes(stroll.id, fixes[40:])
    assert len(svc.track(stroll.id)) > len(before[0])


def test_pause_seals_the_buffer_and_ignores_fixes_until_resume(svc, store, stroll, clock):
    a = walk_fixes(STOCKTON[:3], seed=16)
    feed(svc, stroll.id, a, batch=5)
    svc.pause()
    assert store.gps_buffer(stroll.id) == []
    assert store.get("stroll", stroll.id)["status"] == "paused"
    assert [e["payload"] for e in outbox(store, "stroll")][-1]["status"] == "paused"
    kept = len(svc.track(stroll.id))
    late = walk_fixes(STOCKTON[2:4], start_t=a[-1].t + 10, seed=17)
    r = svc.add_fixes(stroll.id, late)
    assert (r.kept, r.status) == (0, "paused") and len(svc.track(stroll.id)) == kept
    svc.resume()
    assert svc.add_fixes(stroll.id, late).kept > 0


def test_the_way_covered_while_paused_is_not_counted(svc, stroll, clock):
    walk_a = walk_fixes(STOCKTON[:3], noise_m=0.5, seed=18)
    feed(svc, stroll.id, walk_a, batch=10)
    svc.pause()
    clock.advance(900)
    svc.resume()
    # they come back 400 m away (a lift to Grant Ave) and walk on
    walk_b = walk_fixes(SACRAMENTO_GRANT, noise_m=0.5, start_t=walk_a[-1].t + 900, seed=19)
    feed(svc, stroll.id, walk_b, batch=10)
    expected = geodesic_length(STOCKTON[:3]) + geodesic_length(SACRAMENTO_GRANT)
    assert svc.end_stroll()["distance_m"] == pytest.approx(expected, rel=0.03)


def test_duration_counts_time_on_patrol_not_time_paused(svc, stroll, clock):
    clock.advance(600)
    assert svc.live()["duration_s"] == 600
    svc.pause()
    clock.advance(300)
    assert svc.live()["duration_s"] == 600
    svc.resume()
    clock.advance(120)
    summary = svc.end_stroll()
    assert (summary["duration_s"], summary["elapsed_s"]) == (720, 1020)


def test_display_track_is_simplified_and_keeps_both_ends(svc, stroll):
    fixes = walk_fixes(STOCKTON + SACRAMENTO_GRANT[1:], step_m=2.0, noise_m=0.5, seed=20)
    feed(svc, stroll.id, fixes, batch=25)
    full = svc.track(stroll.id)
    shown = svc.display_track(stroll.id)
    assert len(shown) < len(full) / 3
    assert shown[0] == (full[0].lat, full[0].lon) and shown[-1] == (full[-1].lat, full[-1].lon)
    assert svc.display_track(stroll.id) == shown                 # cached chunks: same answer


# ---- merchants ---------------------------------------------------------------------------

def test_merchants_come_nearest_first_from_the_current_position(svc, stroll, shops):
    here = Fix(37.7951, -122.40811, 0, 5)                        # Stockton & Washington
    names = [m["name"] for m in svc.merchants_nearby(here)]
    assert names == ["Wing Sing Market", "Golden Gate Bakery", "Dragon Herbs",
                     "Apple Tea House"]
    assert svc.merchants_nearby(here)[0]["distance_m"] == pytest.approx(
        distance_m((here.lat, here.lon), (37.7950, -122.40809)), abs=0.01)


def test_merchants_come_by_name_when_location_is_off(svc, stroll, shops):
    rows = svc.merchants_nearby(None)
    assert [m["name"] for m in rows] == sorted(shops)
    assert all(m["distance_m"] is None for m in rows)


def test_the_merchant_list_says_when_each_was_last_visited(svc, stroll, shops, clock):
    assert all(m["last_visit_at"] is None for m in svc.merchants_nearby(None))
    first = svc.check_in(shops["Dragon Herbs"].id, "all_good")
    clock.advance(3600)
    later = svc.check_in(shops["Dragon Herbs"].id, "concern")
    rows = {m["name"]: m for m in svc.merchants_nearby(None)}
    assert rows["Dragon Herbs"]["last_visit_at"] == later.at != first.at
    assert rows["Wing Sing Market"]["last_visit_at"] is None


def test_check_in_records_the_visit_with_its_outbox_entry(svc, store, stroll, shops, clock):
    shop = shops["Wing Sing Market"]
    ci = svc.check_in(shop.id, "concern", "Owner reports a man shouting at customers", "yue",
                      position=(37.7950, -122.4081))
    row = store.get("check_in", ci.id)
    assert (row["stroll_id"], row["status"], row["language"], row["at"]) == (
        stroll.id, "concern", "yue", "2026-11-21T18:00:00-08:00")
    assert outbox(store, "check_in")[0]["payload"]["note"].startswith("Owner reports")


def test_merchant_history_lists_visits_newest_first(svc, stroll, shops, clock):
    shop = shops["Golden Gate Bakery"]
    first = svc.check_in(shop.id, "all_good")
    clock.advance(3600)
    second = svc.check_in(shop.id, "needs_follow_up", "Asked about small-business grants")
    svc.check_in(shops["Dragon Herbs"].id)
    assert [v["id"] for v in svc.merchant_history(shop.id)] == [second.id, first.id]


def test_check_in_with_an_unknown_merchant_is_refused(svc, stroll):
    with pytest.raises(RecordNotFound):
        svc.check_in("no-such-merchant")


def test_check_in_status_must_come_from_the_list(svc, stroll, shops):
    with pytest.raises(ValidationError) as err:
        svc.check_in(shops["Dragon Herbs"].id, "fine")
    assert err.value.field == "status"


def test_a_merchant_added_on_the_spot_joins_the_strolls_neighborhood(svc, store, stroll,
                                                                     hood):
    m = svc.add_merchant("New Lucky Nail Salon", Fix(37.7948, -122.4080, 0, 5),
                         languages=["vi", "en"])
    assert store.get("merchant", m.id)["neighborhood_id"] == hood.id
    assert outbox(store, "merchant")[0]["record_id"] == m.id
    svc.check_in(m.id, "all_good", language="vi")
    assert len(svc.merchant_history(m.id)) == 1


def test_a_merchant_needs_a_position(svc, stroll):
    with pytest.raises(ValidationError) as err:
        svc.add_merchant("No Place Deli", None)
    assert err.value.field == "position"


# ---- incidents -------------------------------------------------------------------------

HERE = Fix(37.794941, -122.408079, 0, 5)                          # Stockton & Washington


@pytest.mark.parametrize("kwargs, field", [
    (dict(harm_types=[], position=HERE, actions_taken=["de_escalated"]), "harm_types"),
    (dict(harm_types=["spat_at"], position=HERE, actions_taken=["de_escalated"]),
     "harm_types"),
    (dict(harm_types=["verbal_harassment"], position=None, actions_taken=["documented"]),
     "location"),
    (dict(harm_types=["verbal_harassment"], position=HERE, actions_taken=[]),
     "actions_taken"),
    (dict(harm_types=["verbal_harassment"], position=(95.0, 0.0),
          actions_taken=["documented"]), "location"),
])
def test_quick_incident_needs_harm_type_place_and_what_the_team_did(svc, store, stroll,
                                                                    kwargs, field):
    with pytest.raises(ValidationError) as err:
        svc.quick_incident(**kwargs)
    assert err.value.field == field
    assert store.count("incident") == 0


def test_quick_incident_records_the_essentials_in_one_write(svc, store, stroll, hood):
    inc = svc.quick_incident("coughed_spat_on", HERE, ["checked_on_person", "escorted"],
                             "Elder spat on near the bus stop")
    row = store.get("incident", inc.id)
    assert row["harm_types"] == ["coughed_spat_on"]
    assert row["occurred_at"] == row["reported_at"] == "2026-11-21T18:00:00-08:00"
    assert (row["stroll_id"], row["neighborhood_id"], row["quick"]) == (stroll.id, hood.id, True)
    assert row["narrative"] == "Elder spat on near the bus stop"      # sensitive field
    assert "narrative" in Incident.sensitive_fields()
    [entry] = outbox(store, "incident")
    assert entry["op"] == "upsert" and entry["payload"]["actions_taken"] == [
        "checked_on_person", "escorted"]


def test_quick_incident_works_with_cross_streets_when_location_is_off(svc, store, stroll):
    inc = svc.quick_incident(["wage_theft"], None, ["gave_resources"],
                             cross_streets="Stockton & Jackson")
    assert (inc.lat, inc.lon, inc.cross_streets) == (None, None, "Stockton & Jackson")


def test_quick_incident_accepts_other_safety_concern_before_it_is_described(svc, stroll):
    inc = svc.quick_incident(["other_safety_concern"], HERE, ["documented"])
    with pytest.raises(ValidationError) as err:
        svc.complete_incident(inc.id)
    assert err.value.field == "harm_other"
    done = svc.complete_incident(inc.id, harm_other="Broken streetlight over the alley")
    assert done.quick is False


def test_completing_an_incident_sends_only_the_changed_fields_as_a_patch(svc, store,
                                                                         stroll):
    inc = svc.quick_incident(["verbal_harassment"], HERE, ["de_escalated"])
    done = svc.complete_incident(
        inc.id, motivations=["race", "language"], site_type="street",
        reporter_role="survivor", affected_age_band="60_74", affected_language="yue",
        needs_interpreter=True, police_involved="no", consent_contact=True,
        contact_channel="phone", contact_value="+1 415 555 0199", contact_language="yue",
        referral_needs=["mental_health", "interpreter"])
    assert done.quick is False
    patch = outbox(store, "incident")[-1]
    assert patch["op"] == "patch"
    assert set(patch["payload"]) == {
        "quick", "motivations", "site_type", "reporter_role", "affected_age_band",
        "affected_language", "needs_interpreter", "police_involved", "consent_contact",
        "contact_channel", "contact_value", "contact_language", "referral_needs"}
    # survivor contact details stay marked sensitive by the model
    assert {"contact_value", "contact_channel", "contact_language", "narrative",
            "survivor_name"} <= set(Incident.sensitive_fields())
    # editing again later: a patch of just that field
    svc.complete_incident(inc.id, referral_needs=["mental_health"])
    assert outbox(store, "incident")[-1]["payload"] == {"referral_needs": ["mental_health"]}


def test_completing_an_unknown_incident_or_an_unknown_field_is_refused(svc, stroll):
    with pytest.raises(RecordNotFound):
        svc.complete_incident("no-such-incident", site_type="street")
    inc = svc.quick_incident(["shunning"], HERE, ["documented"])
    with pytest.raises(ValidationError) as err:
        svc.complete_incident(inc.id, mood="sad")
    assert err.value.field == "mood"


def test_quick_incident_stores_the_place_at_block_precision_by_default(svc, store, stroll):
    inc = svc.quick_incident(["verbal_harassment"], HERE, ["documented"])
    assert inc.location_precision == "block"
    off = distance_m((HERE.lat, HERE.lon), (inc.lat, inc.lon))
    assert 0 < off <= 75
    exact = svc.quick_incident(["verbal_harassment"], HERE, ["documented"],
                               precision="exact")
    assert (exact.lat, exact.lon) == (HERE.lat, HERE.lon)


@pytest.mark.parametrize("precision, cell", [("block", 100), ("neighborhood", 1000)])
def test_location_precision_rounds_to_a_grid_of_the_chosen_size(precision, cell):
    points = [(f.lat, f.lon) for f in walk_fixes(STOCKTON + SACRAMENTO_GRANT[1:], step_m=7)]
    snapped = [rules.apply_precision(lat, lon, precision) for lat, lon in points]
    assert all(distance_m(p, s) <= cell * 0.72 for p, s in zip(points, snapped))
    cells = sorted(set(snapped))
    assert 1 < len(cells) < len(points) / 4
    assert min(distance_m(a, b) for i, a in enumerate(cells) for b in cells[i + 1:]) \
        >= cell * 0.75                                             # points of a grid
    assert [rules.apply_precision(*s, precision) for s in snapped] == snapped   # idempotent
    assert rules.apply_precision(37.1234567, -122.7654321, "exact") == (37.1234567,
                                                                          -122.7654321)


def test_choosing_less_precision_later_scrubs_the_exact_place_from_the_unsent_outbox(
        svc, store, stroll):
    inc = svc.quick_incident(["discrimination_housing"], HERE, ["gave_resources"],
                             precision="exact")
    done = svc.complete_incident(inc.id, location_precision="neighborhood")
    assert distance_m((HERE.lat, HERE.lon), (done.lat, done.lon)) > 1
    payloads = [e["payload"] for e in outbox(store, "incident")]
    assert all((p.get("lat"), p.get("lon")) != (HERE.lat, HERE.lon) for p in payloads)
    assert payloads[0]["lat"] == done.lat and payloads[-1]["location_precision"] == "neighborhood"
    assert json.dumps(HERE.lat) not in json.dumps(payloads)


def test_more_precision_needs_a_new_position(svc, stroll):
    inc = svc.quick_incident(["vandalism"], HERE, ["documented"])          # block
    with pytest.raises(ValidationError) as err:
        svc.complete_incident(inc.id, location_precision="exact")
    assert err.value.field == "location_precision"
    done = svc.complete_incident(inc.id, location_precision="exact", lat=HERE.lat,
                                 lon=HERE.lon)
    assert (done.lat, done.lon) == (HERE.lat, HERE.lon)


def test_neighborhood_precision_refuses_cross_streets(svc, stroll):
    with pytest.raises(ValidationError) as err:
        svc.quick_incident(["theft_robbery"], HERE, ["called_911"],
                           cross_streets="Stockton & Clay", precision="neighborhood")
    assert err.value.field == "cross_streets"


# ---- tallies ---------------------------------------------------------------------------

def test_tallies_count_up_and_undo_each_with_its_outbox_patch(svc, store, stroll):
    for _ in range(3):
        svc.tally("greetings")
    svc.tally("escorts")
    assert svc.tally("greetings", -1) == {"greetings": 2, "escorts": 1}
    assert store.get("stroll", stroll.id)["tallies"] == {"greetings": 2, "escorts": 1}
    patches = [e for e in outbox(store, "stroll") if e["op"] == "patch"]
    assert len(patches) == 5 and patches[-1]["payload"] == {
        "tallies": {"greetings": 2, "escorts": 1}}


@pytest.mark.parametrize("kind, delta", [("hugs", 1), ("cleanups", -1), ("referrals", 1.5)])
def test_a_tally_is_a_known_kind_and_never_below_zero(svc, stroll, kind, delta):
    with pytest.raises(ValidationError) as err:
        svc.tally(kind, delta)
    assert err.value.field == "tallies"


def test_add_tally_is_pure():
    before = {"greetings": 1}
    assert rules.add_tally(before, "greetings") == {"greetings": 2}
    assert before == {"greetings": 1}


# ---- the end ----------------------------------------------------------------------------

def test_end_of_stroll_summary_and_everything_waits_in_the_outbox(svc, store, stroll, shops,
                                                                  clock, people):
    fixes = walk_fixes(STOCKTON, step_m=5.0, noise_m=1.0, speed_mps=1.0, seed=21)
    half = len(fixes) // 2
    feed(svc, stroll.id, fixes[:half], batch=4)
    svc.check_in(shops["Golden Gate Bakery"].id, "all_good", position=fixes[half])
    svc.tally("greetings")
    svc.tally("greetings")
    inc = svc.quick_incident(["verbal_harassment"], fixes[half], ["de_escalated"])
    feed(svc, stroll.id, fixes[half:], batch=4)
    svc.check_in(shops["Dragon Herbs"].id, "needs_follow_up", position=fixes[-1])
    svc.complete_incident(inc.id, site_type="street")
    clock.advance(fixes[-1].t - fixes[0].t)
    summary = svc.end_stroll()

    assert summary["status"] == "ended" and summary["ended_at"] == clock.now.isoformat(
        timespec="seconds")
    assert summary["distance_m"] == pytest.approx(geodesic_length(STOCKTON), rel=0.03)
    assert summary["duration_s"] == round(fixes[-1].t - fixes[0].t)
    assert (summary["check_ins"], summary["incidents"]) == (2, 1)
    assert summary["tallies"] == {"greetings": 2, "escorts": 0, "cleanups": 0, "referrals": 0}
    assert [p["name"] for p in summary["team"]] == ["Mei Ling Chan", "Rosa"]
    assert summary["track_points"] == len(svc.track(stroll.id))
    assert store.gps_buffer(stroll.id) == []                      # all sealed at the end

    row = store.get("stroll", stroll.id)
    assert row["status"] == "ended" and row["distance_m"] == summary["distance_m"]
    entries = outbox(store)
    assert summary["outbox_pending"] == len(entries)
    types = {e["record_type"] for e in entries}
    assert types == {"stroll", "track_chunk", "check_in", "incident"}
    chunk_ids = {e["record_id"] for e in entries if e["record_type"] == "track_chunk"}
    assert chunk_ids == {c["id"] for c in store.list("track_chunk")}
    assert sum(c["point_count"] for c in store.list("track_chunk")) == summary["track_points"]
    last = [e for e in entries if e["record_type"] == "stroll"][-1]
    assert last["op"] == "patch" and last["payload"]["status"] == "ended"
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs)


def test_ending_twice_gives_the_same_summary(svc, stroll, clock):
    first = svc.end_stroll()
    clock.advance(60)
    assert svc.end_stroll(stroll.id) == first


def test_nothing_more_is_recorded_on_an_ended_stroll(svc, stroll):
    svc.end_stroll()
    assert svc.active_stroll() is None
    r = svc.add_fixes(stroll.id, walk_fixes(STOCKTON[:2]))
    assert (r.kept, r.status) == (0, "ended")
    with pytest.raises(StrollEnded):
        svc.tally("greetings", stroll_id=stroll.id)
    with pytest.raises(StrollEnded):
        svc.pause(stroll.id)
    with pytest.raises(NoActiveStroll):
        svc.tally("greetings")


def test_check_ins_and_incidents_work_without_a_running_stroll(svc, store, shops):
    ci = svc.check_in(shops["Dragon Herbs"].id, "all_good")
    inc = svc.quick_incident(["shunning"], HERE, ["documented"])
    assert ci.stroll_id is None and inc.stroll_id is None
