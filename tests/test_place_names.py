"""Places' names in other languages: which ``names`` a record may carry, which name a
person reads in each language, and the device's Traditional <-> Simplified converter
(stroll/domain/place_names.py, stroll/chinese_script.py, Translator.place)."""
from __future__ import annotations

import pytest

from stroll.chinese_script import convert_script
from stroll.domain import Merchant, Neighborhood, Route, Shift, ValidationError
from stroll.domain.place_names import (NAME_MAX, PlaceName, display_name, names_problem,
                                       script_variants)
from stroll.i18n import LANGUAGES, Translator

OAKLAND = {"zh-Hant": "屋崙華埠", "zh-Hans": "奥克兰华埠"}


def merchant(**names) -> Merchant:
    return Merchant(neighborhood_id="n", name="Jade Lantern Bakery", lat=37.79, lon=-122.40,
                    names=names)


# ---- what a record may carry ----------------------------------------------------------------

@pytest.mark.parametrize("cls,fields", [
    (Neighborhood, {"name": "SF Chinatown", "center_lat": 37.79, "center_lon": -122.40}),
    (Route, {"neighborhood_id": "n", "name": "Stockton St loop", "path": [[0, 0], [0, 1]]}),
    (Merchant, {"neighborhood_id": "n", "name": "Jade Lantern", "lat": 1.0, "lon": 2.0}),
    (Shift, {"neighborhood_id": "n", "title": "Evening stroll",
             "starts_at": "2026-11-20T17:30:00-08:00", "ends_at": "2026-11-20T19:00:00-08:00"}),
])
def test_places_and_shifts_carry_names_by_app_language_and_default_to_none(cls, fields):
    assert cls(**fields).validate().names == {}
    rec = cls(**fields, names={"zh-Hant": "市德頓街", "vi": "Đường Stockton"}).validate()
    assert cls.from_dict(rec.to_dict()).names == {"zh-Hant": "市德頓街", "vi": "Đường Stockton"}


def test_every_app_language_but_english_may_name_a_place():
    merchant(**{lang: "x" for lang in LANGUAGES if lang != "en"}).validate()


@pytest.mark.parametrize("names,reason", [
    ({"en": "Jade Lantern"}, "'en' is the record's own name"),
    ({"yue": "玉燈餅家"}, "unknown language 'yue'"),
    ({"zh-TW": "玉燈餅家"}, "unknown language 'zh-TW'"),
    ({"vi": ""}, "the vi name is empty"),
    ({"vi": "   "}, "the vi name is empty"),
    ({"vi": 7}, "the vi name must be text, got int"),
    ({"vi": "x" * (NAME_MAX + 1)}, f"at most {NAME_MAX}"),
    ({"zh-Hant": "玉燈\n餅家"}, "line break"),
    ({"zh-Hant": "玉燈\x00餅家"}, "NUL"),
])
def test_a_wrong_name_is_refused_saying_which_language_and_why(names, reason):
    with pytest.raises(ValidationError) as e:
        merchant().from_dict({**merchant().to_dict(), "names": names})
    assert e.value.field == "names" and reason in str(e.value)


def test_names_must_be_a_mapping():
    with pytest.raises(ValidationError, match="must be a mapping"):
        Merchant.from_dict({**merchant().to_dict(), "names": [["vi", "x"]]})


def test_a_name_of_the_longest_length_passes():
    assert names_problem({"vi": "x" * NAME_MAX}) is None


# ---- which name a person reads --------------------------------------------------------------

def test_each_language_reads_its_own_name():
    assert display_name("Oakland Chinatown", OAKLAND, "zh-Hant") == "屋崙華埠"
    assert display_name("Oakland Chinatown", OAKLAND, "zh-Hans") == "奥克兰华埠"


def test_english_and_languages_without_a_name_read_the_english_name():
    for lang in ("en", "vi", "es", "ko", "km", "tl"):
        assert display_name("Oakland Chinatown", OAKLAND, lang) == "Oakland Chinatown"
    assert display_name("Oakland Chinatown", {}, "zh-Hant") == "Oakland Chinatown"
    assert display_name("Oakland Chinatown", None, "zh-Hant") == "Oakland Chinatown"


def test_chinese_in_one_script_reads_converted_in_the_other():
    def convert(text, src, dst):
        return f"{text}:{src}->{dst}"
    assert display_name("x", {"zh-Hant": "屋崙"}, "zh-Hans", convert) == "屋崙:zh-Hant->zh-Hans"
    assert display_name("x", {"zh-Hans": "屋仑"}, "zh-Hant", convert) == "屋仑:zh-Hans->zh-Hant"


def test_without_a_converter_the_other_script_shows_as_written_rather_than_english():
    assert display_name("Oakland Chinatown", {"zh-Hant": "屋崙華埠"}, "zh-Hans") == "屋崙華埠"


def test_only_chinese_has_another_script_among_the_app_languages():
    assert script_variants("zh-Hant") == ("zh-Hans",)
    assert script_variants("zh-Hans") == ("zh-Hant",)
    assert all(script_variants(lang) == () for lang in ("en", "vi", "es", "tl", "ko", "km"))


def test_a_place_name_parameter_is_said_in_the_sentence_language():
    place = PlaceName.of({"name": "Jade Lantern Bakery", "names": {"zh-Hant": "玉燈餅家"}})
    assert str(place) == "Jade Lantern Bakery"
    assert "玉燈餅家" in Translator("zh-Hant").t("check_in.saved", name=place)
    assert "玉灯饼家" in Translator("zh-Hans").t("check_in.saved", name=place)
    assert "Jade Lantern Bakery" in Translator("vi").t("check_in.saved", name=place)
    assert len({place, PlaceName.of({"name": "Jade Lantern Bakery",
                                     "names": {"zh-Hant": "玉燈餅家"}})}) == 1


# ---- the device's converter -----------------------------------------------------------------

def test_traditional_converts_to_simplified_and_back_by_script_only():
    assert convert_script("屋崙華埠市德頓街", "zh-Hant", "zh-Hans") == "屋仑华埠市德顿街"
    assert convert_script("旧金山华埠", "zh-Hans", "zh-Hant") == "舊金山華埠"
    # a word is never swapped for a region's vocabulary, only its script changes
    assert convert_script("珠梳发廊", "zh-Hans", "zh-Hant") == "珠梳髮廊"


def test_other_languages_pass_through_the_converter_unchanged():
    assert convert_script("Sài Gòn Nhỏ", "vi", "zh-Hans") == "Sài Gòn Nhỏ"
    assert convert_script("華埠", "zh-Hant", "zh-Hant") == "華埠"


def test_the_translator_reads_a_record_in_its_language():
    hood = {"name": "Oakland Chinatown", "names": {"zh-Hant": "屋崙華埠"}}
    shift = {"title": "Evening stroll", "names": {"vi": "Tuần tra buổi tối"}}
    assert Translator("zh-Hant").place(hood) == "屋崙華埠"
    assert Translator("zh-Hans").place(hood) == "屋仑华埠"   # converted, not English
    assert Translator("en").place(hood) == "Oakland Chinatown"
    assert Translator("vi").place(shift, "title") == "Tuần tra buổi tối"
    assert Translator("es").place(shift, "title") == "Evening stroll"
    assert Translator("vi").place(None) == ""


# ---- the device store -----------------------------------------------------------------------

def test_names_are_stored_read_back_and_sent_with_the_record(store):
    m = store.save(merchant(**{"zh-Hant": "玉燈餅家", "zh-Hans": "玉灯饼家"}))
    assert store.get("merchant", m.id)["names"] == {"zh-Hant": "玉燈餅家", "zh-Hans": "玉灯饼家"}
    assert store.merchants("n")[0]["names"]["zh-Hant"] == "玉燈餅家"
    [entry] = store.outbox_entries()
    assert entry["payload"]["names"] == {"zh-Hant": "玉燈餅家", "zh-Hans": "玉灯饼家"}


def test_changing_the_names_sends_only_the_names_as_a_patch(store):
    m = store.save(merchant(), outbox=False)
    store.update("merchant", m.id, names={"vi": "Tiệm Bánh Đèn Ngọc"})
    [entry] = store.outbox_entries()
    assert (entry["op"], entry["payload"]) == ("patch", {"names": {"vi": "Tiệm Bánh Đèn Ngọc"}})


def test_a_wrong_name_is_refused_before_anything_is_written(store):
    m = store.save(merchant(), outbox=False)
    with pytest.raises(ValidationError, match="unknown language 'fr'"):
        store.update("merchant", m.id, names={"fr": "Boulangerie"})
    assert store.get("merchant", m.id)["names"] == {} and store.outbox_entries() == []


def test_pulled_names_replace_the_ones_here_and_absent_names_read_as_none(store):
    m = store.save(merchant(vi="cũ"), outbox=False)
    store.apply_remote([{"type": "merchant", "id": m.id, "op": "upsert",
                         "data": {**m.to_dict(), "names": OAKLAND}}], cursor=1)
    assert store.get("merchant", m.id)["names"] == OAKLAND
    data = {k: v for k, v in m.to_dict().items() if k != "names"}  # (left out: at default)
    store.apply_remote([{"type": "merchant", "id": m.id, "op": "upsert", "data": data}], cursor=2)
    assert store.get("merchant", m.id)["names"] == {}


def test_places_saved_before_step_0004_read_with_no_other_names(tmp_path):
    from sqlite_utils import Database

    from stroll.store import Store, migrations
    path = tmp_path / "before.db"
    db = Database(path)
    migrations.apply(db, stop_before="0004_place_names")
    db["merchant"].insert({"id": merchant().id, "neighborhood_id": "n", "name": "Old Shop",
                           "lat": 37.79, "lon": -122.40, "languages": "[]"})
    db.close()
    with Store(path) as s:
        [m] = s.merchants("n")
        assert (m["name"], m["names"]) == ("Old Shop", {})
        assert Translator("zh-Hant").place(m) == "Old Shop"
