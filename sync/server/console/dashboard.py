"""The console's dashboard (``/console/dashboard``) and monthly report
(``/console/report``): what the teams did in a range of days, for one neighborhood or
all, as charts with their numbers in a table beside each.

The database counts (``Storage.dashboard_*``: five grouped statements, by neighborhood
and week); ``figures`` folds the counts, ``charts`` lays out the bars; this module only
reads the filters, asks, and puts the words of the coordinator's language on what comes
back. Aggregates only: no record, so no survivor detail, reaches these pages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_interval, format_skeleton
from fastapi import FastAPI
from fastapi.responses import Response

from stroll.domain import taxonomy as tx
from stroll.i18n import Translator

from ..storage import Storage
from . import charts
from .figures import (BadFilter, Figures, Period, Totals, figures, harm_counts, month_period,
                      period, read_month, read_range, referrals_by_partner, report_month,
                      status_counts)
from .web import Console, Ctx, Refused, _add

P = "console.dashboard."


@dataclass
class Section:
    """One part of a page: its charts and the table of their numbers."""
    id: str
    title: str
    charts: list[charts.Chart]
    head: list[str]
    rows: list[list[tuple[str, bool]]]       # cells: (text, is a number)
    note: str = ""
    foot: list[tuple[str, bool]] = field(default_factory=list)  # the totals row


def install_dashboard(app: FastAPI, console: Console, store: Storage) -> None:
    def hoods() -> dict[str, dict]:
        return {h["id"]: h for h in console.records("neighborhood")}

    def chosen_hood(ctx: Ctx, known: dict[str, dict]) -> str | None:
        hood = ctx.request.query_params.get("neighborhood") or None
        if hood is not None and hood not in known:
            raise Refused(400, P + "no_neighborhood")
        return hood

    def today() -> date:
        return datetime.now(ZoneInfo(console.tz)).date()

    def count(span: Period, hood: str | None) -> Figures:
        now = datetime.now(timezone.utc).isoformat()
        edges = list(span.edges)
        return figures(len(span.weeks), store.dashboard_strolls(edges, now, hood),
                       store.dashboard_service(edges, now, hood),
                       store.dashboard_check_ins(edges, now, hood),
                       store.dashboard_incidents(edges, now, hood),
                       store.dashboard_follow_ups(edges, now, hood))

    def referrals(span: Period, hood: str | None) -> list[tuple[str, int, dict[str, int]]]:
        """Referrals by partner (few a month: read as records, counted in Python)."""
        made = store.records_on_days("referral", "referred_at",
                                     span.first - timedelta(days=1),
                                     span.last + timedelta(days=1))
        cases = {}
        for incident_id in {r.get("incident_id") for r in made}:
            record = store.live_record("incident", incident_id) if incident_id else None
            if record is not None:
                cases[incident_id] = record
        return referrals_by_partner(made, cases, span, hood)

    def partner_names(tr: Translator) -> dict[str, str]:
        return {p["id"]: tr.place(p) for p in console.records("partner")}

    def dashboard_page(ctx: Ctx) -> Response:
        known = hoods()
        try:
            first, last = read_range(ctx.request.query_params, today())
        except BadFilter as e:
            raise Refused(400, e.key, **e.params) from None
        hood = chosen_hood(ctx, known)
        span = period(first, last, console.tz)
        numbers = count(span, hood)
        tr = ctx.tr
        return console.render(
            ctx, "dashboard.html", first=first.isoformat(), last=last.isoformat(),
            hood=hood, hood_choices=_hood_choices(tr, known),
            range_label=_range(tr, first, last),
            tiles=_tiles(tr, numbers.total),
            sections=_sections(tr, span, numbers, known) + [
                _by_partner(tr, referrals(span, hood), partner_names(tr))],
            report_month=report_month(first, last).strftime("%Y-%m"))

    def report_page(ctx: Ctx) -> Response:
        known = hoods()
        try:
            month = read_month(ctx.request.query_params.get("month"), today())
        except BadFilter as e:
            raise Refused(400, e.key, **e.params) from None
        hood = chosen_hood(ctx, known)
        span = month_period(month, console.tz)
        numbers = count(span, hood)
        tr = ctx.tr
        month_name = format_skeleton("yMMMM", month, locale=tr.locale)
        return console.render(
            ctx, "report.html", month=f"{month.year:04d}-{month.month:02d}",
            month_name=month_name, hood=hood, hood_choices=_hood_choices(tr, known),
            scope=tr.t("console.report.scope_one", name=tr.place(known[hood])) if hood
            else tr.t("console.report.scope_all"),
            range_label=_range(tr, span.first, span.last),
            sentences=_sentences(tr, numbers.total), tiles=_tiles(tr, numbers.total),
            sections=_sections(tr, span, numbers, known) + [
                _by_partner(tr, referrals(span, hood), partner_names(tr))],
            prepared=tr.t("console.report.prepared", date=tr.day(today())),
            dashboard_link=f"/console/dashboard?from={span.first}&to={span.last}" +
            (f"&neighborhood={hood}" if hood else ""))

    _add(app, "/console/dashboard", "GET", console.page(dashboard_page))
    _add(app, "/console/report", "GET", console.page(report_page))


# ---- words on the numbers ---------------------------------------------------------------------


def _hood_choices(tr: Translator, known: dict[str, dict]) -> list[tuple[str, str]]:
    return sorted(((i, tr.place(h)) for i, h in known.items()), key=lambda c: c[1])


def _hood_name(tr: Translator, known: dict[str, dict], hood: str | None) -> str:
    return tr.place(known[hood]) if hood in known else tr.t(P + "unplaced")


def _range(tr: Translator, first: date, last: date) -> str:
    """From when to when, with the year ("Nov 5, 2026 to Dec 2, 2026")."""
    return tr.t(P + "range", first=format_skeleton("yMMMEd", first, locale=tr.locale),
                last=format_skeleton("yMMMEd", last, locale=tr.locale))


def _n(tr: Translator, value: float) -> str:
    return tr.number(value, 0)


def _tiles(tr: Translator, t: Totals) -> list[tuple[str, str, str]]:
    """The headline figures: (id, what, how many)."""
    return [("strolls", tr.t(P + "strolls"), _n(tr, t.strolls)),
            ("distance", tr.t(P + "distance"), tr.km(t.metres)),
            ("patrol-hours", tr.t(P + "patrol_hours"), tr.hours(t.patrol_hours)),
            ("volunteer-hours", tr.t(P + "volunteer_hours"), tr.hours(t.service_hours)),
            ("check-ins", tr.t(P + "check_ins"), _n(tr, t.check_ins_total)),
            ("incidents", tr.t(P + "incidents"), _n(tr, t.incidents))]


def _week_label(tr: Translator, first: date, last: date) -> str:
    if first == last:
        return format_skeleton("MMMd", first, locale=tr.locale)
    return format_interval(first, last, "MMMd", locale=tr.locale)


def _sections(tr: Translator, span: Period, f: Figures,
              known: dict[str, dict]) -> list[Section]:
    t = tr.t
    out = []
    # week by week: four small trends and the table of every figure
    weeks = [(_week_label(tr, a, b), w) for (a, b), w in zip(span.weeks, f.by_week)]
    ticks = [(format_skeleton("MMMd", a, locale=tr.locale), w)
             for (a, _b), w in zip(span.weeks, f.by_week)]
    trend = [
        charts.column_chart(t(P + "trend.strolls"),
                            [(lab, w.strolls, _n(tr, w.strolls)) for lab, w in ticks]),
        charts.column_chart(t(P + "trend.volunteer_hours"),
                            [(lab, w.service_hours, tr.number(w.service_hours, 1))
                             for lab, w in ticks]),
        charts.column_chart(t(P + "trend.check_ins"),
                            [(lab, w.check_ins_total, _n(tr, w.check_ins_total))
                             for lab, w in ticks]),
        charts.column_chart(t(P + "trend.incidents"),
                            [(lab, w.incidents, _n(tr, w.incidents)) for lab, w in ticks])]
    out.append(Section("by-week", t(P + "by_week"), trend, [t(P + "week")] + _columns(tr),
                       [[(label, False)] + _figures_row(tr, w) for label, w in weeks],
                       foot=[(t(P + "total"), False)] + _figures_row(tr, f.total)))
    # incidents by harm type
    harms = harm_counts(f.total)
    out.append(Section(
        "by-harm", t(P + "by_harm"),
        [charts.bar_chart(t(P + "by_harm"), [(t(f"harm_types.{h}"), n, _n(tr, n))
                                             for h, n in harms])] if harms else [],
        [t(P + "harm_type"), t(P + "incidents")],
        [[(t(f"harm_types.{h}"), False), (_n(tr, n), True)] for h, n in harms],
        note=t(P + "by_harm_note")))
    # by neighborhood: the incidents' chart, every figure in the table
    places = sorted(f.by_hood.items(), key=lambda kv: (kv[0] is None,
                                                       _hood_name(tr, known, kv[0])))
    incident_bars = [(_hood_name(tr, known, h), w.incidents, _n(tr, w.incidents))
                     for h, w in sorted(places, key=lambda kv: -kv[1].incidents)
                     if w.incidents]
    out.append(Section(
        "by-neighborhood", t(P + "by_neighborhood"),
        [charts.bar_chart(t(P + "incidents_by_neighborhood"), incident_bars)]
        if incident_bars else [],
        [t(P + "neighborhood")] + _columns(tr),
        [[(_hood_name(tr, known, h), False)] + _figures_row(tr, w) for h, w in places],
        foot=[(t(P + "total"), False)] + _figures_row(tr, f.total) if places else []))
    # merchant check-ins by status
    statuses = status_counts(f.total)
    status_words = [(tr.t(f"check_in_status.{s}") if tr.has(f"check_in_status.{s}")
                     else s, n) for s, n in statuses]
    out.append(Section(
        "check-ins", t(P + "check_ins_by_status"),
        [charts.bar_chart(t(P + "check_ins_by_status"),
                          [(word, n, _n(tr, n)) for word, n in status_words])]
        if f.total.check_ins_total else [],
        [t(P + "status"), t(P + "check_ins")],
        [[(word, False), (_n(tr, n), True)] for word, n in status_words],
        foot=[(t(P + "total"), False), (_n(tr, f.total.check_ins_total), True)]))
    # follow-ups
    tot = f.total
    follow = [(t(P + "follow_ups.open"), tot.follow_ups_open),
              (t(P + "follow_ups.overdue"), tot.follow_ups_overdue),
              (t(P + "follow_ups.closed"), tot.follow_ups_closed)]
    any_follow = tot.follow_ups_open or tot.follow_ups_closed
    out.append(Section(
        "follow-ups", t(P + "follow_ups"),
        [charts.bar_chart(t(P + "follow_ups"), [(w, n, _n(tr, n)) for w, n in follow],
                          tones={1: "alert"})] if any_follow else [],
        [t(P + "status"), t(P + "count")],
        [[(w, False), (_n(tr, n), True)] for w, n in follow],
        note=t(P + "follow_ups_note")))
    return out


def _by_partner(tr: Translator, rows: list[tuple[str, int, dict[str, int]]],
                names: dict[str, str]) -> Section:
    """Referrals to partner services: how many each, and what came of them."""
    t = tr.t
    outcomes = tx.REFERRAL_OUTCOMES
    return Section(
        "by-partner", t(P + "by_partner"),
        [charts.bar_chart(t(P + "by_partner"), [(names.get(pid, "?"), n, _n(tr, n))
                                                for pid, n, _o in rows])] if rows else [],
        [t(P + "partner"), t(P + "referrals")] + [t(f"referral_outcome.{o}")
                                                  for o in outcomes],
        [[(names.get(pid, "?"), False), (_n(tr, n), True)] +
         [(_n(tr, got.get(o, 0)), True) for o in outcomes] for pid, n, got in rows],
        foot=[(t(P + "total"), False), (_n(tr, sum(n for _p, n, _o in rows)), True)] +
        [(_n(tr, sum(got.get(o, 0) for _p, _n2, got in rows)), True) for o in outcomes]
        if rows else [])


def _columns(tr: Translator) -> list[str]:
    return [tr.t(P + k) for k in ("strolls", "distance", "patrol_hours", "volunteer_hours",
                                  "check_ins", "incidents")]


def _figures_row(tr: Translator, w: Totals) -> list[tuple[str, bool]]:
    return [(_n(tr, w.strolls), True), (tr.km(w.metres), True),
            (tr.hours(w.patrol_hours), True), (tr.hours(w.service_hours), True),
            (_n(tr, w.check_ins_total), True), (_n(tr, w.incidents), True)]


def _sentences(tr: Translator, t: Totals) -> list[str]:
    """The month in a few sentences (the report's first section)."""
    r = "console.report."
    out = [tr.t(r + "strolls", count=t.strolls, distance=tr.km(t.metres),
                hours=tr.hours(t.patrol_hours)),
           tr.t(r + "service", count=t.shifts_served, hours=tr.hours(t.service_hours)),
           tr.t(r + "check_ins", count=t.check_ins_total)]
    out.append(tr.t(r + "incidents", count=t.incidents))
    harms = harm_counts(t)
    if harms:
        out.append(tr.t(r + "top_harm", harm=tr.t(f"harm_types.{harms[0][0]}"),
                        number=harms[0][1]))
    out.append(tr.t(r + "follow_ups", open=t.follow_ups_open,
                    overdue=t.follow_ups_overdue, closed=t.follow_ups_closed))
    return out


__all__ = ["install_dashboard", "Section"]
