"""What changed in a volunteer's sign-ups that they did not do themselves.

The person signs up and cancels; the server answers (confirmed, waitlisted, refused:
the answer to their own request, said on the shift's card). Other changes are made by
someone else, and the Shifts tab shows each once, at the top, until the person says
they saw it: a place opened up and they moved off the waitlist (``promoted``), a
coordinator confirmed them by hand (``by_coordinator``), cancelled the shift
(``shift_cancelled``) or took them off it (``cancelled_by_coordinator``), the shift
moved (``MOVED``: its start or end is not what the person last saw) or is gone while
they were on it (``DELETED``).

"What the person last saw" of each sign-up is kept on the device (``seen``: status,
reason code, the shift's start and end). ``changes`` compares it with the sign-up as
it stands; a sign-up whose difference is the answer to the person's own request is
noted as seen quietly, so only the others' changes show. Pure: records in, the
changes and the quiet updates out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Mapping, Optional

from .records import parse_time

# reason codes of changes made by someone else (stroll.domain.taxonomy.SIGNUP_REASONS)
NOT_MINE = ("promoted", "by_coordinator", "shift_cancelled", "cancelled_by_coordinator")
MOVED = "moved"        # the shift's start or end changed
DELETED = "deleted"    # the shift is gone while the sign-up still stood
KINDS = (*NOT_MINE, MOVED, DELETED)
ACTIVE = ("requested", "confirmed", "waitlisted")   # a sign-up that still stands


@dataclass(frozen=True)
class SignupChange:
    """One change to show: which sign-up, what kind, the shift as it is now (None:
    gone) and as the person last saw it, and what seeing it records."""
    signup_id: str
    shift_id: str
    kind: str                               # one of KINDS
    shift: Optional[dict]                   # the shift now (None: it is gone)
    was_starts_at: Optional[str]            # what the person last saw (None: unknown)
    was_ends_at: Optional[str]
    seen: dict = field(compare=False)       # the ``signup_seen`` row "OK" keeps

    @property
    def starts_at(self) -> Optional[str]:
        """When the shift starts now, or (gone) when it started as last seen."""
        return self.shift["starts_at"] if self.shift else self.was_starts_at


def seen_row(signup: Mapping, shift: Optional[Mapping],
             before: Optional[Mapping] = None, *, keep_times: bool = False) -> dict:
    """The ``signup_seen`` row for ``signup`` as it stands: its status and reason, and
    the shift's times (``keep_times``: the times ``before`` held, so that a move of the
    shift still shows after a quiet update)."""
    times = before if keep_times and before else shift or before or {}
    return {"signup_id": signup["id"], "status": signup.get("status"),
            "reason_code": signup.get("reason_code"),
            "starts_at": times.get("starts_at"), "ends_at": times.get("ends_at")}


def _moved(before: Mapping, shift: Mapping) -> bool:
    for key in ("starts_at", "ends_at"):
        was, now = before.get(key), shift.get(key)
        if was and now and parse_time(was) != parse_time(now):
            return True
    return False


def _over(end: Optional[str], now: datetime) -> bool:
    return bool(end) and parse_time(end) <= now


def _kind(signup: Mapping, shift: Optional[Mapping], before: Optional[Mapping]) -> Optional[str]:
    status, code = signup.get("status"), signup.get("reason_code")
    answered = before is None or (before.get("status"), before.get("reason_code")) \
        != (status, code)
    if code in NOT_MINE and answered:
        # with nothing seen and no shift to date it by (a fresh sign-in pulling old
        # sign-ups of shifts since deleted), there is nothing worth telling
        return code if shift is not None or before is not None else None
    if before is None or status not in ACTIVE:
        return None
    if shift is None:
        return DELETED
    return MOVED if _moved(before, shift) else None


def changes(signups: Iterable[Mapping], now: datetime
            ) -> tuple[list[SignupChange], list[dict]]:
    """The changes the person did not make and has not seen, soonest shift first, and
    the ``signup_seen`` rows to write quietly (the answer to their own request, or a
    sign-up seen for the first time). Each sign-up carries ``shift`` (None: gone) and
    ``seen`` (what the person last saw; None: nothing yet). Sign-ups of shifts that
    are over are left alone."""
    shown: list[SignupChange] = []
    quiet: list[dict] = []
    for s in signups:
        shift, before = s.get("shift"), s.get("seen")
        end = shift["ends_at"] if shift else (before or {}).get("ends_at")
        if _over(end, now):
            continue
        kind = _kind(s, shift, before)
        if kind is not None:
            shown.append(SignupChange(
                s["id"], s.get("shift_id"), kind, dict(shift) if shift else None,
                (before or {}).get("starts_at"), (before or {}).get("ends_at"),
                seen_row(s, shift, before)))
        elif before is None or (before.get("status"), before.get("reason_code")) \
                != (s.get("status"), s.get("reason_code")):
            quiet.append(seen_row(s, shift, before, keep_times=True))
    shown.sort(key=lambda c: (parse_time(c.starts_at) if c.starts_at else now, c.signup_id))
    return shown, quiet


__all__ = ["changes", "seen_row", "SignupChange", "NOT_MINE", "MOVED", "DELETED", "KINDS",
           "ACTIVE"]
