"""Following up with survivors: which incidents are cases, how a board of them is
ordered, when one is overdue, and which partner services fit a case. Pure rules, the
same wherever they are asked (the console's follow-ups board today).

- **A case** is an incident that asked for follow-up: the person agreed to be contacted
  (``consent_contact``), or a coordinator opened a follow-up for it (a ``follow_up``
  record; e.g. a referral without contact). A merchant check-in marked
  ``needs_follow_up`` is about a business, not a survivor: it is not a case.
- **One follow-up a case**: the follow-up of an incident has the incident's id
  (``follow_up_id``), so two coordinators opening it at once write one record, merged
  per field. One written elsewhere with another id is still found by ``incident_id``.
- **Waiting** since the incident was reported (``reported_at``, else when it happened).
- **Overdue**: a next action date before today (in the program's zone) on a case that is
  not closed. The board marks it, and shows the overdue cases alone when asked.
- **Partners** (``rank_partners``): those taking a referral need of the case still open
  or one of its harms: the most needs first, then those speaking the survivor's
  language, then the most harms.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Iterable

from .taxonomy import FOLLOW_UP_STATUS, REFERRAL_OUTCOMES

CLOSED = "closed"
ORDERS = ("newest", "oldest_waiting")
# what the board shows: the cases still open (the default), the overdue ones, every
# case, or one status
SHOWN = ("open", "overdue", "all", *FOLLOW_UP_STATUS)
# a referral that did not help leaves its need open for another partner
REFERRAL_FAILED = frozenset({"declined", "unreachable"})
# statuses a new referral moves a case on from ("referred" is where it is then)
BEFORE_REFERRED = frozenset({"new", "contacted", "unreachable"})
# languages close enough to count, after the same one: Chinese spoken and written
CHINESE = frozenset({"yue", "cmn", "zh-Hant", "zh-Hans"})
LANGUAGE_RANK = {"same": 2, "near": 1, "": 0}

assert set(BEFORE_REFERRED) <= set(FOLLOW_UP_STATUS)
assert REFERRAL_FAILED <= set(REFERRAL_OUTCOMES)


def follow_up_id(incident_id: str) -> str:
    """The id of an incident's follow-up: the incident's own."""
    return incident_id


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def waiting_since(incident: dict) -> datetime | None:
    """When the case started waiting: the incident reported, else when it happened."""
    return _time(incident.get("reported_at")) or _time(incident.get("occurred_at"))


def asks_for_follow_up(incident: dict, follow_up: dict | None) -> bool:
    """Whether an incident is a case (see the module's rule)."""
    return bool(incident.get("consent_contact")) or follow_up is not None


def follow_up_of(incident_id: str, follow_ups: Iterable[dict]) -> dict | None:
    """The incident's follow-up: the one with its id, else the last changed."""
    mine = [f for f in follow_ups if f.get("incident_id") == incident_id]
    for f in mine:
        if f.get("id") == follow_up_id(incident_id):
            return f
    return max(mine, key=lambda f: f.get("updated_at") or "", default=None)


def due_date(follow_up: dict | None, tz: tzinfo) -> date | None:
    """The next action's day in the program's zone (None: none set)."""
    when = _time((follow_up or {}).get("next_action_date"))
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=tz)).astimezone(tz).date()


def is_overdue(follow_up: dict | None, today: date, tz: tzinfo) -> bool:
    due = due_date(follow_up, tz)
    return due is not None and due < today and status_of(follow_up) != CLOSED


def status_of(follow_up: dict | None) -> str:
    return (follow_up or {}).get("status") or "new"


def status_after_referral(status: str) -> str:
    """A case's status once a partner was referred: "referred", unless it was further."""
    return "referred" if status in BEFORE_REFERRED else status


@dataclass
class Case:
    """One row of the board: an incident, its follow-up (None: not opened yet) and
    referrals, and what the board says of them."""
    incident: dict
    follow_up: dict | None
    referrals: list[dict] = field(default_factory=list)
    since: datetime | None = None
    due: date | None = None
    overdue: bool = False

    @property
    def id(self) -> str:
        return self.incident["id"]

    @property
    def status(self) -> str:
        return status_of(self.follow_up)

    @property
    def closed(self) -> bool:
        return self.status == CLOSED

    def waited_days(self, now: datetime) -> int | None:
        """Whole days since the case started waiting (None: no time known)."""
        if self.since is None:
            return None
        since = self.since if self.since.tzinfo else self.since.replace(tzinfo=now.tzinfo)
        return max(0, (now - since).days)


def cases(incidents: Iterable[dict], follow_ups: Iterable[dict],
          referrals: Iterable[dict], *, today: date, tz: tzinfo) -> list[Case]:
    """Every case among ``incidents``, with its follow-up and referrals (unordered)."""
    follow_ups = list(follow_ups)
    by_incident: dict[str, list[dict]] = {}
    for f in follow_ups:
        by_incident.setdefault(f.get("incident_id"), []).append(f)
    sent: dict[str, list[dict]] = {}
    for r in referrals:
        sent.setdefault(r.get("incident_id"), []).append(r)
    out = []
    for inc in incidents:
        fu = follow_up_of(inc["id"], by_incident.get(inc["id"], ()))
        if not asks_for_follow_up(inc, fu):
            continue
        out.append(Case(inc, fu, sorted(sent.get(inc["id"], []),
                                        key=lambda r: r.get("referred_at") or ""),
                        waiting_since(inc), due_date(fu, tz), is_overdue(fu, today, tz)))
    return out


def _stamp(case: Case) -> float:
    return case.since.timestamp() if case.since and case.since.tzinfo else 0.0


def board(all_cases: Iterable[Case], *, order: str = "newest",
          shown: str = "open") -> list[Case]:
    """The board: the cases ``shown`` ("open": not closed; "overdue"; "all"; or one
    status), in ``order``: "newest" (the latest reported first) or "oldest_waiting"
    (open cases, the longest waiting first, then the closed ones, latest first)."""
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r} (known: {', '.join(ORDERS)})")
    if shown not in SHOWN:
        raise ValueError(f"unknown cases {shown!r} (known: {', '.join(SHOWN)})")
    cases = [c for c in all_cases if shown == "all" or c.status == shown
             or (shown == "open" and not c.closed) or (shown == "overdue" and c.overdue)]
    if order == "newest":
        return sorted(cases, key=lambda c: (-_stamp(c), c.id))
    return sorted(cases, key=lambda c: (c.closed, -_stamp(c) if c.closed else _stamp(c),
                                        c.id))


def survivor_language(incident: dict) -> str | None:
    """The language to reach the person in: the one they asked for, else theirs."""
    return incident.get("contact_language") or incident.get("affected_language")


def open_needs(incident: dict, referrals: Iterable[dict]) -> list[str]:
    """The incident's referral needs no referral serves yet (declined or unreachable
    ones leave the need open)."""
    served = {r.get("need") for r in referrals if r.get("outcome") not in REFERRAL_FAILED}
    return [n for n in incident.get("referral_needs") or () if n not in served]


@dataclass(frozen=True)
class Match:
    """A partner suggested for a case, and why."""
    partner: dict
    needs: tuple[str, ...]
    harms: tuple[str, ...]
    language: str  # "same", "near" (Chinese spoken / written), or "" (not spoken)


def rank_partners(partners: Iterable[dict], *, needs: Iterable[str],
                  harm_types: Iterable[str], language: str | None) -> list[Match]:
    """Partners taking one of ``needs`` or ``harm_types``, best first: the most needs
    taken, then speaking the survivor's ``language`` (else another Chinese language for
    a Chinese one), then the most harms; then by name. A partner taking none of them is
    not suggested, whatever it speaks."""
    needs, harms = list(needs), list(harm_types)
    out = []
    for p in partners:
        takes = tuple(n for n in needs if n in (p.get("referral_needs") or ()))
        helps = tuple(h for h in harms if h in (p.get("harm_types") or ()))
        if not takes and not helps:
            continue
        spoken = set(p.get("languages") or ())
        lang = "" if not language else "same" if language in spoken else \
            "near" if language in CHINESE and spoken & CHINESE else ""
        out.append(Match(p, takes, helps, lang))
    return sorted(out, key=lambda m: (-len(m.needs), -LANGUAGE_RANK[m.language],
                                      -len(m.harms), (m.partner.get("name") or "").casefold(),
                                      m.partner.get("id") or ""))


__all__ = ["Case", "Match", "ORDERS", "SHOWN", "asks_for_follow_up", "board", "cases", "due_date",
           "follow_up_id", "follow_up_of", "is_overdue", "open_needs", "rank_partners",
           "status_after_referral", "status_of", "survivor_language", "waiting_since"]
