"""AppState (the tabs' lists, navigation, language and settings) against a real Store on
a temporary file (no Flet page)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from stroll.state import AppState

from app_fixtures import NOW, demo_store, state  # noqa: F401 (fixtures)


# ---- reading the store -------------------------------------------------------------------

def test_load_reads_strolls_shifts_and_neighborhoods(state, demo_store):
    assert [n["name"] for n in state.neighborhoods] == \
        [n["name"] for n in demo_store.neighborhoods()]
    assert len(state.neighborhoods) == 3
    assert state.strolls == demo_store.recent_strolls(limit=10)
    assert state.strolls and all("distance_m" in s and "team_size" in s for s in state.strolls)
    assert [c.id for c in state.shifts.cards] == \
        [s["id"] for s in demo_store.upcoming_shifts(NOW, days=7)]
    assert state.map_neighborhood_id == state.neighborhoods[0]["id"]
    assert state.routes == demo_store.routes(state.map_neighborhood_id)
    assert state.load_error is None


def test_an_empty_store_loads_empty_lists(store):
    s = AppState(store, now=lambda: NOW)
    s.load()
    assert (s.neighborhoods, s.strolls, s.shifts.cards, s.routes) == ([], [], [], [])
    assert s.map_neighborhood_id is None
    assert s.shifts.sections() == []


def test_shifts_are_grouped_by_local_day_in_time_order(state):
    groups = [(day, cards) for _kind, day, cards in state.shifts.sections()]
    days = [d for d, _ in groups]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert sum(len(cards) for _, cards in groups) == len(state.shifts.cards)
    for day, cards in groups:
        starts = [datetime.fromisoformat(c.shift["starts_at"]).astimezone(NOW.tzinfo)
                  for c in cards]
        assert starts == sorted(starts)
        assert {s.date() for s in starts} == {day}
    assert days[0] >= NOW.date() and days[-1] <= NOW.date() + timedelta(days=7)


def test_route_counts_per_neighborhood(state, demo_store):
    counts = state.route_counts()
    assert sum(counts.values()) == len(demo_store.routes())
    assert set(counts) == {n["id"] for n in state.neighborhoods}


# ---- navigation ----------------------------------------------------------------------------

def test_select_tab_changes_tab_and_notifies(state):
    changes = []

    def listener(sender, field):  # observables hold listeners weakly: keep a reference
        changes.append(field)
    state.subscribe(listener)
    state.select_tab("shifts")
    assert state.tab == "shifts" and state.tab_index == 1
    assert "tab" in changes
    state.select_tab_index(3)
    assert state.tab == "more"


def test_unknown_tab_is_refused(state):
    with pytest.raises(ValueError, match="unknown tab 'stats'"):
        state.select_tab("stats")
    assert state.tab == "patrol"


def test_select_tab_reloads_what_changed_in_the_store(state, demo_store):
    before = len(state.neighborhoods)
    from stroll.domain import Neighborhood
    demo_store.save(Neighborhood(name="Japantown", city="San Francisco, CA",
                                 center_lat=37.785, center_lon=-122.43))
    state.select_tab("patrol")
    assert len(state.neighborhoods) == before + 1


def test_new_stroll_screen_preselects_and_changes_the_neighborhood(state):
    state.open_new_stroll()
    assert state.screen == "new_stroll"
    assert state.new_stroll_neighborhood_id == state.map_neighborhood_id
    oakland = next(n for n in state.neighborhoods if n["name"].startswith("Oakland"))
    state.choose_new_stroll_neighborhood(oakland["id"])
    assert state.new_stroll_neighborhood_id == oakland["id"]
    with pytest.raises(ValueError, match="unknown neighborhood"):
        state.choose_new_stroll_neighborhood("nowhere")
    state.close_screen()
    assert state.screen is None


def test_changing_tab_closes_the_pushed_screen(state):
    state.open_new_stroll()
    state.select_tab("map")
    assert state.screen is None and state.tab == "map"


def test_map_neighborhood_loads_its_routes_and_merchants(state, demo_store):
    sf = next(n for n in state.neighborhoods if n["name"] == "SF Chinatown")
    state.select_map_neighborhood(sf["id"])
    assert state.routes == demo_store.routes(sf["id"]) and state.routes
    assert state.merchants == demo_store.merchants(sf["id"]) and state.merchants
    assert {r["neighborhood_id"] for r in state.routes} == {sf["id"]}


# ---- language and settings -------------------------------------------------------------------

def test_language_is_saved_and_a_new_session_opens_in_it(state, demo_store):
    state.set_language("zh-Hant")
    assert state.language == "zh-Hant"
    assert state.tr.t("tab.patrol") == "巡行"
    again = AppState(demo_store, language="en")
    assert again.language == "zh-Hant"


def test_unknown_language_is_refused_and_nothing_is_saved(state, demo_store):
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        state.set_language("fr")
    assert state.language == "en"
    assert demo_store.get_setting("ui.language") is None


def test_settings_language_is_the_default_until_one_is_chosen(demo_store):
    assert AppState(demo_store, language="vi").language == "vi"
    assert AppState(demo_store, language="xx").language == "en"


def test_save_settings_refuses_an_address_without_http(state, demo_store):
    state.edit_server_url("sync.example.org")
    assert state.save_settings() is False
    assert state.settings_error == "error.invalid_server"
    assert demo_store.get_setting("sync.server_url") is None
    assert state.server_url == ""


def test_save_settings_stores_trimmed_values_and_says_saved(state, demo_store):
    state.edit_server_url("  https://sync.example.org/  ")
    state.edit_device_name(" Lead phone 2 ")
    state.edit_tile_url("https://tiles.example.org/{z}/{x}/{y}.png")
    assert state.save_settings() is True
    assert state.settings_message == "more.saved" and state.settings_error is None
    assert demo_store.get_setting("sync.server_url") == "https://sync.example.org"
    assert demo_store.get_setting("device.name") == "Lead phone 2"
    assert state.tile_url == "https://tiles.example.org/{z}/{x}/{y}.png"
    again = AppState(demo_store)
    assert (again.server_url, again.device_name, again.draft_server_url) == \
        ("https://sync.example.org", "Lead phone 2", "https://sync.example.org")


def test_editing_after_saving_clears_the_saved_message(state):
    state.edit_device_name("A")
    state.save_settings()
    state.edit_device_name("AB")
    assert state.settings_message is None


def test_stored_settings_win_over_the_command_line_defaults(demo_store):
    demo_store.set_setting("map.tile_url", "https://mine.example/{z}/{x}/{y}.png")
    s = AppState(demo_store, tile_url="https://default.example/{z}/{x}/{y}.png",
                 server_url="https://flag.example")
    assert s.tile_url == "https://mine.example/{z}/{x}/{y}.png"
    assert s.server_url == "https://flag.example"


def test_a_store_error_while_reading_is_reported_not_raised(demo_store):
    from stroll.store import DatabaseUnreadable

    class FailingStore:
        def __getattr__(self, name):
            return getattr(demo_store, name)

        def recent_strolls(self, limit=10):
            raise DatabaseUnreadable(demo_store.path, "disk I/O error")

    state = AppState(FailingStore(), now=lambda: NOW)
    state.load()
    assert "disk I/O error" in state.load_error
