"""The Shifts tab's state (``ShiftBoard``) against a real Store: the cards (places left
from the server's roster, staffing flags), the filters and the short-staffed first,
signing up ("requested" at once, in the outbox), the server's decision once a sync
pulled it, cancelling (a patch), and the changes someone else made, shown once."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from stroll.domain import taxonomy as tx
from stroll.domain.records import Neighborhood, Roster, Route, Shift, ShiftTeam
from stroll.i18n import TIER1, Translator
from stroll.state import AppState, ONLINE
from stroll.state.shifts import ShiftBoard, reason_key
from sync.engine import SyncStatus

from patrol_helpers import outbox, payload

NOW = datetime(2026, 11, 20, 16, 0).astimezone()          # a Friday afternoon
ME, OTHER = "0190a000-0000-7000-8000-00000000000a", "0190a000-0000-7000-8000-00000000000b"
SF = "0190a000-0000-7000-8000-0000000000f1"
OAK = "0190a000-0000-7000-8000-0000000000f2"
LOOP = "0190a000-0000-7000-8000-0000000000e1"
EN = Translator("en")


def shift_id(n: int) -> str:
    return f"0190a000-0000-7000-8000-{n:012d}"


def at(days: int, hour: int) -> str:
    day = NOW.date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour).astimezone().isoformat(timespec="minutes")


def make_shift(n: int, *, days: int = 1, hour: int = 10, hood: str = SF, **fields) -> Shift:
    return Shift(id=shift_id(n), neighborhood_id=hood, title=f"Shift {n}",
                 starts_at=at(days, hour), ends_at=at(days, hour + 2),
                 **{"capacity": 4, "min_group": 2, "needs_lead": False, **fields})


def roster(n: int, confirmed: int = 0, waitlisted: int = 0, leads: int = 0,
           languages=()) -> Roster:
    return Roster(id=shift_id(n), shift_id=shift_id(n), confirmed=confirmed,
                  waitlisted=waitlisted, leads=leads, languages=list(languages))


class Nudges:
    def __init__(self):
        self.count = 0

    def __call__(self):
        self.count += 1


@pytest.fixture
def places(store):
    store.save_many([
        Neighborhood(id=SF, name="SF Chinatown", center_lat=37.7946, center_lon=-122.4068),
        Neighborhood(id=OAK, name="Oakland Chinatown", center_lat=37.8, center_lon=-122.27),
        Route(id=LOOP, neighborhood_id=SF, name="Stockton loop",
              path=[[37.7976, -122.4086], [37.7932, -122.4077]]),
    ], outbox=False)
    return store


@pytest.fixture
def nudges():
    return Nudges()


@pytest.fixture
def board(places, nudges):
    return ShiftBoard(places, now=lambda: NOW, member=lambda: ME, nudge=nudges)


def put(store, *records) -> None:
    """Records as a pull brings them (no outbox entry)."""
    store.save_many(records, outbox=False)


def server_decides(store, signup_id: str, **decision) -> None:
    """A sync round: the outbox entries go out (acknowledged) and the pull brings the
    sign-up back as the server decided it."""
    store.acknowledge([e["seq"] for e in store.outbox_entries(limit=1000)])
    data = {**store.get("signup", signup_id), "decided_at": NOW.isoformat(), **decision}
    store.apply_remote([{"type": "signup", "id": signup_id, "op": "upsert", "data": data}],
                       cursor=1)


def signed_up(board, n: int) -> str:
    assert board.sign_up(shift_id(n))
    return board.card(shift_id(n)).signup["id"]


# ---- the cards ------------------------------------------------------------------------------


def test_places_left_come_from_the_servers_roster(board, places):
    put(places, make_shift(1), make_shift(2, capacity=2), roster(2, confirmed=1),
        make_shift(3, capacity=2), roster(3, confirmed=2, waitlisted=1),
        make_shift(4, capacity=2), roster(4, confirmed=2, waitlisted=2))
    board.load()
    said = {c.id: EN.t(c.places[0], **c.places[1]) for c in board.cards}
    assert said == {shift_id(1): "4 of 4 places open", shift_id(2): "1 of 2 places open",
                    shift_id(3): "Full · waitlist open", shift_id(4): "Full"}


def test_a_shift_short_of_people_a_lead_and_cantonese_is_flagged(board, places):
    put(places, make_shift(1, needs_lead=True, languages_needed=["yue"]),
        roster(1, confirmed=1, languages=["en"]),
        make_shift(2, needs_lead=True, languages_needed=["yue"]),
        roster(2, confirmed=2, leads=1, languages=["yue", "en"]))
    board.load()
    short, staffed = board.cards
    assert short.flags == [("shifts.flag.below_minimum", {}), ("shifts.flag.no_lead", {}),
                           ("shifts.flag.language_missing", {"language": "yue"})]
    assert [EN.t(k, **{**p, **({"language": EN.t(f"spoken.{p['language']}")}
                               if "language" in p else {})}) for k, p in short.flags] == \
        ["Below minimum", "No lead yet", "Needs a Cantonese speaker"]
    assert staffed.flags == [] and not staffed.staffing.short


def test_shifts_already_over_or_beyond_the_week_are_not_listed(board, places):
    put(places, make_shift(1, days=0, hour=9), make_shift(2, days=0, hour=15),
        make_shift(3, days=8))
    board.load()
    assert [c.id for c in board.cards] == [shift_id(2)]  # 15:00-17:00 still on


# ---- the filters and the order ----------------------------------------------------------------


def test_filter_by_neighborhood_and_by_day(board, places):
    put(places, make_shift(1, days=1), make_shift(2, days=1, hood=OAK), make_shift(3, days=2),
        make_shift(4, days=3, hood=OAK))
    board.load()
    assert board.neighborhood_ids() == {SF, OAK}
    assert board.days() == [NOW.date() + timedelta(days=d) for d in (1, 2, 3)]
    board.choose_neighborhood(OAK)
    assert [c.id for c in board.visible()] == [shift_id(2), shift_id(4)]
    board.choose_day(NOW.date() + timedelta(days=1))
    assert [c.id for c in board.visible()] == [shift_id(2)]
    board.choose_neighborhood(None)
    assert [c.id for c in board.visible()] == [shift_id(1), shift_id(2)]
    board.choose_day(NOW.date() + timedelta(days=5))
    assert board.visible() == [] and board.sections() == []


def test_short_staffed_first_puts_understaffed_shifts_first_each_part_in_time_order(board, places):
    put(places, make_shift(1, days=1), roster(1, confirmed=2),
        make_shift(2, days=2), roster(2, confirmed=1),
        make_shift(3, days=3), roster(3, confirmed=3),
        make_shift(4, days=4))
    board.load()
    assert [kind for kind, _day, _cards in board.sections()] == ["day"] * 4
    board.toggle_short_first()
    assert [c.id for c in board.visible()] == [shift_id(2), shift_id(4), shift_id(1), shift_id(3)]
    assert [(kind, [c.id for c in cards]) for kind, _, cards in board.sections()] == [
        ("short", [shift_id(2), shift_id(4)]), ("staffed", [shift_id(1), shift_id(3)])]
    board.toggle_short_first()
    assert [c.id for c in board.visible()] == [shift_id(n) for n in (1, 2, 3, 4)]


# ---- signing up -------------------------------------------------------------------------------


def test_a_sign_up_says_requested_at_once_and_waits_in_the_outbox(board, places, nudges):
    put(places, make_shift(1))
    board.load()
    assert board.card(shift_id(1)).can_sign_up and board.card(shift_id(1)).mine is None
    sid = signed_up(board, 1)
    card = board.card(shift_id(1))
    assert card.mine == ("shifts.status.requested", {})
    assert EN.t(*card.mine[:1]) == "Requested — waiting for the server"
    assert not card.can_sign_up and card.can_cancel
    (entry,) = outbox(places, "signup")
    sent = payload(entry)
    assert (entry["op"], sent["id"], sent["shift_id"], sent["member_id"], sent["status"]) == \
        ("upsert", sid, shift_id(1), ME, "requested")
    assert sent["requested_at"] == NOW.isoformat(timespec="seconds")
    assert nudges.count == 1
    assert not board.sign_up(shift_id(1))  # one standing request a shift
    assert len(outbox(places, "signup")) == 1


@pytest.mark.parametrize("decision, says", [
    ({"status": "confirmed", "reason_code": "place"}, "Confirmed"),
    ({"status": "waitlisted", "reason_code": "waitlisted", "waitlist_position": 2},
     "Waitlisted #2"),
    ({"status": "refused", "reason_code": "overlap"}, "Refused"),
])
def test_after_a_sync_the_card_says_the_servers_decision(board, places, decision, says):
    put(places, make_shift(1))
    board.load()
    sid = signed_up(board, 1)
    server_decides(places, sid, **decision)
    board.load()
    card = board.card(shift_id(1))
    assert EN.t(card.mine[0], **card.mine[1]) == says
    assert board.news == []  # the answer to my own request: on the card, not a banner


def test_a_refusal_gives_its_reason_and_lets_the_person_sign_up_again(board, places):
    put(places, make_shift(1))
    board.load()
    first = signed_up(board, 1)
    server_decides(places, first, status="refused", reason_code="overlap")
    board.load()
    card = board.card(shift_id(1))
    assert card.reason == "signup.reason.overlap"
    assert Translator("zh-Hant").t(card.reason) == "你在同一時間已有另一個班次。"
    assert card.can_sign_up
    again = signed_up(board, 1)
    assert again != first
    assert board.card(shift_id(1)).signup["id"] == again  # the latest one shows
    assert board.card(shift_id(1)).mine == ("shifts.status.requested", {})


@pytest.mark.parametrize("lang", TIER1)
def test_every_reason_the_server_gives_is_said_in_every_tier1_language(lang):
    tr = Translator(lang)
    for code in tx.SIGNUP_REASONS:
        assert tr.has(reason_key(code)), (lang, code)
    assert reason_key("something_new") is None


def test_nobody_signed_in_cannot_sign_up(places, nudges):
    put(places, make_shift(1))
    board = ShiftBoard(places, now=lambda: NOW, member=lambda: None, nudge=nudges)
    board.load()
    assert not board.signed_in
    assert not board.sign_up(shift_id(1))
    assert outbox(places) == [] and nudges.count == 0


def test_the_app_reads_the_signed_in_member_from_its_settings(places):
    put(places, make_shift(1))
    app = AppState(places, now=lambda: NOW)
    app.load()
    assert not app.shifts.signed_in
    places.set_setting("sync.member_id", ME)
    places.set_setting("sync.token", "a token")
    app.load()
    assert app.shifts.signed_in and app.shifts.sign_up(shift_id(1))
    assert payload(outbox(places, "signup")[0])["member_id"] == ME


# ---- cancelling ----------------------------------------------------------------------------


def test_cancel_asks_first_then_sends_a_patch_of_the_status(board, places, nudges):
    put(places, make_shift(1))
    board.load()
    sid = signed_up(board, 1)
    server_decides(places, sid, status="confirmed", reason_code="place")
    board.load()
    assert board.open(shift_id(1))
    board.ask_cancel()
    assert board.confirm_cancel
    board.keep_place()
    assert not board.confirm_cancel and outbox(places) == []
    board.ask_cancel()
    assert board.cancel()
    (entry,) = outbox(places, "signup")
    assert entry["op"] == "patch" and payload(entry) == {"status": "cancelled"}
    assert nudges.count == 2
    card = board.card(shift_id(1))
    assert card.mine == ("shifts.status.cancelled", {}) and card.can_sign_up
    server_decides(places, sid, status="cancelled", reason_code="cancelled")
    board.load()
    assert board.news == []  # I cancelled it myself


# ---- changes someone else made ------------------------------------------------------------------


def test_a_place_that_opened_up_is_shown_once_then_seen(board, places):
    put(places, make_shift(1, capacity=1))
    board.load()
    sid = signed_up(board, 1)
    server_decides(places, sid, status="waitlisted", reason_code="waitlisted",
                   waitlist_position=1)
    board.load()
    assert board.news == []
    server_decides(places, sid, status="confirmed", reason_code="promoted",
                   waitlist_position=None)
    board.load()
    (change,) = board.news
    assert (change.signup_id, change.kind, change.shift["id"]) == (sid, "promoted", shift_id(1))
    assert board.card(shift_id(1)).reason == "signup.reason.promoted"
    board.load()
    assert len(board.news) == 1  # until the person says they saw it
    board.acknowledge(sid)
    assert board.news == []
    board.load()
    assert board.news == []
    again = ShiftBoard(places, now=lambda: NOW, member=lambda: ME)  # the app restarted
    again.load()
    assert again.news == []


@pytest.mark.parametrize("code", ["by_coordinator", "cancelled_by_coordinator"])
def test_a_coordinators_change_to_my_sign_up_is_shown(board, places, code):
    put(places, make_shift(1))
    board.load()
    sid = signed_up(board, 1)
    server_decides(places, sid, status="waitlisted", reason_code="waitlisted",
                   waitlist_position=1)
    board.load()
    server_decides(places, sid, reason_code=code,
                   status="confirmed" if code == "by_coordinator" else "cancelled")
    board.load()
    assert [c.kind for c in board.news] == [code]


def test_a_shift_moved_by_a_coordinator_is_shown_with_its_old_time_once(board, places):
    put(places, make_shift(1, hour=10))
    board.load()
    sid = signed_up(board, 1)
    server_decides(places, sid, status="confirmed", reason_code="place")
    put(places, make_shift(1, hour=13))  # the coordinator moved it
    board.load()
    (change,) = board.news
    assert change.kind == "moved"
    assert (change.was_starts_at, change.starts_at) == (at(1, 10), at(1, 13))
    board.acknowledge(sid)
    board.load()
    assert board.news == []


def test_a_cancelled_shift_is_shown_with_the_time_last_seen(board, places):
    put(places, make_shift(1))
    board.load()
    sid = signed_up(board, 1)
    server_decides(places, sid, status="confirmed", reason_code="place")
    board.load()
    places.apply_remote([{"type": "shift", "id": shift_id(1), "op": "delete"}], cursor=2)
    server_decides(places, sid, status="cancelled", reason_code="shift_cancelled")
    board.load()
    assert board.cards == []
    (change,) = board.news
    assert (change.kind, change.shift, change.starts_at) == ("shift_cancelled", None, at(1, 10))
    board.acknowledge(sid)
    board.load()
    assert board.news == []


def test_a_shift_deleted_under_a_standing_sign_up_is_shown(board, places):
    put(places, make_shift(1))
    board.load()
    sid = signed_up(board, 1)
    server_decides(places, sid, status="waitlisted", reason_code="waitlisted",
                   waitlist_position=3)
    board.load()
    places.apply_remote([{"type": "shift", "id": shift_id(1), "op": "delete"}], cursor=2)
    board.load()
    assert [(c.kind, c.starts_at) for c in board.news] == [("deleted", at(1, 10))]


def test_sign_ups_first_pulled_on_this_phone_are_noted_quietly(board, places):
    """A phone just signed in pulls the member's sign-ups: an answer it never showed
    is not news; a promotion on a shift still to come is worth saying once; a shift
    cancelled and gone (nothing to date it by) is not."""
    put(places, make_shift(1), make_shift(2, days=2))
    place = {"member_id": ME, "requested_at": NOW.isoformat(), "decided_at": NOW.isoformat()}
    places.apply_remote([
        {"type": "signup", "id": shift_id(11), "op": "upsert", "data": {
            **place, "id": shift_id(11), "shift_id": shift_id(1), "status": "confirmed",
            "reason_code": "place"}},
        {"type": "signup", "id": shift_id(12), "op": "upsert", "data": {
            **place, "id": shift_id(12), "shift_id": shift_id(2), "status": "confirmed",
            "reason_code": "promoted"}},
        {"type": "signup", "id": shift_id(13), "op": "upsert", "data": {
            **place, "id": shift_id(13), "shift_id": shift_id(99), "status": "cancelled",
            "reason_code": "shift_cancelled"}},
    ], cursor=1)
    board.load()
    assert [(c.signup_id, c.kind) for c in board.news] == [(shift_id(12), "promoted")]
    assert {s["id"]: s["seen"]["status"] for s in places.signups_seen(ME)
            if s["seen"]} == {shift_id(11): "confirmed", shift_id(13): "cancelled"}


def test_changes_to_shifts_that_are_over_are_not_shown(places):
    put(places, make_shift(1, hour=10))
    clock = {"now": NOW}
    board = ShiftBoard(places, now=lambda: clock["now"], member=lambda: ME)
    board.load()
    sid = signed_up(board, 1)
    server_decides(places, sid, status="waitlisted", reason_code="waitlisted",
                   waitlist_position=1)
    board.load()
    clock["now"] = NOW + timedelta(days=2)
    server_decides(places, sid, status="confirmed", reason_code="promoted")
    board.load()
    assert board.news == []


def test_only_my_own_sign_ups_count(board, places):
    put(places, make_shift(1))
    places.apply_remote([{"type": "signup", "id": shift_id(21), "op": "upsert", "data": {
        "id": shift_id(21), "shift_id": shift_id(1), "member_id": OTHER, "status": "confirmed",
        "reason_code": "promoted", "requested_at": NOW.isoformat()}}], cursor=1)
    board.load()
    assert board.card(shift_id(1)).signup is None and board.news == []


# ---- the shift's screen ---------------------------------------------------------------------------


def test_the_shift_screen_has_the_route_and_names_only_for_the_confirmed(board, places):
    team = ShiftTeam(id=shift_id(1), shift_id=shift_id(1), going=[
        {"member_id": ME, "name": "Mei", "lead": False},
        {"member_id": OTHER, "name": "Wai", "lead": True}])
    put(places, make_shift(1, route_id=LOOP, meeting_lat=37.7976, meeting_lon=-122.4086), team)
    board.load()
    assert board.open(shift_id(1))
    assert board.detail.route["name"] == "Stockton loop"
    assert board.detail.team is None  # not confirmed: the count, not the names
    sid = signed_up(board, 1)
    server_decides(places, sid, status="confirmed", reason_code="place")
    board.load()
    assert board.detail.team == ({"member_id": OTHER, "name": "Wai", "lead": True},)
    assert board.opened().id == shift_id(1)
    board.close()
    assert board.detail is None and board.opened() is None
    assert not board.open(shift_id(42))


def test_a_tapped_card_opens_the_shift_screen_and_back_closes_it(places):
    put(places, make_shift(1))
    app = AppState(places, now=lambda: NOW)
    app.select_tab("shifts")
    app.open_shift(shift_id(1))
    assert app.screen == "shift" and app.shifts.opened().id == shift_id(1)
    app.close_screen()
    assert app.screen is None and app.shifts.detail is None


def test_the_list_is_read_again_after_a_sync_round(places):
    places.set_setting("sync.server_url", "http://127.0.0.1:9")
    put(places, make_shift(1))
    app = AppState(places, now=lambda: NOW, server_url="http://127.0.0.1:9")
    app.select_tab("shifts")
    assert len(app.shifts.cards) == 1
    put(places, make_shift(2, days=2))  # what the round pulled
    app.apply_sync_status(ONLINE, SyncStatus(state="idle"))
    assert [c.id for c in app.shifts.cards] == [shift_id(1), shift_id(2)]
