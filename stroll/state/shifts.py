"""The volunteer's Shifts tab: the upcoming shifts, signing up and cancelling, and the
changes someone else made to the person's sign-ups.

``ShiftBoard`` (``AppState.shifts``) reads the store's ``shift_board`` question (each
shift with the server's roster and the signed-in member's latest sign-up) into
``ShiftCard``s: the shift's staffing (``stroll.domain.staffing``, from the roster:
places left, full, and the flags "below minimum", "no lead", "language missing"),
and what the person's own sign-up says. The tab filters them by neighborhood and day
and puts the short-staffed ones first when asked.

Signing up writes a ``Signup`` with status "requested" (and what the person saw of it,
``signup_seen``) in one transaction, so it waits in the outbox; the card says
"Requested — waiting for the server" at once, and the server's decision (confirmed,
waitlisted #n, refused with its reason code) after the next sync round. Cancelling
patches the sign-up's status (a ``patch`` entry). Both then ask the sync engine for a
round (``nudge``). A change the person did not make (``stroll.domain.signup_changes``)
is in ``news`` until they say they saw it (``acknowledge``).

No Flet page: tests/state/ drive it against a real Store.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable, Optional

import flet as ft

from stroll.domain import signup_changes
from stroll.domain import taxonomy as tx
from stroll.domain.ids import new_id
from stroll.domain.records import Signup, parse_time
from stroll.domain.staffing import Staffing, staffing
from stroll.domain.volunteering import staffing_members
from stroll.domain.signup_changes import SignupChange, seen_row
from sync.membership import signed_in_member

DAYS_AHEAD = 7          # the shifts listed: those starting within a week
STANDING = signup_changes.ACTIVE   # a sign-up that holds (or waits for) a place


@dataclass(frozen=True)
class ShiftCard:
    """One shift as the tab shows it: the record, the server's roster, the person's
    latest sign-up on it and its staffing."""
    shift: dict
    roster: Optional[dict]
    signup: Optional[dict]
    staffing: Staffing
    day: date                 # its local start day

    @property
    def id(self) -> str:
        return self.shift["id"]

    @property
    def status(self) -> Optional[str]:
        """The person's sign-up status (None: no sign-up)."""
        return self.signup["status"] if self.signup else None

    @property
    def can_sign_up(self) -> bool:
        """No sign-up yet, or the last one was refused or cancelled (a new one)."""
        return self.status not in STANDING

    @property
    def can_cancel(self) -> bool:
        return self.status in STANDING

    @property
    def places(self) -> tuple[str, dict]:
        """(catalog key, parameters) of the places left: "N of M places open",
        "Full · waitlist open" or "Full"."""
        st = self.staffing
        if not st.full:
            return "shifts.spots", {"left": st.places_left, "count": st.capacity}
        return ("shifts.full_waitlist", {}) if st.waitlist_open else ("shifts.full", {})

    @property
    def flags(self) -> list[tuple[str, dict]]:
        """(catalog key, parameters) of what the shift is short of, one a missing
        language (``language``: its code, said as ``spoken.<code>``)."""
        out: list[tuple[str, dict]] = []
        for flag in self.staffing.flags:
            if flag == "language_missing":
                out += [("shifts.flag.language_missing", {"language": code})
                        for code in self.staffing.missing_languages]
            else:
                out.append((f"shifts.flag.{flag}", {}))
        return out

    @property
    def mine(self) -> Optional[tuple[str, dict]]:
        """(catalog key, parameters) of what the person's sign-up says (None: none):
        requested, confirmed, waitlisted #n, refused or cancelled."""
        s = self.signup
        if s is None:
            return None
        if s["status"] == "waitlisted":
            return "shifts.status.waitlisted", {"position": s.get("waitlist_position") or "?"}
        return f"shifts.status.{s['status']}", {}

    @property
    def reason(self) -> Optional[str]:
        """The catalog key of the server's reason, where it says more than the status
        (why it was refused, who cancelled, a place that opened up); else None."""
        if self.status in (None, "requested"):
            return None
        code = (self.signup or {}).get("reason_code")
        return reason_key(code) if code not in SELF_EVIDENT else None


# reasons the status says by itself ("Confirmed", "Waitlisted #2", "Cancelled")
SELF_EVIDENT = (None, "place", "waitlisted", "cancelled")


def reason_key(code: Optional[str]) -> Optional[str]:
    """``signup.reason.<code>``: the server's reason in the person's language (None:
    a code this app does not know)."""
    return f"signup.reason.{code}" if code in tx.SIGNUP_REASONS else None


@dataclass(frozen=True)
class ShiftDetail:
    """What the detail screen adds to the card: the route, and who is going."""
    shift_id: str
    route: Optional[dict]               # the shift's route record (name, path)
    team: Optional[tuple[dict, ...]]    # the others going (first names), when confirmed


@ft.observable
class ShiftBoard:
    """The Shifts tab and the shift screen: the cards, the filters, the open shift,
    the cancel question and the changes to show."""

    def __init__(self, store, *, now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
                 member: Optional[Callable[[], Optional[str]]] = None,
                 nudge: Callable[[], None] = lambda: None):
        self._store = store
        self._now = now
        self._member = member or (lambda: (signed_in_member(store) or {}).get("member_id"))
        self._nudge = nudge
        self.member_id: Optional[str] = None
        self.cards: list[ShiftCard] = []
        self.news: list[SignupChange] = []
        self.neighborhood_id: Optional[str] = None     # the filter (None: every one)
        self.day: Optional[date] = None                # the filter (None: any day)
        self.short_first = False
        self.filters_open = False                      # the neighborhood and day chips
        self.detail: Optional[ShiftDetail] = None      # the shift screen's
        self.confirm_cancel = False

    # ---- reading ---------------------------------------------------------------------

    def load(self) -> None:
        """Read the cards and the unseen changes (after a tab change or a sync round)."""
        now = self._now()
        member_id = self._member()
        rows = self._store.shift_board(member_id, now, days=DAYS_AHEAD)
        self.member_id = member_id
        self.cards = [self._card(r, now) for r in rows]
        self._load_news(now)
        if self.detail is not None:
            self.detail = self._detail(self.detail.shift_id)

    def _card(self, row: dict, now: datetime) -> ShiftCard:
        shift, roster = row["shift"], row["roster"]
        st = staffing(shift, staffing_members(roster), int((roster or {}).get("waitlisted") or 0))
        return ShiftCard(shift, roster, row["signup"], st,
                         parse_time(shift["starts_at"]).astimezone(now.tzinfo).date())

    def _load_news(self, now: datetime) -> None:
        if not self.member_id:
            self.news = []
            return
        shown, quiet = signup_changes.changes(self._store.signups_seen(self.member_id), now)
        if quiet:
            self._store.mark_signups_seen(quiet)
        self.news = shown

    @property
    def signed_in(self) -> bool:
        return bool(self.member_id)

    def card(self, shift_id: Optional[str]) -> Optional[ShiftCard]:
        return next((c for c in self.cards if c.id == shift_id), None)

    def days(self) -> list[date]:
        """The days with shifts (for the day filter), in order."""
        return sorted({c.day for c in self.cards})

    def neighborhood_ids(self) -> set[str]:
        """The neighborhoods with shifts (for the neighborhood filter)."""
        return {c.shift["neighborhood_id"] for c in self.cards}

    def visible(self) -> list[ShiftCard]:
        """The cards the filters leave, in time order; the short-staffed first (each
        part in time order) when asked."""
        cards = [c for c in self.cards
                 if (self.neighborhood_id is None or c.shift["neighborhood_id"] == self.neighborhood_id)
                 and (self.day is None or c.day == self.day)]
        if self.short_first:
            cards.sort(key=lambda c: not c.staffing.short)  # stable: time order kept
        return cards

    def sections(self) -> list[tuple[str, object, list[ShiftCard]]]:
        """What the list shows: ("day", date, cards) a day in time order, or with the
        short-staffed first ("short", None, cards) then ("staffed", None, cards)."""
        cards = self.visible()
        if self.short_first:
            short = [c for c in cards if c.staffing.short]
            staffed = [c for c in cards if not c.staffing.short]
            return [(kind, None, part) for kind, part in (("short", short), ("staffed", staffed))
                    if part]
        out: list[tuple[str, object, list[ShiftCard]]] = []
        for c in cards:
            if not out or out[-1][1] != c.day:
                out.append(("day", c.day, []))
            out[-1][2].append(c)
        return out

    # ---- the filters ---------------------------------------------------------------------

    def choose_neighborhood(self, neighborhood_id: Optional[str]) -> None:
        self.neighborhood_id = neighborhood_id

    def choose_day(self, day: Optional[date]) -> None:
        self.day = day

    def toggle_filters(self) -> None:
        self.filters_open = not self.filters_open

    def toggle_short_first(self) -> None:
        self.short_first = not self.short_first

    # ---- the shift screen ----------------------------------------------------------------

    def open(self, shift_id: str) -> bool:
        if self.card(shift_id) is None:
            return False
        self.confirm_cancel = False
        self.detail = self._detail(shift_id)
        return True

    def _detail(self, shift_id: str) -> ShiftDetail:
        card = self.card(shift_id)
        route = team = None
        if card is not None:
            rid = card.shift.get("route_id")
            route = self._store.get("route", rid) if rid else None
            if card.status == "confirmed":  # the names reach a phone only then
                rec = self._store.get("shift_team", shift_id)
                if rec is not None:
                    team = tuple(p for p in rec.get("going") or ()
                                 if p.get("member_id") != self.member_id)
        return ShiftDetail(shift_id, route, team)

    def opened(self) -> Optional[ShiftCard]:
        """The card of the shift screen (None: closed, or the shift is gone)."""
        return self.card(self.detail.shift_id) if self.detail else None

    def close(self) -> None:
        self.detail = None
        self.confirm_cancel = False

    # ---- signing up and cancelling ---------------------------------------------------------

    def sign_up(self, shift_id: str) -> bool:
        """Ask for a place: a new sign-up, "requested", in the outbox (the server
        decides). False when nobody is signed in or the person already holds one."""
        card = self.card(shift_id)
        member_id = self._member()
        if card is None or not member_id or not card.can_sign_up:
            return False
        signup = Signup(id=new_id(), shift_id=shift_id, member_id=member_id,
                        status="requested",
                        requested_at=self._now().isoformat(timespec="seconds"))
        with self._store.transaction() as tx:
            tx.save(signup)
            tx.put_signup_seen(seen_row(signup.to_dict(), card.shift))  # my own doing
        self.load()
        self._nudge()
        return True

    def ask_cancel(self) -> None:
        card = self.opened()
        if card is not None and card.can_cancel:
            self.confirm_cancel = True

    def keep_place(self) -> None:
        self.confirm_cancel = False

    def cancel(self) -> bool:
        """Give the place up (after the question): the sign-up patched "cancelled"."""
        self.confirm_cancel = False
        card = self.opened()
        if card is None or not card.can_cancel:
            return False
        signup = dict(card.signup, status="cancelled", reason_code="cancelled")
        with self._store.transaction() as tx:
            tx.update("signup", signup["id"], status="cancelled")
            tx.put_signup_seen(seen_row(signup, card.shift))  # my own doing
        self.load()
        self._nudge()
        return True

    # ---- the changes someone else made ------------------------------------------------------

    def acknowledge(self, signup_id: str) -> None:
        """"OK": the change is seen; it does not show again."""
        change = next((c for c in self.news if c.signup_id == signup_id), None)
        if change is None:
            return
        self._store.mark_signups_seen([change.seen])
        self.news = [c for c in self.news if c.signup_id != signup_id]


__all__ = ["ShiftBoard", "ShiftCard", "ShiftDetail", "reason_key", "DAYS_AHEAD"]
