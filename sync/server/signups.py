"""Sign-ups are commands the server decides: confirmed, waitlisted or refused against
the shift's capacity, in the push's write transaction (docs/SYNC.md, Push). The
decisions are a part of ``merge.BatchMerger`` (this mixin), which supplies the records
(``_get``, ``_put``), the time (``now_iso``), the arrival position and the sign-up
index loaders (``load_signups``: a shift's; ``load_member_signups``: a member's).

After the entries of a batch, ``settle`` brings every shift the batch touched up to
date: its waitlist numbered 1, 2, ... in order of arrival (each sign-up whose place
changed is written, so its phone learns "Waitlisted #1"), and its ``roster`` and
``shift_team`` records (``stroll.domain.volunteering.roster_records``) rewritten when
they changed. A coordinator's change of a shift reaches its sign-ups: a cancelled
(deleted) shift cancels them (``shift_cancelled``), a larger capacity moves the
waitlist up.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from stroll.domain.ids import is_uuid
from stroll.domain.records import Signup, parse_time
from stroll.domain.volunteering import overlaps, roster_records

from ..protocol import Decision, ErrorBody

ACTIVE = ("confirmed", "waitlisted")
SERVER_FIELDS = Signup.SERVER_FIELDS  # what a device sends of these is a request at most


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


def _when(shift: dict) -> str:
    return f"{shift.get('starts_at')} to {shift.get('ends_at')}"


class SignupDecisions:
    """The sign-up decisions of ``BatchMerger`` (a mixin: it has no state of its own
    beyond the indexes it fills: ``_signups`` per shift, ``_member_rows`` per member,
    ``_unsettled`` the shifts to settle)."""

    def _shift_signups(self, shift_id: str) -> dict[str, SignupRow]:
        if shift_id not in self._signups:
            self._signups[shift_id] = {r.id: r for r in self.load_signups(shift_id)
                                       if r.status in ACTIVE}
        return self._signups[shift_id]

    def _member_signups(self, member_id: str) -> dict[str, SignupRow]:
        """The member's active sign-ups on every shift, as the batch left them."""
        if member_id not in self._member_rows:
            rows = {r.id: r for r in self.load_member_signups(member_id)
                    if r.status in ACTIVE}
            for r in self.signup_writes.values():  # decided earlier in this batch
                if r.member_id == member_id:
                    if r.status in ACTIVE:
                        rows[r.id] = r
                    else:
                        rows.pop(r.id, None)
            self._member_rows[member_id] = rows
        return self._member_rows[member_id]

    # ---- sign-ups: commands the server decides ------------------------------------------

    def _signup(self, data: dict, before: dict | None) -> Decision | None:
        """Decide a sign-up (mutates ``data``: the server's fields)."""
        sid = data["id"]
        if before is not None and before.get("shift_id") != data["shift_id"]:
            raise _reject("invalid_record",
                          f"signup.shift_id (id {sid}): a sign-up cannot move to another shift;"
                          " cancel it and sign up again", record_type="signup",
                          field="shift_id", record_id=sid)
        wanted = data["status"]
        prev = before.get("status") if before else None
        for k in SERVER_FIELDS:  # the server's, whatever the device sent
            data[k] = before.get(k) if before else None
        data["reason"] = data["reason"] or ""
        if data.get("checked_in_at") and (before or {}).get("checked_in_at") \
                != data["checked_in_at"] and prev != "confirmed":
            raise _reject("invalid_record",
                          f"signup.checked_in_at (id {sid}): only a confirmed sign-up "
                          f"checks in (this one is {prev or 'new'})", record_type="signup",
                          field="checked_in_at", record_id=sid)
        if wanted == "cancelled":
            if prev == "cancelled":
                return None
            if prev in ACTIVE:
                self._free_place(before)
            by_other = self.actor.member_id not in (None, data["member_id"])
            data.update(status="cancelled", decided_at=self.now_iso, waitlist_position=None,
                        reason_code="cancelled_by_coordinator" if by_other else "cancelled",
                        reason="taken off the shift by a coordinator" if by_other
                        else "cancelled by the member")
            self._index(data, "cancelled")
            return None
        if prev == "waitlisted" and wanted == "confirmed" and \
                self.actor.at_least("coordinator"):
            # a coordinator moves someone off the waitlist by hand (beyond capacity if
            # need be: a shift short of a Cantonese speaker takes one more)
            data.update(status="confirmed", decided_at=self.now_iso,
                        reason="confirmed by a coordinator", reason_code="by_coordinator",
                        waitlist_position=None)
            self._index(data, "confirmed")
            return Decision("confirmed", data["reason"], "by_coordinator")
        if prev in ("confirmed", "waitlisted", "refused"):
            # sent again (or its check-in): the decision stands
            return Decision(prev, data["reason"], data.get("reason_code"),
                            data.get("waitlist_position"))
        status, reason, code, position = self._decide(data)
        data.update(status=status, decided_at=self.now_iso, reason=reason, reason_code=code,
                    waitlist_position=position)
        self._index(data, status)
        return Decision(status, reason, code, position)

    def _decide(self, data: dict) -> tuple[str, str, str, int | None]:
        shift_id, member_id = data["shift_id"], data["member_id"]
        shift = self._get(("shift", shift_id)) if is_uuid(shift_id) else None
        if shift is None or shift.deleted:
            return "refused", f"no shift with id {shift_id}", "shift_unknown", None
        s = shift.data
        try:
            if parse_time(s["ends_at"]) <= self.now:
                return "refused", f"shift {shift_id} has ended ({s['ends_at']})", \
                    "shift_ended", None
        except (TypeError, ValueError, KeyError):
            pass
        active = self._shift_signups(shift_id)
        for row in active.values():
            if row.member_id == member_id and row.id != data["id"]:
                return "refused", (f"member {member_id} is already signed up for shift "
                                   f"{shift_id} (sign-up {row.id}, {row.status})"), \
                    "already_signed_up", None
        capacity = int(s.get("capacity") or 0)
        confirmed = sum(1 for r in active.values() if r.status == "confirmed")
        waiting = sum(1 for r in active.values() if r.status == "waitlisted")
        if confirmed >= capacity and waiting >= capacity:
            # said before any overlap: no place to take, and no read of the member's
            # other shifts for each of a crowd the shift turns away
            return "refused", f"shift and its waitlist are full ({capacity} + {capacity})", \
                "full", None
        clash = self._clash(member_id, shift_id, s)
        if clash is not None:
            return "refused", (f"member {member_id} is {clash[0].status} on shift "
                               f"{clash[0].shift_id} ({clash[1].get('title', '')}, "
                               f"{_when(clash[1])}) at the same time"), "overlap", None
        if confirmed < capacity:
            return "confirmed", f"place {confirmed + 1} of {capacity}", "place", None
        return "waitlisted", (f"shift is full ({capacity} of {capacity}); "
                              f"waitlist place {waiting + 1}"), "waitlisted", waiting + 1

    def _clash(self, member_id: str, shift_id: str, shift: dict):
        """The member's active sign-up (and its shift) on another shift that shares
        time with ``shift``, if any."""
        for row in self._member_signups(member_id).values():
            if row.shift_id == shift_id:
                continue
            other = self._get(("shift", row.shift_id)) if is_uuid(row.shift_id) else None
            if other is None or other.deleted:
                continue
            try:
                if overlaps(shift["starts_at"], shift["ends_at"],
                            other.data["starts_at"], other.data["ends_at"]):
                    return row, other.data
            except (TypeError, ValueError, KeyError):
                continue
        return None

    def _index(self, data: dict, status: str) -> None:
        shift_id = data["shift_id"]
        active = self._shift_signups(shift_id)
        old = active.get(data["id"]) or self.signup_writes.get(data["id"])
        if old is None:
            self._arrivals += 1
        row = SignupRow(data["id"], shift_id, data["member_id"], status,
                        old.position if old else self.position + self._arrivals)
        if status in ACTIVE:
            active[row.id] = row
        else:
            active.pop(row.id, None)
        self._note(row)

    def _note(self, row: SignupRow) -> None:
        """Keep ``row`` in the batch's sign-up writes and indexes; its shift to settle."""
        self.signup_writes[row.id] = row
        mine = self._member_rows.get(row.member_id)
        if mine is not None:
            if row.status in ACTIVE:
                mine[row.id] = row
            else:
                mine.pop(row.id, None)
        self._unsettled[row.shift_id] = None

    def _free_place(self, before: dict) -> None:
        """A sign-up left: if it was confirmed, the longest-waiting one moves up."""
        shift_id = before["shift_id"]
        active = self._shift_signups(shift_id)
        gone = active.pop(before["id"], None)
        if gone is not None:
            self._note(dataclasses.replace(gone, status="cancelled"))
        if before.get("status") == "confirmed":
            self._promote(shift_id, 1)
        self._unsettled[shift_id] = None

    def _promote(self, shift_id: str, places: int) -> None:
        """Move up to ``places`` sign-ups from the waitlist, longest-waiting first."""
        active = self._shift_signups(shift_id)
        waiting = sorted((r for r in active.values() if r.status == "waitlisted"),
                         key=lambda r: r.position)
        for nxt in waiting[:max(0, places)]:
            rec = self._get(("signup", nxt.id))
            if rec is None or rec.deleted:
                continue
            data = dict(rec.data, status="confirmed", decided_at=self.now_iso,
                        reason="a place opened up: moved from the waitlist",
                        reason_code="promoted", waitlist_position=None)
            self._put("signup", nxt.id, data, None)
            nxt = dataclasses.replace(nxt, status="confirmed")
            active[nxt.id] = nxt
            self._note(nxt)

    # ---- a coordinator changed a shift ----------------------------------------------------

    def _shift_changed(self, shift_id: str, before: dict | None, after: dict | None) -> None:
        """A shift was cancelled (deleted: its sign-ups are cancelled) or its capacity
        grew (the waitlist moves up into the new places)."""
        if before is None:
            return
        active = self._shift_signups(shift_id)
        if after is None:
            for row in list(active.values()):
                rec = self._get(("signup", row.id))
                if rec is not None and not rec.deleted:
                    self._put("signup", row.id, dict(
                        rec.data, status="cancelled", decided_at=self.now_iso,
                        reason="the shift was cancelled", reason_code="shift_cancelled",
                        waitlist_position=None), None)
                active.pop(row.id, None)
                self._note(dataclasses.replace(row, status="cancelled"))
            self._unsettled[shift_id] = None
            return
        grown = int(after.get("capacity") or 0) - int(before.get("capacity") or 0)
        if grown > 0:
            confirmed = sum(1 for r in active.values() if r.status == "confirmed")
            self._promote(shift_id, int(after["capacity"]) - confirmed)
            self._unsettled[shift_id] = None

    # ---- after the batch ---------------------------------------------------------------

    def settle(self) -> None:
        """Number the waitlists and rewrite the rosters of the shifts the batch touched."""
        for shift_id in list(self._unsettled):
            self._settle(shift_id)
        self._unsettled.clear()

    def _settle(self, shift_id: str) -> None:
        active = self._shift_signups(shift_id)
        waiting = sorted((r for r in active.values() if r.status == "waitlisted"),
                         key=lambda r: r.position)
        confirmed = sorted((r for r in active.values() if r.status == "confirmed"),
                           key=lambda r: r.position)
        keys = [("roster", shift_id), ("shift_team", shift_id)]
        self._prefetch([("signup", r.id) for r in waiting] + keys + [
            ("member", r.member_id) for r in confirmed if is_uuid(r.member_id or "")])
        for place, row in enumerate(waiting, 1):
            rec = self._get(("signup", row.id))
            if rec is not None and not rec.deleted and \
                    rec.data.get("waitlist_position") != place:
                self._put("signup", row.id, dict(rec.data, waitlist_position=place), None)
        shift = self._get(("shift", shift_id)) if is_uuid(shift_id) else None
        if shift is None or shift.deleted:
            for key in keys:
                cur = self._get(key)
                if cur is not None and not cur.deleted:
                    self._put(key[0], shift_id, None, None, server=True)
            return
        members = [self._get(("member", r.member_id)) if is_uuid(r.member_id or "") else None
                   for r in confirmed]
        people = [m.data if m is not None and not m.deleted else
                  {"id": r.member_id, "name": ""} for r, m in zip(confirmed, members)]
        for rec in roster_records(shift_id, people, len(waiting)):
            data = rec.to_dict()
            cur = self._get((rec.TYPE, shift_id))
            if cur is None or cur.deleted or cur.data != data:
                self._put(rec.TYPE, shift_id, data, None, server=True)
