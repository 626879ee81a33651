"""Flet 1.0.5 fix: a control method's answer that comes back after the control left
the page must not end the browser's connection (stroll/ui/flet_compat.py)."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

ft = pytest.importorskip("flet")
from flet.messaging.connection import Connection  # noqa: E402
from flet.messaging.session import Session  # noqa: E402
from flet.pubsub.pubsub_hub import PubSubHub  # noqa: E402

from stroll.ui import flet_compat  # noqa: E402


class _Browser(Connection):
    """The session's connection: keeps what the session sends."""

    def __init__(self):
        super().__init__()
        self.pubsubhub = PubSubHub()
        self.sent = []

    def send_message(self, message):
        self.sent.append(message)


def _call_answered_after_removal():
    """Invoke a method on a control id the session does not index (a control that left
    the page) and answer it as the browser would."""
    async def run():
        session = Session(_Browser())
        gone_id = max(session.index.keys()) + 1000
        call = asyncio.ensure_future(session.invoke_method(gone_id, "center_on", {}, 5))
        await asyncio.sleep(0)
        call_id = session.connection.sent[-1].body.call_id
        session.handle_invoke_method_results(gone_id, call_id, None, None)
        with pytest.raises(RuntimeError) as caught:
            await call
        return str(caught.value)
    # a thread of its own: the browser tests' driver keeps a loop running in this one
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=30)


def test_a_late_answer_wakes_the_caller_with_an_error_instead_of_raising_in_the_receive_loop():
    flet_compat.apply()
    assert _call_answered_after_removal() == flet_compat.GONE


def test_applying_the_fix_twice_wraps_once():
    flet_compat.apply()
    first = Session.handle_invoke_method_results
    flet_compat.apply()
    assert Session.handle_invoke_method_results is first
