"""Who may do what: the one table of the server's rules, per role (docs/SYNC.md, Who
may write and read what; a test holds the document to these tables).

Pure data and small functions, no I/O: ``merge.py`` asks ``may_write`` for every
entry of every push, the storage builds each role's pull from ``READ``, and the app
asks ``may_call`` for every endpoint.

Roles, from least to most: volunteer, ambassador, coordinator, admin. A device acts
as the member it was enrolled for (by that member's invite), with the member's role
as the server holds it now.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..protocol import ROLES  # least to most

RANK = {r: i for i, r in enumerate(ROLES)}
PRIVILEGED_MEMBER_ROLES = ("coordinator", "admin")  # given or taken only by an admin


@dataclass(frozen=True)
class Actor:
    """Who a request acts for: the member a device was enrolled as, with the role
    the member has now (None: the server itself, e.g. the command line)."""
    member_id: str | None
    role: str
    device_id: str | None = None

    def at_least(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


SERVER = Actor(None, "admin")  # what stroll-server's command line acts as

# ---- writes -------------------------------------------------------------------------------
# type -> (create, change a record of one's own, change anyone's): the least role that
# may. "Change" is an upsert of an existing id, a patch or a delete; a record's author
# is the member whose device created it (a tombstone keeps its author, so re-creating
# a deleted id is a change).
ANYONE, AMBASSADOR, COORDINATOR, ADMIN = ROLES  # (anyone signed in is a volunteer at least)
VOLUNTEER = ANYONE
SERVER_ONLY = "server"  # records the server keeps itself
WRITE: dict[str, tuple[str, str, str]] = {
    "neighborhood": (COORDINATOR, COORDINATOR, COORDINATOR),
    "route": (COORDINATOR, COORDINATOR, COORDINATOR),
    "shift": (COORDINATOR, COORDINATOR, COORDINATOR),
    "member": (COORDINATOR, COORDINATOR, COORDINATOR),
    "follow_up": (COORDINATOR, COORDINATOR, COORDINATOR),
    "referral": (COORDINATOR, COORDINATOR, COORDINATOR),
    "partner": (COORDINATOR, COORDINATOR, COORDINATOR),
    # kept by the server from the sign-ups (signups.py): no device writes them
    "roster": (SERVER_ONLY, SERVER_ONLY, SERVER_ONLY),
    "shift_team": (SERVER_ONLY, SERVER_ONLY, SERVER_ONLY),
    "merchant": (ANYONE, ANYONE, COORDINATOR),
    "signup": (ANYONE, ANYONE, COORDINATOR),
    "stroll": (ANYONE, ANYONE, COORDINATOR),
    "track_chunk": (ANYONE, ANYONE, COORDINATOR),
    "check_in": (ANYONE, ANYONE, COORDINATOR),
    "incident": (ANYONE, ANYONE, COORDINATOR),
}
# Beyond the table: a member given (or holding) the coordinator or admin role is
# written only by an admin; a sign-up is for the member the device is signed in as
# (a coordinator may sign up anyone); a sign-up's status is decided by the server.
WRITE_NOTES = (
    "a member record whose role is, or becomes, coordinator or admin: admin only",
    "a sign-up's member_id: the member the device is signed in as (coordinators: anyone)",
    "a sign-up's status, decided_at, reason, reason_code and waitlist_position: the "
    "server's decision (docs: Push)",
    "a sign-up's check-in away from the meeting point is approved "
    "(check_in_approved_by) by a coordinator only",
)


def _name(role: str) -> str:
    return "anyone signed in" if role == ANYONE else f"a {role}"


def may_write(rtype: str, actor: Actor, *, exists: bool, owner: str | None,
              data: dict[str, Any] | None, before: dict[str, Any] | None) -> str | None:
    """None when ``actor`` may write this entry, else why not (one sentence).

    ``exists``: the server has the record (live or a tombstone); ``owner``: its
    author's member id; ``data``: the fields the entry sets; ``before``: the record
    as stored (None for a new one or a tombstone)."""
    create, own, anyones = WRITE[rtype]
    if create == SERVER_ONLY:
        return f"{rtype} records are kept by the server; no device writes them"
    if not exists:
        need, what = create, "create"
    elif owner is not None and owner == actor.member_id:
        need, what = own, "change"
    else:
        need, what = anyones, "change another member's"
    if not actor.at_least(need):
        return (f"{_name(need)} may {what} {rtype} records; this device is signed in "
                f"as a {actor.role}")
    data = data or {}
    if rtype == "member":
        for role in (data.get("role"), (before or {}).get("role")):
            if role in PRIVILEGED_MEMBER_ROLES and not actor.at_least(ADMIN):
                return f"only an admin may give or change a member with the {role} role"
    if rtype == "signup" and not actor.at_least(COORDINATOR):
        member = data.get("member_id", (before or {}).get("member_id"))
        if member != actor.member_id:
            return ("a sign-up is for the member this device is signed in as "
                    f"({actor.member_id}), not {member!r}")
        approved = data.get("check_in_approved_by", (before or {}).get(
            "check_in_approved_by"))
        if approved != (before or {}).get("check_in_approved_by"):
            return "only a coordinator approves a check-in away from the meeting point"
    return None


# ---- reads ----------------------------------------------------------------------------------
# type -> role -> what the role pulls: (whose, view) pairs tried in order.
# whose: "all" (every record of the type) or "team" (records the member wrote, is the
# subject of, or was on the stroll of); view: "full", "public" (no survivor fields)
# or "coarse" (stroll.domain.disclosure). A role missing from a type's rules gets
# none of its records.
Reads = tuple[tuple[str, str], ...]
_ALL_FULL: Reads = (("all", "full"),)
_EVERYONE_FULL = {r: _ALL_FULL for r in ROLES}
_COORDINATORS_FULL = {COORDINATOR: _ALL_FULL, ADMIN: _ALL_FULL}

READ: dict[str, dict[str, Reads]] = {
    "neighborhood": _EVERYONE_FULL,
    "route": _EVERYONE_FULL,
    "shift": _EVERYONE_FULL,
    "merchant": _EVERYONE_FULL,
    "member": {VOLUNTEER: (("team", "public"),), AMBASSADOR: (("all", "public"),),
               **_COORDINATORS_FULL},
    "signup": {VOLUNTEER: (("team", "full"),), AMBASSADOR: (("team", "full"),),
               **_COORDINATORS_FULL},
    "stroll": {VOLUNTEER: (("team", "full"),), AMBASSADOR: (("team", "full"),),
               **_COORDINATORS_FULL},
    "track_chunk": {VOLUNTEER: (("team", "full"),), AMBASSADOR: (("team", "full"),),
                    **_COORDINATORS_FULL},
    "check_in": {VOLUNTEER: (("team", "full"),), AMBASSADOR: (("all", "full"),),
                 **_COORDINATORS_FULL},
    "incident": {VOLUNTEER: (("team", "public"), ("all", "coarse")),
                 AMBASSADOR: (("team", "public"), ("all", "coarse")),
                 **_COORDINATORS_FULL},
    "follow_up": _COORDINATORS_FULL,
    "referral": _COORDINATORS_FULL,  # whom a survivor was sent to: coordinators only
    "partner": _EVERYONE_FULL,   # a directory of services: every phone may refer
    "roster": _EVERYONE_FULL,    # a shift's counts: every phone's Shifts tab
    "shift_team": {VOLUNTEER: (("team", "full"),), AMBASSADOR: (("team", "full"),),
                   **_COORDINATORS_FULL},  # first names: the shift's confirmed members
}


def reads(rtype: str, role: str) -> Reads:
    return READ[rtype].get(role, ())


def view_of_all(rtype: str, role: str) -> str | None:
    """The view in which ``role`` reads every record of ``rtype`` ("full" holds the
    survivor fields; None: the role does not read all of them): what a console export
    of the type gives the role."""
    return next((view for whose, view in reads(rtype, role) if whose == "all"), None)


@lru_cache(maxsize=None)  # asked on every pull
def carries_survivor_fields(role: str) -> bool:
    """Whether a pull of ``role`` may carry survivor fields (then it is audited)."""
    return any(view == "full" and rtype in ("incident", "follow_up", "referral", "member")
               for rtype in READ for _whose, view in reads(rtype, role))


# ---- endpoints ------------------------------------------------------------------------------
# "METHOD path" -> the least role that may call it (None: no token needed).
ENDPOINTS: dict[str, str | None] = {
    "GET /health": None,
    "POST /v1/devices": None,              # needs an invite code instead
    "POST /v1/sync/push": ANYONE,
    "GET /v1/sync/pull": ANYONE,
    "DELETE /v1/devices/me": ANYONE,       # sign out: revoke this device's own token
    "POST /v1/calendar": ANYONE,           # the member's own calendar feed
    "DELETE /v1/calendar": ANYONE,
    "GET /v1/calendar/{token}.ics": None,  # the token in the address is the secret
    "GET /v1/devices": COORDINATOR,
    "DELETE /v1/devices/{device_id}": COORDINATOR,
    "POST /v1/members": COORDINATOR,
    "POST /v1/members/{member_id}/invites": COORDINATOR,
    "POST /v1/members/{member_id}/revoke": COORDINATOR,
    "GET /v1/audit": COORDINATOR,
}


def may_call(endpoint: str, actor: Actor) -> bool:
    need = ENDPOINTS[endpoint]
    return need is None or actor.at_least(need)


def may_manage_member(actor: Actor, member_role: str | None) -> str | None:
    """None when ``actor`` may invite or revoke a member of ``member_role``."""
    if member_role in PRIVILEGED_MEMBER_ROLES and not actor.at_least(ADMIN):
        return f"only an admin may invite or revoke a member with the {member_role} role"
    return None


# ---- the console ----------------------------------------------------------------------------
# A page of the browser console (sync/server/console/) -> the least role that may open it
# (None: anyone, signed in or not). A path not named here is a program page: its entry is
# "/console". What a page writes goes through ``may_write`` like a push.
CONSOLE: dict[str, str | None] = {
    "/console/sign-in": None,
    "/console/redeem": None,               # an invite code: choose a sign-in and password
    "/console/language": None,
    "/console/static": None,               # the console's stylesheet, script and images
    "/console/sign-out": ANYONE,
    "/console/follow-ups": COORDINATOR,    # survivors' cases: coordinators and admins only
    "/console/map": COORDINATOR,           # walked tracks, check-ins, incidents
    "/console/strolls": COORDINATOR,       # a stroll's page: its team by name
    "/console/coverage": COORDINATOR,      # counts per piece of street and business
    "/console/dashboard": COORDINATOR,     # counts only
    "/console/report": COORDINATOR,        # the month's counts, to print
    "/console/exports": COORDINATOR,       # files; survivor fields by the READ table
    "/console": COORDINATOR,               # the program: places, people, shifts
}


def console_need(path: str) -> str | None:
    """The least role that may open console page ``path``."""
    for prefix, need in CONSOLE.items():
        if prefix != "/console" and (path == prefix or path.startswith(prefix + "/")):
            return need
    return CONSOLE["/console"]


def may_open_console(path: str, actor: Actor | None) -> bool:
    need = console_need(path)
    return need is None or (actor is not None and actor.at_least(need))
