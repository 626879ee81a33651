"""Server storage, on SQLite and PostgreSQL alike: sequence rules, merge rules,
sign-up decisions, cursors, scopes."""
from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime, timezone

import pytest

from conftest import _Database
from inspect_storage import applied_log, count_records, get_record, last_cursor, signups_of
from server_records import (T0, check_in, follow_up, incident, neighborhood, shift, signup,
                            track_chunk)
from stroll.domain import Incident, new_id
from stroll.domain.disclosure import DEFAULTS, filled
from sync.protocol import PushEntry
from sync.server.rules import SERVER, Actor
from sync.server.storage import DeviceNotFound, SequenceGap, open_storage


COORDINATOR = Actor(None, "coordinator")   # reads everything, in full
VOLUNTEER = Actor(None, "volunteer")       # a volunteer who wrote none of it


class Dev:
    """A device enrolled straight in storage, numbering its entries; it acts for a
    member of ``role`` (a coordinator by default: these tests are about the merge,
    sequences and cursors; who may write what is test_server_rules.py)."""

    def __init__(self, storage, role="coordinator"):
        self.s = storage
        self.id = str(uuid.uuid4())
        self.actor = Actor(new_id(), role, self.id)
        storage.create_device(device_id=self.id, name="phone", member_id=self.actor.member_id,
                              role=role, token_hash=uuid.uuid4().hex, app_version="t",
                              created_at="2026-11-21T00:00:00+00:00")
        self.seq = 0

    def push_entries(self, entries, now=None):
        return self.s.push(self.id, entries, now, actor=self.actor)

    def entries(self, *records):
        out = []
        for rtype, op, data, *rid in records:
            self.seq += 1
            out.append(PushEntry(self.seq, rtype, rid[0] if rid else data["id"], op, data,
                                 "2026-11-21T19:02:11-08:00"))
        return out

    def push(self, *records):
        return self.push_entries(self.entries(*records))


def statuses(outcome):
    return [r.status for r in outcome.results]


def data(storage, rtype, rid):
    rec = get_record(storage, rtype, rid)
    return rec and rec["data"]


# ---- sequence rules ---------------------------------------------------------------------


def test_push_twice_applies_once(storage):
    dev = Dev(storage)
    entries = dev.entries(("incident", "upsert", incident()), ("check_in", "upsert", check_in()))
    first = dev.push_entries(entries)
    cursor = last_cursor(storage)
    again = dev.push_entries(entries)
    assert statuses(first) == ["applied", "applied"]
    assert statuses(again) == ["duplicate", "duplicate"]
    assert first.acked_through == again.acked_through == 2
    assert count_records(storage) == 2
    assert last_cursor(storage) == cursor  # nothing changed the second time
    assert [a.seq for a in applied_log(storage, dev.id)] == [1, 2]


def test_gap_is_refused_with_the_expected_seq_and_nothing_applies(storage):
    dev = Dev(storage)
    dev.push(("incident", "upsert", incident()))
    dev.seq = 5
    with pytest.raises(SequenceGap) as info:
        dev.push(("incident", "upsert", incident()))
    assert info.value.expected == 2 and info.value.status == 409
    assert "resend from seq 2" in str(info.value)
    assert count_records(storage) == 1
    assert storage.device_last_seq(dev.id) == 1


def test_first_push_must_start_at_seq_1(storage):
    dev = Dev(storage)
    dev.seq = 1
    with pytest.raises(SequenceGap) as info:
        dev.push(("incident", "upsert", incident()))
    assert info.value.expected == 1


def test_retry_overlapping_applied_entries_applies_only_the_new_ones(storage):
    dev = Dev(storage)
    a, b, c = incident(), incident(), incident()
    first = dev.entries(("incident", "upsert", a), ("incident", "upsert", b))
    dev.push_entries(first)
    more = dev.entries(("incident", "upsert", c))
    out = dev.push_entries(first[1:] + more)  # the device resends 2 with the new 3
    assert statuses(out) == ["duplicate", "applied"]
    assert out.acked_through == 3
    assert count_records(storage, "incident") == 3


def test_an_older_request_arriving_late_is_all_duplicate(storage):
    dev = Dev(storage)
    old = dev.entries(("incident", "upsert", incident(narrative="v1")))
    dev.push_entries(old)
    rid = old[0].id
    newer = dev.entries(("incident", "patch", {"narrative": "v2"}, rid))
    dev.push_entries(newer)
    late = dev.push_entries(old)  # the first request, delivered again after the second
    assert statuses(late) == ["duplicate"]
    assert late.acked_through == 2
    assert data(storage, "incident", rid)["narrative"] == "v2"


def test_rejected_entry_consumes_its_seq_and_the_rest_apply(storage):
    dev = Dev(storage)
    bad = incident(lat=95.0)
    out = dev.push(("incident", "upsert", incident()), ("incident", "upsert", bad),
                   ("incident", "upsert", incident()))
    assert statuses(out) == ["applied", "rejected", "applied"]
    err = out.results[1].error
    assert err.code == "invalid_record" and err.details["field"] == "lat"
    assert bad["id"] in err.message and "latitude" in err.message
    assert get_record(storage, "incident", bad["id"]) is None
    assert out.acked_through == 3
    more = dev.push(("incident", "upsert", incident()))  # the queue moved on: next is 4
    assert statuses(more) == ["applied"]


def test_duplicate_of_a_rejected_entry_carries_the_original_reason(storage):
    dev = Dev(storage)
    entries = dev.entries(("incident", "upsert", incident(harm_types=["nope"])))
    dev.push_entries(entries)
    again = dev.push_entries(entries)
    assert again.results[0].status == "duplicate"
    assert again.results[0].error.details["field"] == "harm_types"


def test_entry_whose_data_id_differs_from_its_id_is_rejected(storage):
    dev = Dev(storage)
    rec = incident()
    out = dev.push(("incident", "upsert", rec, new_id()))
    assert statuses(out) == ["rejected"]
    assert "not the entry's id" in out.results[0].error.message


def test_record_id_must_be_a_uuid(storage):
    dev = Dev(storage)
    out = dev.push(("incident", "delete", {}, "not-a-uuid"))
    assert statuses(out) == ["rejected"]
    assert "UUID" in out.results[0].error.message


def test_unknown_device_cannot_push(storage):
    with pytest.raises(DeviceNotFound):
        storage.push(str(uuid.uuid4()), [PushEntry(1, "incident", new_id(), "upsert",
                                                   incident())], actor=COORDINATOR)


def test_revoked_device_cannot_push(storage):
    dev = Dev(storage)
    assert storage.revoke_device(dev.id, "2026-11-22T00:00:00+00:00")
    with pytest.raises(DeviceNotFound):
        dev.push(("incident", "upsert", incident()))


# ---- merge rules ------------------------------------------------------------------------


def test_append_record_rewrite_is_a_duplicate_and_changes_nothing(storage):
    a, b = Dev(storage), Dev(storage)
    chunk = track_chunk(point_count=2)
    a.push(("track_chunk", "upsert", chunk))
    cursor = get_record(storage, "track_chunk", chunk["id"])["cursor"]
    out = b.push(("track_chunk", "upsert", dict(chunk, point_count=99)))
    assert statuses(out) == ["duplicate"]
    rec = get_record(storage, "track_chunk", chunk["id"])
    assert rec["data"]["point_count"] == 2 and rec["cursor"] == cursor


def test_patch_of_an_append_record_is_rejected(storage):
    dev = Dev(storage)
    ci = check_in()
    out = dev.push(("check_in", "upsert", ci), ("check_in", "patch", {"note": "x"}, ci["id"]))
    assert statuses(out) == ["applied", "rejected"]
    assert out.results[1].error.code == "append_only"
    assert data(storage, "check_in", ci["id"])["note"] == "all quiet"


def test_patches_from_two_devices_merge_field_by_field(storage):
    a, b = Dev(storage, "coordinator"), Dev(storage, "coordinator")
    inc = incident()
    fu = follow_up(inc["id"])
    a.push(("incident", "upsert", inc), ("follow_up", "upsert", fu))
    a.push(("follow_up", "patch", {"status": "contacted"}, fu["id"]))
    b.push(("follow_up", "patch", {"notes": "left a voicemail in Cantonese"}, fu["id"]))
    got = data(storage, "follow_up", fu["id"])
    assert got["status"] == "contacted"
    assert got["notes"] == "left a voicemail in Cantonese"
    assert got["incident_id"] == inc["id"]


def test_later_patch_of_the_same_field_wins_in_receive_order(storage):
    a, b = Dev(storage), Dev(storage)
    fu = follow_up(new_id())
    a.push(("follow_up", "upsert", fu))
    b.push(("follow_up", "patch", {"status": "referred"}, fu["id"]))
    a.push(("follow_up", "patch", {"status": "closed"}, fu["id"]))
    assert data(storage, "follow_up", fu["id"])["status"] == "closed"


def test_upsert_replaces_the_fields_it_gives_and_keeps_the_others(storage):
    dev = Dev(storage)
    inc = incident(cross_streets="Grant & Clay")
    dev.push(("incident", "upsert", inc))
    dev.push(("incident", "upsert", {"id": inc["id"], "occurred_at": inc["occurred_at"],
                                     "harm_types": ["shunning"]}))
    got = data(storage, "incident", inc["id"])
    assert got["harm_types"] == ["shunning"]
    assert got["cross_streets"] == "Grant & Clay"


def test_new_record_from_a_partial_upsert_gets_defaults(storage):
    dev = Dev(storage)
    rid = new_id()
    dev.push(("incident", "upsert", {"occurred_at": "2026-11-21T19:00:00-08:00",
                                     "harm_types": ["vandalism"]}, rid))
    got = data(storage, "incident", rid)
    assert got["police_involved"] == "unknown" and got["id"] == rid


def test_patch_that_would_break_the_record_is_rejected_and_changes_nothing(storage):
    dev = Dev(storage)
    inc = incident()
    dev.push(("incident", "upsert", inc))
    out = dev.push(("incident", "patch", {"lat": None, "cross_streets": "Kearny"}, inc["id"]))
    assert statuses(out) == ["rejected"]
    assert "latitude and longitude come together" in out.results[0].error.message
    got = data(storage, "incident", inc["id"])
    assert got["lat"] == inc["lat"] and got["cross_streets"] == inc["cross_streets"]


def test_patch_with_an_unknown_field_is_rejected(storage):
    dev = Dev(storage)
    inc = incident()
    out = dev.push(("incident", "upsert", inc), ("incident", "patch", {"colour": "red"},
                                                 inc["id"]))
    assert statuses(out) == ["applied", "rejected"]
    assert out.results[1].error.details["field"] == "colour"


def test_patch_of_a_record_the_server_does_not_have_is_rejected(storage):
    dev = Dev(storage)
    out = dev.push(("follow_up", "patch", {"status": "closed"}, new_id()))
    assert statuses(out) == ["rejected"]
    assert out.results[0].error.code == "not_found"


def test_delete_leaves_a_tombstone_that_pulls_as_a_delete(storage):
    dev = Dev(storage)
    inc = incident()
    dev.push(("incident", "upsert", inc))
    dev.push(("incident", "delete", None, inc["id"]))
    rec = get_record(storage, "incident", inc["id"])
    assert rec["deleted"] and rec["data"] is None  # survivor details are gone
    rows, more = storage.pull(0, 100, reader=COORDINATOR)
    assert [(r.id, r.deleted, r.data) for r in rows] == [(inc["id"], True, None)]
    out = dev.push(("incident", "patch", {"narrative": "x"}, inc["id"]))
    assert statuses(out) == ["rejected"]


def test_a_record_changed_several_times_in_one_batch_ends_merged(storage):
    dev = Dev(storage)
    inc = incident()
    out = dev.push(("incident", "upsert", inc),
                   ("incident", "patch", {"cross_streets": "A"}, inc["id"]),
                   ("incident", "patch", {"narrative": "B"}, inc["id"]))
    assert statuses(out) == ["applied"] * 3
    got = data(storage, "incident", inc["id"])
    assert (got["cross_streets"], got["narrative"]) == ("A", "B")
    assert count_records(storage) == 1


# ---- cursors and pull ------------------------------------------------------------------------


def test_live_records_are_counted_by_type_leaving_out_deleted_ones(storage):
    dev = Dev(storage)
    kept, gone = neighborhood(name="Kept"), neighborhood(name="Gone")
    dev.push(("neighborhood", "upsert", kept), ("neighborhood", "upsert", gone),
             ("shift", "upsert", shift()))
    dev.push(("neighborhood", "delete", None, gone["id"]))
    assert storage.count_records(["neighborhood", "shift", "merchant"]) == {
        "neighborhood": 1, "shift": 1, "merchant": 0}
    assert [r["name"] for r in storage.records_of_type("neighborhood")] == ["Kept"]


def test_a_server_write_of_several_entries_needs_a_seq_for_each(storage):
    """The server's own writes are numbered like a push: two entries with one seq are
    refused whole, not one written with the other's fields."""
    a, b = neighborhood(name="A"), neighborhood(name="B")
    same = [PushEntry(1, "neighborhood", r["id"], "upsert", r, T0) for r in (a, b)]
    with pytest.raises(ValueError):
        storage.write_as(SERVER, same)
    assert storage.records_of_type("neighborhood") == []
    numbered = [PushEntry(i, "neighborhood", r["id"], "upsert", r, T0)
                for i, r in enumerate((a, b), 1)]
    assert [r.status for r in storage.write_as(SERVER, numbered)] == ["applied", "applied"]
    assert {r["id"]: r["name"] for r in storage.records_of_type("neighborhood")} == {
        a["id"]: "A", b["id"]: "B"}


def test_pull_pages_in_cursor_order_without_gaps_or_repeats(storage):
    dev = Dev(storage)
    ids = []
    for _ in range(3):
        recs = [incident() for _ in range(7)]
        ids += [r["id"] for r in recs]
        dev.push(*[("incident", "upsert", r) for r in recs])
    seen, after, pages = [], 0, 0
    while True:
        rows, more = storage.pull(after, 5, reader=VOLUNTEER)
        pages += 1
        assert all(r.cursor > after for r in rows)
        seen += [r.id for r in rows]
        if rows:
            after = rows[-1].cursor
        if not more:
            break
    assert seen == ids and pages == 5
    assert storage.pull(after, 5, reader=VOLUNTEER) == ([], False)


def test_a_changed_record_moves_to_a_later_cursor(storage):
    dev = Dev(storage)
    a, b = incident(), incident()
    dev.push(("incident", "upsert", a), ("incident", "upsert", b))
    before = last_cursor(storage)
    dev.push(("incident", "patch", {"cross_streets": "Pacific"}, a["id"]))
    rows, _ = storage.pull(before, 10, reader=COORDINATOR)
    assert [r.id for r in rows] == [a["id"]]
    assert json.loads(rows[0].data)["cross_streets"] == "Pacific"
    rows, _ = storage.pull(0, 10, reader=COORDINATOR)
    assert [r.id for r in rows] == [b["id"], a["id"]]


def test_cursor_only_grows(storage):
    dev = Dev(storage)
    seen = []
    for _ in range(5):
        dev.push(("incident", "upsert", incident()))
        seen.append(last_cursor(storage))
    assert seen == sorted(set(seen))


def test_device_time_is_kept_as_data_beside_the_receive_time(storage):
    dev = Dev(storage)
    inc = incident()
    dev.push(("incident", "upsert", inc))
    rec = get_record(storage, "incident", inc["id"])
    assert rec["device_time"] == "2026-11-21T19:02:11-08:00"
    assert datetime.fromisoformat(rec["received_at"]).year >= 2026


def test_sensitive_fields_are_absent_from_the_public_version(storage):
    dev = Dev(storage)
    inc = incident()
    dev.push(("incident", "upsert", inc))
    (full,), _ = storage.pull(0, 10, reader=COORDINATOR)
    # the author's own team view (an ambassador): the incident minus survivor fields
    (public,), _ = storage.pull(0, 10, reader=Actor(dev.actor.member_id, "ambassador"))
    full, public = json.loads(full.data), json.loads(public.data)
    assert full["narrative"] == inc["narrative"] and full["contact_value"] == inc["contact_value"]
    for name in Incident.sensitive_fields():
        assert name not in public
    assert public["cross_streets"] == inc["cross_streets"]
    # fields at their default are left out (the device fills them back); survivor
    # fields always travel in the full view
    assert set(full) == {k for k, v in inc.items() if v != DEFAULTS["incident"].get(k)} \
        | set(Incident.sensitive_fields())
    assert "police_involved" not in full and inc["police_involved"] == "unknown"


def test_a_pulled_view_filled_on_the_device_is_the_record_in_that_view(storage):
    dev = Dev(storage)
    inc = incident(survivor_name="", police_involved="unknown", injuries=False)
    dev.push(("incident", "upsert", inc))
    (full,), _ = storage.pull(0, 10, reader=COORDINATOR)
    assert filled("incident", json.loads(full.data), None) == inc
    local = dict(inc, contact_value="kept on the phone")
    (public,), _ = storage.pull(0, 10, reader=Actor(dev.actor.member_id, "ambassador"))
    assert filled("incident", json.loads(public.data), local) == local


def test_two_storages_writing_at_once_never_let_a_reader_skip_a_change(backend):
    """Several server processes (here: two storages, each with its own connections)
    push concurrently while a reader pulls incrementally: the reader must see every
    record, because cursors become visible in order."""
    s1, s2 = open_storage(backend), open_storage(backend)
    try:
        devs = [Dev(s1), Dev(s2), Dev(s1), Dev(s2)]
        pushed: list[str] = []
        lock = threading.Lock()
        done = threading.Event()

        def writer(dev):
            for _ in range(15):
                recs = [check_in() for _ in range(5)]
                dev.push(*[("check_in", "upsert", r) for r in recs])
                with lock:
                    pushed.extend(r["id"] for r in recs)

        seen: list[str] = []

        def reader():
            after = 0
            while True:
                finished = done.is_set()
                rows, _ = s2.pull(after, 7, reader=COORDINATOR)
                seen.extend(r.id for r in rows)
                if rows:
                    after = rows[-1].cursor
                elif finished:
                    return

        threads = [threading.Thread(target=writer, args=(d,)) for d in devs]
        r = threading.Thread(target=reader)
        r.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        r.join(30)
        assert len(seen) == len(set(seen)) == len(pushed) == 300
        assert set(seen) == set(pushed)
    finally:
        s1.close()
        s2.close()


def test_migrating_again_is_harmless(backend):
    s = open_storage(backend)
    Dev(s).push(("incident", "upsert", incident()))
    s.migrate()
    s.close()
    s = open_storage(backend)
    assert count_records(s) == 1
    s.close()


# ---- sign-ups are commands the server decides ---------------------------------------------------


def decisions(outcome):
    return [r.decision.status if r.decision else None for r in outcome.results]


def test_signups_are_confirmed_then_waitlisted_then_refused_at_capacity(storage):
    coord, vol = Dev(storage, "coordinator"), Dev(storage)
    sh = shift(capacity=2)
    coord.push(("shift", "upsert", sh))
    ups = [signup(sh["id"]) for _ in range(5)]
    out = vol.push(*[("signup", "upsert", s) for s in ups])
    assert statuses(out) == ["applied"] * 5  # a decision is never an error
    assert decisions(out) == ["confirmed", "confirmed", "waitlisted", "waitlisted", "refused"]
    assert [data(storage, "signup", s["id"])["status"] for s in ups] == \
        ["confirmed", "confirmed", "waitlisted", "waitlisted", "refused"]
    stored = data(storage, "signup", ups[0]["id"])
    assert stored["decided_at"] and "place 1 of 2" in stored["reason"]
    assert "full" in out.results[4].decision.reason


def test_a_signup_sent_again_keeps_its_decision(storage):
    dev = Dev(storage)
    sh = shift(capacity=1)
    dev.push(("shift", "upsert", sh))
    first, second = signup(sh["id"]), signup(sh["id"])
    dev.push(("signup", "upsert", first), ("signup", "upsert", second))
    out = dev.push(("signup", "upsert", first), ("signup", "upsert", second))
    assert decisions(out) == ["confirmed", "waitlisted"]
    assert [r.status for r in signups_of(storage, sh["id"])] == ["confirmed", "waitlisted"]


def test_a_cancelled_place_goes_to_the_longest_waiting_signup(storage):
    dev = Dev(storage)
    sh = shift(capacity=2)
    dev.push(("shift", "upsert", sh))
    a, b, c, d = (signup(sh["id"]) for _ in range(4))
    dev.push(*[("signup", "upsert", x) for x in (a, b, c, d)])
    before = last_cursor(storage)
    out = dev.push(("signup", "patch", {"status": "cancelled"}, a["id"]))
    assert statuses(out) == ["applied"]
    assert data(storage, "signup", a["id"])["status"] == "cancelled"
    moved = data(storage, "signup", c["id"])
    assert moved["status"] == "confirmed" and "waitlist" in moved["reason"]
    assert data(storage, "signup", b["id"])["status"] == "confirmed"
    assert data(storage, "signup", d["id"])["status"] == "waitlisted"
    assert data(storage, "signup", d["id"])["waitlist_position"] == 1  # was 2
    assert moved["reason_code"] == "promoted" and moved["waitlist_position"] is None
    # the promoted sign-up travels, and the one whose waitlist place changed, and the
    # shift's roster and team (the id of the shift)
    rows, _ = storage.pull(before, 10, reader=COORDINATOR)
    assert {(r.type, r.id) for r in rows} == {
        ("signup", a["id"]), ("signup", c["id"]), ("signup", d["id"]),
        ("roster", sh["id"]), ("shift_team", sh["id"])}


def test_deleting_a_confirmed_signup_frees_its_place(storage):
    dev = Dev(storage)
    sh = shift(capacity=1)
    dev.push(("shift", "upsert", sh))
    a, b = signup(sh["id"]), signup(sh["id"])
    dev.push(("signup", "upsert", a))
    dev.push(("signup", "delete", None, a["id"]))
    out = dev.push(("signup", "upsert", b))
    assert decisions(out) == ["confirmed"]


def test_signup_for_an_unknown_or_ended_shift_is_refused(storage):
    dev = Dev(storage)
    old = shift(days_ahead=-10)
    dev.push(("shift", "upsert", old))
    out = dev.push(("signup", "upsert", signup(new_id())), ("signup", "upsert", signup(old["id"])))
    assert decisions(out) == ["refused", "refused"]
    assert "no shift" in out.results[0].decision.reason
    assert "ended" in out.results[1].decision.reason


def test_a_member_cannot_hold_two_places_on_one_shift(storage):
    dev = Dev(storage)
    sh = shift(capacity=5)
    member = new_id()
    dev.push(("shift", "upsert", sh))
    out = dev.push(("signup", "upsert", signup(sh["id"], member)),
                   ("signup", "upsert", signup(sh["id"], member)))
    assert decisions(out) == ["confirmed", "refused"]
    assert "already signed up" in out.results[1].decision.reason


def test_a_device_cannot_confirm_its_own_signup(storage):
    dev = Dev(storage)
    sh = shift(capacity=1)
    dev.push(("shift", "upsert", sh))
    dev.push(("signup", "upsert", signup(sh["id"])))
    out = dev.push(("signup", "upsert", signup(sh["id"], status="confirmed")))
    assert decisions(out) == ["waitlisted"]


def test_a_signup_cannot_move_to_another_shift(storage):
    dev = Dev(storage)
    s1, s2 = shift(), shift()
    su = signup(s1["id"])
    dev.push(("shift", "upsert", s1), ("shift", "upsert", s2), ("signup", "upsert", su))
    out = dev.push(("signup", "patch", {"shift_id": s2["id"]}, su["id"]))
    assert statuses(out) == ["rejected"]
    assert data(storage, "signup", su["id"])["shift_id"] == s1["id"]


def test_shift_and_signups_in_one_batch_are_decided_in_order(storage):
    dev = Dev(storage)
    sh = shift(capacity=1)
    out = dev.push(("signup", "upsert", signup(sh["id"])), ("shift", "upsert", sh),
                   ("signup", "upsert", signup(sh["id"])), ("signup", "upsert", signup(sh["id"])))
    assert decisions(out) == ["refused", None, "confirmed", "waitlisted"]


def test_concurrent_pushes_in_one_process_each_get_their_own_outcome(storage):
    """Pushes that arrive together are committed as a group; a gap or a bad entry in
    one of them changes nothing for the others."""
    devs = [Dev(storage) for _ in range(12)]
    gap_dev = devs[0]
    barrier = threading.Barrier(len(devs))
    outcomes: dict[str, object] = {}

    def run(dev):
        if dev is gap_dev:
            dev.seq = 3  # its first push starts at seq 4: a gap
        recs = [("incident", "upsert", incident()) for _ in range(4)]
        recs.append(("incident", "upsert", incident(harm_types=["bogus"])))
        entries = dev.entries(*recs)
        barrier.wait()
        try:
            outcomes[dev.id] = dev.push_entries(entries)
        except SequenceGap as e:
            outcomes[dev.id] = e

    threads = [threading.Thread(target=run, args=(d,)) for d in devs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert isinstance(outcomes[gap_dev.id], SequenceGap)
    assert outcomes[gap_dev.id].expected == 1
    for dev in devs[1:]:
        out = outcomes[dev.id]
        assert statuses(out) == ["applied"] * 4 + ["rejected"]
        assert out.acked_through == 5
        assert storage.device_last_seq(dev.id) == 5
        assert [a.seq for a in applied_log(storage, dev.id)] == [1, 2, 3, 4, 5]
    assert storage.device_last_seq(gap_dev.id) == 0
    assert count_records(storage) == 4 * (len(devs) - 1)
    rows, _ = storage.pull(0, 1000, reader=VOLUNTEER)
    assert [r.cursor for r in rows] == list(range(1, len(rows) + 1))


def test_big_and_small_pushes_arriving_together_all_get_applied(storage, monkeypatch):
    """A group transaction holds a bounded number of entries; pushes that do not fit
    are applied by the next group, never dropped."""
    from sync.server.storage import push as group_commit
    monkeypatch.setattr(group_commit, "_GROUP_ENTRIES", 6)
    devs = [Dev(storage) for _ in range(8)]
    sizes = [5, 5, 1, 5, 2, 5, 1, 3]
    barrier = threading.Barrier(len(devs))
    outcomes = {}

    def run(dev, n):
        entries = dev.entries(*[("check_in", "upsert", check_in()) for _ in range(n)])
        barrier.wait()
        outcomes[dev.id] = dev.push_entries(entries)

    threads = [threading.Thread(target=run, args=(d, n)) for d, n in zip(devs, sizes)]
    with storage._push_lock:  # let every push queue up; then any of them may lead
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(storage._queue) < len(devs) and time.monotonic() < deadline:
            time.sleep(0.01)
        storage._queue.reverse()  # the first to wake is not the queue's head
    for t in threads:
        t.join(30)
    for dev, n in zip(devs, sizes):
        assert outcomes[dev.id].acked_through == n
        assert statuses(outcomes[dev.id]) == ["applied"] * n
    assert count_records(storage) == sum(sizes)


# ---- one set of statements ---------------------------------------------------------------


@pytest.mark.postgres
def test_both_backends_answer_the_same_pull_page_bytes(tmp_path):
    """SQLite and PostgreSQL run the same statements: the same pushes pull as the same
    bytes, in every scope and page size."""
    inc = incident(narrative="Café « ok » \u2014 \"quoted\" \\ slash")
    gone, sh = incident(), shift()
    batches = [[("incident", "upsert", inc), ("check_in", "upsert", check_in()),
                ("incident", "upsert", gone), ("shift", "upsert", sh)],
               [("incident", "patch", {"cross_streets": "Grant & Pacific"}, inc["id"]),
                ("incident", "delete", None, gone["id"]),
                ("signup", "upsert", signup(sh["id"])),
                ("track_chunk", "upsert", track_chunk())]]
    now = datetime.now(timezone.utc)
    pages = []
    for kind in ("sqlite", "postgres"):
        db = _Database(kind, tmp_path)
        s = open_storage(db.url)
        try:
            dev = Dev(s)
            for batch in batches:
                dev.push_entries(dev.entries(*batch), now)
            readers = {"coordinator": COORDINATOR, "volunteer": VOLUNTEER,
                       "author": Actor(dev.actor.member_id, "ambassador")}
            pages.append({(who, limit, after): s.pull_page(after, limit, reader=reader)
                          for who, reader in readers.items()
                          for limit in (1, 3, 100) for after in range(0, 9)})
        finally:
            s.close()
            db.drop()
    assert pages[0] == pages[1]
    changes = json.loads(pages[0][("coordinator", 100, 0)])["changes"]
    assert [c["data"]["narrative"] for c in changes if c["id"] == inc["id"]] == [inc["narrative"]]


def test_a_pull_page_stops_after_the_change_that_passes_its_byte_budget(storage, monkeypatch):
    dev = Dev(storage)
    recs = [incident(narrative="x" * n) for n in (100, 3000, 100, 100, 9000, 100)]
    dev.push(*[("incident", "upsert", r) for r in recs])
    monkeypatch.setattr(storage, "max_page_bytes", 4000)
    seen, after, sizes = [], 0, []
    while True:
        held: list = []
        page = storage.pull_page(after, 100, reader=COORDINATOR, survivors=held)
        body = json.loads(page)
        # the audit names exactly the page's records that carried survivor fields
        assert [x.split(":")[2] for x in held[0].split(",")] == [c["id"] for c in body["changes"]]
        sizes.append((len(page), len(body["changes"])))
        seen += [c["id"] for c in body["changes"]]
        assert body["changes"], "a page holds at least one change"
        after = body["next_cursor"]
        assert after == body["changes"][-1]["cursor"]
        if not body["has_more"]:
            break
    assert seen == [r["id"] for r in recs]  # in order, none skipped, none twice
    # every page but one holding a single large change stays within the budget's reach
    assert all(n == 1 or size <= 4000 + 200 for size, n in sizes), sizes
    assert len(sizes) >= 3
