"""Server settings: SYNC_* environment, typed, loud when wrong; no app at import time."""
from __future__ import annotations

import importlib

import pytest

from sync.server.settings import ConfigError, Settings, load_settings


def test_default_database_is_sqlite_in_the_users_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("SYNC_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    s = load_settings()
    assert s.database_url == f"sqlite:///{tmp_path}/stroll-server/sync.db"
    assert s.backend == "sqlite" and s.port == 8765 and s.host == "127.0.0.1"


def test_settings_come_from_the_environment_and_overrides_win(monkeypatch):
    monkeypatch.setenv("SYNC_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("SYNC_PORT", "9000")
    monkeypatch.setenv("SYNC_MAX_BATCH", "100")
    s = load_settings(port=9100)
    assert (s.backend, s.port, s.max_batch) == ("postgres", 9100, 100)


@pytest.mark.parametrize("var, value, words", [
    ("SYNC_PORT", "http", "SYNC_PORT"),
    ("SYNC_PORT", "0", "greater than or equal to 1"),
    ("SYNC_DATABASE_URL", "mysql://x/y", "must start with sqlite:/// or postgresql://"),
    ("SYNC_DATABASE_URL", "sqlite:///:memory:", "not :memory:"),
    ("SYNC_MAX_BATCH", "5000", "SYNC_MAX_BATCH"),
    ("SYNC_SQLITE_SYNCHRONOUS", "OFF", "SYNC_SQLITE_SYNCHRONOUS"),
])
def test_a_bad_value_is_a_config_error_naming_the_variable(monkeypatch, var, value, words):
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert words in str(info.value)
    assert var in str(info.value)


def test_a_bad_command_line_value_names_the_option(monkeypatch):
    with pytest.raises(ConfigError, match="--port"):
        load_settings(port=70000)


def test_the_shared_coordinator_key_is_gone_and_saying_it_is_an_error(monkeypatch):
    monkeypatch.setenv("SYNC_COORDINATOR_KEY", "s3cret-key")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "SYNC_COORDINATOR_KEY: is not a setting" in str(info.value)
    assert "s3cret-key" not in str(info.value)


def test_no_app_is_built_at_import_time():
    from fastapi import FastAPI
    for name in ("sync.server", "sync.server.app", "sync.server.cli"):
        mod = importlib.import_module(name)
        assert not [k for k, v in vars(mod).items() if isinstance(v, FastAPI)], name
