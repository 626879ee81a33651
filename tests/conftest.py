"""Shared fixtures: a fresh device database file per test."""
from __future__ import annotations

import pytest

from stroll.store import Store


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "device.db"


@pytest.fixture
def store(db_path):
    s = Store(db_path)
    yield s
    s.close()


def pytest_configure(config):
    from pathlib import Path

    from tests.support.browser_rerun import BrowserRerun

    config.pluginmanager.register(BrowserRerun(Path(__file__).resolve().parents[1]),
                                  "browser-rerun")
