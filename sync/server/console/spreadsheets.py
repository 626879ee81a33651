"""Members and merchants as spreadsheets (CSV): what the console exports, and a file read
back into records with every bad row and column named before anything is written.

Coalitions keep their lists in spreadsheets, so a file exported here opens in one
(UTF-8 with a byte-order mark, so Chinese and Vietnamese show right; a cell that a
spreadsheet would run as a formula is written with a leading apostrophe) and imports
back unchanged. A row with an ``id`` changes that record; a row without one adds a
record. Neighborhoods are named by their English name (or id).

Pure: text in, rows and problems out; the page writes them all, or nothing.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from stroll.domain import StrollError, new_id
from stroll.domain import taxonomy as tx
from stroll.domain.ids import is_uuid
from stroll.domain.place_names import NAME_LANGUAGES
from stroll.domain.records import from_dict

ROWS_MAX = 5000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
YES = ("yes", "y", "true", "1", "x")
NO = ("no", "n", "false", "0", "")

COLUMNS: dict[str, tuple[str, ...]] = {
    "member": ("id", "name", "role", "neighborhood", "languages", "trained_lead", "phone"),
    "merchant": ("id", "name", *(f"name_{code}" for code in NAME_LANGUAGES), "neighborhood",
                 "address", "lat", "lon", "languages", "category", "contact_name", "notes"),
}
REQUIRED = {"member": ("name",), "merchant": ("name", "neighborhood", "lat", "lon")}


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _uncell(text: str) -> str:
    text = (text or "").strip()
    if text.startswith("'") and text[1:2] and text[1] in "=+-@":
        return text[1:]
    return text


def export(rtype: str, records: list[dict], hoods: list[dict]) -> str:
    """The CSV text of ``records`` (with its byte-order mark)."""
    hood_name = {h["id"]: h["name"] for h in hoods}
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS[rtype])
    for r in sorted(records, key=lambda r: (hood_name.get(r.get("neighborhood_id"), ""),
                                            r.get("name", ""))):
        row = []
        for col in COLUMNS[rtype]:
            if col == "neighborhood":
                value = hood_name.get(r.get("neighborhood_id"), "")
            elif col == "languages":
                value = "; ".join(r.get("languages") or [])
            elif col == "trained_lead":
                value = "yes" if r.get("trained_lead") else "no"
            elif col.startswith("name_"):
                value = (r.get("names") or {}).get(col[5:], "")
            else:
                value = r.get(col, "")
            row.append(_cell(value))
        writer.writerow(row)
    return out.getvalue()


@dataclass
class Problem:
    row: int            # as the spreadsheet numbers it: the header is row 1
    column: str
    key: str            # a catalog key
    params: dict = field(default_factory=dict)


@dataclass
class Reading:
    """A file read: the records it would write (new and changed), its problems."""
    new: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    unchanged: int = 0  # rows that say what the record holds already: not written
    problems: list[Problem] = field(default_factory=list)

    @property
    def records(self) -> list[dict]:
        return [*self.new, *self.changed]


def read(rtype: str, data: bytes, hoods: list[dict], existing: dict[str, dict]) -> Reading:
    """The records of a CSV file of ``rtype`` (``existing``: the records by id)."""
    reading = Reading()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        reading.problems.append(Problem(0, "", "console.csv.not_utf8"))
        return reading
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or not any(c.strip() for c in rows[0]):
        reading.problems.append(Problem(1, "", "console.csv.empty"))
        return reading
    canonical = {c.lower(): c for c in COLUMNS[rtype]}
    header = [canonical.get(c.strip().lower(), c.strip()) for c in rows[0]]
    unknown = [c for c in header if c and c not in COLUMNS[rtype]]
    missing = [c for c in REQUIRED[rtype] if c not in header]
    for c in unknown:
        reading.problems.append(Problem(1, c, "console.csv.unknown_column",
                                        {"allowed": ", ".join(COLUMNS[rtype])}))
    for c in missing:
        reading.problems.append(Problem(1, c, "console.csv.missing_column"))
    if unknown or missing:
        return reading
    if len(rows) - 1 > ROWS_MAX:
        reading.problems.append(Problem(0, "", "console.csv.too_many", {"max": ROWS_MAX}))
        return reading
    hood_id = {h["name"].casefold(): h["id"] for h in hoods}
    hood_id.update({h["id"]: h["id"] for h in hoods})
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            reading.problems.append(Problem(number, "", "console.csv.extra_cells"))
            continue
        row = {col: _uncell(cells[i]) if i < len(cells) else ""
               for i, col in enumerate(header) if col}
        record = _record(rtype, row, number, hood_id, existing, reading.problems)
        if record is None:
            continue
        if record["id"] in seen:
            reading.problems.append(Problem(number, "id", "console.csv.duplicate_id",
                                            {"row": seen[record["id"]]}))
            continue
        seen[record["id"]] = number
        before = existing.get(record["id"])
        if before is None:
            reading.new.append(record)
        elif from_dict(rtype, before).to_dict() == record:
            reading.unchanged += 1
        else:
            reading.changed.append(record)
    return reading


def _record(rtype: str, row: dict[str, str], number: int, hood_id: dict[str, str],
            existing: dict[str, dict], problems: list[Problem]) -> dict | None:
    found = len(problems)
    rid = row.get("id", "")
    before: dict = {}
    if rid:
        if not is_uuid(rid):
            problems.append(Problem(number, "id", "console.csv.bad_id"))
        elif rid not in existing:
            problems.append(Problem(number, "id", "console.csv.unknown_id"))
        else:
            before = existing[rid]
    data: dict[str, Any] = {**before, "id": rid or new_id()}
    for col in REQUIRED[rtype]:
        if not row.get(col):
            problems.append(Problem(number, col, "console.error.required"))
    for col, text in row.items():
        if col in ("id",) or (not text and col in REQUIRED[rtype]):
            continue
        if col == "neighborhood":
            if text:
                hood = hood_id.get(text.casefold()) or hood_id.get(text)
                if hood is None:
                    problems.append(Problem(number, col, "console.csv.unknown_neighborhood",
                                            {"value": text[:60]}))
                else:
                    data["neighborhood_id"] = hood
            elif "neighborhood_id" not in data:
                data["neighborhood_id"] = None
        elif col == "languages":
            codes = [c.strip() for c in text.replace(",", ";").split(";") if c.strip()]
            bad = [c for c in codes if c not in tx.SPOKEN_LANGUAGES]
            if bad:
                problems.append(Problem(number, col, "console.csv.unknown_languages",
                                        {"value": ", ".join(bad)[:60],
                                         "allowed": ", ".join(tx.SPOKEN_LANGUAGES)}))
            else:
                data["languages"] = list(dict.fromkeys(codes))
        elif col == "trained_lead":
            if text.lower() not in YES + NO:
                problems.append(Problem(number, col, "console.csv.yes_or_no"))
            else:
                data["trained_lead"] = text.lower() in YES
        elif col == "role":
            if text not in tx.MEMBER_ROLES:
                problems.append(Problem(number, col, "console.csv.unknown_role",
                                        {"allowed": ", ".join(tx.MEMBER_ROLES)}))
            else:
                data["role"] = text
        elif col in ("lat", "lon"):
            try:
                data[col] = float(text)
            except ValueError:
                problems.append(Problem(number, col, "console.error.not_number",
                                        {"value": text[:40]}))
        elif col.startswith("name_"):
            names = dict(data.get("names") or {})
            if text:
                names[col[5:]] = text
            else:
                names.pop(col[5:], None)
            data["names"] = names
        else:
            data[col] = text
    if rtype == "member":
        data.setdefault("role", "volunteer")
    if len(problems) > found:
        return None
    try:
        return from_dict(rtype, data).to_dict()
    except StrollError as e:
        problems.append(Problem(number, _column_of(getattr(e, "field", "")),
                                "console.error.invalid",
                                {"reason": getattr(e, "reason", str(e))}))
        return None


def _column_of(field_name: str) -> str:
    return {"neighborhood_id": "neighborhood", "names": "name_*"}.get(field_name,
                                                                       field_name or "")
