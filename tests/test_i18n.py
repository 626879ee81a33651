"""Language catalogs, the Translator, and the fonts that draw them."""
from __future__ import annotations

import ast
import dataclasses
import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from stroll import i18n
from stroll.i18n import (LANGUAGES, LOCALES_DIR, TIER1, TIER2, MissingParameter,
                         MissingTranslation, Translator, font_fallbacks, font_family, forms,
                         formatting_samples, language_choices, placeholders,
                         plural_categories)

ROOT = Path(__file__).resolve().parent.parent
FONTS_DIR = ROOT / "assets" / "fonts"
KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def catalog(lang: str) -> dict:
    return json.loads((LOCALES_DIR / f"{lang}.json").read_text("utf-8"))


def texts(lang: str) -> dict[str, str]:
    """Every text of a catalog, a plural form as ``key[category]``."""
    return {(k if isinstance(v, str) else f"{k}[{cat}]"): text
            for k, v in catalog(lang).items() for cat, text in forms(v).items()}


EN = catalog("en")
PLURAL_KEYS = sorted(k for k, v in EN.items() if isinstance(v, dict))
NAMESPACES = {k.split(".")[0] for k in EN}


# ---- the catalogs ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", TIER1)
def test_tier1_catalog_has_every_english_key(lang):
    missing = sorted(set(EN) - set(catalog(lang)))
    assert not missing, f"{lang}.json lacks {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_has_no_key_english_lacks(lang):
    extra = sorted(set(catalog(lang)) - set(EN))
    assert not extra, f"{lang}.json has keys en.json lacks: {extra}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match_english(lang):
    """Every text, each plural form too, takes the parameters of English's 'other' form."""
    wrong = {}
    for k, v in catalog(lang).items():
        if k not in EN:
            continue
        english = placeholders(forms(EN[k])["other"])
        for cat, text in forms(v).items():
            if placeholders(text) != english:
                wrong[f"{k}[{cat}]"] = (sorted(placeholders(text)), sorted(english))
    assert not wrong, f"{lang}.json placeholders differ from en.json (theirs, english): {wrong}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_texts_are_nonblank_and_trimmed(lang):
    bad = [k for k, v in texts(lang).items() if not v.strip() or v != v.strip()]
    assert not bad, f"{lang}.json has blank or untrimmed texts: {bad}"


# ---- plural forms (CLDR's categories, chosen by {count}) ------------------------------------


def test_english_says_counted_things_in_plural_forms():
    assert {"patrol.routes", "map.merchant_count", "summary.pending",
            "shifts.spots"} <= set(PLURAL_KEYS)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_entries_give_exactly_the_forms_the_language_tells_apart(lang):
    """Each plural entry has every CLDR category of its language ('other' always) and
    none it never uses: Chinese only 'other', Spanish 'one', 'many' and 'other'."""
    needed = plural_categories(lang)
    wrong = {k: sorted(v) for k, v in catalog(lang).items()
             if isinstance(v, dict) and set(v) != needed}
    assert not wrong, f"{lang}.json plural entries should have exactly {sorted(needed)}: {wrong}"


@pytest.mark.parametrize("lang", TIER1 + TIER2)
def test_what_english_counts_every_catalog_counts_too(lang):
    """A key English words by count is worded by count in every catalog that has it."""
    plain = [k for k in PLURAL_KEYS if k in catalog(lang) and isinstance(catalog(lang)[k], str)]
    assert not plain, f"{lang}.json gives one text where en.json has plural forms: {plain}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_entries_are_chosen_by_their_count(lang):
    no_count = [k for k, v in catalog(lang).items()
                if isinstance(v, dict) and "count" not in placeholders(forms(EN[k])["other"])]
    assert not no_count, f"plural entries without a {{count}} to choose by: {no_count}"


def test_a_plural_text_without_its_count_names_the_missing_parameter():
    with pytest.raises(MissingParameter, match=r"patrol\.routes.*\{count\}"):
        Translator("en").t("patrol.routes")


def test_counts_choose_the_form_by_each_language_rules():
    en, es, zh = Translator("en"), Translator("es"), Translator("zh-Hant")
    assert en.t("patrol.routes", count=1) == "1 route"
    assert en.t("patrol.routes", count=2) == "2 routes"
    assert en.t("patrol.routes", count=0) == "0 routes"
    assert en.t("map.merchant_count", count=1) == "1 merchant"
    assert en.t("shifts.spots", left=1, count=1) == "1 of 1 place open"
    assert en.t("shifts.spots", left=2, count=4) == "2 of 4 places open"
    assert es.t("summary.pending", count=1).startswith("1 registro espera ")
    assert es.t("summary.pending", count=2).startswith("2 registros esperan ")
    assert es.t("sync.rejected", count=1) == "1 rechazado por el servidor"
    assert es.t("sync.rejected", count=3) == "3 rechazados por el servidor"
    assert es.t("map.merchant_count", count=1_000_000) == "1,000,000 de comercios"
    assert zh.t("patrol.routes", count=1) == zh.t("patrol.routes", count=2).replace("2", "1")


def test_counts_are_grouped_the_language_way():
    assert Translator("en").t("sync.pending", count=1234) == "1,234 to send"
    assert Translator("vi").t("sync.pending", count=1234) == "1.234 mục chờ gửi"


def test_a_tier2_gap_in_plural_forms_falls_back_to_english_rules(tmp_path):
    (tmp_path / "en.json").write_text(json.dumps(
        {"a.b": {"one": "{count} thing", "other": "{count} things"}}))
    (tmp_path / "ko.json").write_text(json.dumps({}))
    i18n._load.cache_clear()
    tr = Translator("ko", tmp_path)
    assert tr.t("a.b", count=1) == "1 thing"
    assert tr.t("a.b", count=3) == "3 things"


def test_a_catalog_value_that_is_neither_text_nor_plural_forms_is_refused(tmp_path):
    (tmp_path / "en.json").write_text(json.dumps({"a.b": {"single": "x", "other": "y"}}))
    i18n._load.cache_clear()
    with pytest.raises(i18n.I18nError, match="plural forms"):
        Translator("en", tmp_path)


def test_every_language_has_a_catalog_named_in_its_own_script():
    names = {c.code: c.name for c in language_choices()}
    assert names == {"en": "English", "zh-Hant": "繁體中文", "zh-Hans": "简体中文",
                     "vi": "Tiếng Việt", "es": "Español", "tl": "Tagalog", "ko": "한국어",
                     "km": "ភាសាខ្មែរ"}


def test_languages_are_the_ones_the_settings_accept():
    from stroll.settings import LANGUAGES as SETTINGS_LANGUAGES
    assert set(SETTINGS_LANGUAGES) == set(LANGUAGES)


UI_CODE = [*(ROOT / "stroll" / "state").rglob("*.py"), ROOT / "stroll" / "i18n.py",
           *(ROOT / "stroll" / "ui").rglob("*.py")]


def _keys_used_in_code() -> tuple[set[str], set[str]]:
    """Catalog keys named in the UI code: literal keys, and the prefixes of f-string keys.
    Store setting names (constants named SETTING_*) are not catalog keys."""
    literal, prefixes = set(), set()
    for path in UI_CODE:
        tree = ast.parse(path.read_text("utf-8"), str(path))
        settings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id.startswith("SETTING_")
                            for t in n.targets)}
        for node in ast.walk(tree):
            if id(node) in settings:
                continue
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and KEY.match(node.value) and node.value.split(".")[0] in NAMESPACES:
                literal.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values \
                    and isinstance(node.values[0], ast.Constant):
                head = str(node.values[0].value)
                if head.endswith(".") and head.split(".")[0] in NAMESPACES:
                    prefixes.add(head)
    return literal, prefixes


def test_every_key_used_in_code_is_in_english():
    literal, prefixes = _keys_used_in_code()
    assert "tab.patrol" in literal or "tab." in prefixes  # the scan sees the UI at all
    missing = sorted(k for k in literal if k not in EN)
    assert not missing, f"keys used in the UI code but missing from en.json: {missing}"
    empty = sorted(p for p in prefixes if not any(k.startswith(p) for k in EN))
    assert not empty, f"f-string key prefixes with no key in en.json: {empty}"


def test_every_t_call_names_a_known_key():
    """Calls like t("...") / .text("...") anywhere in stroll/ name keys of en.json."""
    pattern = re.compile(r"""\b(?:t|text|has)\(\s*["']([^"']+)["']""")
    missing = set()
    for path in (ROOT / "stroll").rglob("*.py"):
        for key in pattern.findall(path.read_text("utf-8")):
            if KEY.match(key) and key not in EN:
                missing.add(f"{path.relative_to(ROOT)}: {key}")
    assert not missing, sorted(missing)


def test_tab_keys_exist_for_every_tab():
    from stroll.state import TABS
    for lang in TIER1:
        tr = Translator(lang)
        for tab in TABS:
            assert tr.t(f"tab.{tab}")


def test_catalogs_hold_no_formatting_data_cldr_gives():
    """Weekday and month names, the clock and the decimal mark come from CLDR (Babel)."""
    leftovers = sorted(k for k in EN if k.startswith(("date.weekday", "date.month", "time.",
                                                      "number.")))
    assert not leftovers, leftovers


# ---- the Translator ----------------------------------------------------------------------


def test_t_fills_placeholders():
    assert Translator("en").t("sync.pending", count=3) == "3 to send"
    assert Translator("zh-Hant").t("sync.pending", count=3) == "3 項待傳送"


def test_missing_parameter_names_key_and_parameter():
    with pytest.raises(MissingParameter, match=r"sync\.pending.*\{count\}"):
        Translator("en").t("sync.pending")


def test_unknown_key_raises_in_english_and_tier1():
    for lang in ("en", "vi"):
        with pytest.raises(MissingTranslation, match="no.such.key"):
            Translator(lang).t("no.such.key")


def _partial_catalogs(tmp_path: Path, lang: str) -> Path:
    (tmp_path / "en.json").write_text(json.dumps({"a.b": "English {n}", "c.d": "Only English"}))
    (tmp_path / f"{lang}.json").write_text(json.dumps({"a.b": "Translated {n}"}))
    i18n._load.cache_clear()
    return tmp_path


@pytest.mark.parametrize("lang", TIER2)
def test_tier2_gap_falls_back_to_english(tmp_path, lang):
    tr = Translator(lang, _partial_catalogs(tmp_path, lang))
    assert tr.t("a.b", n=1) == "Translated 1"
    assert tr.t("c.d") == "Only English"


@pytest.mark.parametrize("lang", TIER1[1:])
def test_tier1_gap_is_an_error_not_english(tmp_path, lang):
    tr = Translator(lang, _partial_catalogs(tmp_path, lang))
    with pytest.raises(MissingTranslation, match=f"{lang}"):
        tr.t("c.d")


def test_unknown_language_is_refused():
    with pytest.raises(i18n.UnknownLanguage, match="fr"):
        Translator("fr")


# ---- numbers, dates, times (CLDR through Babel) --------------------------------------------

PDT = timezone(timedelta(hours=-7))
NNBSP = "\u202f"  # CLDR's narrow no-break space between a time and AM/PM


def test_each_language_formats_in_its_cldr_locale():
    assert i18n.CLDR_LOCALES.keys() == set(LANGUAGES)
    assert str(i18n.cldr_locale("tl")) == "fil"  # CLDR has no Tagalog
    assert str(i18n.cldr_locale("zh-Hant")) == "zh_Hant_HK"


def test_distance_uses_the_language_decimal_mark_and_unit():
    assert Translator("en").km(1234) == "1.2 km"
    assert Translator("vi").km(1234) == "1,2 km"
    assert Translator("es").km(1250.1) == "1.3 km"      # US Spanish: a decimal point
    assert Translator("zh-Hans").km(800) == "0.8公里"
    assert Translator("zh-Hant").km(800) == "0.8 公里"
    assert Translator("ko").km(None) == "0.0km"
    assert Translator("vi").km(12_345_600) == "12.345,6 km"


def test_short_distances_are_metres_and_long_ones_kilometres():
    en, zh = Translator("en"), Translator("zh-Hant")
    assert en.distance(850) == "850 m"
    assert en.distance(999.4) == "999 m"
    assert en.distance(999.6) == "1.0 km"
    assert en.distance(1500) == "1.5 km"
    assert zh.distance(40) == "40 米"
    assert Translator("zh-Hans").metres(40) == "40米"
    assert Translator("ko").metres(12.4) == "12m"


def test_a_running_time_is_hours_minutes_seconds():
    tr = Translator("vi")
    assert tr.duration(0) == "0:00:00"
    assert tr.duration(None) == "0:00:00"
    assert tr.duration(3725.9) == "1:02:05"
    assert tr.duration(-5) == "0:00:00"


def test_times_follow_each_language_clock():
    at = datetime(2026, 6, 1, 17, 5, tzinfo=PDT)
    assert Translator("en").time(at) == f"5:05{NNBSP}PM"
    assert Translator("zh-Hant").time(at) == "下午5:05"
    assert Translator("zh-Hans").time(at) == "17:05"
    assert Translator("ko").time(at) == "오후 5:05"
    assert Translator("vi").time(at) == "17:05"
    assert Translator("es").time(at) == f"5:05{NNBSP}p.m."
    assert Translator("en").time(at.replace(hour=0)) == f"12:05{NNBSP}AM"
    assert Translator("en").time(at.replace(hour=12)) == f"12:05{NNBSP}PM"


def test_a_time_is_said_in_its_own_time_zone():
    at = datetime(2026, 6, 1, 17, 5, tzinfo=PDT)
    assert Translator("vi").time(at) == "17:05"
    assert Translator("vi").time(at.astimezone(timezone.utc)) == "00:05"


def test_days_name_the_weekday_and_month_in_the_language_order():
    d = date(2026, 6, 1)  # a Monday
    assert Translator("en").day(d) == "Mon, Jun 1"
    assert Translator("zh-Hant").day(d) == "6月1日週一"
    assert Translator("zh-Hans").day(d) == "6月1日周一"
    assert Translator("vi").day(d) == "Thứ 2, 1 thg 6"
    assert Translator("es").day(d) == "lun, 1 de jun"
    assert Translator("ko").day(d) == "6월 1일 (월)"
    assert Translator("tl").day(d) == "Lun, Hun 1"
    assert Translator("en").weekday(d) == "Mon"
    assert Translator("vi").weekday(d + timedelta(days=6)) == "CN"


def test_time_ranges_say_the_shared_half_of_the_day_once():
    start = datetime(2026, 6, 1, 17, 30, tzinfo=PDT)
    end = start.replace(hour=19, minute=0)
    assert Translator("en").time_range(start, end) == "5:30\u2009–\u20097:00\u202fPM"
    assert Translator("vi").time_range(start, end) == "17:30–19:00"
    assert Translator("ko").time_range(start, end) == "오후 5:30~7:00"
    assert Translator("en").time_range(start.replace(hour=10), end) == \
        "10:30\u202fAM\u2009–\u20097:00\u202fPM"
    zh = Translator("zh-Hant")   # (Babel alone cannot compare its flexible day periods)
    assert zh.time_range(start, end) == "下午5:30至7:00"
    assert zh.time_range(start, start.replace(minute=45)) == "下午5:30至5:45"
    assert zh.time_range(start.replace(hour=10), end) == "上午10:30至下午7:00"


def test_day_and_time_are_joined_the_language_way():
    at = datetime(2026, 6, 1, 17, 5, tzinfo=PDT)
    assert Translator("en").day_time(at) == f"Mon, Jun 1, 5:05{NNBSP}PM"
    assert Translator("vi").day_time(at) == "17:05 Thứ 2, 1 thg 6"   # CLDR vi: time first
    assert Translator("zh-Hant").day_time(at) == "6月1日週一 下午5:05"


def test_day_label_says_today_and_tomorrow():
    tr, today = Translator("en"), date(2026, 6, 1)
    assert tr.day_label(today, today) == "Today · Mon, Jun 1"
    assert tr.day_label(today + timedelta(days=1), today) == "Tomorrow · Tue, Jun 2"
    assert tr.day_label(today + timedelta(days=2), today) == "Wed, Jun 3"
    assert Translator("zh-Hant").day_label(today, today) == "今天 · 6月1日週一"


def test_when_is_a_time_today_and_a_date_before():
    now = datetime(2026, 6, 1, 18, 0, tzinfo=PDT)
    tr = Translator("en")
    assert tr.when(datetime(2026, 6, 1, 9, 30, tzinfo=PDT), now) == f"9:30{NNBSP}AM"
    assert tr.when(datetime(2026, 5, 30, 9, 30, tzinfo=PDT), now) == f"Sat, May 30, 9:30{NNBSP}AM"
    # an instant in another zone is said in now's zone
    assert tr.when(datetime(2026, 6, 1, 16, 30, tzinfo=timezone.utc), now) == f"9:30{NNBSP}AM"


# ---- fonts ----------------------------------------------------------------------------------


def test_each_language_has_its_own_face_first():
    assert font_family("zh-Hant") == "StrollTC"
    assert font_family("zh-Hans") == "StrollSC"
    assert font_family("ko") == "StrollKR"
    assert {font_family(lang) for lang in ("en", "vi", "es", "tl", "km")} == {"StrollSans"}
    for lang in LANGUAGES:
        assert font_family(lang) not in font_fallbacks(lang)
        assert sorted([font_family(lang), *font_fallbacks(lang)]) == sorted(i18n.FONT_FILES)


def test_theme_names_the_language_font_in_every_text_style():
    """Regression: a text style without a family rendered in the first fallback (the
    Chinese face), so Khmer came out as boxes."""
    from stroll.ui.theme import build_theme
    for lang in LANGUAGES:
        theme = build_theme(lang)
        assert theme.font_family == font_family(lang)
        styles = [getattr(theme.text_theme, f.name) for f in dataclasses.fields(theme.text_theme)
                  if not f.name.startswith("_") and getattr(theme.text_theme, f.name) is not None]
        assert styles
        for style in styles:
            assert style.font_family == font_family(lang)
            assert style.font_family_fallback[0] == font_family(lang)


@pytest.fixture(scope="module")
def cmaps():
    ttlib = pytest.importorskip("fontTools.ttLib")
    return {family: set(ttlib.TTFont(FONTS_DIR / Path(path).name).getBestCmap())
            for family, path in i18n.FONT_FILES.items()}


def test_font_files_ship_and_stay_small():
    for path in i18n.FONT_FILES.values():
        f = FONTS_DIR / Path(path).name
        assert f.exists(), f"{f} missing: run scripts/make_fonts.py"
        assert f.stat().st_size < 3_000_000, f"{f} is over 3 MB"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_language_font_draws_every_character_of_its_catalog(cmaps, lang):
    own = cmaps[font_family(lang)]
    chars = {ord(c) for v in texts(lang).values() for c in v}
    missing = sorted(chr(c) for c in chars - own if not chr(c).isspace())
    assert not missing, f"{font_family(lang)} lacks {missing} used by {lang}.json"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_language_font_draws_its_dates_times_and_distances(cmaps, lang):
    """CLDR's words (weekdays, months, 上午/下午, unit names) in the language's own face;
    its thin and narrow spaces (U+2009, U+202F; Noto CJK has none) at least in a fallback."""
    own = cmaps[font_family(lang)]
    fallbacks = set().union(*(cmaps[f] for f in font_fallbacks(lang)))
    chars = {ord(c) for text in formatting_samples(lang) for c in text}
    missing = sorted(chr(c) for c in chars - own
                     if not (chr(c).isspace() and c in fallbacks))
    assert not missing, f"{font_family(lang)} lacks {missing} of {lang} dates and distances"


def test_the_fonts_together_draw_common_names_in_every_script(cmaps):
    anyface = set().union(*cmaps.values())
    samples = "金門餅家 新興麵包店 嘅咗唔冇 华人社区 Phở Bò Nguyễn Thị Hương 김민준 សុខ ចាន់ Peña"
    missing = sorted({c for c in samples if not c.isspace() and ord(c) not in anyface})
    assert not missing, f"no shipped font draws {missing}"


# What people type into a guest's name, a device's label or a business's name.
TYPED_EMOJI = "🌸📱🥟😀😂❤👍🙏🎉🍜🧧🏮☕🌈🐉✨"


def test_the_emoji_font_draws_the_emoji_people_type(cmaps):
    """Served with no_cdn, Flutter can fetch no emoji font: without StrollEmoji every
    emoji is an empty box."""
    missing = [e for e in TYPED_EMOJI if ord(e) not in cmaps[i18n.EMOJI_FONT]]
    assert not missing, f"StrollEmoji lacks {missing}"
    assert i18n.EMOJI_FONT in font_fallbacks("en") and i18n.EMOJI_FONT in font_fallbacks("zh-Hant")


def test_the_emoji_font_composes_skin_tones_and_families_into_one_glyph():
    ttlib = pytest.importorskip("fontTools.ttLib")
    font = ttlib.TTFont(FONTS_DIR / Path(i18n.FONT_FILES[i18n.EMOJI_FONT]).name)
    cmap = font.getBestCmap()
    ligatures = set()
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for sub in lookup.SubTable:
            sub = getattr(sub, "ExtSubTable", sub)
            for first, ligs in (getattr(sub, "ligatures", None) or {}).items():
                ligatures.update((first, *lig.Component) for lig in ligs)
    for sequence in ("👍🏽", "👨\u200d👩\u200d👧", "🇺🇸"):
        glyphs = tuple(cmap[ord(c)] for c in sequence)
        assert glyphs in ligatures, f"{sequence!r} is not drawn as one emoji"
