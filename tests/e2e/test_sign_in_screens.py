"""Signing a phone in, in a phone-sized browser, against a real ``stroll-server``: a
fresh install opens on the sign-in screen; a wrong code is said; an invite code signs
it in as the member; the More tab's card signs out and in as another member.
Screenshots of the screen and the card in English, Traditional Chinese, Vietnamese."""
from __future__ import annotations

from datetime import timedelta

import pytest

from e2e_helpers import (AppServer, by_id, free_port, go_back, go_tab, open_app, screenshot,
                         shown, text_of, wait_for_text)
from stroll.i18n import Translator
from tests.support import ServerProcess

pytestmark = pytest.mark.e2e

EN = Translator("en")


@pytest.fixture(scope="module")
def sync_server(tmp_path_factory):
    from sync.server.storage import open_storage
    tmp = tmp_path_factory.mktemp("signin-sync")
    url = f"sqlite:///{tmp / 'sync.db'}"
    srv = ServerProcess(url, tmp / "server.log").start()
    srv.storage = open_storage(url, pool_size=2)
    yield srv
    srv.storage.close()
    srv.stop()


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory, browser):
    """The app on a new, empty database: a fresh install."""
    tmp = tmp_path_factory.mktemp("signin-app")
    server = AppServer(tmp / "device.db", free_port(), tmp / "app.log").start(seed=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def phone(browser, fresh_app):
    ctx, page = open_app(browser, fresh_app.url, ready="sign-in")
    yield page
    ctx.close()


@pytest.fixture(scope="module")
def app_server(fresh_app):  # what conftest's failure report reads the log of
    return fresh_app


def invite(sync_server, name: str, role: str) -> str:
    """A member and their one-time code, as ``stroll-server admin create`` makes them."""
    from sync.server import members
    from sync.server.rules import SERVER
    _, inv = members.create_member(sync_server.storage, SERVER, {"name": name, "role": role},
                                   timedelta(hours=1))
    return inv.code


def fill(page, identifier: str, text: str) -> None:
    """Type into a field and make sure the text stayed: the app echoes each change
    back, and an echo of the field's previous text can land after the new one (seen
    about once in ten runs); then type it again."""
    box = shown(page, identifier).get_by_role("textbox")
    for _ in range(3):
        box.click()
        box.fill(text)
        page.wait_for_timeout(300)
        if box.input_value() == text:
            return
    raise AssertionError(f"{identifier}: the text {text!r} did not stay in the field")


def pick_language(page, chip_prefix: str, lang: str) -> None:
    shown(page, f"{chip_prefix}{lang}").click()
    wait_for_text(page, "screen-title", Translator(lang).t(
        "signin.title" if chip_prefix == "signin-lang-" else "tab.more"))
    page.wait_for_timeout(600)  # the new font's glyphs paint a moment after the text


def test_a_fresh_install_opens_on_the_sign_in_screen(phone):
    wait_for_text(phone, "screen-title", EN.t("signin.title"))
    wait_for_text(phone, "sign-in-form", EN.t("signin.intro"))
    screenshot(phone, "signin_first_start_en")
    for lang in ("zh-Hant", "vi"):
        pick_language(phone, "signin-lang-", lang)
        wait_for_text(phone, "sign-in-form", Translator(lang).t("signin.not_now"))
        screenshot(phone, f"signin_first_start_{lang}")
    pick_language(phone, "signin-lang-", "en")


def test_a_wrong_code_is_said_then_an_invite_signs_the_phone_in(phone, sync_server, fresh_app):
    fill(phone, "signin-server", sync_server.url)
    fill(phone, "signin-code", "ZZZZ-ZZZZ-ZZZZ")
    shown(phone, "signin-submit").click()
    wait_for_text(phone, "sign-in-form", EN.t("sync.failed.invite_invalid"))
    screenshot(phone, "signin_wrong_code_en")

    fill(phone, "signin-code", invite(sync_server, "Mei Chan", "ambassador"))
    shown(phone, "signin-submit").click()
    by_id(phone, "patrol-tab").wait_for(state="attached", timeout=15000)
    go_tab(phone, "more")
    wait_for_text(phone, "signin-card", EN.t("signin.as", name="Mei Chan",
                                              role=EN.t("role.ambassador")))
    screenshot(phone, "signin_card_signed_in_en")
    for lang in ("zh-Hant", "vi"):
        pick_language(phone, "lang-", lang)
        tr = Translator(lang)
        wait_for_text(phone, "signin-card", tr.t("signin.as", name="Mei Chan",
                                                  role=tr.t("role.ambassador")))
        screenshot(phone, f"signin_card_signed_in_{lang}")
    pick_language(phone, "lang-", "en")


def test_the_more_tab_makes_copies_and_stops_a_calendar_link(phone, sync_server):
    import requests
    go_tab(phone, "more")
    wait_for_text(phone, "calendar-card", EN.t("calendar.intro"))
    shown(phone, "calendar-make").click()
    wait_for_text(phone, "calendar-card", EN.t("calendar.made"), timeout=15000)
    wait_for_text(phone, "calendar-url", sync_server.url + "/v1/calendar/")
    url = text_of(by_id(phone, "calendar-url")).strip()
    assert requests.get(url, timeout=10).status_code == 200
    screenshot(phone, "calendar_card_en")
    shown(phone, "calendar-copy").click()
    wait_for_text(phone, "calendar-card", EN.t("calendar.copied"))
    pick_language(phone, "lang-", "zh-Hant")
    wait_for_text(phone, "calendar-card", Translator("zh-Hant").t("calendar.stop"))
    shown(phone, "calendar-url")
    screenshot(phone, "calendar_card_zh-Hant")
    pick_language(phone, "lang-", "en")
    shown(phone, "calendar-stop").click()
    wait_for_text(phone, "calendar-card", EN.t("calendar.stopped"), timeout=15000)
    wait_for_text(phone, "calendar-card", EN.t("calendar.make"))
    assert requests.get(url, timeout=10).status_code == 404


def test_sign_out_then_sign_in_as_another_member(phone, sync_server):
    go_tab(phone, "more")
    shown(phone, "card-sign-out").click()
    wait_for_text(phone, "signin-card", EN.t("signin.signed_out"), timeout=15000)
    wait_for_text(phone, "signin-card", EN.t("signin.none"))
    screenshot(phone, "signin_card_signed_out_en")

    fill(phone, "card-code", invite(sync_server, "Wai Keung Lau", "coordinator"))
    shown(phone, "card-sign-in").click()
    wait_for_text(phone, "signin-card", EN.t("signin.as", name="Wai Keung Lau",
                                              role=EN.t("role.coordinator")), timeout=15000)
    wait_for_text(phone, "signin-card", EN.t("signin.switch"))
    pick_language(phone, "lang-", "zh-Hant")
    screenshot(phone, "signin_card_switched_zh-Hant")
    pick_language(phone, "lang-", "en")


def test_the_sync_badge_leads_a_signed_out_phone_to_the_sign_in_screen(phone):
    go_tab(phone, "more")
    shown(phone, "card-sign-out").click()
    wait_for_text(phone, "signin-card", EN.t("signin.none"), timeout=15000)
    wait_for_text(phone, "sync-status", EN.t("sync.auth"))
    by_id(phone, "sync-status").click()
    wait_for_text(phone, "sync-details", EN.t("sync.failed.sign_in_needed"))
    screenshot(phone, "signin_sync_details_en")
    by_id(phone, "sync-sign-in").click()
    wait_for_text(phone, "screen-title", EN.t("signin.title"))
    wait_for_text(phone, "sign-in-form", EN.t("signin.intro"))
    screenshot(phone, "signin_from_badge_en")
    go_back(phone, "more-tab")
