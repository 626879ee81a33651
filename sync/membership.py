"""Who a device is signed in as: sign in with an invite code, sign out, forget the
member when the server revoked the device (docs/SYNC.md, Members, invites and
sign-in). A part of ``engine.SyncEngine`` (this mixin), which supplies the store,
the client, the round lock and the status it publishes."""
from __future__ import annotations

import logging

from sync.client import SyncError
from sync.protocol import EnrollResponse

log = logging.getLogger("stroll.sync")

# the member's calendar feed address (a secret setting: stroll.store.atrest)
CALENDAR_URL = "sync.calendar_url"
# who this device is signed in as (settings), forgotten on sign-out
IDENTITY = ("sync.token", "sync.device_id", "sync.seq_offset", "sync.auth_required",
            "sync.member_id", "sync.member_name", "sync.role", "sync.token_expires_at",
            CALENDAR_URL)


def signed_in_member(store) -> dict | None:
    """``{"member_id", "name", "role"}`` of the member signed in on the device of
    ``store``, or None (read off the store: no engine, no server address needed)."""
    member_id = store.get_setting("sync.member_id")
    if not member_id or not store.get_setting("sync.token"):
        return None
    return {"member_id": member_id, "name": store.get_setting("sync.member_name"),
            "role": store.get_setting("sync.role")}


class MemberSession:
    """Sign-in and sign-out of ``SyncEngine`` (a mixin: no state of its own)."""

    def member(self) -> dict | None:
        """``{"member_id", "name", "role"}`` of the member signed in here, or None."""
        return signed_in_member(self.store)

    def sign_in(self, invite_code: str, device_name: str | None = None) -> EnrollResponse:
        """Sign this device in with an invite code (a SyncError says why not: the
        code is unknown, used or expired; the server cannot be reached). Another
        member's sensitive data is wiped first and the pull starts over in the new
        member's scope; entries still pending stay and go out as the new member."""
        if device_name:
            self.device_name = device_name
        with self._round_lock:
            enrolled = self.client.enroll(self.device_name, invite_code)
            before = self.store.get_setting("sync.member_id")
            if before and before != enrolled.member_id:
                self.store.wipe_member_data()  # (and the cursor: pull the new scope anew)
            with self.store.transaction():
                for key, value in (("sync.device_id", enrolled.device_id),
                                   ("sync.token", enrolled.token),
                                   ("sync.member_id", enrolled.member_id),
                                   ("sync.member_name", enrolled.member_name),
                                   ("sync.role", enrolled.role),
                                   ("sync.token_expires_at", enrolled.expires_at),
                                   # the new device id's sequence starts at 1 with this
                                   # phone's next pending entry
                                   ("sync.seq_offset", None), ("sync.auth_required", None),
                                   ("sync.last_error", None),
                                   ("sync.last_error_code", None)):
                    self.store.set_setting(key, value)
        self._publish("idle", code=None)
        self._wake.set()
        return enrolled

    def sign_out(self, *, force: bool = False) -> None:
        """Sign the member out: the server revokes this device's token (when it can
        be reached), and the member's sensitive data and identity leave the device.
        Refused (``pending_entries``) while entries wait to be sent, unless ``force``:
        they were written by this member and would go out as the next one."""
        with self._round_lock:
            pending = self.store.pending_count()
            if pending and not force:
                raise SyncError(f"{pending} records of this member are not sent yet: sync "
                                "before signing out", code="pending_entries")
            if self.store.get_setting("sync.token"):
                self.ensure_enrolled()
                try:
                    self.client.sign_out()
                except SyncError as e:  # offline, or already revoked: forget it here
                    log.info("sign-out not confirmed by the server: %s", e.message)
            self._forget_member()
            self.store.set_setting("sync.last_error_code", "sign_in_needed")
        self._publish("auth_required", code="sign_in_needed")

    # ---- the member's calendar feed (docs/SYNC.md, Calendar feed) -----------------------

    def calendar_url(self) -> str | None:
        """The address of the member's calendar feed this device made, or None."""
        return self.store.get_setting(CALENDAR_URL) or None

    def create_calendar_feed(self) -> str:
        """Make (or replace) the member's calendar feed on the server and keep its
        address here (sealed); a SyncError says why not."""
        with self._round_lock:
            self.ensure_enrolled()
            url = self.client.create_calendar_feed()
            self.store.set_setting(CALENDAR_URL, url)
        return url

    def stop_calendar_feed(self) -> None:
        """Stop the member's calendar feed on the server, and forget its address."""
        with self._round_lock:
            self.ensure_enrolled()
            self.client.stop_calendar_feed()
            self.store.set_setting(CALENDAR_URL, None)

    def _forget_member(self) -> None:
        """Wipe the member's sensitive data (first: it empties the WAL behind it),
        then forget who they are."""
        self.store.wipe_member_data()
        with self.store.transaction():
            for key in IDENTITY:
                self.store.set_setting(key, None)
            self.store.set_setting("sync.cursor", None)
        self.client.token = self.client.device_id = None

