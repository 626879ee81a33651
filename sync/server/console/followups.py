"""Follow-ups and referrals in the console: the board of every case (an incident that
asked for follow-up, ``stroll.domain.follow_ups``), a case's page where a coordinator
reads the survivor's details, moves the follow-up on (status, assignee, next action,
outcome and notes) and refers the person to partner services, recording what came of
each referral.

Who: coordinators and admins (``rules.CONSOLE``). Every page that shows survivor details
(the board: each case's language and safe times; a case: contact, narrative) writes an
audit row naming the member and the incidents. Writes go through ``Console.write`` (the
push's rules and merge): a follow-up is written with only the fields the coordinator
changed (the form carries what it showed), so two coordinators editing different fields
of one case keep both; each referral is a record of its own, so two made at once are
both kept.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.responses import RedirectResponse, Response

from stroll.domain import follow_ups as fu
from stroll.domain import new_id
from stroll.domain import taxonomy as tx
from stroll.domain.ids import is_uuid

from .. import members
from ..storage import Storage
from .web import Console, Ctx, Refused, _add, existing, log

BOARD = "/console/follow-ups"
ASSIGNABLE = ("coordinator", "admin")   # the roles that may read a survivor's details
FOLLOW_UP_FIELDS = ("status", "assignee_id", "next_action_date", "outcome", "notes")
NOTE_MAX = 4000


def install_followups(app: FastAPI, console: Console, store: Storage) -> None:
    """Add the follow-ups board and each case's page to ``app``."""
    pages = FollowUps(console, store)
    for path, method, run in (
            (BOARD, "GET", console.page(pages.board)),
            (BOARD + "/{incident_id}", "GET", console.page(pages.case_page)),
            (BOARD + "/{incident_id}", "POST", console.action(pages.save)),
            (BOARD + "/{incident_id}/refer", "POST", console.action(pages.refer)),
            (BOARD + "/{incident_id}/outcome", "POST", console.action(pages.outcome))):
        _add(app, path, method, run)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class FollowUps:
    def __init__(self, console: Console, store: Storage):
        self.console, self.store = console, store

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.console.tz)

    def audit(self, ctx: Ctx, action: str, incident_ids: list[str]) -> None:
        """One audit row: this member saw these incidents' survivor details."""
        self.store.add_audit(at=members.iso(_now()), member_id=ctx.signed.actor.member_id,
                             device_id=None, action=action,
                             detail=",".join(f"incident:{i}" for i in incident_ids))

    def people(self) -> dict[str, dict]:
        return {m["id"]: m for m in self.console.records("member")}

    # ---- the board --------------------------------------------------------------------
    def board(self, ctx: Ctx) -> Response:
        q = ctx.request.query_params
        order = q.get("order") or "newest"
        shown_cases = q.get("status") or "open"
        if order not in fu.ORDERS or shown_cases not in fu.SHOWN:
            raise Refused(400, "console.followups.bad_filter")
        zone = self.zone
        now = datetime.now(zone)
        every = fu.cases(self.console.records("incident"), self.console.records("follow_up"),
                         self.console.records("referral"), today=now.date(), tz=zone)
        shown = fu.board(every, order=order, shown=shown_cases)
        hoods = {h["id"]: h for h in self.console.records("neighborhood")}
        people = self.people()
        rows = [self.row(ctx, c, now, hoods, people) for c in shown]
        if rows:
            self.audit(ctx, "view_follow_ups", [c.id for c in shown])
        counts = {s: sum(1 for c in every if c.status == s) for s in tx.FOLLOW_UP_STATUS}
        counts["open"] = sum(1 for c in every if not c.closed)
        counts["overdue"] = sum(1 for c in every if c.overdue)
        counts["all"] = len(every)
        return self.console.render(
            ctx, "followups.html", rows=rows, order=order, chosen=shown_cases,
            orders=fu.ORDERS, statuses=tx.FOLLOW_UP_STATUS, counts=counts,
            total=len(every), overdue=counts["overdue"])

    def row(self, ctx: Ctx, case: fu.Case, now: datetime, hoods: dict,
            people: dict) -> dict[str, Any]:
        """What the board says of a case, in the coordinator's language."""
        tr, inc = ctx.tr, case.incident
        occurred = _local(inc.get("occurred_at"), self.zone)
        lang = fu.survivor_language(inc)
        assignee = people.get((case.follow_up or {}).get("assignee_id") or "")
        waited = case.waited_days(now)
        return {
            "id": case.id, "status": case.status, "overdue": case.overdue,
            "closed": case.closed,
            "when": tr.day_time(occurred) if occurred else "",
            "harms": ", ".join(tr.t(f"harm_types.{h}") for h in inc.get("harm_types") or ()),
            "hood": tr.place(hoods.get(inc.get("neighborhood_id") or "")) if
            inc.get("neighborhood_id") in hoods else "",
            "language": tr.t(f"spoken.{lang}") if lang else "",
            "safe_times": inc.get("contact_safe_times") or "",
            "assignee": assignee["name"] if assignee else "",
            "due": tr.day(case.due) if case.due else "",
            "waited": tr.t("console.followups.waited", count=waited)
            if waited is not None and not case.closed else "",
            "referrals": len(case.referrals),
        }

    # ---- a case ----------------------------------------------------------------------
    def case_of(self, incident_id: str) -> tuple[dict, dict | None, list[dict]]:
        """The incident, its follow-up and referrals; a 404 page when it is not a case."""
        incident = existing(self.store, "incident", incident_id)
        follow_up = fu.follow_up_of(incident_id, self.store.records_where(
            "follow_up", "incident_id", incident_id))
        if not fu.asks_for_follow_up(incident, follow_up):
            raise Refused(404, "console.followups.not_a_case")
        referrals = sorted(self.store.records_where("referral", "incident_id", incident_id),
                           key=lambda r: r.get("referred_at") or "")
        return incident, follow_up, referrals

    def case_page(self, ctx: Ctx, incident_id: str, problems: dict | None = None,
                  values: dict | None = None, status: int = 200) -> Response:
        incident, follow_up, referrals = self.case_of(incident_id)
        tr, zone = ctx.tr, self.zone
        people = self.people()
        partners = {p["id"]: p for p in self.console.records("partner")}
        lang = fu.survivor_language(incident)
        needs = fu.open_needs(incident, referrals)
        matches = fu.rank_partners(partners.values(), needs=needs or incident.get(
            "referral_needs") or (), harm_types=incident.get("harm_types") or (), language=lang)
        suggested = {m.partner["id"] for m in matches}
        others = sorted((p for p in partners.values() if p["id"] not in suggested),
                        key=lambda p: tr.place(p).casefold())
        shown = {**self.form_values(follow_up), **(values or {})}
        occurred = _local(incident.get("occurred_at"), zone)
        notice = None
        if ctx.request.query_params.get("saved"):
            notice = tr.t("console.followups.saved")
        elif ctx.request.query_params.get("referred"):
            notice = tr.t("console.followups.referred")
        self.audit(ctx, "view_survivor_details", [incident["id"]])
        return self.console.render(
            ctx, "follow_up.html", status=status, incident=incident, follow_up=follow_up,
            case_status=fu.status_of(follow_up),
            overdue=fu.is_overdue(follow_up, datetime.now(zone).date(), zone),
            occurred=tr.day_time(occurred) if occurred else "",
            hood=self.store.live_record("neighborhood", incident["neighborhood_id"])
            if is_uuid(incident.get("neighborhood_id") or "") else None,
            language=lang, values=shown, was=self.form_values(follow_up),
            problems={k: (key, {}) for k, key in (problems or {}).items()},
            statuses=tx.FOLLOW_UP_STATUS, outcomes=tx.REFERRAL_OUTCOMES,
            assignees=sorted((m for m in people.values() if m.get("role") in ASSIGNABLE),
                             key=lambda m: m["name"].casefold()),
            referrals=[self.referral_row(ctx, r, partners, people) for r in referrals],
            matches=matches, others=others, needs=needs,
            all_needs=tx.REFERRAL_NEEDS, today=datetime.now(zone).date().isoformat(),
            notice=notice)

    def referral_row(self, ctx: Ctx, r: dict, partners: dict, people: dict) -> dict:
        when = _local(r.get("referred_at"), self.zone)
        by = people.get(r.get("referred_by") or "")
        return {"id": r["id"], "partner": partners.get(r["partner_id"]),
                "need": r.get("need"), "when": ctx.tr.day(when.date()) if when else "",
                "by": by["name"] if by else "", "outcome": r.get("outcome") or "pending",
                "note": r.get("outcome_note") or ""}

    def form_values(self, follow_up: dict | None) -> dict[str, str]:
        """The follow-up's fields as its form shows them (the next action as a day)."""
        f = follow_up or {}
        due = fu.due_date(f, self.zone)
        return {"status": fu.status_of(f), "assignee_id": f.get("assignee_id") or "",
                "next_action_date": due.isoformat() if due else "",
                "outcome": f.get("outcome") or "", "notes": f.get("notes") or ""}

    # ---- what a coordinator does there ---------------------------------------------------
    def save(self, ctx: Ctx, form, _upload, incident_id: str) -> Response:
        """The follow-up's fields the coordinator changed (against what the form
        showed, ``was.<field>``), written over the record as it stands now."""
        self.case_of(incident_id)
        posted = {k: (form.get(k) or "").strip() for k in FOLLOW_UP_FIELDS}
        problems: dict[str, str] = {}
        if posted["status"] not in tx.FOLLOW_UP_STATUS:
            problems["status"] = "console.error.unknown_choice"
        if posted["assignee_id"] and posted["assignee_id"] not in {
                m["id"] for m in self.people().values() if m.get("role") in ASSIGNABLE}:
            problems["assignee_id"] = "console.error.unknown_choice"
        due = None
        if posted["next_action_date"]:
            try:
                due = date.fromisoformat(posted["next_action_date"])
            except ValueError:
                problems["next_action_date"] = "console.error.not_date"
        for name in ("outcome", "notes"):
            if len(posted[name]) > NOTE_MAX:
                problems[name] = "console.followups.too_long"
        if problems:
            return self.case_page(ctx, incident_id, problems, posted, 422)
        fields: dict[str, Any] = {
            "status": posted["status"], "assignee_id": posted["assignee_id"] or None,
            "next_action_date": datetime(due.year, due.month, due.day, tzinfo=self.zone)
            .isoformat() if due else None,
            "outcome": posted["outcome"], "notes": posted["notes"]}
        changed = {k: v for k, v in fields.items()
                   if posted[k] != (form.get(f"was.{k}") or "").strip()}
        if changed:
            self.write_follow_up(ctx, incident_id, changed)
        return RedirectResponse(f"{BOARD}/{incident_id}?saved=1", 303)

    def write_follow_up(self, ctx: Ctx, incident_id: str, changed: dict) -> None:
        """``changed`` fields over the incident's follow-up (made when there is none)."""
        current = fu.follow_up_of(incident_id, self.store.records_where(
            "follow_up", "incident_id", incident_id))
        record = {"id": current["id"] if current else fu.follow_up_id(incident_id),
                  "incident_id": incident_id, **changed,
                  "updated_at": members.iso(_now())}
        why = self.console.write(ctx.signed.actor, "follow_up", record)
        if why is not None:
            log.info("follow-up write refused: %s", why)
            raise Refused(403, "console.error.not_allowed")

    def refer(self, ctx: Ctx, form, _upload, incident_id: str) -> Response:
        """A new referral to a partner (pending), and the case moved on to referred."""
        incident, follow_up, _referrals = self.case_of(incident_id)
        partner_id, need = form.get("partner_id") or "", form.get("need") or ""
        problems: dict[str, str] = {}
        if not is_uuid(partner_id) or self.store.live_record("partner", partner_id) is None:
            problems["partner_id"] = "console.followups.choose_partner"
        if need and need not in tx.REFERRAL_NEEDS:
            problems["need"] = "console.error.unknown_choice"
        try:
            day = date.fromisoformat(form.get("referred_on") or "")
        except ValueError:
            problems["referred_on"] = "console.error.not_date"
        if problems:
            return self.case_page(ctx, incident_id, problems, None, 422)
        now = datetime.now(self.zone)
        at = now if day == now.date() else datetime(day.year, day.month, day.day, 12,
                                                    tzinfo=self.zone)
        referral = {"id": new_id(), "incident_id": incident["id"], "partner_id": partner_id,
                    "need": need or None, "referred_at": at.isoformat(timespec="seconds"),
                    "referred_by": ctx.signed.actor.member_id, "outcome": "pending",
                    "updated_at": members.iso(_now())}
        why = self.console.write(ctx.signed.actor, "referral", referral)
        if why is not None:
            log.info("referral write refused: %s", why)
            raise Refused(403, "console.error.not_allowed")
        status = fu.status_of(follow_up)
        if fu.status_after_referral(status) != status:
            self.write_follow_up(ctx, incident_id, {"status": fu.status_after_referral(status)})
        return RedirectResponse(f"{BOARD}/{incident_id}?referred=1#referrals", 303)

    def outcome(self, ctx: Ctx, form, _upload, incident_id: str) -> Response:
        """What came of a referral: its outcome and note (only what changed)."""
        self.case_of(incident_id)
        rid = form.get("referral_id") or ""
        referral = self.store.live_record("referral", rid) if is_uuid(rid) else None
        if referral is None or referral.get("incident_id") != incident_id:
            raise Refused(404, "console.error.no_record")
        outcome = form.get("outcome") or ""
        note = (form.get("outcome_note") or "").strip()
        if outcome not in tx.REFERRAL_OUTCOMES or len(note) > NOTE_MAX:
            raise Refused(400, "console.followups.bad_outcome")
        changed = {k: v for k, v in (("outcome", outcome), ("outcome_note", note))
                   if v != (form.get(f"was.{k}") or "").strip()}
        if changed:
            why = self.console.write(ctx.signed.actor, "referral", {
                "id": rid, "incident_id": incident_id, "partner_id": referral["partner_id"],
                "referred_at": referral["referred_at"], **changed,
                "updated_at": members.iso(_now())})
            if why is not None:
                log.info("referral write refused: %s", why)
                raise Refused(403, "console.error.not_allowed")
        return RedirectResponse(f"{BOARD}/{incident_id}?saved=1#referrals", 303)


def _local(value: str | None, zone: ZoneInfo) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=zone)).astimezone(zone)
