"""Language catalogs and formatting for the device app.

Every string a person reads lives in ``assets/locales/<code>.json`` (flat keys such as
``"tab.patrol"``), never in code. ``Translator(lang).t(key, **params)`` looks a key up
and fills its ``{placeholders}``. Tier-1 languages must be complete (tests/test_i18n.py
fails otherwise, and a gap raises ``MissingTranslation`` at run time); tier-2 languages
may have gaps, which fall back to English.

Dates, times and distances are formatted from catalog entries too (weekday names,
12/24-hour clock, decimal mark), so each language reads naturally without a locale
database on the phone. Pure Python: no Flet.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

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

# Font families shipped in assets/fonts (scripts/make_fonts.py). The first is the
# language's own face; the rest are fallbacks so mixed text (a Chinese shop name in
# the English UI, a Khmer name in the Korean UI) still renders.
FONT_FILES = {
    "StrollSans": "fonts/StrollSans-Regular.ttf",
    "StrollTC": "fonts/StrollTC-Regular.otf",
    "StrollSC": "fonts/StrollSC-Regular.otf",
    "StrollKR": "fonts/StrollKR-Regular.otf",
}
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


@lru_cache(maxsize=None)
def _load(path: Path, mtime: float) -> dict[str, str]:
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise I18nError(f"{path} must be one JSON object of text values")
    return data


def load_catalog(lang: str, folder: Path = LOCALES_DIR) -> dict[str, str]:
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

    def text(self, key: str) -> str:
        """The raw catalog text, placeholders unfilled."""
        value = self.catalog.get(key)
        if value is None and self.lang in TIER2:
            value = self.fallback.get(key)
        if value is None:
            raise MissingTranslation(self.lang, key)
        return value

    def has(self, key: str) -> bool:
        return key in self.catalog or (self.lang in TIER2 and key in self.fallback)

    def t(self, key: str, **params: Any) -> str:
        text = self.text(key)

        def fill(m: re.Match) -> str:
            name = m.group(1)
            if name not in params:
                raise MissingParameter(self.lang, key, name)
            value = params[name]
            if isinstance(value, PlaceName):  # a place: its name in this language
                return self.place_name(value.name, value.names)
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

    # ---- numbers, dates and times -------------------------------------------------

    def number(self, value: float, decimals: int = 1) -> str:
        text = f"{value:.{decimals}f}"
        return text.replace(".", self.text("number.decimal")) if decimals else text

    def km(self, metres: float | None) -> str:
        return self.t("patrol.distance", km=self.number((metres or 0) / 1000, 1))

    def weekday(self, d: date) -> str:
        return self.text(f"date.weekday.{d.weekday()}")

    def day(self, d: date) -> str:
        return self.t("date.day", weekday=self.weekday(d), month=d.month, day=d.day)

    def time(self, dt: datetime) -> str:
        if self.text("time.clock") == "24":
            return f"{dt.hour}:{dt.minute:02d}"
        hour = dt.hour % 12 or 12
        ampm = self.text("time.am" if dt.hour < 12 else "time.pm")
        return self.t("time.pattern_12", time=f"{hour}:{dt.minute:02d}", ampm=ampm)

    def time_range(self, start: datetime, end: datetime) -> str:
        return self.t("time.range", start=self.time(start), end=self.time(end))

    def day_time(self, dt: datetime) -> str:
        return self.t("date.day_time", date=self.day(dt.date()), time=self.time(dt))

    def when(self, dt: datetime, now: datetime) -> str:
        """A moment relative to ``now``: the time today, else day and time."""
        dt_local = dt.astimezone(now.tzinfo) if (dt.tzinfo and now.tzinfo) else dt
        if dt_local.date() == now.date():
            return self.time(dt_local)
        return self.day_time(dt_local)

    def day_label(self, d: date, today: date) -> str:
        """Heading for a day in a list: "Today", "Tomorrow" or weekday and date."""
        relative = {0: "shifts.today", 1: "shifts.tomorrow"}.get((d - today).days)
        if relative is None:
            return self.day(d)
        return self.t("date.relative_day", relative=self.text(relative), date=self.day(d))


__all__ = ["Translator", "LANGUAGES", "TIER1", "TIER2", "DEFAULT_LANGUAGE", "LOCALES_DIR",
           "FONT_FILES", "font_family", "font_fallbacks", "language_choices", "LanguageChoice",
           "load_catalog", "placeholders", "MissingTranslation", "MissingParameter",
           "UnknownLanguage", "I18nError"]
