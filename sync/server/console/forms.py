"""The console's forms: which fields each program record's form shows, and a posted
form read back into the record's fields, every problem named by field as a catalog key
(the page says it in the coordinator's language beside the field).

No I/O: a form in, ``(fields, problems)`` out. What passes here is checked once more by
the record's own rules (``stroll.domain``) and written through the server's rules.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from stroll.domain import taxonomy as tx
from stroll.domain.place_names import NAME_LANGUAGES, NAME_MAX

TEXT_MAX = 200
NOTE_MAX = 2000
PATH_POINTS_MAX = 5000
WEEKS_MAX = 52


@dataclass(frozen=True)
class Field:
    """One input of a form: ``name`` is the record's field (or a form-only input);
    ``kind`` says how it is shown and read."""
    name: str
    kind: str = "text"   # text, note, names, neighborhood, route, languages, bool, count,
    #                      coordinate, bbox, path, role, date, clock, weeks
    required: bool = False
    low: float | None = None
    high: float | None = None

    @property
    def label(self) -> str:
        return f"console.field.{self.name}"


FORMS: dict[str, tuple[Field, ...]] = {
    "neighborhood": (
        Field("name", required=True), Field("names", "names"), Field("city"),
        Field("bbox", "bbox", required=True)),
    "route": (
        Field("name", required=True), Field("names", "names"),
        Field("neighborhood_id", "neighborhood", required=True),
        Field("description", "note"), Field("path", "path", required=True)),
    "merchant": (
        Field("name", required=True), Field("names", "names"),
        Field("neighborhood_id", "neighborhood", required=True), Field("address"),
        Field("lat", "coordinate", required=True, low=-90, high=90),
        Field("lon", "coordinate", required=True, low=-180, high=180),
        Field("languages", "languages"), Field("contact_name"), Field("notes", "note")),
    "member": (
        Field("name", required=True), Field("role", "role", required=True),
        Field("neighborhood_id", "neighborhood"), Field("languages", "languages"),
        Field("trained_lead", "bool")),
    "partner": (
        Field("name", required=True), Field("names", "names"), Field("services", "note"),
        Field("languages", "languages"), Field("phone"), Field("email"), Field("website"),
        Field("address"), Field("referral_needs", "referral_needs"),
        Field("harm_types", "harm_types"), Field("notes", "note")),
    "shift": (
        Field("title", required=True), Field("names", "names"),
        Field("neighborhood_id", "neighborhood", required=True),
        Field("route_id", "route"), Field("day", "date", required=True),
        Field("start", "clock", required=True), Field("end", "clock", required=True),
        Field("capacity", "count", required=True, low=1, high=200),
        Field("min_group", "count", low=1, high=200),
        Field("needs_lead", "bool"), Field("languages_needed", "languages"),
        Field("meeting_point"),
        Field("meeting_lat", "coordinate", low=-90, high=90),
        Field("meeting_lon", "coordinate", low=-180, high=180),
        Field("weeks", "weeks", low=1, high=WEEKS_MAX)),
}


# the kinds of field that are a list of codes ticked in boxes, and their codes
CHOICES = {"languages": tx.SPOKEN_LANGUAGES, "referral_needs": tx.REFERRAL_NEEDS,
           "harm_types": tx.HARM_TYPES}


class Problems(dict):
    """field -> (catalog key, parameters) of what is wrong with it."""

    def add(self, field: str, key: str, **params: Any) -> None:
        self.setdefault(field, (key, params))


def _one(form: Mapping, name: str) -> str:
    value = form.get(name)
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return value.strip() if isinstance(value, str) else ""


def _many(form: Mapping, name: str) -> list[str]:
    # a posted form (starlette's FormData) gives one value by get(): every box ticked
    value = form.getlist(name) if hasattr(form, "getlist") else form.get(name)
    if value is None:
        return []
    values = value if isinstance(value, (list, tuple)) else [value]
    return [v for v in values if isinstance(v, str) and v]


def _number(text: str, field: Field, problems: Problems) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        problems.add(field.name, "console.error.not_number", value=text[:40])
        return None
    if not math.isfinite(value) or (field.low is not None and value < field.low) or \
            (field.high is not None and value > field.high):
        problems.add(field.name, "console.error.out_of_range", low=_g(field.low),
                     high=_g(field.high))
        return None
    return value


def _g(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


def read_form(rtype: str, form: Mapping, *, neighborhoods: set[str], routes: set[str],
              upload: bytes | None = None, tz: str = "America/Los_Angeles",
              ) -> tuple[dict, Problems]:
    """The record fields of a posted ``form`` for ``rtype`` (a shift: its first
    occurrence's fields plus ``weeks``), and the problems found. ``upload``: the bytes
    of a route's GPX or GeoJSON file."""
    out: dict[str, Any] = {}
    problems = Problems()
    for f in FORMS[rtype]:
        text = _one(form, f.name)
        if f.kind in ("text", "note"):
            limit = NOTE_MAX if f.kind == "note" else TEXT_MAX
            if len(text) > limit:
                problems.add(f.name, "console.error.too_long", max=limit)
            elif f.required and not text:
                problems.add(f.name, "console.error.required")
            else:
                out[f.name] = text
        elif f.kind == "names":
            names = {}
            for lang in NAME_LANGUAGES:
                value = _one(form, f"names.{lang}")
                if len(value) > NAME_MAX:
                    problems.add(f"names.{lang}", "console.error.too_long", max=NAME_MAX)
                elif value:
                    names[lang] = value
            out["names"] = names
        elif f.kind in ("neighborhood", "route"):
            known = neighborhoods if f.kind == "neighborhood" else routes
            if not text:
                if f.required:
                    problems.add(f.name, "console.error.required")
                else:
                    out[f.name] = None
            elif text not in known:
                problems.add(f.name, "console.error.unknown_choice")
            else:
                out[f.name] = text
        elif f.kind in CHOICES:
            chosen = _many(form, f.name)
            bad = [c for c in chosen if c not in CHOICES[f.kind]]
            if bad:
                problems.add(f.name, "console.error.unknown_choice")
            else:
                out[f.name] = list(dict.fromkeys(chosen))
        elif f.kind == "role":
            if text not in tx.MEMBER_ROLES:
                problems.add(f.name, "console.error.unknown_choice")
            else:
                out[f.name] = text
        elif f.kind == "bool":
            out[f.name] = text in ("on", "true", "1", "yes")
        elif f.kind in ("coordinate", "count", "weeks"):
            if not text:
                if f.required:
                    problems.add(f.name, "console.error.required")
                elif f.kind == "weeks":
                    out[f.name] = 1
                elif f.kind == "coordinate":
                    out[f.name] = None  # (an optional point cleared)
                continue
            value = _number(text, f, problems)
            if value is not None:
                if f.kind in ("count", "weeks"):
                    if value != int(value):
                        problems.add(f.name, "console.error.whole_number")
                        continue
                    value = int(value)
                out[f.name] = value
        elif f.kind == "bbox":
            _read_bbox(form, f, out, problems)
        elif f.kind == "path":
            _read_path(form, upload, f, out, problems)
        elif f.kind == "date":
            try:
                out[f.name] = date.fromisoformat(text)
            except ValueError:
                problems.add(f.name, "console.error.required" if not text
                             else "console.error.not_date")
        elif f.kind == "clock":
            try:
                out[f.name] = time.fromisoformat(text)
            except ValueError:
                problems.add(f.name, "console.error.required" if not text
                             else "console.error.not_time")
    if rtype == "shift":
        _shift_times(out, problems, tz)
        if (out.get("meeting_lat") is None) != (out.get("meeting_lon") is None) and \
                "meeting_lat" not in problems and "meeting_lon" not in problems:
            problems.add("meeting_lat", "console.error.meeting_point_half")
        if out.get("min_group", 0) > out.get("capacity", 10 ** 6):
            problems.add("min_group", "console.error.min_group_over_capacity")
    return out, problems


_BBOX = ("south", "west", "north", "east")


def _read_bbox(form, f: Field, out: dict, problems: Problems) -> None:
    values = {}
    for side in _BBOX:
        text = _one(form, f"bbox.{side}")
        sub = Field(f"bbox.{side}", "coordinate",
                    low=-90 if side in ("south", "north") else -180,
                    high=90 if side in ("south", "north") else 180)
        if not text:
            problems.add(sub.name, "console.error.required")
            continue
        value = _number(text, sub, problems)
        if value is not None:
            values[side] = value
    if len(values) < 4:
        return
    if values["south"] >= values["north"] or values["west"] >= values["east"]:
        problems.add("bbox.south", "console.error.bbox_order")
        return
    out["bbox"] = [[values["south"], values["west"]], [values["north"], values["east"]]]
    out["center_lat"] = round((values["south"] + values["north"]) / 2, 6)
    out["center_lon"] = round((values["west"] + values["east"]) / 2, 6)


def _read_path(form, upload: bytes | None, f: Field, out: dict, problems: Problems) -> None:
    typed = _one(form, "path_text")
    if upload:
        try:
            path = path_from_file(upload)
        except PathProblem as e:
            problems.add(f.name, e.key)
            return
    elif typed:
        try:
            path = path_from_text(typed)
        except PathProblem as e:
            problems.add(f.name, e.key, line=e.line)
            return
    else:
        if f.required and not _one(form, "keep_path"):
            problems.add(f.name, "console.error.path_missing")
        return
    if len(path) < 2:
        problems.add(f.name, "console.error.path_short")
    elif len(path) > PATH_POINTS_MAX:
        problems.add(f.name, "console.error.path_long", max=PATH_POINTS_MAX)
    else:
        out["path"] = path


class PathProblem(ValueError):
    def __init__(self, key: str, line: int = 0):
        self.key, self.line = key, line
        super().__init__(key)


def _point(lat: Any, lon: Any) -> list[float]:
    lat, lon = float(lat), float(lon)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not (
            math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError("out of range")
    return [round(lat, 6), round(lon, 6)]


def path_from_text(text: str) -> list[list[float]]:
    """``lat, lon`` a line (blank lines skipped); PathProblem naming the first bad line."""
    path = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p for p in line.replace(";", ",").replace("\t", ",").split(",") if p.strip()]
        try:
            if len(parts) != 2:
                raise ValueError
            path.append(_point(parts[0], parts[1]))
        except ValueError:
            raise PathProblem("console.error.path_line", n) from None
    return path


def path_from_file(data: bytes) -> list[list[float]]:
    """A route's points from a GPX file (its first track or route) or GeoJSON (the
    first LineString); PathProblem when it is neither or has none."""
    text = data.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith("<"):
        import gpxpy
        try:
            gpx = gpxpy.parse(text)
        except Exception:  # noqa: BLE001 - gpxpy raises several kinds for a bad file
            raise PathProblem("console.error.path_file") from None
        points = [pt for trk in gpx.tracks for seg in trk.segments for pt in seg.points] \
            or [pt for rte in gpx.routes for pt in rte.points]
        try:
            return [_point(pt.latitude, pt.longitude) for pt in points]
        except (TypeError, ValueError):
            raise PathProblem("console.error.path_file") from None
    try:
        doc = json.loads(text)
    except ValueError:
        raise PathProblem("console.error.path_file") from None
    line = _first_line(doc)
    if line is None:
        raise PathProblem("console.error.path_file")
    try:  # GeoJSON is [lon, lat]
        return [_point(c[1], c[0]) for c in line]
    except (TypeError, ValueError, IndexError):
        raise PathProblem("console.error.path_file") from None


def _first_line(doc: Any) -> list | None:
    if not isinstance(doc, dict):
        return None
    kind = doc.get("type")
    if kind == "LineString":
        return doc.get("coordinates")
    if kind == "MultiLineString":
        lines = doc.get("coordinates") or []
        return lines[0] if lines else None
    if kind == "Feature":
        return _first_line(doc.get("geometry"))
    if kind == "FeatureCollection":
        for feature in doc.get("features") or []:
            line = _first_line(feature)
            if line:
                return line
    return None


def _shift_times(out: dict, problems: Problems, tz: str) -> None:
    day, start, end = out.pop("day", None), out.pop("start", None), out.pop("end", None)
    if day is None or start is None or end is None:
        return
    zone = ZoneInfo(tz)
    starts = datetime.combine(day, start, zone)
    ends = datetime.combine(day, end, zone)
    if ends <= starts:
        problems.add("end", "console.error.end_before_start")
        return
    out["starts_at"] = starts.isoformat(timespec="minutes")
    out["ends_at"] = ends.isoformat(timespec="minutes")


def weekly(first_start: str, first_end: str, weeks: int, tz: str) -> list[tuple[str, str]]:
    """The start and end of each of ``weeks`` weekly occurrences from the first, at the
    same wall-clock time in ``tz`` (a daylight-saving change keeps 9:30 at 9:30)."""
    from dateutil.rrule import WEEKLY, rrule
    zone = ZoneInfo(tz)
    start = datetime.fromisoformat(first_start).astimezone(zone)
    length = datetime.fromisoformat(first_end) - datetime.fromisoformat(first_start)
    out = []
    for occurrence in rrule(WEEKLY, dtstart=start.replace(tzinfo=None), count=weeks):
        local = occurrence.replace(tzinfo=zone)
        out.append((local.isoformat(timespec="minutes"),
                    (local + length).isoformat(timespec="minutes")))
    return out


def form_values(rtype: str, record: dict | None, tz: str) -> dict[str, Any]:
    """What an edit form shows for a stored record (the form's inputs by name)."""
    if not record:
        return {}
    values: dict[str, Any] = dict(record)
    for lang, name in (record.get("names") or {}).items():
        values[f"names.{lang}"] = name
    if rtype == "neighborhood" and record.get("bbox"):
        (s, w), (n, e) = record["bbox"]
        values.update({"bbox.south": s, "bbox.west": w, "bbox.north": n, "bbox.east": e})
    if rtype == "shift" and record.get("starts_at"):
        zone = ZoneInfo(tz)
        starts = datetime.fromisoformat(record["starts_at"]).astimezone(zone)
        ends = datetime.fromisoformat(record["ends_at"]).astimezone(zone)
        values.update({"day": starts.date().isoformat(), "start": starts.strftime("%H:%M"),
                       "end": ends.strftime("%H:%M")})
    if rtype == "route" and record.get("path"):
        values["path_text"] = "\n".join(f"{lat}, {lon}" for lat, lon in record["path"])
    return values


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())
