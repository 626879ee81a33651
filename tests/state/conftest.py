"""The fixtures of the patrol screens' tests: a Store seeded with the demo data at a fixed
Friday afternoon, the patrol service on the test's clock, a patrol state, a stroll running."""
from __future__ import annotations

import pytest

from stroll.demo import seed
from stroll.patrol import PatrolService

from patrol_helpers import MEI, ROSA, SF, START, Clock, new_app, new_patrol


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def demo_store(store):
    seed(store, START.date())
    return store


@pytest.fixture
def svc(demo_store, clock):
    return PatrolService(demo_store, clock.now, chunk_points=20)


@pytest.fixture
def ps(svc, clock):
    return new_patrol(svc, clock)


@pytest.fixture
def running(ps):
    """A stroll in SF Chinatown, Mei (trained lead) and Rosa."""
    ps.start.open_start(SF)
    ps.start.toggle_member(MEI)
    ps.start.toggle_member(ROSA)
    assert ps.start.begin(), ps.start.start_error
    return ps


@pytest.fixture
def app(demo_store, svc, clock):
    a = new_app(demo_store, svc, clock)
    a.load()
    return a
