"""The dashboard's pure parts, no server: a range cut into the program's weeks, the
filters read from an address, the database's counts folded into totals, and the
geometry of the SVG charts."""
from __future__ import annotations

from datetime import date

import pytest

from sync.server.console import charts
from sync.server.console.figures import (BadFilter, figures, harm_counts, month_period,
                                         period, read_month, read_range, report_month,
                                         status_counts)

TZ = "America/Los_Angeles"


# ---- periods and filters -------------------------------------------------------------------


def test_a_period_is_cut_into_weeks_starting_on_mondays():
    p = period(date(2026, 10, 1), date(2026, 10, 18), TZ)        # a Thursday to a Sunday
    assert p.weeks == ((date(2026, 10, 1), date(2026, 10, 4)),
                       (date(2026, 10, 5), date(2026, 10, 11)),
                       (date(2026, 10, 12), date(2026, 10, 18)))
    # midnight in San Francisco (daylight time: UTC-7), the end the day after the last
    assert p.edges == ("2026-10-01T07:00:00+00:00", "2026-10-05T07:00:00+00:00",
                       "2026-10-12T07:00:00+00:00", "2026-10-19T07:00:00+00:00")


def test_a_week_that_crosses_the_change_of_clocks_starts_at_local_midnight():
    p = period(date(2026, 10, 26), date(2026, 11, 8), TZ)       # clocks go back Nov 1
    assert p.edges == ("2026-10-26T07:00:00+00:00", "2026-11-02T08:00:00+00:00",
                       "2026-11-09T08:00:00+00:00")


def test_a_period_starting_on_a_monday_has_whole_weeks_and_a_day_is_one_bucket():
    assert len(period(date(2026, 10, 5), date(2026, 10, 18), TZ).weeks) == 2
    one = period(date(2026, 10, 7), date(2026, 10, 7), TZ)
    assert one.weeks == ((date(2026, 10, 7), date(2026, 10, 7)),) and len(one.edges) == 2


def test_a_month_period_holds_the_calendar_month():
    p = month_period(date(2026, 2, 1), TZ)
    assert (p.first, p.last, len(p.weeks)) == (date(2026, 2, 1), date(2026, 2, 28), 5)


def test_the_range_left_out_is_the_last_four_weeks_to_today():
    assert read_range({}, date(2026, 11, 30)) == (date(2026, 11, 3), date(2026, 11, 30))
    assert read_range({"to": "2026-10-31"}, date(2026, 11, 30)) == (
        date(2026, 10, 4), date(2026, 10, 31))


@pytest.mark.parametrize("query, key", [
    ({"from": "2026-02-30"}, "console.dashboard.bad_date"),
    ({"to": "tomorrow"}, "console.dashboard.bad_date"),
    ({"from": "2026-10-20", "to": "2026-10-01"}, "console.dashboard.bad_order"),
    ({"from": "2025-01-01", "to": "2026-10-01"}, "console.dashboard.too_long"),
    ({"from": "9999-12-30", "to": "9999-12-31"}, "console.dashboard.bad_date")])
def test_a_range_that_cannot_be_read_says_why(query, key):
    with pytest.raises(BadFilter) as e:
        read_range(query, date(2026, 11, 30))
    assert e.value.key == key


def test_a_month_left_out_is_the_last_month_over_and_a_bad_one_is_refused():
    assert read_month(None, date(2026, 1, 15)) == date(2025, 12, 1)
    assert read_month("2026-10", date(2026, 11, 30)) == date(2026, 10, 1)
    for bad in ("2026-13", "2026/10", "10-2026", "2026-1x", "-2026-10", "9999-12", "0000-01"):
        with pytest.raises(BadFilter):
            read_month(bad, date(2026, 11, 30))


def test_a_range_links_the_report_of_the_month_holding_most_of_its_days():
    assert report_month(date(2026, 11, 5), date(2026, 12, 2)) == date(2026, 11, 1)
    assert report_month(date(2026, 10, 5), date(2026, 10, 18)) == date(2026, 10, 1)
    assert report_month(date(2026, 10, 18), date(2026, 11, 14)) == date(2026, 11, 1)  # a tie
    assert report_month(date(2026, 1, 1), date(2026, 12, 31)) == date(2026, 12, 1)


# ---- the database's counts folded -----------------------------------------------------------


def test_counts_fold_into_totals_neighborhoods_and_weeks():
    f = figures(2,
                strolls=[("a", 0, 2, 3500.0, 9000.0), ("b", 1, 1, 3000.0, 7200.0)],
                service=[("a", 0, 1, 5400.0)],
                check_ins=[("a", 0, "all_good", 2), ("a", 1, "concern", 1),
                           ("b", 1, "all_good", 1), ("b", 1, "needs_follow_up", 1)],
                incidents=[("a", 0, None, 2), ("a", 0, "verbal_harassment", 2),
                           ("a", 0, "shunning", 1), ("b", 1, None, 2),
                           ("b", 1, "physical_assault", 1), ("b", 1, "verbal_harassment", 1)],
                follow_ups=[("contacted", True, 1), ("new", False, 1), ("closed", True, 1)])
    t = f.total
    assert (t.strolls, t.metres, t.patrol_hours, t.service_hours) == (3, 6500.0, 4.5, 1.5)
    assert (t.check_ins_total, t.incidents) == (5, 4)
    assert (t.follow_ups_open, t.follow_ups_overdue, t.follow_ups_closed) == (2, 1, 1)
    assert harm_counts(t) == [("verbal_harassment", 3), ("physical_assault", 1),
                              ("shunning", 1)]           # ties in the taxonomy's order
    assert [w.incidents for w in f.by_week] == [2, 2]
    assert [w.strolls for w in f.by_week] == [2, 1]
    assert f.by_hood["b"].check_ins == {"all_good": 1, "needs_follow_up": 1}


def test_a_closed_follow_up_is_never_overdue_and_no_neighborhood_is_kept_apart():
    f = figures(1, follow_ups=[("closed", True, 3)], incidents=[(None, 0, None, 1)])
    assert f.total.follow_ups_closed == 3 and f.total.follow_ups_overdue == 0
    assert f.by_hood[None].incidents == 1


def test_every_check_in_status_is_listed_even_at_zero():
    f = figures(1, check_ins=[("a", 0, "concern", 4)])
    assert status_counts(f.total) == [("all_good", 0), ("concern", 4),
                                      ("needs_follow_up", 0)]


# ---- chart geometry ------------------------------------------------------------------------


def test_bars_are_as_long_as_their_values_and_leave_room_for_the_number():
    c = charts.bar_chart("Incidents", [("Verbal", 3, "3"), ("Shunned", 1, "1"),
                                       ("None yet", 0, "0")])
    longest = charts.WIDTH - charts.VALUE_ROOM
    assert [b.width for b in c.bars] == [longest, round(longest / 3, 1), 0.0]
    assert all(b.text_x == b.width + 6 for b in c.bars)
    ys = [b.y for b in c.bars]
    assert ys == sorted(ys) and c.height > ys[-1] + charts.BAR


def test_a_bar_with_a_tiny_value_still_shows():
    c = charts.bar_chart("x", [("big", 10000, "10,000"), ("small", 1, "1")])
    assert c.bars[1].width >= 2


def test_a_long_label_wraps_onto_two_lines_and_ends_with_an_ellipsis_past_them():
    assert charts.wrap("Discrimination on transit or rideshare", 12) == [
        "Discrimination on", "transit or rideshare"]
    three = charts.wrap("word " * 30, 12)
    assert len(three) == 2 and three[-1].endswith("…")
    assert charts.text_units(three[-1]) <= 12


def test_chinese_labels_wrap_between_characters_at_their_full_width():
    lines = charts.wrap("因工作場所而受到的歧視與不公平對待", 8)
    assert lines[0] == "因工作場所而受到" and charts.text_units(lines[0]) == 8


def test_columns_stand_on_one_baseline_and_the_tallest_reaches_the_top_room():
    c = charts.column_chart("Strolls a week", [("Oct 5", 4, "4"), ("Oct 12", 2, "2"),
                                               ("Oct 19", 0, "0")])
    assert all(round(b.y + b.height, 1) == c.baseline for b in c.bars)
    assert c.bars[0].height == 2 * c.bars[1].height and c.bars[2].height == 0
    assert [x for x, _ in c.ticks] == [b.text_x for b in c.bars]     # every label fits


def test_week_labels_thin_out_when_a_long_range_has_many_columns():
    items = [(f"Oct {i}", i, str(i)) for i in range(1, 54)]
    c = charts.column_chart("A year", items)
    assert 5 <= len(c.ticks) < 53
    gaps = [b[0] - a[0] for a, b in zip(c.ticks, c.ticks[1:])]
    assert min(gaps) >= charts.text_units("Oct 53") * charts.FONT * 0.9
    assert not any(b.shown for b in c.bars)      # 53 numbers would overlap: the table has them
    few = charts.column_chart("A month", items[:5])
    assert all(b.shown for b in few.bars)


def test_a_chart_of_nothing_draws_no_bar():
    c = charts.column_chart("Empty", [("Oct 5", 0, "0")])
    assert c.bars[0].height == 0
    assert charts.bar_chart("Empty", []).bars == ()
