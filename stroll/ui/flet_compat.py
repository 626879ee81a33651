"""Fixes for Flet 1.0.5 (pinned) that the app needs, applied once at start.

A late answer to a control method ends the browser's connection. The live map moves
to the team's position with ``Map.center_on`` (a method the browser runs and answers);
when the screen is rebuilt while that answer is on its way (a new GPS fix redraws the
map), the answer names a control that has left the page. Flet 1.0.5 then raises in its
receive loop, which closes the websocket: the page reconnects, but the screen can stay
stale, and a busy phone makes the window wide. Here such an answer wakes the waiting
call with an error (the caller already handles a map that is gone) and the connection
stays up.
"""
from __future__ import annotations

import logging

log = logging.getLogger("stroll.ui")

GONE = "the control left the page before the browser answered"


def handle_late_method_result(session, control_id, call_id, result, error,
                              original) -> None:
    """``Session.handle_invoke_method_results`` that drops an answer for a control no
    longer on the page instead of raising (the caller gets ``GONE`` as its error)."""
    if control_id in session.index:
        original(session, control_id, call_id, result, error)
        return
    evt = session._Session__method_calls.pop(call_id, None)
    log.debug("late answer for control %s (call %s) dropped", control_id, call_id)
    if evt is not None:
        session._Session__method_call_results[evt] = (None, GONE)
        evt.set()


def apply() -> None:
    from flet.messaging.session import Session

    original = Session.handle_invoke_method_results
    if getattr(original, "stroll_fix", False):
        return

    def patched(self, control_id, call_id, result, error):
        handle_late_method_result(self, control_id, call_id, result, error, original)

    patched.stroll_fix = True
    Session.handle_invoke_method_results = patched
