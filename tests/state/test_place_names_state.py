"""Places read in the app's language on every screen that names one (AppState and the
patrol screens' state against the demo data; no Flet page): switching the language
switches the names; a language with no name for a place shows its English name."""
from __future__ import annotations

from stroll.demo import demo_id

from patrol_helpers import MEI, OAK, ROSA, SF, STOCKTON, STOCKTON_LOOP, begin_in_app

SEATTLE = demo_id("neighborhood", "seattle-little-saigon")
BAKERY = demo_id("merchant", "sf-jade-lantern-bakery")


def hood_names(app) -> list[str]:
    return [app.tr.place(n) for n in app.neighborhoods]


def test_switching_the_language_switches_the_neighborhoods_names(app):
    assert {app.neighborhood_name(h) for h in (SF, OAK)} == {"SF Chinatown", "Oakland Chinatown"}
    app.set_language("zh-Hant")
    assert (app.neighborhood_name(SF), app.neighborhood_name(OAK)) == ("舊金山華埠", "屋崙華埠")
    assert app.neighborhood_name(SEATTLE) == "Eastlake / 小西貢"
    app.set_language("zh-Hans")
    assert (app.neighborhood_name(SF), app.neighborhood_name(OAK)) == ("旧金山华埠", "奥克兰华埠")
    app.set_language("vi")
    assert app.neighborhood_name(SEATTLE) == "Eastlake / Sài Gòn Nhỏ"
    assert app.neighborhood_name(SF) == "SF Chinatown"   # no Vietnamese name: English
    app.set_language("en")
    assert set(hood_names(app)) == {"SF Chinatown", "Oakland Chinatown",
                                    "Eastlake / Little Saigon"}


def test_the_language_chosen_is_kept_and_names_read_in_it_after_a_restart(app, demo_store, svc,
                                                                        clock):
    from patrol_helpers import new_app
    app.set_language("zh-Hant")
    again = new_app(demo_store, svc, clock)
    again.load()
    assert again.neighborhood_name(SF) == "舊金山華埠"


def test_shifts_routes_and_businesses_on_the_tabs_read_in_the_language(app):
    app.set_language("zh-Hant")
    titles = {app.tr.place(c.shift, "title") for c in app.shifts.cards}
    assert "傍晚巡行 — 市德頓街" in titles
    app.select_map_neighborhood(SF)
    assert "市德頓街環線" in {app.tr.place(r) for r in app.routes}
    assert "玉燈餅家" in {app.tr.place(m) for m in app.merchants}
    app.set_language("vi")
    assert "Tuần tra buổi tối — Stockton St" in {app.tr.place(c.shift, "title")
                                                 for c in app.shifts.cards}
    assert "Vòng đường Stockton" in {app.tr.place(r) for r in app.routes}


def test_the_new_stroll_forms_routes_read_in_the_language(app):
    app.set_language("vi")
    app.open_new_stroll()
    app.choose_new_stroll_neighborhood(SF)
    names = {r["id"]: app.tr.place(r) for r in app.patrol.start.routes}
    assert names[STOCKTON_LOOP] == "Vòng đường Stockton"


def test_the_live_screen_the_map_and_the_check_in_say_places_in_the_language(app, clock):
    app.set_language("zh-Hant")
    begin_in_app(app)
    assert app.neighborhood_name(app.patrol.core.stroll["neighborhood_id"]) == "舊金山華埠"
    labels = {app.tr.place(name) for _, _, name in app.patrol.core.track.places}
    assert {"玉燈餅家", "明興蔬果", "Portsmouth Savings Union"} <= labels
    app.patrol.walk.on_position(*STOCKTON[0], clock.wall(), 5.0)
    app.open_check_in()
    shown = {m["id"]: app.tr.place(m) for m in app.patrol.visit.merchants}
    assert shown[BAKERY] == "玉燈餅家"
    app.pick_merchant(BAKERY)
    bakery = app.patrol.visit.merchant
    assert app.tr.place(bakery) == "玉燈餅家"
    clock.advance(60)                                   # at the bakery's door
    app.patrol.walk.on_position(bakery["lat"], bakery["lon"], clock.wall(), 5.0)
    app.check_in("all_good")
    assert app.patrol.visit.pending_warning is None
    key, params = app.patrol.core.notice
    assert app.tr.t(key, **params) == "已儲存探訪：玉燈餅家"
    app.set_language("zh-Hans")   # the notice is said again in the new language
    assert app.tr.t(key, **params) == "已保存走访：玉灯饼家"


def test_recent_strolls_and_the_summary_name_the_neighborhood_in_the_language(app):
    app.set_language("zh-Hans")
    assert app.strolls
    shown = {app.neighborhood_name(s["neighborhood_id"]) for s in app.strolls}
    assert shown <= {"旧金山华埠", "奥克兰华埠", "Eastlake / 小西贡"} and "旧金山华埠" in shown
    begin_in_app(app)
    app.end_stroll()
    assert app.screens == ("summary",)
    summary = app.patrol.walk.summary
    assert app.neighborhood_name(summary["neighborhood_id"]) == "旧金山华埠"
