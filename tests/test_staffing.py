"""A shift's staffing, the one rule the phones and the console share: too few people,
no trained lead, a needed language nobody speaks."""
from stroll.domain.staffing import (BELOW_MINIMUM, LANGUAGE_MISSING, NO_LEAD, staffing)

SHIFT = {"capacity": 4, "min_group": 2, "needs_lead": True, "languages_needed": ["yue"]}
LEAD_YUE = {"name": "Mei", "trained_lead": True, "languages": ["yue", "en"]}
VI = {"name": "Tuan", "trained_lead": False, "languages": ["vi"]}


def test_a_full_crew_with_a_lead_and_the_language_is_staffed():
    state = staffing(SHIFT, [LEAD_YUE, VI])
    assert state.flags == () and not state.short and state.places_left == 2


def test_one_person_alone_is_below_the_minimum_group():
    assert staffing(SHIFT, [LEAD_YUE]).flags == (BELOW_MINIMUM,)


def test_no_trained_lead_is_flagged_only_when_the_shift_needs_one():
    assert staffing(SHIFT, [VI, dict(VI, languages=["yue"])]).flags == (NO_LEAD,)
    assert staffing({**SHIFT, "needs_lead": False},
                    [VI, dict(VI, languages=["yue"])]).flags == ()


def test_a_needed_language_nobody_speaks_is_named():
    state = staffing({**SHIFT, "languages_needed": ["yue", "vi", "cmn"]}, [LEAD_YUE, VI])
    assert state.flags == (LANGUAGE_MISSING,) and state.missing_languages == ("cmn",)


def test_an_empty_shift_has_every_flag_in_order():
    assert staffing(SHIFT, []).flags == (BELOW_MINIMUM, NO_LEAD, LANGUAGE_MISSING)


def test_a_shift_from_before_minimum_groups_reads_as_two_and_one_place_is_never_enough():
    old = {"capacity": 4, "needs_lead": False}                   # no min_group stored
    assert staffing(old, [VI]).flags == (BELOW_MINIMUM,)
    # one place: its one volunteer would walk alone (the buddy rule)
    assert staffing({"capacity": 1, "needs_lead": False}, [VI]).flags == (BELOW_MINIMUM,)
    assert staffing(old, [VI, VI, VI, VI]).full


def test_nobody_walks_alone_whatever_the_smallest_group_says():
    one = {"id": "m1", "trained_lead": True, "languages": ["yue"]}
    for shift in ({"capacity": 4, "min_group": 1, "needs_lead": True},
                  {"capacity": 1, "min_group": 1, "needs_lead": True}):
        state = staffing(shift, [one])
        assert state.flags == ("below_minimum",) and state.min_group == 2, shift
    assert staffing({"capacity": 4, "min_group": 1}, [one, {"id": "m2"}]).flags == ()
