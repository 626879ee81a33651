"""Who this device is signed in as, and the sign-in form: observable, no Flet page.

``SignIn`` is what the More tab's sign-in card and the sign-in screen show: the member
signed in here (name and role), the invite code being typed, whether a sign-in or
sign-out is under way, and what went wrong as a catalog key (``sync.failed.<code>``
for what the engine answered, ``signin.*`` for what is missing before asking it).
``AppState`` (stroll/state/app.py) calls these actions: it owns the server address and
the navigation; the network calls run on a ``SyncService`` thread
(stroll/state/sync_badge.py) and their answer comes back through ``finish_*``.
"""
from __future__ import annotations

from typing import Optional

import flet as ft

from stroll.domain import RECORD_TYPES
from sync.engine import FAILURE_CODES
from sync.protocol import ROLES  # each has its name in the catalogs: ``role.<role>``

# The setting "Not now" writes on the first-start screen: open onto the app next time.
SETTING_SIGN_IN_LATER = "ui.sign_in_later"


def failure_key(code: Optional[str]) -> Optional[str]:
    """The sentence for an engine failure code (an unknown code is a refusal)."""
    if not code:
        return None
    return f"sync.failed.{code if code in FAILURE_CODES else 'rejected'}"


def fresh_install(store, member: Optional[dict]) -> bool:
    """A fresh install: nobody signed in, "Not now" never tapped, no record at all
    (the demo data, or records pulled or written here, make it not fresh)."""
    return not (member or store.get_setting(SETTING_SIGN_IN_LATER)
                or any(store.count(t) for t in RECORD_TYPES))


@ft.observable
class SignIn:
    """The member signed in on this device, and the sign-in form's draft."""

    def __init__(self, member: Optional[dict] = None):
        self.member: Optional[dict] = member      # {"member_id", "name", "role"}
        self.invite_code = ""
        self.busy = False
        self.error: Optional[str] = None          # catalog key: what went wrong
        self.message: Optional[str] = None        # catalog key: what just happened

    @property
    def signed_in(self) -> bool:
        return self.member is not None

    def role_key(self) -> Optional[str]:
        role = (self.member or {}).get("role")
        return f"role.{role}" if role in ROLES else None

    def edit_invite_code(self, value: str) -> None:
        self.invite_code = value or ""
        self.error = self.message = None

    def refuse(self, key: str) -> None:
        """Say what stops the sign-in before any network call."""
        self.error, self.message = key, None

    def ready(self, server: str, server_valid: bool, can_sync: bool) -> bool:
        """Check the form before a sign-in (saying what is missing) and mark it under
        way; False when it cannot go out (nothing is sent then)."""
        if not self.invite_code.strip():
            self.refuse("signin.code_needed")
        elif not server:
            self.refuse("signin.server_needed")
        elif not server_valid:
            self.refuse("error.invalid_server")
        elif not can_sync:
            self.refuse("sync.failed.device_failure")
        else:
            return self.begin()
        return False

    def begin(self) -> bool:
        """Mark a sign-in/out as under way; False while one already runs."""
        if self.busy:
            return False
        self.busy, self.error, self.message = True, None, None
        return True

    def _answered(self, member: Optional[dict], code: Optional[str]) -> bool:
        """The engine answered: True when it did what was asked, else its sentence."""
        self.busy = False
        if code:
            self.error, self.member = failure_key(code), member
        return not code

    def finish_sign_in(self, member: Optional[dict], code: Optional[str]) -> bool:
        """The engine's answer to a sign-in; True when signed in."""
        if not self._answered(member, code):
            return False
        self.member, self.invite_code = member, ""  # "Signed in as ..." says it
        return True

    def finish_sign_out(self, member: Optional[dict], code: Optional[str]) -> bool:
        """The engine's answer to a sign-out; True when signed out."""
        if not self._answered(member, code):
            return False
        self.member, self.message = None, "signin.signed_out"
        return True

    def reload(self, member: Optional[dict]) -> None:
        """Who is signed in, as the store says now (a revoked device forgot them)."""
        if member != self.member:
            self.member = member


__all__ = ["SignIn", "SETTING_SIGN_IN_LATER", "failure_key", "fresh_install"]
