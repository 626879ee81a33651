"""The month the console's benches are measured on (bench/program_month.py), written
small on each backend: the counts asked for, records the domain accepts, tracks that
decode to walks at the program's hours."""
from __future__ import annotations

import importlib.util
from collections import Counter
from datetime import date, datetime

from conftest import ROOT
from stroll.domain.geo import decode_track, local_distance_m
from stroll.domain.records import from_dict

_spec = importlib.util.spec_from_file_location("program_month",
                                               ROOT / "bench" / "program_month.py")
program_month = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(program_month)


def test_a_small_month_writes_what_was_asked_and_every_record_validates(storage):
    counts = program_month.fill_month(storage, month_start=date(2026, 11, 1),
                                      points=20_000, check_ins=90, incidents=12, seed=3)
    assert counts["points"] == 20_000
    assert counts["check_in"] == 90 and counts["incident"] == 12
    assert counts["member"] == 30 and counts["neighborhood"] == 3
    stored = {t: storage.records_of_type(t) for t in
              ("member", "stroll", "track_chunk", "check_in", "incident")}
    assert {t: len(rs) for t, rs in stored.items()} == {
        t: counts[t] for t in stored}
    for rtype, records in stored.items():
        for r in records:
            from_dict(rtype, r)                      # raises on an invalid record
    fixes = [f for c in stored["track_chunk"] for f in decode_track(c["points"])]
    assert len(fixes) == 20_000
    # a few metres apart, a fix every 3 s
    by_stroll: dict[str, list] = {}
    for c in sorted(stored["track_chunk"], key=lambda c: (c["stroll_id"], c["seq"])):
        by_stroll.setdefault(c["stroll_id"], []).extend(decode_track(c["points"]))
    gaps = [local_distance_m(a.latlon, b.latlon) for track in by_stroll.values()
            for a, b in zip(track, track[1:])]
    gaps.sort()
    assert 2 < gaps[len(gaps) // 2] < 8
    # strolls in the month, at day hours mostly, none at night
    hours = Counter(datetime.fromisoformat(s["started_at"]).hour for s in stored["stroll"])
    assert min(hours) >= 8 and max(hours) <= 20
    assert sum(n for h, n in hours.items() if h < 18) > sum(n for h, n in hours.items()
                                                           if h >= 18)
    assert all(s["started_at"].startswith("2026-11") for s in stored["stroll"])
    # some incidents carry the survivor's details (they consented to be contacted)
    assert any(i["consent_contact"] and i["survivor_name"] for i in stored["incident"])
    assert {c["status"] for c in stored["check_in"]} >= {"all_good", "concern"}
