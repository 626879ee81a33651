"""A shift's roster in the console: its confirmed and waitlisted members with their
staffing (``stroll.domain.staffing``) and check-ins, and what a coordinator does there:
confirm someone off the waitlist, approve a check-in made away from the meeting point
(the hours count once approved), cancel the shift. Each is a record entry written as the
signed-in coordinator (``Console.write``: the push's rules and merge)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.responses import RedirectResponse, Response

from stroll.domain.ids import is_uuid
from stroll.domain.staffing import staffing

from ..storage import Storage
from .web import Console, Ctx, Refused, existing


class Rosters:
    def __init__(self, console: Console, store: Storage):
        self.console, self.store = console, store
        action = console.action
        self.routes = (
            ("/console/shifts/{record_id}/cancel", "POST", action(self.cancel_shift)),
            ("/console/shifts/{record_id}/confirm", "POST", action(self.confirm_signup)),
            ("/console/shifts/{record_id}/approve", "POST", action(self.approve_check_in)),
        )

    def roster(self, ctx: Ctx, shift: dict) -> dict:
        """A shift's confirmed and waitlisted members and its staffing."""
        people = {m["id"]: m for m in self.console.records("member")}
        rows = [(signup_id, people.get(member_id) or {"name": "?"}, status,
                 self.check_in(ctx, self.store.live_record("signup", signup_id)))
                for _shift, signup_id, member_id, status in self.store.active_signups(shift["id"])]
        confirmed = [r[1] for r in rows if r[2] == "confirmed"]
        waiting = [r for r in rows if r[2] == "waitlisted"]
        state = staffing(shift, confirmed, len(waiting))
        return {"rows": [r for r in rows if r[2] == "confirmed"] + waiting,
                "confirmed": confirmed, "waitlisted": waiting, "staffing": state,
                "missing_names": ", ".join(ctx.tr.t(f"spoken.{c}")
                                           for c in state.missing_languages)}

    def check_in(self, ctx: Ctx, signup: dict | None) -> dict:
        """What a roster row says of a member's check-in: ``text``, and ``approve``
        when it was away from the meeting point and waits for a coordinator."""
        if not signup or not signup.get("checked_in_at"):
            return {"text": "", "approve": False}
        zone = ZoneInfo(self.console.tz)
        words = [ctx.tr.t("console.roster.checked_in", time=ctx.tr.time(
            datetime.fromisoformat(signup["checked_in_at"]).astimezone(zone)))]
        if signup.get("checked_out_at"):
            words.append(ctx.tr.t("console.roster.checked_out", time=ctx.tr.time(
                datetime.fromisoformat(signup["checked_out_at"]).astimezone(zone))))
        waits = bool(signup.get("check_in_far")) and not signup.get("check_in_approved_by")
        if signup.get("check_in_far"):
            distance = signup.get("check_in_distance_m")
            words.append(ctx.tr.t("console.roster.far", distance=ctx.tr.distance(distance))
                         if distance is not None else ctx.tr.t("console.roster.no_fix"))
            if not waits:
                words.append(ctx.tr.t("console.roster.approved"))
        return {"text": " · ".join(words), "approve": waits}

    def _signup(self, form, record_id: str) -> dict:
        existing(self.store, "shift", record_id)
        signup = self.store.live_record("signup", form.get("signup_id") or "") if is_uuid(
            form.get("signup_id") or "") else None
        if signup is None or signup.get("shift_id") != record_id:
            raise Refused(404, "console.error.no_record")
        return signup

    def confirm_signup(self, ctx: Ctx, form, _upload, record_id: str) -> Response:
        signup = self._signup(form, record_id)
        if self.console.write(ctx.signed.actor, "signup", {**signup, "status": "confirmed"}):
            raise Refused(403, "console.error.not_allowed")
        return RedirectResponse(f"/console/shifts/{record_id}#roster", 303)

    def approve_check_in(self, ctx: Ctx, form, _upload, record_id: str) -> Response:
        """A check-in away from the meeting point counts: the coordinator vouches."""
        signup = self._signup(form, record_id)
        if not signup.get("checked_in_at"):
            raise Refused(404, "console.error.no_record")
        if self.console.write(ctx.signed.actor, "signup", {
                **signup, "check_in_approved_by": ctx.signed.actor.member_id}):
            raise Refused(403, "console.error.not_allowed")
        return RedirectResponse(f"/console/shifts/{record_id}#roster", 303)

    def cancel_shift(self, ctx: Ctx, _form, _upload, record_id: str) -> Response:
        record = existing(self.store, "shift", record_id)
        if self.console.write(ctx.signed.actor, "shift", record, op="delete") is not None:
            raise Refused(403, "console.error.not_allowed")
        return RedirectResponse("/console/shifts?cancelled=1", 303)

