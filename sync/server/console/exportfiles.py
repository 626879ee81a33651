"""The spreadsheets the console exports (``exports.py`` serves them; the map files are
``mapfiles.py``): strolls, check-ins, incidents and volunteer hours as CSV, and what
every export shares: the program's names (``Program``), the range, an incident as the
reader may see it.

Pure: records in, pieces of text out (a generator: the page streams it).

- CSV opens in a spreadsheet: UTF-8 with a byte-order mark (Excel then shows Chinese and
  Vietnamese), headers and coded values in the coordinator's language, times in the
  program's time zone, a cell a spreadsheet would run as a formula written inert.

What an incident shows is the view the reader's role reads every incident in
(``rules.view_of_all``): survivor fields only in the full view.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Iterator
from zoneinfo import ZoneInfo


from stroll.domain import volunteering as vol
from stroll.domain.disclosure import SENSITIVE, coarse_view, enforce, public_view
from stroll.i18n import Translator

from .spreadsheets import FORMULA_START

ROWS_A_PIECE = 500          # CSV rows (and GeoJSON features) a piece of the stream
BOM = "\ufeff"


# ---- what is exported ------------------------------------------------------------------


@dataclass
class Program:
    """The places and people an export names (by id), and the coordinator's words."""
    tr: Translator
    tz: ZoneInfo
    hoods: dict[str, dict] = field(default_factory=dict)
    routes: dict[str, dict] = field(default_factory=dict)
    merchants: dict[str, dict] = field(default_factory=dict)
    members: dict[str, dict] = field(default_factory=dict)

    def local(self, when: str | None) -> datetime | None:
        if not when:
            return None
        return datetime.fromisoformat(when).astimezone(self.tz)

    def place(self, table: dict[str, dict], rid: str | None) -> str:
        return self.tr.place(table.get(rid)) if rid else ""

    def words(self, prefix: str, codes: Iterable[str] | str | None) -> str:
        if codes is None or codes == "":
            return ""
        if isinstance(codes, str):
            codes = [codes]
        return "; ".join(self.tr.t(prefix + c) if self.tr.has(prefix + c) else c
                         for c in codes)

    def yes(self, value) -> str:
        return self.tr.t("console.exports.yes" if value else "console.exports.no")


def day_of(value: str | None, tz: ZoneInfo) -> date | None:
    return datetime.fromisoformat(value).astimezone(tz).date() if value else None


def in_range(value: str | None, start: date, end: date, tz: ZoneInfo) -> bool:
    d = day_of(value, tz)
    return d is not None and start <= d <= end


def incident_view(record: dict, view: str | None) -> dict | None:
    """An incident as a reader in ``view`` may export it: its position at the precision
    the record allows (snapped again), survivor fields only in the full view."""
    if view == "full":
        return enforce("incident", dict(record))
    if view == "public":
        return enforce("incident", public_view("incident", record))
    if view == "coarse":
        return coarse_view("incident", record)
    return None


# ---- CSV -------------------------------------------------------------------------------


def cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_pieces(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text (BOM first) in pieces of ``ROWS_A_PIECE`` rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write(BOM)
    writer.writerow(header)
    for i, row in enumerate(rows, start=1):
        writer.writerow([cell(v) for v in row])
        if i % ROWS_A_PIECE == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _clock(dt: datetime | None) -> str:
    return dt.strftime("%H:%M") if dt else ""


def _hours(started: str | None, ended: str | None) -> float:
    if not started or not ended:
        return 0.0
    seconds = (datetime.fromisoformat(ended) - datetime.fromisoformat(started)).total_seconds()
    return max(0.0, seconds / 3600)


STROLL_COLUMNS = ("date", "start", "end", "hours", "neighborhood", "route", "team", "lead",
                  "people", "distance_km", "check_ins", "incidents", "greetings", "escorts",
                  "cleanups", "referrals", "status", "notes", "id")


def stroll_rows(pg: Program, strolls: list[dict], check_ins: dict[str, int],
                incidents: dict[str, int]) -> Iterator[list]:
    for s in strolls:
        start, end = pg.local(s.get("started_at")), pg.local(s.get("ended_at"))
        team = s.get("team") or []
        tallies = s.get("tallies") or {}
        yield [start.date().isoformat() if start else "", _clock(start), _clock(end),
               f"{_hours(s.get('started_at'), s.get('ended_at')):.2f}",
               pg.place(pg.hoods, s.get("neighborhood_id")),
               pg.place(pg.routes, s.get("route_id")),
               "; ".join(p.get("name", "") for p in team),
               "; ".join(p.get("name", "") for p in team if p.get("lead")),
               len(team), f"{(s.get('distance_m') or 0) / 1000:.2f}",
               check_ins.get(s["id"], 0), incidents.get(s["id"], 0),
               *(tallies.get(k, 0) for k in ("greetings", "escorts", "cleanups",
                                             "referrals")),
               pg.words("console.exports.stroll_status.", s.get("status")),
               s.get("notes", ""), s["id"]]


CHECK_IN_COLUMNS = ("date", "time", "neighborhood", "merchant", "address", "status",
                    "language", "note", "stroll", "id")


def check_in_rows(pg: Program, check_ins: list[dict]) -> Iterator[list]:
    for c in check_ins:
        at = pg.local(c.get("at"))
        m = pg.merchants.get(c.get("merchant_id")) or {}
        yield [at.date().isoformat() if at else "", _clock(at),
               pg.place(pg.hoods, m.get("neighborhood_id")), pg.tr.place(m) if m else "",
               m.get("address", ""), pg.words("check_in_status.", c.get("status")),
               pg.words("spoken.", c.get("language")), c.get("note", ""),
               c.get("stroll_id") or "", c["id"]]


INCIDENT_COLUMNS = ("date", "time", "time_approximate", "neighborhood", "harm_types",
                    "harm_other", "motivations", "site_type", "cross_streets",
                    "location_precision", "lat", "lon", "reporter_role", "age_band",
                    "affected_language", "needs_interpreter", "injuries", "police",
                    "actions", "actions_note", "referral_needs", "consent_contact",
                    "share_with_partner", "stroll", "id")
# the survivor fields, in the full view only (columns after the others)
SURVIVOR_COLUMNS = ("survivor_name", "narrative", "narrative_language", "injuries_note",
                    "contact_channel", "contact_value", "contact_language",
                    "contact_safe_times")
assert set(SENSITIVE["incident"]) <= set(SURVIVOR_COLUMNS), \
    "every survivor field of an incident has its column"


def incident_columns(survivor: bool) -> tuple[str, ...]:
    return INCIDENT_COLUMNS + (SURVIVOR_COLUMNS if survivor else ())


def incident_rows(pg: Program, incidents: list[dict], survivor: bool) -> Iterator[list]:
    for i in incidents:
        at = pg.local(i.get("occurred_at"))
        row = [at.date().isoformat() if at else "", _clock(at),
               pg.yes(i.get("time_approximate")), pg.place(pg.hoods, i.get("neighborhood_id")),
               pg.words("harm_types.", i.get("harm_types")), i.get("harm_other", ""),
               pg.words("motivations.", i.get("motivations")),
               pg.words("site_types.", i.get("site_type")), i.get("cross_streets", ""),
               pg.words("precision.", i.get("location_precision")),
               i.get("lat") if i.get("lat") is not None else "",
               i.get("lon") if i.get("lon") is not None else "",
               pg.words("reporter_roles.", i.get("reporter_role")),
               pg.words("age_bands.", i.get("affected_age_band")),
               pg.words("spoken.", i.get("affected_language")),
               pg.yes(i.get("needs_interpreter")), pg.yes(i.get("injuries")),
               pg.words("police.", i.get("police_involved")),
               pg.words("actions.", i.get("actions_taken")), i.get("actions_note", ""),
               pg.words("referrals.", i.get("referral_needs")),
               pg.yes(i.get("consent_contact")), i.get("share_with_partner", ""),
               i.get("stroll_id") or "", i["id"]]
        if survivor:
            row += [i.get("survivor_name", ""), i.get("narrative", ""),
                    pg.words("spoken.", i.get("narrative_language")),
                    i.get("injuries_note", ""),
                    pg.words("contact_channels.", i.get("contact_channel")),
                    i.get("contact_value", ""), pg.words("spoken.", i.get("contact_language")),
                    i.get("contact_safe_times", "")]
        yield row


HOURS_COLUMNS = ("member", "role", "neighborhood", "shifts", "shift_hours", "waiting",
                 "strolls", "stroll_hours", "first", "last")


@dataclass
class Hours:
    """A person's service in the range: shifts served (checked in, counted as the
    phones count them: ``stroll.domain.volunteering.hours``) and strolls walked."""
    name: str
    member_id: str | None
    shifts: int = 0
    shift_hours: float = 0.0
    waiting: int = 0          # check-ins away from the meeting point not yet approved
    strolls: int = 0
    stroll_hours: float = 0.0
    first: str = ""
    last: str = ""

    def seen(self, day: str) -> None:
        self.first = min(self.first or day, day)
        self.last = max(self.last, day)


def checked_in(signups: list[dict], shifts: list[dict], start: date, end: date,
               tz: ZoneInfo, hood: str | None) -> list[tuple[dict, dict]]:
    """(sign-up, shift) of the sign-ups checked in on a day of the range, on a shift of
    the neighborhood ``hood`` (None: any)."""
    by_id = {sh["id"]: sh for sh in shifts}
    return [(su, by_id[su["shift_id"]]) for su in signups
            if su.get("checked_in_at") and su.get("shift_id") in by_id
            and (hood is None or by_id[su["shift_id"]].get("neighborhood_id") == hood)
            and in_range(su["checked_in_at"], start, end, tz)]


def volunteer_hours(pg: Program, strolls: list[dict],
                    served: list[tuple[dict, dict]]) -> list[Hours]:
    """Each person's hours: ``served`` the (sign-up, shift) pairs checked in within the
    range, ``strolls`` the strolls in it (a stroll's length counts for each of its
    team); most hours first."""
    by: dict[str, Hours] = {}

    def of(member_id: str | None, name: str) -> Hours:
        key = member_id or "name:" + name
        if key not in by:
            m = pg.members.get(member_id or "") or {}
            by[key] = Hours(m.get("name") or name, member_id)
        return by[key]

    pairs: dict[str, list[tuple[dict, dict]]] = {}
    for signup, shift in served:
        pairs.setdefault(signup.get("member_id") or "", []).append((signup, shift))
    for member_id, mine in pairs.items():
        h = of(member_id, "")
        figure = vol.hours(mine, pg.tz, datetime.now(pg.tz))
        h.shifts, h.shift_hours, h.waiting = figure.shifts, figure.total, \
            figure.waiting_approval
        for signup, _shift in mine:
            h.seen(pg.local(signup["checked_in_at"]).date().isoformat())
    for s in strolls:
        day = (pg.local(s.get("started_at")) or datetime.min).date().isoformat()
        length = _hours(s.get("started_at"), s.get("ended_at"))
        for person in s.get("team") or []:
            h = of(person.get("member_id"), person.get("name", ""))
            h.strolls += 1
            h.stroll_hours += length
            h.seen(day)
    return sorted(by.values(), key=lambda r: (-(r.shift_hours + r.stroll_hours), r.name))


def hours_rows(pg: Program, hours: list[Hours]) -> Iterator[list]:
    for h in hours:
        m = pg.members.get(h.member_id or "") or {}
        yield [h.name, pg.words("role.", m.get("role")) if m else "",
               pg.place(pg.hoods, m.get("neighborhood_id")), h.shifts,
               f"{h.shift_hours:.2f}", h.waiting, h.strolls, f"{h.stroll_hours:.2f}",
               h.first, h.last]


def header(tr: Translator, columns: Iterable[str]) -> list[str]:
    return [tr.t(f"console.exports.col.{c}") for c in columns]
