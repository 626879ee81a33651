"""The dashboard's and the monthly report's figures: pure functions, no server.

- ``period`` / ``month_period``: a range of days in the program's time zone, cut into
  weeks (Monday to Sunday; the first and last may be shorter), as the instants the
  database counts between (``Storage.dashboard_*``: one bucket a week).
- ``read_range`` / ``read_month``: the filters of a page's address, checked
  (``BadFilter`` names what is wrong, as a catalog key).
- ``figures``: the database's rows (counted by neighborhood and week) folded into the
  totals, a ``Totals`` a neighborhood and a ``Totals`` a week.

Aggregates only: the rows hold counts, never a record, so no survivor detail can reach
a page built from them; an incident is counted only with its ``include_in_aggregate``
consent (the database's condition).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from stroll.domain import taxonomy as tx

DEFAULT_DAYS = 28          # the dashboard opens on the last four weeks
LONGEST_RANGE = 366        # days a range may span (a year and a day)
CLOSED_FOLLOW_UPS = ("closed",)
YEARS = (1970, 2999)       # a date outside them is a typing slip


class BadFilter(ValueError):
    """A filter of the page's address that cannot be read: ``key`` says why (a
    catalog key), ``params`` fill it."""

    def __init__(self, key: str, **params):
        self.key, self.params = key, params
        super().__init__(key)


@dataclass(frozen=True)
class Period:
    """Days ``first`` to ``last`` (both counted) in time zone ``tz``, in ``weeks``
    ((first day, last day) each); ``edges``: the instants (ISO, UTC) the weeks start at,
    then the instant the period ends."""
    first: date
    last: date
    tz: str
    weeks: tuple[tuple[date, date], ...]
    edges: tuple[str, ...]


def _instant(d: date, zone: ZoneInfo) -> str:
    return datetime.combine(d, time(0), zone).astimezone(timezone.utc).isoformat()


def period(first: date, last: date, tz: str) -> Period:
    """The period from ``first`` to ``last`` cut into weeks starting on Mondays."""
    if last < first:
        raise ValueError(f"period ends ({last}) before it starts ({first})")
    zone = ZoneInfo(tz)
    starts = [first]
    monday = first + timedelta(days=(7 - first.weekday()) % 7 or 7)
    while monday <= last:
        starts.append(monday)
        monday += timedelta(days=7)
    weeks = tuple((s, (starts[i + 1] if i + 1 < len(starts) else last + timedelta(days=1))
                   - timedelta(days=1)) for i, s in enumerate(starts))
    edges = tuple(_instant(s, zone) for s in starts) + (
        _instant(last + timedelta(days=1), zone),)
    return Period(first, last, tz, weeks, edges)


def month_period(month: date, tz: str) -> Period:
    """The calendar month holding ``month``."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return period(first, following - timedelta(days=1), tz)


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise BadFilter("console.dashboard.bad_date", value=text) from None
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise BadFilter("console.dashboard.bad_date", value=text)
    return day


def read_range(query: Mapping[str, str], today: date) -> tuple[date, date]:
    """The days ``from`` and ``to`` of a page's address (ISO dates); either left out:
    the last ``DEFAULT_DAYS`` days to ``today``."""
    last = _day(query["to"]) if query.get("to") else today
    first = _day(query["from"]) if query.get("from") else last - timedelta(
        days=DEFAULT_DAYS - 1)
    if last < first:
        raise BadFilter("console.dashboard.bad_order")
    if (last - first).days + 1 > LONGEST_RANGE:
        raise BadFilter("console.dashboard.too_long", days=LONGEST_RANGE)
    return first, last


def read_month(text: str | None, today: date) -> date:
    """The month of ``?month=YYYY-MM`` (its first day); left out: the last month over."""
    if not text:
        return (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    parts = text.strip().split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise BadFilter("console.report.bad_month", value=text)
    try:
        month = date(int(parts[0]), int(parts[1]), 1)
    except ValueError:
        raise BadFilter("console.report.bad_month", value=text) from None
    if not YEARS[0] <= month.year <= YEARS[1]:
        raise BadFilter("console.report.bad_month", value=text)
    return month


def report_month(first: date, last: date) -> date:
    """The month whose report a range links to: the one holding most of its days (a
    tie: the later), so the last four weeks to the 2nd of a month link the month over."""
    best, most, day = first.replace(day=1), 0, first
    while day <= last:
        following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        days = (min(following - timedelta(days=1), last) - day).days + 1
        if days >= most:
            best, most = day.replace(day=1), days
        day = following
    return best


# ---- the figures ---------------------------------------------------------------------------


@dataclass
class Totals:
    """What a period (or a neighborhood's or a week's share of it) adds up to."""
    strolls: int = 0
    metres: float = 0.0
    patrol_seconds: float = 0.0
    shifts_served: int = 0           # confirmed sign-ups checked in
    service_seconds: float = 0.0
    check_ins: dict[str, int] = field(default_factory=dict)     # by status
    incidents: int = 0
    harms: dict[str, int] = field(default_factory=dict)         # by harm type
    follow_ups_open: int = 0         # follow-ups: the period's totals only
    follow_ups_overdue: int = 0      # open, and the next action's date has passed
    follow_ups_closed: int = 0

    @property
    def check_ins_total(self) -> int:
        return sum(self.check_ins.values())

    @property
    def patrol_hours(self) -> float:
        return self.patrol_seconds / 3600

    @property
    def service_hours(self) -> float:
        return self.service_seconds / 3600


@dataclass
class Figures:
    total: Totals
    by_hood: dict[str | None, Totals]     # neighborhood id (None: none known)
    by_week: list[Totals]                 # one a week of the period, in order


def figures(weeks: int, strolls: Iterable[tuple] = (), service: Iterable[tuple] = (),
            check_ins: Iterable[tuple] = (), incidents: Iterable[tuple] = (),
            follow_ups: Iterable[tuple] = ()) -> Figures:
    """Fold the rows of ``Storage.dashboard_*`` (by neighborhood and week bucket) into
    the period's totals, each neighborhood's and each of its ``weeks`` weeks'."""
    total, by_hood = Totals(), {}
    by_week = [Totals() for _ in range(weeks)]

    def each(hood: str | None, bucket: int | None):
        yield total
        yield by_hood.setdefault(hood, Totals())
        if bucket is not None and 0 <= bucket < weeks:
            yield by_week[bucket]

    for hood, bucket, n, metres, seconds in strolls:
        for t in each(hood, bucket):
            t.strolls += n
            t.metres += metres
            t.patrol_seconds += seconds
    for hood, bucket, n, seconds in service:
        for t in each(hood, bucket):
            t.shifts_served += n
            t.service_seconds += seconds
    for hood, bucket, status, n in check_ins:
        for t in each(hood, bucket):
            t.check_ins[status] = t.check_ins.get(status, 0) + n
    for hood, bucket, harm, n in incidents:
        for t in each(hood, bucket):
            if harm is None:
                t.incidents += n
            else:
                t.harms[harm] = t.harms.get(harm, 0) + n
    for status, passed, n in follow_ups:       # the period's (not by neighborhood)
        if status in CLOSED_FOLLOW_UPS:
            total.follow_ups_closed += n
        else:
            total.follow_ups_open += n
            total.follow_ups_overdue += n if passed else 0
    return Figures(total, by_hood, by_week)


def harm_counts(t: Totals) -> list[tuple[str, int]]:
    """Harm types counted, most first (ties in the taxonomy's order)."""
    order = {h: i for i, h in enumerate(tx.HARM_TYPES)}
    return sorted(((h, n) for h, n in t.harms.items() if n),
                  key=lambda hn: (-hn[1], order.get(hn[0], len(order)), hn[0]))


def status_counts(t: Totals) -> list[tuple[str, int]]:
    """Check-ins by status in the taxonomy's order, each status shown (zero too)."""
    known = [(s, t.check_ins.get(s, 0)) for s in tx.CHECK_IN_STATUS]
    return known + sorted((s, n) for s, n in t.check_ins.items()
                          if s not in tx.CHECK_IN_STATUS)


def referrals_by_partner(referrals: Iterable[dict], incidents: dict[str, dict],
                         span: Period, hood: str | None
                         ) -> list[tuple[str, int, dict[str, int]]]:
    """Referrals made in ``span`` to each partner (``(partner_id, how many, {outcome:
    how many})``, the most first): those of a counted incident (``include_in_aggregate``)
    in ``hood`` (None: anywhere); ``incidents`` by id."""
    start, stop = (datetime.fromisoformat(span.edges[0]),
                   datetime.fromisoformat(span.edges[-1]))
    out: dict[str, tuple[int, dict[str, int]]] = {}
    for r in referrals:
        try:
            when = datetime.fromisoformat(r.get("referred_at") or "")
        except ValueError:
            continue
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        incident = incidents.get(r.get("incident_id") or "")
        if not (start <= when < stop) or incident is None or \
                incident.get("include_in_aggregate") is False or \
                (hood is not None and incident.get("neighborhood_id") != hood):
            continue
        made, outcomes = out.get(r["partner_id"], (0, {}))
        outcome = r.get("outcome") or "pending"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        out[r["partner_id"]] = (made + 1, outcomes)
    return sorted(((p, n, o) for p, (n, o) in out.items()), key=lambda row: (-row[1], row[0]))
