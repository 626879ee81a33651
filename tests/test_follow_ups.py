"""Following up with survivors (stroll/domain/follow_ups.py): which incidents are cases,
the board's two orders and its filter, when a case is overdue, and which partner
services a case is offered first."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from stroll.domain import follow_ups as fu
from stroll.domain.ids import new_id

PACIFIC = timezone(timedelta(hours=-8))
TODAY = date(2026, 12, 2)
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=PACIFIC)


def incident(days_ago: float, consent: bool = True, **over) -> dict:
    at = (NOW - timedelta(days=days_ago)).isoformat()
    return {"id": new_id(), "occurred_at": at, "reported_at": at, "consent_contact": consent,
            "harm_types": ["verbal_harassment"], **over}


def follow(inc: dict, **over) -> dict:
    return {"id": inc["id"], "incident_id": inc["id"], "status": "new", **over}


def board_of(incidents, follow_ups=(), referrals=(), **kw) -> list[fu.Case]:
    return fu.board(fu.cases(incidents, follow_ups, referrals, today=TODAY, tz=PACIFIC), **kw)


# ---- which incidents are cases -----------------------------------------------------------


def test_an_incident_whose_survivor_agreed_to_be_contacted_is_a_case():
    agreed, silent = incident(1), incident(1, consent=False)
    assert [c.id for c in board_of([agreed, silent])] == [agreed["id"]]


def test_an_incident_a_coordinator_opened_a_follow_up_for_is_a_case_without_consent():
    silent = incident(1, consent=False)
    [case] = board_of([silent], [follow(silent, status="contacted")])
    assert case.status == "contacted"


def test_a_case_without_a_follow_up_yet_reads_as_new():
    [case] = board_of([incident(1)])
    assert case.follow_up is None and case.status == "new" and not case.overdue


def test_the_follow_up_with_the_incidents_id_wins_over_another_for_the_same_incident():
    inc = incident(1)
    other = {"id": new_id(), "incident_id": inc["id"], "status": "closed",
             "updated_at": NOW.isoformat()}
    assert fu.follow_up_of(inc["id"], [other, follow(inc, status="contacted")])["status"] \
        == "contacted"
    assert fu.follow_up_of(inc["id"], [other])["status"] == "closed"
    assert fu.follow_up_id(inc["id"]) == inc["id"]


# ---- order, filter, overdue ----------------------------------------------------------------


def test_newest_first_and_oldest_waiting_first_with_closed_cases_last():
    old, middle, new = incident(20), incident(5), incident(0.5)
    done = incident(30)
    cases = [old, middle, new, done]
    ups = [follow(done, status="closed")]
    assert [c.id for c in board_of(cases, ups, order="newest", shown="all")] == \
        [new["id"], middle["id"], old["id"], done["id"]]
    assert [c.id for c in board_of(cases, ups, order="oldest_waiting", shown="all")] == \
        [old["id"], middle["id"], new["id"], done["id"]]


def test_the_board_shows_the_open_cases_unless_asked_for_every_one():
    open_, done = incident(2), incident(3)
    ups = [follow(done, status="closed")]
    assert [c.id for c in board_of([open_, done], ups)] == [open_["id"]]
    assert [c.id for c in board_of([open_, done], ups, shown="closed")] == [done["id"]]


def test_an_overdue_case_is_marked_and_the_board_shows_the_overdue_ones_alone_when_asked():
    fresh, stale = incident(1), incident(10)
    ups = [follow(fresh, next_action_date="2026-11-30T00:00:00-08:00")]  # two days ago
    shown = board_of([fresh, stale], ups, order="oldest_waiting")
    assert [(c.id, c.overdue) for c in shown] == [(stale["id"], False), (fresh["id"], True)]
    assert [c.id for c in board_of([fresh, stale], ups, shown="overdue")] == [fresh["id"]]


def test_a_next_action_today_or_later_is_not_overdue_nor_one_on_a_closed_case():
    today = follow(incident(1), next_action_date="2026-12-02T00:00:00-08:00")
    late_closed = follow(incident(1), status="closed",
                         next_action_date="2026-11-01T00:00:00-08:00")
    late = follow(incident(1), status="unreachable",
                  next_action_date="2026-12-01T09:00:00-08:00")
    assert not fu.is_overdue(today, TODAY, PACIFIC)
    assert not fu.is_overdue(late_closed, TODAY, PACIFIC)
    assert fu.is_overdue(late, TODAY, PACIFIC)
    assert not fu.is_overdue(None, TODAY, PACIFIC)


def test_the_due_day_is_the_programs_day_whatever_zone_the_date_was_written_in():
    # 02:00 UTC on Dec 2 is still Dec 1 in California
    up = {"next_action_date": "2026-12-02T02:00:00+00:00", "status": "new"}
    assert fu.due_date(up, PACIFIC) == date(2026, 12, 1)
    assert fu.is_overdue(up, TODAY, PACIFIC)


def test_the_board_filters_by_status():
    a, b = incident(1), incident(2)
    shown = board_of([a, b], [follow(b, status="unreachable")], shown="unreachable")
    assert [c.id for c in shown] == [b["id"]]
    assert [c.id for c in board_of([a, b], shown="new")] == [a["id"], b["id"]]


def test_an_unknown_order_or_status_is_refused():
    with pytest.raises(ValueError, match="unknown order 'random'"):
        board_of([incident(1)], order="random")
    with pytest.raises(ValueError, match="unknown cases 'lost'"):
        board_of([incident(1)], shown="lost")


def test_a_case_waits_from_when_it_was_reported():
    [case] = board_of([incident(3.5)])
    assert case.waited_days(NOW) == 3
    no_time = fu.Case({"id": new_id()}, None)
    assert no_time.waited_days(NOW) is None


def test_a_referral_moves_a_case_to_referred_unless_it_is_closed():
    assert [fu.status_after_referral(s) for s in ("new", "contacted", "unreachable",
                                                   "referred", "closed")] == \
        ["referred", "referred", "referred", "referred", "closed"]


# ---- partners ------------------------------------------------------------------------------


def partner(name: str, needs=(), harms=(), languages=()) -> dict:
    return {"id": new_id(), "name": name, "referral_needs": list(needs),
            "harm_types": list(harms), "languages": list(languages)}


def test_partners_are_ranked_by_needs_then_language_then_harms():
    tenants = partner("Tenants' clinic", ["housing", "legal"], ["discrimination_housing"],
                      ["yue", "en"])
    law = partner("Law caucus", ["legal"], [], ["vi", "en"])
    healing = partner("Healing circle", ["mental_health"], ["verbal_harassment"], ["yue"])
    bakery = partner("Friendly bakery", [], [], ["yue"])         # takes nothing asked
    ranked = fu.rank_partners([law, bakery, healing, tenants],
                              needs=["legal", "housing"],
                              harm_types=["discrimination_housing", "verbal_harassment"],
                              language="yue")
    assert [m.partner["name"] for m in ranked] == \
        ["Tenants' clinic", "Law caucus", "Healing circle"]
    first = ranked[0]
    assert first.needs == ("legal", "housing") and first.harms == ("discrimination_housing",)
    assert first.language == "same"
    assert ranked[1].language == ""


def test_a_partner_speaking_the_survivors_language_goes_before_one_that_does_not():
    english = partner("A English only", ["legal"], [], ["en"])
    vietnamese = partner("B Vietnamese", ["legal"], [], ["vi"])
    ranked = fu.rank_partners([english, vietnamese], needs=["legal"], harm_types=[],
                              language="vi")
    assert [m.partner["name"] for m in ranked] == ["B Vietnamese", "A English only"]


def test_a_mandarin_speaking_partner_is_nearer_a_cantonese_speaker_than_none():
    mandarin = partner("B Mandarin", ["legal"], [], ["cmn"])
    english = partner("A English", ["legal"], [], ["en"])
    ranked = fu.rank_partners([english, mandarin], needs=["legal"], harm_types=[],
                              language="yue")
    assert [(m.partner["name"], m.language) for m in ranked] == \
        [("B Mandarin", "near"), ("A English", "")]


def test_a_need_already_served_is_not_open_unless_its_referral_failed():
    inc = incident(1, referral_needs=["legal", "housing", "interpreter"])
    sent = [{"need": "legal", "outcome": "accepted"}, {"need": "housing",
                                                       "outcome": "declined"}]
    assert fu.open_needs(inc, sent) == ["housing", "interpreter"]


def test_the_survivors_language_is_the_one_they_asked_to_be_contacted_in():
    assert fu.survivor_language({"contact_language": "vi", "affected_language": "en"}) == "vi"
    assert fu.survivor_language({"affected_language": "yue"}) == "yue"
    assert fu.survivor_language({}) is None
