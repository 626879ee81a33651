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
                         MissingTranslation, Translator, font_fallbacks, font_family,
                         language_choices, placeholders)

ROOT = Path(__file__).resolve().parent.parent
FONTS_DIR = ROOT / "assets" / "fonts"
KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def catalog(lang: str) -> dict[str, str]:
    return json.loads((LOCALES_DIR / f"{lang}.json").read_text("utf-8"))


EN = catalog("en")
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
    wrong = {k: (sorted(placeholders(v)), sorted(placeholders(EN[k])))
             for k, v in catalog(lang).items() if k in EN and placeholders(v) != placeholders(EN[k])}
    assert not wrong, f"{lang}.json placeholders differ from en.json (theirs, english): {wrong}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_texts_are_nonblank_and_trimmed(lang):
    bad = [k for k, v in catalog(lang).items() if not v.strip() or v != v.strip()]
    assert not bad, f"{lang}.json has blank or untrimmed texts: {bad}"


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


def test_tab_and_weekday_keys_exist_for_every_value():
    from stroll.state import TABS
    for lang in TIER1:
        tr = Translator(lang)
        for tab in TABS:
            assert tr.t(f"tab.{tab}")
        for wd in range(7):
            assert tr.text(f"date.weekday.{wd}")


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


# ---- numbers, dates, times -----------------------------------------------------------------

PDT = timezone(timedelta(hours=-7))


def test_distance_uses_the_language_decimal_mark():
    assert Translator("en").km(1234) == "1.2 km"
    assert Translator("vi").km(1234) == "1,2 km"
    assert Translator("es").km(1250.1) == "1,3 km"
    assert Translator("zh-Hans").km(800) == "0.8 公里"


def test_times_follow_each_language_clock():
    at = datetime(2026, 6, 1, 17, 5, tzinfo=PDT)
    assert Translator("en").time(at) == "5:05 PM"
    assert Translator("zh-Hant").time(at) == "下午5:05"
    assert Translator("ko").time(at) == "오후 5:05"
    assert Translator("vi").time(at) == "17:05"
    assert Translator("en").time(at.replace(hour=0)) == "12:05 AM"
    assert Translator("en").time(at.replace(hour=12)) == "12:05 PM"


def test_days_name_the_weekday_in_the_language_order():
    d = date(2026, 6, 1)  # a Monday
    assert Translator("en").day(d) == "Mon 6/1"
    assert Translator("zh-Hant").day(d) == "6月1日 週一"
    assert Translator("vi").day(d) == "Thứ 2, 1/6"
    assert Translator("ko").day(d) == "6월 1일 (월)"


def test_day_label_says_today_and_tomorrow():
    tr, today = Translator("en"), date(2026, 6, 1)
    assert tr.day_label(today, today) == "Today · Mon 6/1"
    assert tr.day_label(today + timedelta(days=1), today) == "Tomorrow · Tue 6/2"
    assert tr.day_label(today + timedelta(days=2), today) == "Wed 6/3"


def test_when_is_a_time_today_and_a_date_before():
    now = datetime(2026, 6, 1, 18, 0, tzinfo=PDT)
    tr = Translator("en")
    assert tr.when(datetime(2026, 6, 1, 9, 30, tzinfo=PDT), now) == "9:30 AM"
    assert tr.when(datetime(2026, 5, 30, 9, 30, tzinfo=PDT), now) == "Sat 5/30, 9:30 AM"


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
    chars = {ord(c) for v in catalog(lang).values() for c in v}
    missing = sorted(chr(c) for c in chars - own if not chr(c).isspace())
    assert not missing, f"{font_family(lang)} lacks {missing} used by {lang}.json"


def test_the_fonts_together_draw_common_names_in_every_script(cmaps):
    anyface = set().union(*cmaps.values())
    samples = "金門餅家 新興麵包店 嘅咗唔冇 华人社区 Phở Bò Nguyễn Thị Hương 김민준 សុខ ចាន់ Peña"
    missing = sorted({c for c in samples if not c.isspace() and ord(c) not in anyface})
    assert not missing, f"no shipped font draws {missing}"
