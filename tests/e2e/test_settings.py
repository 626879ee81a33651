"""More tab in a phone-sized browser: languages, server address, sync badge."""
from __future__ import annotations

import pytest

from e2e_helpers import by_id, choose_language, free_port, go_tab, screenshot, text_of, wait_for_text
from stroll.i18n import LANGUAGES, Translator

pytestmark = pytest.mark.e2e

TABS = ("patrol", "shifts", "map", "more")



def tab_labels(page) -> list[str]:
    return [by_id(page, f"tab-{tab}").get_attribute("aria-label") for tab in TABS]


def test_switching_to_traditional_chinese_relabels_every_tab(app):
    assert tab_labels(app) == ["Patrol", "Shifts", "Map", "More"]
    choose_language(app, "zh-Hant")
    assert tab_labels(app) == ["巡行", "班次", "地圖", "更多"]
    screenshot(app, "zh-Hant_more")
    for tab in ("patrol", "shifts", "map"):
        go_tab(app, tab)
        screenshot(app, f"zh-Hant_{tab}")
    go_tab(app, "patrol")
    wait_for_text(app, "start-stroll", "開始巡行")
    wait_for_text(app, "recent-strolls", "最近巡行")
    choose_language(app, "en")
    assert tab_labels(app) == ["Patrol", "Shifts", "Map", "More"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_renders_its_own_texts(app, lang):
    tr = Translator(lang)
    choose_language(app, lang)
    assert tab_labels(app) == [tr.t(f"tab.{tab}") for tab in TABS]
    wait_for_text(app, "more-language", tr.t("more.language"))
    screenshot(app, f"lang_{lang}_more")
    go_tab(app, "shifts")
    screenshot(app, f"lang_{lang}_shifts")
    if lang == LANGUAGES[-1]:
        choose_language(app, "en")


def fill(page, identifier: str, text: str) -> None:
    box = by_id(page, identifier).get_by_role("textbox")
    box.click()
    box.fill(text)


def test_server_address_is_checked_saved_and_sync_reports_offline(app, store_view):
    en = Translator("en")
    go_tab(app, "more")
    fill(app, "server-url", "sync.example")
    by_id(app, "save-settings").click()
    wait_for_text(app, "more-tab", en.t("error.invalid_server"))
    screenshot(app, "more_invalid_server")

    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there: the server is "down"
    fill(app, "server-url", nobody)
    fill(app, "device-name", "Lead phone 2")
    by_id(app, "save-settings").click()
    wait_for_text(app, "more-tab", en.t("more.saved"))
    # nobody signed this phone in: sync asks for a sign-in before any request
    wait_for_text(app, "sync-status", en.t("sync.auth"), timeout=15000)
    by_id(app, "sync-status").click()
    wait_for_text(app, "sync-details", en.t("sync.failed.sign_in_needed"))
    by_id(app, "sync-sign-in").wait_for(state="attached", timeout=10000)
    screenshot(app, "sync_details_sign_in_needed")
    app.get_by_role("button", name=en.t("sync.close")).click()

    # a phone signed in earlier (its token kept) whose server is down: offline
    store_view.set_setting("sync.token", "a-token")
    store_view.set_setting("sync.device_id", "a-device")
    nobody = f"http://127.0.0.1:{free_port()}"
    fill(app, "server-url", nobody)
    by_id(app, "save-settings").click()
    badge = by_id(app, "sync-status")
    wait_for_text(app, "sync-status", en.t("sync.offline"), timeout=15000)
    wait_for_text(app, "sync-status", en.t("sync.pending", count=store_view.pending_count()))
    screenshot(app, "more_saved_offline")
    badge.click()
    details = by_id(app, "sync-details")
    details.wait_for(state="attached", timeout=10000)
    assert en.t("sync.server", url=nobody) in text_of(details)
    wait_for_text(app, "sync-details", en.t("sync.failed.server_unreachable"))
    screenshot(app, "sync_details_offline")
    app.get_by_role("button", name=en.t("sync.close")).click()
