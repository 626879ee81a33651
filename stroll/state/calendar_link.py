"""The member's shifts in their calendar app: the actions of ``AppState`` that make and
stop the member's calendar feed (docs/SYNC.md, Calendar feed), and what they show.

``CalendarActions`` is a base of ``AppState`` (stroll/state/app.py), like
``AccountActions``: the fields it sets live on the app state, so every screen given
the state shows them (the More tab's card; a volunteer's "My shifts" screen):
- ``calendar_url``: the feed's address kept on this device (sealed at rest), or None;
- ``calendar_busy``: a call to the server is under way;
- ``calendar_error`` / ``calendar_message``: catalog keys of what went wrong / what
  just happened (``sync.failed.<code>`` for the engine's answers).
The network calls run on a ``SyncService`` thread; their answer comes back through
the session's hand-off, as signing in does.
"""
from __future__ import annotations

from typing import Optional

from stroll.state.sign_in import failure_key


class CalendarActions:
    """Make, show, copy and stop the member's calendar link."""

    def _init_calendar(self) -> None:
        self.calendar_url: Optional[str] = None
        self.calendar_busy = False
        self.calendar_error: Optional[str] = None     # catalog key
        self.calendar_message: Optional[str] = None   # catalog key
        self._reload_calendar()

    def _reload_calendar(self) -> None:
        """The address as the store keeps it now (a sign-out or a wipe forgets it)."""
        url = self._sync.calendar_url() if self._sync is not None else None
        if url != self.calendar_url:
            self.calendar_url = url

    def _calendar_ready(self) -> bool:
        """Whether a call may go out now (else why not is said); marks it under way."""
        if self.calendar_busy:
            return False
        if self._sync is None or not self.server_url:
            self.calendar_error, self.calendar_message = "signin.server_needed", None
            return False
        if self._member() is None:
            self.calendar_error, self.calendar_message = "calendar.sign_in_first", None
            return False
        if self._sync.engine is None:
            self._sync.configure(self.server_url, self.device_name)
        self.calendar_busy, self.calendar_error, self.calendar_message = True, None, None
        return True

    def calendar_link(self) -> bool:
        """Make the member's calendar link (a new one replaces the one before, which
        stops working). False when it could not go out (the reason shows)."""
        if not self._calendar_ready():
            return False
        self._sync.calendar_link(lambda *answer: self._handoff(self._calendar_answered,
                                                               "calendar.made", *answer))
        return True

    def stop_calendar_link(self) -> bool:
        """Stop the member's calendar link: calendar apps no longer get the shifts."""
        if not self._calendar_ready():
            return False
        self._sync.stop_calendar_link(lambda *answer: self._handoff(
            self._calendar_answered, "calendar.stopped", *answer))
        return True

    def _calendar_answered(self, done: str, url: Optional[str], code: Optional[str]) -> None:
        self.calendar_busy = False
        self.calendar_url = url
        if code:
            self.calendar_error, self.calendar_message = failure_key(code), None
        else:
            self.calendar_error, self.calendar_message = None, done

    def calendar_copied(self) -> None:
        """The screen put the address on the clipboard: say where it goes next."""
        self.calendar_error, self.calendar_message = None, "calendar.copied"


__all__ = ["CalendarActions"]
