"""Fixtures of the AppState tests (tabs, navigation, settings, the sync badge): the demo
data seeded for today, and an AppState loaded from it. The modules import them."""
from __future__ import annotations

from datetime import datetime

import pytest

from stroll.demo import seed
from stroll.state import AppState

NOW = datetime.now().astimezone()


@pytest.fixture
def demo_store(store):
    seed(store, NOW.date())
    return store


@pytest.fixture
def state(demo_store):
    s = AppState(demo_store, now=lambda: NOW)
    s.load()
    return s
