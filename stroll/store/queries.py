"""The questions the screens, the patrol service and sync ask the device database.

Each is a named method of ``Store`` (this mixin), so no SQL is written above the
store. The generic ``list`` and ``count`` take field names and values only
(``store.list("check_in", stroll_id=sid)``), bound as parameters.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any, Iterable

from stroll.domain import record_class
from stroll.domain.geo import Fix
from stroll.domain.records import parse_time
from stroll.store.atrest import SENSITIVE
from stroll.store.tx import PATROL_STATE_COLS, SIGNUP_SEEN_COLS, _from_row

class Queries:
    """Named reads of ``Store`` (it provides ``_guarded``, ``_conn``, ``db`` and the
    ``_sealer`` that opens sealed fields)."""

    # ---- any record type, by equal fields ------------------------------------------

    def _where(self, record_type: str, equals: dict) -> tuple[Any, str | None, list]:
        cls = record_class(record_type)
        fields = {f.name for f in dataclasses.fields(cls)}
        for name in equals:
            if name not in fields:
                raise ValueError(f"{record_type} has no field {name}")
            if name in SENSITIVE.get(record_type, ()) and equals[name] not in (None, ""):
                raise ValueError(f"{record_type}.{name} is stored sealed: it cannot be "
                                 "looked up by value")
        where = " AND ".join(f"[{k}] IS NULL" if v is None else f"[{k}] = ?"
                             for k, v in equals.items())
        return cls, where or None, [v for v in equals.values() if v is not None]

    def _select(self, record_type: str, equals: dict, order_by: str | None = None,
                limit: int | None = None) -> list[dict]:
        cls, where, params = self._where(record_type, equals)
        with self._guarded():
            rows = self.db[cls.TYPE].rows_where(where, params, order_by=order_by, limit=limit)
            return [_from_row(cls, r, self._sealer) for r in rows]

    def list(self, record_type: str, **equals: Any) -> list[dict]:
        """Every ``record_type`` record whose fields equal ``equals`` (stored order)."""
        return self._select(record_type, equals)

    def count(self, record_type: str, **equals: Any) -> int:
        """How many ``record_type`` records have fields equal to ``equals``."""
        cls, where, params = self._where(record_type, equals)
        with self._guarded():
            sql = f"SELECT count(*) FROM [{cls.TYPE}]" + (f" WHERE {where}" if where else "")
            return self._conn.execute(sql, params).fetchone()[0]

    # ---- for the screens -------------------------------------------------------------

    def _by_name(self, record_type: str, neighborhood_id: str | None) -> list[dict]:
        equals = {"neighborhood_id": neighborhood_id} if neighborhood_id else {}
        return self._select(record_type, equals, order_by="name")

    def neighborhoods(self) -> list[dict]:
        return self._select("neighborhood", {}, order_by="name")

    def routes(self, neighborhood_id: str | None = None) -> list[dict]:
        return self._by_name("route", neighborhood_id)

    def merchants(self, neighborhood_id: str | None = None) -> list[dict]:
        return self._by_name("merchant", neighborhood_id)

    def members(self, neighborhood_id: str | None = None) -> list[dict]:
        return self._by_name("member", neighborhood_id)

    def last_visits(self, merchant_ids: Iterable[str]) -> dict[str, str]:
        """When each merchant was last checked in with: {merchant_id: at}."""
        ids = list(merchant_ids)
        if not ids:
            return {}
        with self._guarded():
            rows = self._conn.execute(
                f"SELECT merchant_id, max(\"at\") FROM check_in WHERE merchant_id IN "
                f"({', '.join('?' * len(ids))}) GROUP BY merchant_id", ids).fetchall()
        return {mid: at for mid, at in rows if at}

    def upcoming_shifts(self, now: datetime | None = None, days: int = 7) -> list[dict]:
        """Shifts that end after ``now`` and start within ``days``, each with
        ``confirmed`` (count of confirmed sign-ups) and ``spots_left``."""
        now = (now or datetime.now()).astimezone()
        horizon = now + timedelta(days=days)
        shifts = [s for s in self._select("shift", {}, order_by="starts_at")
                  if parse_time(s["ends_at"]) > now and parse_time(s["starts_at"]) < horizon]
        with self._guarded():
            counts = dict(self._conn.execute(
                "SELECT shift_id, count(*) FROM signup WHERE status = 'confirmed' "
                "GROUP BY shift_id").fetchall())
        for s in shifts:
            s["confirmed"] = counts.get(s["id"], 0)
            s["spots_left"] = max(0, s["capacity"] - s["confirmed"])
        return shifts

    # ---- a volunteer's shifts (the Shifts tab: stroll/state/shifts.py) ----

    def _joined(self, sql: str, params: list, parts: dict[str, str]) -> list[dict]:
        """Rows of a join read back as records: ``parts`` maps each alias of ``sql``
        (its columns selected as ``alias__field``) to a record type; a part whose id
        is NULL (an outer join that found nothing) is None."""
        with self._guarded():
            cur = self._conn.execute(sql, params)
            cols = [c[0] for c in cur.description]
            rows = cur.fetchall()
        out = []
        for r in rows:
            row = dict(zip(cols, r))
            rec = {}
            for alias, rtype in parts.items():
                own = {k.split("__", 1)[1]: v for k, v in row.items()
                       if k.startswith(alias + "__")}
                rec[alias] = (_from_row(record_class(rtype), own, self._sealer)
                              if own.get("id") is not None else None)
            rec.update({k: v for k, v in row.items() if "__" not in k})
            out.append(rec)
        return out

    @staticmethod
    def _columns(alias: str, record_type: str) -> str:
        return ", ".join(f'{alias}."{f.name}" AS "{alias}__{f.name}"'
                         for f in dataclasses.fields(record_class(record_type)))

    def shift_board(self, member_id: str | None, now: datetime | None = None,
                    days: int = 7) -> list[dict]:
        """Shifts that end after ``now`` and start within ``days``, in start order:
        each ``{"shift", "roster", "signup"}``, the roster being the server's count
        (None until it sent one) and the sign-up the latest of ``member_id`` on the
        shift (None: none yet, or nobody signed in)."""
        now = (now or datetime.now()).astimezone()
        horizon = now + timedelta(days=days)
        rows = self._joined(
            f"SELECT {self._columns('shift', 'shift')}, {self._columns('roster', 'roster')}, "
            f"{self._columns('signup', 'signup')} FROM shift "
            "LEFT JOIN roster ON roster.id = shift.id "
            "LEFT JOIN (SELECT *, row_number() OVER (PARTITION BY shift_id "
            "  ORDER BY requested_at DESC, id DESC) AS latest "
            "  FROM signup WHERE member_id = ?) AS signup "
            "ON signup.shift_id = shift.id AND signup.latest = 1 "
            "ORDER BY shift.starts_at, shift.id",
            [member_id or ""], {"shift": "shift", "roster": "roster", "signup": "signup"})
        return [r for r in rows if parse_time(r["shift"]["ends_at"]) > now
                and parse_time(r["shift"]["starts_at"]) < horizon]

    def signups_seen(self, member_id: str) -> list[dict]:
        """Every sign-up of ``member_id``, each with its ``shift`` (None: the shift is
        gone) and ``seen``: what the person last saw of it on this device (the
        device-local ``signup_seen`` row; None: nothing yet)."""
        rows = self._joined(
            f"SELECT {self._columns('signup', 'signup')}, {self._columns('shift', 'shift')}, "
            + ", ".join(f'seen."{c}" AS "seen_{c}"' for c in SIGNUP_SEEN_COLS)
            + " FROM signup LEFT JOIN shift ON shift.id = signup.shift_id "
            "LEFT JOIN signup_seen AS seen ON seen.signup_id = signup.id "
            "WHERE signup.member_id = ? ORDER BY signup.requested_at, signup.id",
            [member_id], {"signup": "signup", "shift": "shift"})
        out = []
        for r in rows:
            seen = {c: r.pop(f"seen_{c}") for c in SIGNUP_SEEN_COLS}
            out.append({**r["signup"], "shift": r["shift"],
                        "seen": seen if seen["signup_id"] is not None else None})
        return out

    def confirmed_signups(self, shift_id: str) -> list[dict]:
        """The shift's confirmed sign-ups (the server's decision as last pulled)."""
        return self._select("signup", {"shift_id": shift_id, "status": "confirmed"})

    def member_signups(self, member_id: str) -> list[tuple[dict, dict]]:
        """The member's sign-ups, each with its shift, by the shift's start (a sign-up
        whose shift this device does not hold is left out): My shifts, and the hours."""
        def rows(record_type: str, sql: str) -> list[dict]:
            cls = record_class(record_type)
            cur = self._conn.execute(sql, (member_id,))
            cols = [c[0] for c in cur.description]
            return [_from_row(cls, dict(zip(cols, r)), self._sealer) for r in cur.fetchall()]

        with self._guarded():
            signups = rows("signup", "SELECT * FROM signup WHERE member_id = ?")
            shifts = {s["id"]: s for s in rows(
                "shift", "SELECT * FROM shift WHERE id IN "
                "(SELECT shift_id FROM signup WHERE member_id = ?)")} if signups else {}
        pairs = [(s, shifts[s["shift_id"]]) for s in signups if s["shift_id"] in shifts]
        pairs.sort(key=lambda p: (parse_time(p[1]["starts_at"]), p[0]["requested_at"] or ""))
        return pairs

    def shift_team_ids(self, shift_id: str) -> list[str]:
        """The member ids of the shift's ``shift_team`` record (its confirmed members, as
        the server last sent them; empty when this device does not hold it)."""
        team = self.get("shift_team", shift_id)
        return [g["member_id"] for g in (team or {}).get("going") or []
                if isinstance(g, dict) and g.get("member_id")]

    def stroll_incidents(self, stroll_id: str) -> list[dict]:
        """The stroll's incidents, oldest report first."""
        return sorted(self._select("incident", {"stroll_id": stroll_id}),
                      key=lambda i: i["reported_at"] or "")

    def stroll_check_ins(self, stroll_id: str) -> list[dict]:
        """The stroll's check-ins, oldest first, each with its merchant's name
        (``merchant_name``; empty for a merchant this device does not hold)."""
        visits = self._select("check_in", {"stroll_id": stroll_id}, order_by='"at"')
        ids = sorted({v["merchant_id"] for v in visits})
        names: dict[str, str] = {}
        if ids:
            with self._guarded():
                names = dict(self._conn.execute(
                    f"SELECT id, name FROM merchant WHERE id IN ({', '.join('?' * len(ids))})",
                    ids).fetchall())
        for v in visits:
            v["merchant_name"] = names.get(v["merchant_id"]) or ""
        return visits

    def incidents_missing(self, fields: Iterable[str], limit: int = 200) -> list[dict]:
        """Incidents of the strolls walked with this device (started here: they have a
        patrol_state row) still as the quick log left them, or with one of ``fields``
        unanswered (NULL or empty), newest report first, at most ``limit``. The
        domain says which details an incident needs (``patrol_rules.DETAIL_FIELDS``);
        this is the question that finds the candidates."""
        cls = record_class("incident")
        names = {f.name for f in dataclasses.fields(cls)}
        fields = list(fields)
        for name in fields:
            if name not in names or name in SENSITIVE.get("incident", ()):
                raise ValueError(f"incident.{name} cannot be asked about here (unknown or "
                                 "sealed)")
        unset = "".join(f" OR i.[{f}] IS NULL OR i.[{f}] = ''" for f in fields)
        with self._guarded():
            cur = self._conn.execute(
                "SELECT i.* FROM incident i JOIN patrol_state p ON p.stroll_id = i.stroll_id "
                f"WHERE i.quick = 1{unset} ORDER BY i.reported_at DESC, i.id LIMIT ?",
                (int(limit),))
            cols = [c[0] for c in cur.description]
            return [_from_row(cls, dict(zip(cols, r)), self._sealer) for r in cur.fetchall()]

    def stroll_count(self, record_type: str, stroll_id: str) -> int:
        """How many ``record_type`` records (check-ins, incidents, track chunks) belong
        to the stroll."""
        return self.count(record_type, stroll_id=stroll_id)

    def merchant_check_ins(self, merchant_id: str) -> list[dict]:
        """Every check-in with the merchant (any order)."""
        return self._select("check_in", {"merchant_id": merchant_id})

    def recent_strolls(self, limit: int = 10) -> list[dict]:
        strolls = self._select("stroll", {}, order_by="started_at DESC", limit=limit)
        names = {n["id"]: n["name"] for n in self.neighborhoods()}
        for s in strolls:
            s["team_size"] = len(s["team"])
            s["neighborhood_name"] = names.get(s["neighborhood_id"], "")
        return strolls

    # ---- the patrol's device-local state ----
    # A running stroll's working state (tables of migration 0002_gps_buffer, never
    # synced, no outbox): ``gps_buffer`` holds the kept GPS fixes not yet sealed into
    # a track_chunk, each committed as it arrives so a killed app loses none;
    # ``patrol_state`` holds the odometer (distance counted and its anchor fix), pause
    # clock, last kept fix and next chunk number, and marks the strolls started on
    # this device. Writes go through the Transaction (put_patrol_state,
    # gps_buffer_add, gps_buffer_clear); these reads, made inside a transaction, see
    # its writes.

    def patrol_state(self, stroll_id: str) -> dict | None:
        with self._guarded():
            row = self._conn.execute(
                f"SELECT {', '.join(PATROL_STATE_COLS)} FROM patrol_state "
                "WHERE stroll_id = ?", (stroll_id,)).fetchone()
        return dict(zip(PATROL_STATE_COLS, row)) if row else None

    def local_strolls(self, statuses: tuple[str, ...] = ("active", "paused")) -> list[dict]:
        """Strolls started on this device (they have a patrol_state row) with one of
        ``statuses``, newest first. Strolls of other devices pulled by sync are not
        among them."""
        cls = record_class("stroll")
        with self._guarded():
            cur = self._conn.execute(
                "SELECT s.* FROM stroll s JOIN patrol_state p ON p.stroll_id = s.id "
                f"WHERE s.status IN ({', '.join('?' for _ in statuses)}) "
                "ORDER BY s.started_at DESC", list(statuses))
            cols = [c[0] for c in cur.description]
            return [_from_row(cls, dict(zip(cols, r)), self._sealer) for r in cur.fetchall()]

    def gps_buffer(self, stroll_id: str) -> list[Fix]:
        with self._guarded():
            return [Fix(*r) for r in self._conn.execute(
                "SELECT lat, lon, t, accuracy FROM gps_buffer WHERE stroll_id = ? ORDER BY id",
                (stroll_id,))]

    def gps_buffer_count(self, stroll_id: str) -> int:
        with self._guarded():
            return self._conn.execute("SELECT count(*) FROM gps_buffer WHERE stroll_id = ?",
                                      (stroll_id,)).fetchone()[0]

    def track_chunks(self, stroll_id: str) -> list[dict]:
        """The stroll's sealed track chunks, by ``seq``."""
        return self._select("track_chunk", {"stroll_id": stroll_id}, order_by="seq")

    def track_parts(self, stroll_id: str) -> tuple[list[dict], list[Fix]]:
        """A stroll's sealed track chunks (by seq) and its buffered fixes, read
        together so a chunk sealed meanwhile is neither missed nor counted twice."""
        with self._guarded():
            return self.track_chunks(stroll_id), self.gps_buffer(stroll_id)


__all__ = ["Queries"]
