"""Language catalogs and formatting for the device app.

Every string a person reads lives in ``assets/locales/<code>.json`` (flat keys such as
``"tab.patrol"``), never in code. ``Translator(lang).t(key, **params)`` looks a key up
and fills its ``{placeholders}``. Tier-1 languages must be complete (tests/test_i18n.py
fails otherwise, and a gap raises ``MissingTranslation`` at run time); tier-2 languages
may have gaps, which fall back to English.

A text that depends on a number is an object of CLDR plural forms,
``{"one": "{count} route", "other": "{count} routes"}``, chosen by its ``{count}``
parameter with the language's plural rules; each catalog gives exactly the forms its
language uses (Chinese only ``other``, Spanish ``one``, ``many``, ``other``).

Dates, times, numbers and distances are formatted by Babel from the Unicode CLDR data
(weekday and month names, the 12/24-hour clock, decimal marks, unit names), each app
language in its CLDR locale (``CLDR_LOCALES``); the catalogs keep only the app's own
sentences. Pure Python: no Flet.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Union

from babel import Locale
from babel.dates import (format_date, format_interval, format_skeleton, format_time,
                         get_datetime_format, parse_pattern)
from babel.numbers import format_decimal
from babel.units import format_unit

from stroll.chinese_script import convert_script
from stroll.domain import taxonomy as tx
from stroll.domain.errors import StrollError
from stroll.domain.place_names import PlaceName, display_name

LOCALES_DIR = Path(__file__).resolve().parent.parent / "assets" / "locales"
TIER1 = tx.APP_LANGUAGES_TIER1     # ("en", "zh-Hant", "zh-Hans", "vi", "es")
TIER2 = tx.APP_LANGUAGES_TIER2     # ("tl", "ko", "km")
LANGUAGES = tx.APP_LANGUAGES       # (the domain checks a place's names against them)
DEFAULT_LANGUAGE = "en"

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# The CLDR locale each app language's dates, times, numbers and plurals follow.
CLDR_LOCALES = {
    "en": "en_US",
    # Hong Kong Traditional Chinese: the Cantonese-speaking readers of the Chinatowns say
    # 上午/下午 and 米 (metre) as Hong Kong does; zh_Hant (Taiwan) says 晚上 and 公尺.
    "zh-Hant": "zh_Hant_HK",
    "zh-Hans": "zh_Hans_CN",
    "vi": "vi",
    "es": "es_US",
    "ko": "ko",
    "km": "km",
    # CLDR has no Tagalog locale (tl); Filipino (fil), the standard form of Tagalog,
    # stands in for it.
    "tl": "fil",
}
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")  # CLDR's names

# A catalog value: a text, or a text's plural forms by CLDR category.
Entry = Union[str, dict[str, str]]

# Font families shipped in assets/fonts (scripts/make_fonts.py). The first is the
# language's own face; the rest are fallbacks so mixed text (a Chinese shop name in
# the English UI, a Khmer name in the Korean UI) still renders. StrollEmoji, last, draws
# the emoji people type into names and notes (no language has it as its own face).
FONT_FILES = {
    "StrollSans": "fonts/StrollSans-Regular.ttf",
    "StrollTC": "fonts/StrollTC-Regular.otf",
    "StrollSC": "fonts/StrollSC-Regular.otf",
    "StrollKR": "fonts/StrollKR-Regular.otf",
    "StrollEmoji": "fonts/StrollEmoji-Regular.ttf",
}
EMOJI_FONT = "StrollEmoji"
_FONT_BY_LANGUAGE = {"zh-Hant": "StrollTC", "zh-Hans": "StrollSC", "ko": "StrollKR"}


class I18nError(StrollError):
    code = "i18n_error"


class UnknownLanguage(I18nError):
    def __init__(self, lang: str):
        self.lang = lang
        super().__init__(f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")


class MissingTranslation(I18nError, KeyError):
    def __init__(self, lang: str, key: str):
        self.lang, self.key = lang, key
        super().__init__(f"no text for key {key!r} in the {lang} catalog "
                         f"(assets/locales/{lang}.json)")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class MissingParameter(I18nError, KeyError):
    def __init__(self, lang: str, key: str, name: str):
        super().__init__(f"text {key!r} ({lang}) needs the parameter {{{name}}}")

    def __str__(self) -> str:
        return self.args[0]


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def forms(entry: Entry) -> dict[str, str]:
    """A catalog value's texts by plural category (a plain text is ``other`` only)."""
    return dict(entry) if isinstance(entry, dict) else {"other": entry}


@lru_cache(maxsize=None)
def cldr_locale(lang: str) -> Locale:
    if lang not in CLDR_LOCALES:
        raise UnknownLanguage(lang)
    return Locale.parse(CLDR_LOCALES[lang])


def plural_categories(lang: str) -> set[str]:
    """The CLDR plural categories ``lang`` tells apart (``other`` always)."""
    return set(cldr_locale(lang).plural_form.tags) | {"other"}


def plural_category(lang: str, count: float) -> str:
    return cldr_locale(lang).plural_form(abs(count))


def _is_entry(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return (isinstance(value, dict) and "other" in value
            and all(k in PLURAL_CATEGORIES and isinstance(v, str) for k, v in value.items()))


@lru_cache(maxsize=None)
def _load(path: Path, mtime: float) -> dict[str, Entry]:
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict) or not all(_is_entry(v) for v in data.values()):
        raise I18nError(f"{path} must be one JSON object whose values are texts or "
                        f"plural forms ({{\"one\": ..., \"other\": ...}})")
    return data


def load_catalog(lang: str, folder: Path = LOCALES_DIR) -> dict[str, Entry]:
    if lang not in LANGUAGES:
        raise UnknownLanguage(lang)
    path = Path(folder) / f"{lang}.json"
    if not path.exists():
        if lang in TIER2:
            return {}
        raise I18nError(f"the {lang} catalog is missing: {path}")
    return _load(path, path.stat().st_mtime)


def font_family(lang: str) -> str:
    return _FONT_BY_LANGUAGE.get(lang, "StrollSans")


def font_fallbacks(lang: str) -> list[str]:
    own = font_family(lang)
    return [f for f in FONT_FILES if f != own]


@dataclass(frozen=True)
class LanguageChoice:
    code: str
    name: str  # the language's name in its own script ("繁體中文")
    font_family: str


def language_choices(folder: Path = LOCALES_DIR) -> list[LanguageChoice]:
    return [LanguageChoice(code, load_catalog(code, folder).get("language.name", code),
                           font_family(code)) for code in LANGUAGES]


class Translator:
    """Texts, dates and numbers for one language."""

    def __init__(self, lang: str = DEFAULT_LANGUAGE, folder: Path = LOCALES_DIR):
        self.lang = lang
        self.folder = Path(folder)
        self.catalog = load_catalog(lang, self.folder)
        self.fallback = load_catalog(DEFAULT_LANGUAGE, self.folder) if lang != DEFAULT_LANGUAGE else {}

    @property
    def font_family(self) -> str:
        return font_family(self.lang)

    def text(self, key: str, count: float | None = None) -> str:
        """The raw catalog text, placeholders unfilled; for a text with plural forms, the
        form for ``count`` under the rules of the language it is written in."""
        value, lang = self.catalog.get(key), self.lang
        if value is None and self.lang in TIER2:
            value, lang = self.fallback.get(key), DEFAULT_LANGUAGE
        if value is None:
            raise MissingTranslation(self.lang, key)
        if isinstance(value, dict):
            if count is None or isinstance(count, bool) or not isinstance(count, (int, float)):
                raise MissingParameter(self.lang, key, "count")
            return value.get(plural_category(lang, count), value["other"])
        return value

    def has(self, key: str) -> bool:
        return key in self.catalog or (self.lang in TIER2 and key in self.fallback)

    def t(self, key: str, **params: Any) -> str:
        text = self.text(key, params.get("count"))

        def fill(m: re.Match) -> str:
            name = m.group(1)
            if name not in params:
                raise MissingParameter(self.lang, key, name)
            value = params[name]
            if isinstance(value, PlaceName):  # a place: its name in this language
                return self.place_name(value.name, value.names)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return format_decimal(value, locale=self.locale)  # "1,234", "1.234"
            return str(value)
        return PLACEHOLDER.sub(fill, text)

    __call__ = t

    # ---- the names of places ------------------------------------------------------

    def place_name(self, name: str, names: dict | None) -> str:
        """A place's name in this language: ``names`` (by language, English is ``name``)
        with the fallbacks of ``stroll.domain.place_names.display_name``."""
        return display_name(name, names, self.lang, convert_script)

    def place(self, record: dict | PlaceName | None, field: str = "name") -> str:
        """A neighborhood's, route's or merchant's name, or a shift's title
        (``field="title"``), in this language; or a ``PlaceName``'s."""
        if isinstance(record, PlaceName):
            return self.place_name(record.name, record.names)
        if not record:
            return ""
        return self.place_name(record.get(field) or "", record.get("names"))

    # ---- numbers, dates and times (CLDR, through Babel) ---------------------------

    @property
    def locale(self) -> Locale:
        """The CLDR locale this language is formatted in (``CLDR_LOCALES``)."""
        return cldr_locale(self.lang)

    def number(self, value: float, decimals: int = 1) -> str:
        """``value`` with ``decimals`` digits after the language's decimal mark, grouped."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
        return format_decimal(value, pattern, locale=self.locale)

    def km(self, metres: float | None) -> str:
        """A distance in kilometres with one decimal ("1.2 km", "1,2 km", "1.2公里")."""
        return format_unit((metres or 0) / 1000, "length-kilometer", "short",
                           format="#,##0.0", locale=self.locale)

    def metres(self, metres: float) -> str:
        """A distance in whole metres ("850 m", "850 米", "850m")."""
        return format_unit(int(round(metres)), "length-meter", "short", locale=self.locale)

    def distance(self, metres: float) -> str:
        """Metres under a kilometre, kilometres from one up."""
        return self.metres(metres) if round(metres) < 1000 else self.km(metres)

    def duration(self, seconds: float | None) -> str:
        """A running time as h:mm:ss: CLDR's hour-minute-second duration pattern is
        h:mm:ss in every language the app speaks (Babel does not ship those patterns)."""
        s = max(0, int(seconds or 0))
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"

    def weekday(self, d: date) -> str:
        """The weekday's short name ("Mon", "週一", "Thứ 2")."""
        return format_date(d, "EEE", locale=self.locale)

    def day(self, d: date) -> str:
        """Weekday, month and day in the language's order ("Mon, Jun 1", "6月1日週一")."""
        return format_skeleton("MMMEd", d, locale=self.locale)

    def time(self, dt: datetime) -> str:
        """The time of day on the language's clock ("5:05 PM", "下午5:05", "17:05"),
        in ``dt``'s own time zone."""
        return format_time(dt, "short", locale=self.locale)

    def time_range(self, start: datetime, end: datetime) -> str:
        """From ``start`` to ``end`` on one day ("5:30 – 7:00 PM", "17:30–19:00")."""
        loc = self.locale
        skeleton = "Hm" if "H" in loc.time_formats["short"].pattern else "hm"
        try:
            return format_interval(start, end, skeleton, locale=loc)
        except NotImplementedError:
            pass
        # Babel cannot yet compare CLDR's flexible day periods ("B", in the Chinese
        # patterns): pick CLDR's pattern by the greatest difference without them.
        if skeleton == "hm" and (start.hour < 12) != (end.hour < 12):
            field = "a"
        else:
            field = skeleton[0] if start.hour != end.hour else "m"
        pair = loc.interval_formats.get(skeleton, {}).get(field)
        if pair and start.date() == end.date():
            return "".join(parse_pattern(p).apply(t, loc) for p, t in zip(pair, (start, end)))
        fallback = loc.interval_formats.get(None) or "{0} – {1}"
        return fallback.replace("{0}", self.time(start)).replace("{1}", self.time(end))

    def day_time(self, dt: datetime) -> str:
        """Day and time joined the language's way ("Mon, Jun 1, 5:05 PM", "17:05 Th 2, 1 thg 6")."""
        pattern = get_datetime_format("medium", locale=self.locale)
        return pattern.replace("{1}", self.day(dt.date())).replace("{0}", self.time(dt))

    def when(self, dt: datetime, now: datetime) -> str:
        """A moment relative to ``now``: the time today, else day and time."""
        dt_local = dt.astimezone(now.tzinfo) if (dt.tzinfo and now.tzinfo) else dt
        if dt_local.date() == now.date():
            return self.time(dt_local)
        return self.day_time(dt_local)

    def month(self, d: date) -> str:
        """The name of ``d``'s month standing alone, as a table's row begins it
        ("November", "11月", "Tháng 11", "Noviembre")."""
        name = format_date(d, "LLLL", locale=self.locale)
        return name[:1].upper() + name[1:]

    def hours(self, value: float) -> str:
        """Hours served, to a tenth ("12.5 hr", "12.5 小時", "12,5 tiếng")."""
        return format_unit(round(value or 0.0, 1), "duration-hour", "short",
                           format="#,##0.#", locale=self.locale)

    def day_label(self, d: date, today: date) -> str:
        """Heading for a day in a list: "Today", "Tomorrow" or weekday and date."""
        relative = {0: "shifts.today", 1: "shifts.tomorrow"}.get((d - today).days)
        if relative is None:
            return self.day(d)
        return self.t("date.relative_day", relative=self.text(relative), date=self.day(d))


def formatting_samples(lang: str) -> list[str]:
    """Texts the Translator formats for ``lang`` with CLDR's words: every weekday and
    month, the clock at every hour, distances and a time range. The shipped fonts must
    draw their characters (scripts/make_fonts.py keeps them; tests/test_i18n.py checks)."""
    tr = Translator(lang)
    first = date(2026, 1, 5)  # a Monday
    texts = [tr.day(first + timedelta(days=i)) for i in range(7)]
    texts += [tr.day(date(2026, month, 1)) for month in range(1, 13)]
    texts += [tr.time(datetime(2026, 1, 5, hour, 5)) for hour in range(24)]
    texts += [tr.month(date(2026, month, 1)) for month in range(1, 13)]
    texts += [tr.hours(1), tr.hours(12.5), tr.hours(1234.5)]
    texts += [tr.day_time(datetime(2026, 1, 5, 17, 5)), tr.km(1234.5), tr.metres(850),
              tr.number(12345.6), tr.duration(3725),
              tr.time_range(datetime(2026, 1, 5, 10, 30), datetime(2026, 1, 5, 12, 0)),
              tr.time_range(datetime(2026, 1, 5, 17, 30), datetime(2026, 1, 5, 19, 0))]
    return texts


__all__ = ["Translator", "LANGUAGES", "CLDR_LOCALES", "PLURAL_CATEGORIES", "Entry", "forms",
           "cldr_locale", "plural_categories", "plural_category", "formatting_samples", "TIER1", "TIER2", "DEFAULT_LANGUAGE", "LOCALES_DIR",
           "FONT_FILES", "font_family", "font_fallbacks", "language_choices", "LanguageChoice",
           "load_catalog", "placeholders", "MissingTranslation", "MissingParameter",
           "UnknownLanguage", "I18nError"]
