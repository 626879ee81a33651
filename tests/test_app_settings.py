"""The device app's settings (``stroll/settings.py``) and the ``stroll`` command's flags
(``stroll/cli.py``): a server address over http:// only to this computer, unless the
person says otherwise."""
from __future__ import annotations

import pytest

from stroll.cli import build_parser, settings_from_args
from stroll.settings import Settings, SettingsError, validate_url


@pytest.mark.parametrize("url", ["https://sync.example.org", "https://10.0.0.5:8765/",
                                 "http://127.0.0.1:8765", "http://localhost:8765",
                                 "http://[::1]:8765", "http://127.0.0.2"])
def test_an_https_or_loopback_server_address_is_accepted(url):
    assert validate_url("--server", url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://sync.example.org", "http://10.0.0.5:8765",
                                 "http://localhost.example.org", "http://[::2]:8765"])
def test_an_http_server_address_other_than_loopback_is_refused(url):
    with pytest.raises(SettingsError) as e:
        validate_url("STROLL_SERVER_URL", url)
    message = str(e.value)
    assert "STROLL_SERVER_URL" in message and url in message  # what is wrong
    assert "unencrypted" in message
    assert "https://" in message and "STROLL_ALLOW_INSECURE_SERVER=1" in message  # what to do
    assert "--allow-insecure-server" in message


def test_an_http_server_address_is_accepted_when_insecure_servers_are_allowed():
    assert validate_url("--server", "http://10.0.0.5:8765", allow_insecure=True) == \
        "http://10.0.0.5:8765"


def test_stroll_allow_insecure_server_lets_the_environment_name_an_http_server():
    env = {"STROLL_SERVER_URL": "http://10.0.0.5:8765"}
    with pytest.raises(SettingsError):
        Settings.from_env(env)
    s = Settings.from_env({**env, "STROLL_ALLOW_INSECURE_SERVER": "1"})
    assert (s.server_url, s.allow_insecure_server) == ("http://10.0.0.5:8765", True)


def test_a_bad_stroll_allow_insecure_server_is_named():
    with pytest.raises(SettingsError, match="STROLL_ALLOW_INSECURE_SERVER"):
        Settings.from_env({"STROLL_ALLOW_INSECURE_SERVER": "maybe"})


def test_the_server_flag_refuses_http_to_another_computer_without_the_flag_that_allows_it():
    args = build_parser().parse_args(["serve", "--server", "http://10.0.0.5:8765"])
    with pytest.raises(SettingsError, match="--server"):
        settings_from_args(args, env={})
    args = build_parser().parse_args(["serve", "--server", "http://10.0.0.5:8765",
                                      "--allow-insecure-server"])
    assert settings_from_args(args, env={}).server_url == "http://10.0.0.5:8765"


def test_the_allow_flag_also_covers_an_http_server_from_the_environment():
    args = build_parser().parse_args(["serve", "--allow-insecure-server"])
    s = settings_from_args(args, env={"STROLL_SERVER_URL": "http://10.0.0.5:8765"})
    assert s.server_url == "http://10.0.0.5:8765"


def test_the_command_exits_2_naming_the_insecure_server_address(capsys):
    from stroll.cli import main
    assert main(["seed-demo", "--server", "http://sync.example.org"]) == 2
    assert "http://sync.example.org" in capsys.readouterr().err
