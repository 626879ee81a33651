"""Shift sign-ups between real devices (a Store file and the sync engine each) and a real
stroll-server process, on SQLite and PostgreSQL: the server decides in the order the
requests reach it (docs/SYNC.md, Push), and every device learns its own outcome."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from syncharness import Device

from stroll.domain import Neighborhood, Shift, Signup

SOON = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)


def iso(dt: datetime) -> str:
    return dt.isoformat()


@pytest.fixture(scope="module")
def program(server, tmp_path_factory):
    """A coordinator's device with a neighborhood; ``shift(capacity, start)`` adds a
    shift through it and returns its id."""
    tmp = tmp_path_factory.mktemp("coordinator")
    coord = Device("coordinator", tmp / "c.db", server.url, invite=server.invite)
    hood = Neighborhood(name="SF Chinatown", center_lat=37.7946, center_lon=-122.4068)
    coord.store.save(hood)

    def shift(capacity: int, start: datetime = SOON, hours: int = 2, title="Evening stroll"):
        sh = Shift(neighborhood_id=hood.id, title=title, starts_at=iso(start),
                   ends_at=iso(start + timedelta(hours=hours)), capacity=capacity)
        coord.store.save(sh)
        coord.sync_until_done()
        return sh.id
    coord.shift = shift
    yield coord
    coord.close()


def volunteers(server, tmp, n: int, prefix: str) -> list[Device]:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(
            lambda i: Device(f"{prefix}-{i}", tmp / f"{prefix}-{i}.db", server.url,
                             invite=server.invite, role="volunteer"), range(n)))


def sign_up(dev: Device, shift_id: str) -> str:
    """What the app does on "Sign up": a request in the store and its outbox."""
    member = dev.store.get_setting("sync.member_id")
    rec = Signup(shift_id=shift_id, member_id=member,
                 requested_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    dev.store.save(rec)
    return rec.id


def mine(dev: Device, signup_id: str) -> dict:
    return dev.store.get("signup", signup_id)


def test_200_devices_signing_up_at_once_for_10_places_get_10_confirmed_10_waitlisted_in_arrival_order_and_the_rest_refused(  # noqa: E501
        server, program, tmp_path):
    shift_id = program.shift(capacity=10)
    devices = volunteers(server, tmp_path, 200, "v")
    try:
        offline = devices[:100]   # signed up with no network: the requests wait in the outbox
        online = devices[100:]    # sign up the moment everyone's phone syncs
        requests = {d.name: sign_up(d, shift_id) for d in offline}
        assert all(mine(d, requests[d.name])["status"] == "requested" for d in offline)
        start = threading.Barrier(len(devices))

        def go(dev: Device) -> None:
            start.wait()
            if dev.name not in requests:
                requests[dev.name] = sign_up(dev, shift_id)
            dev.sync_until_done()
        with ThreadPoolExecutor(len(devices)) as pool:
            list(pool.map(go, devices))
        for dev in devices:  # a later round brings the waitlist places settled after them
            dev.sync_until_done()

        # the server: decided in order of arrival (the sign-up index's position)
        rows = server.storage.signups_of(shift_id)
        assert len(rows) == 200
        assert [r.status for r in rows] == ["confirmed"] * 10 + ["waitlisted"] * 10 + \
            ["refused"] * 180
        decided = {r.id: server.storage.get_record("signup", r.id)["data"] for r in rows}
        waiting = [decided[r.id] for r in rows if r.status == "waitlisted"]
        assert [s["waitlist_position"] for s in waiting] == list(range(1, 11))
        assert {decided[r.id]["reason_code"] for r in rows[20:]} == {"full"}

        # every device shows its own outcome
        for dev in devices:
            got = mine(dev, requests[dev.name])
            want = decided[requests[dev.name]]
            assert (got["status"], got["reason_code"], got["waitlist_position"]) == \
                (want["status"], want["reason_code"], want["waitlist_position"]), dev.name
            roster = dev.store.get("roster", shift_id)
            assert (roster["confirmed"], roster["waitlisted"]) == (10, 10)
            team = dev.store.get("shift_team", shift_id)
            if got["status"] == "confirmed":  # only the confirmed see who is going
                assert len(team["going"]) == 10
            else:
                assert team is None
        assert not any(d.store.outbox_entries() for d in devices)
    finally:
        for d in devices:
            d.close()


def test_cancelling_moves_the_waitlist_up_one_by_one_and_each_device_learns_its_new_place(
        server, program, tmp_path):
    shift_id = program.shift(capacity=2)  # two places, a waitlist of two
    a, b, c, d = volunteers(server, tmp_path, 4, "chain")
    try:
        ids = {}
        for dev in (a, b, c, d):
            ids[dev.name] = sign_up(dev, shift_id)
            dev.sync_until_done()

        def place(dev):
            got = mine(dev, ids[dev.name])
            return got["status"], got["reason_code"], got["waitlist_position"]
        assert [place(x)[0] for x in (a, b)] == ["confirmed", "confirmed"]
        assert place(c) == ("waitlisted", "waitlisted", 1)
        assert place(d) == ("waitlisted", "waitlisted", 2)

        a.store.update("signup", ids[a.name], status="cancelled")
        for dev in (a, c, d):
            dev.sync_until_done()
        assert place(a) == ("cancelled", "cancelled", None)
        assert place(c) == ("confirmed", "promoted", None)
        assert place(d) == ("waitlisted", "waitlisted", 1)  # moved up a place

        b.store.update("signup", ids[b.name], status="cancelled")
        b.sync_until_done()
        d.sync_until_done()
        assert place(d) == ("confirmed", "promoted", None)
        going = {m["member_id"] for m in d.store.get("shift_team", shift_id)["going"]}
        assert going == {c.store.get_setting("sync.member_id"),
                         d.store.get_setting("sync.member_id")}
    finally:
        for dev in (a, b, c, d):
            dev.close()


def test_a_shift_the_coordinator_moves_or_cancels_reaches_the_signed_up_device(
        server, program, tmp_path):
    moved, cancelled = program.shift(capacity=4), program.shift(
        capacity=4, start=SOON + timedelta(days=1))
    (dev,) = volunteers(server, tmp_path, 1, "moved")
    try:
        dev.sync_until_done()
        first, second = sign_up(dev, moved), sign_up(dev, cancelled)
        dev.sync_until_done()
        later = iso(SOON + timedelta(hours=1))
        program.store.update("shift", moved, starts_at=later,
                             ends_at=iso(SOON + timedelta(hours=3)))
        program.store.delete("shift", cancelled)
        program.sync_until_done()
        dev.sync_until_done()
        assert dev.store.get("shift", moved)["starts_at"] == later
        assert mine(dev, first)["status"] == "confirmed"
        assert dev.store.get("shift", cancelled) is None
        got = mine(dev, second)
        assert (got["status"], got["reason_code"]) == ("cancelled", "shift_cancelled")
        assert dev.store.get("roster", cancelled) is None
    finally:
        dev.close()


def test_a_shift_at_the_same_time_as_one_the_member_is_on_is_refused_naming_it(
        server, program, tmp_path):
    evening = program.shift(capacity=4, start=SOON + timedelta(days=3), title="Grant Ave")
    clash = program.shift(capacity=4, start=SOON + timedelta(days=3, hours=1),
                          title="Stockton St")
    after = program.shift(capacity=4, start=SOON + timedelta(days=3, hours=2),
                          title="Portsmouth Sq")
    (dev,) = volunteers(server, tmp_path, 1, "overlap")
    try:
        dev.sync_until_done()
        ids = [sign_up(dev, s) for s in (evening, clash, after)]
        dev.sync_until_done()
        got = [mine(dev, i) for i in ids]
        assert [g["status"] for g in got] == ["confirmed", "refused", "confirmed"]
        assert got[1]["reason_code"] == "overlap" and "Grant Ave" in got[1]["reason"]
    finally:
        dev.close()


def test_a_full_shift_says_full_before_it_says_overlap(server, program, tmp_path):
    evening = program.shift(capacity=4, start=SOON + timedelta(days=4), title="Grant Ave")
    full = program.shift(capacity=1, start=SOON + timedelta(days=4, hours=1),
                         title="Stockton St")
    devs = volunteers(server, tmp_path, 3, "full-first")
    try:
        for d in devs:
            d.sync_until_done()
        place, waiting = sign_up(devs[0], full), sign_up(devs[1], full)
        for d in devs[:2]:
            d.sync_until_done()
        assert [mine(devs[0], place)["status"], mine(devs[1], waiting)["status"]] == \
            ["confirmed", "waitlisted"]
        on_evening = sign_up(devs[2], evening)
        devs[2].sync_until_done()
        assert mine(devs[2], on_evening)["status"] == "confirmed"
        late = sign_up(devs[2], full)  # full, and at the same time as Grant Ave
        devs[2].sync_until_done()
        got = mine(devs[2], late)
        assert got["status"] == "refused" and got["reason_code"] == "full", got
    finally:
        for d in devs:
            d.close()
