"""Sign-ups are commands the server decides: confirmed, waitlisted or refused against
the shift's capacity, in the push's write transaction (docs/SYNC.md, Push). The
decisions are a part of ``merge.BatchMerger`` (this mixin), which supplies the records
(``_get``, ``_put``), the time (``now_iso``), the arrival position and the sign-up
index loader (``load_signups``)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from stroll.domain.ids import is_uuid
from stroll.domain.records import parse_time

from ..protocol import Decision, ErrorBody

ACTIVE = ("confirmed", "waitlisted")


class Rejected(Exception):
    """An entry of a push refused: its ``error`` travels back in the entry's result."""

    def __init__(self, error: ErrorBody):
        self.error = error


def _reject(code: str, message: str, **details) -> Rejected:
    return Rejected(ErrorBody(code, message, details))


@dataclass
class SignupRow:
    """The server's index of sign-ups, for counting a shift's places."""
    id: str
    shift_id: str
    member_id: str
    status: str
    position: int              # order of arrival (the server cursor when requested)


class SignupDecisions:
    """The sign-up decisions of ``BatchMerger`` (a mixin: it has no state of its own)."""

    def _shift_signups(self, shift_id: str) -> dict[str, SignupRow]:
        if shift_id not in self._signups:
            self._signups[shift_id] = {r.id: r for r in self.load_signups(shift_id)
                                       if r.status in ACTIVE}
        return self._signups[shift_id]

    # ---- sign-ups: commands the server decides ------------------------------------------

    def _signup(self, data: dict, before: dict | None) -> Decision | None:
        """Decide a sign-up (mutates ``data``: status, decided_at, reason)."""
        sid = data["id"]
        if before is not None and before.get("shift_id") != data["shift_id"]:
            raise _reject("invalid_record",
                          f"signup.shift_id (id {sid}): a sign-up cannot move to another shift;"
                          " cancel it and sign up again", record_type="signup",
                          field="shift_id", record_id=sid)
        prev = before.get("status") if before else None
        if data["status"] == "cancelled":
            if prev in ACTIVE:
                self._free_place(before)
            data["decided_at"] = data.get("decided_at") or self.now_iso
            self._index(data, "cancelled")
            return None
        if prev == "waitlisted" and data["status"] == "confirmed" and \
                self.actor.at_least("coordinator"):
            # a coordinator moves someone off the waitlist by hand (beyond capacity if
            # need be: a shift short of a Cantonese speaker takes one more)
            data.update(decided_at=self.now_iso, reason="confirmed by a coordinator")
            self._index(data, "confirmed")
            return Decision("confirmed", data["reason"])
        if prev in ("confirmed", "waitlisted", "refused"):
            # sent again: the decision stands
            for k in ("status", "decided_at", "reason"):
                data[k] = before.get(k)
            return Decision(prev, before.get("reason") or "")
        status, reason = self._decide(data)
        data.update(status=status, decided_at=self.now_iso, reason=reason)
        self._index(data, status)
        return Decision(status, reason)

    def _decide(self, data: dict) -> tuple[str, str]:
        shift_id, member_id = data["shift_id"], data["member_id"]
        shift = self._get(("shift", shift_id)) if is_uuid(shift_id) else None
        if shift is None or shift.deleted:
            return "refused", f"no shift with id {shift_id}"
        s = shift.data
        try:
            if parse_time(s["ends_at"]) <= self.now:
                return "refused", f"shift {shift_id} has ended ({s['ends_at']})"
        except (TypeError, ValueError, KeyError):
            pass
        active = self._shift_signups(shift_id)
        for row in active.values():
            if row.member_id == member_id and row.id != data["id"]:
                return "refused", (f"member {member_id} is already signed up for shift "
                                   f"{shift_id} (sign-up {row.id}, {row.status})")
        capacity = int(s.get("capacity") or 0)
        confirmed = sum(1 for r in active.values() if r.status == "confirmed")
        waiting = sum(1 for r in active.values() if r.status == "waitlisted")
        if confirmed < capacity:
            return "confirmed", f"place {confirmed + 1} of {capacity}"
        if waiting < capacity:
            return "waitlisted", (f"shift is full ({capacity} of {capacity}); "
                                  f"waitlist place {waiting + 1}")
        return "refused", f"shift and its waitlist are full ({capacity} + {capacity})"

    def _index(self, data: dict, status: str) -> None:
        shift_id = data["shift_id"]
        active = self._shift_signups(shift_id)
        old = active.get(data["id"])
        if old is None:
            self._arrivals += 1
        row = SignupRow(data["id"], shift_id, data["member_id"], status,
                        old.position if old else self.position + self._arrivals)
        if status in ACTIVE:
            active[row.id] = row
        else:
            active.pop(row.id, None)
        self.signup_writes[row.id] = row

    def _free_place(self, before: dict) -> None:
        """A confirmed sign-up left: the longest-waiting one on the waitlist moves up."""
        shift_id = before["shift_id"]
        active = self._shift_signups(shift_id)
        gone = active.pop(before["id"], None)
        if gone is not None:
            self.signup_writes[gone.id] = dataclasses.replace(gone, status="cancelled")
        if before.get("status") != "confirmed":
            return
        waiting = sorted((r for r in active.values() if r.status == "waitlisted"),
                         key=lambda r: r.position)
        if not waiting:
            return
        nxt = waiting[0]
        rec = self._get(("signup", nxt.id))
        if rec is None or rec.deleted:
            return
        data = dict(rec.data, status="confirmed", decided_at=self.now_iso,
                    reason="a place opened up: moved from the waitlist")
        self._put("signup", nxt.id, data, None)
        nxt = dataclasses.replace(nxt, status="confirmed")
        active[nxt.id] = nxt
        self.signup_writes[nxt.id] = nxt
