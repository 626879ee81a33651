"""Whether a shift is staffed: one rule, shared by the phones' Shifts tab and the
coordinators' console (its rosters and week view), so both flag the same gaps.

A shift is short when fewer people are confirmed than its smallest group
(``min_group``, never under two: nobody walks alone, the buddy rule), when it needs a
trained lead and no one confirmed is one, or when a language it needs (``languages_needed``: someone must speak Cantonese on a Chinatown
shift) is spoken by no one confirmed. Pure: the shift and its confirmed members in,
the flags out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from .patrol_rules import MIN_TEAM

BELOW_MINIMUM = "below_minimum"
NO_LEAD = "no_lead"
LANGUAGE_MISSING = "language_missing"
FLAGS = (BELOW_MINIMUM, NO_LEAD, LANGUAGE_MISSING)


@dataclass(frozen=True)
class Staffing:
    confirmed: int
    capacity: int
    min_group: int
    waitlisted: int
    flags: tuple[str, ...]                  # in FLAGS order
    missing_languages: tuple[str, ...]      # the needed languages no one speaks

    @property
    def short(self) -> bool:
        return bool(self.flags)

    @property
    def full(self) -> bool:
        return self.confirmed >= self.capacity

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.confirmed)

    @property
    def waitlist_open(self) -> bool:
        """Whether one more sign-up would still be waitlisted rather than refused: the
        server keeps a waitlist as long as the shift's capacity (sync/server/signups.py)."""
        return self.waitlisted < self.capacity


def staffing(shift: Mapping, confirmed: Sequence[Mapping], waitlisted: int = 0) -> Staffing:
    """The staffing of ``shift`` with the members (records) whose sign-ups are
    confirmed, and how many wait on its waitlist."""
    capacity = int(shift.get("capacity") or 1)
    # never alone (the buddy rule): the smallest group is at least two, whatever the
    # shift says; a smaller one set, or one above the capacity, reads as the capacity
    min_group = max(MIN_TEAM, min(int(shift.get("min_group") or MIN_TEAM), capacity))
    flags = []
    if len(confirmed) < min_group:
        flags.append(BELOW_MINIMUM)
    if shift.get("needs_lead", True) and not any(m.get("trained_lead") for m in confirmed):
        flags.append(NO_LEAD)
    spoken = {code for m in confirmed for code in (m.get("languages") or ())}
    missing = tuple(code for code in (shift.get("languages_needed") or ())
                    if code not in spoken)
    if missing:
        flags.append(LANGUAGE_MISSING)
    return Staffing(len(confirmed), capacity, min_group, waitlisted, tuple(flags), missing)
