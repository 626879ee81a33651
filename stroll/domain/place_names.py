"""A place's name in each language: the ``names`` of neighborhoods, routes, merchants and
shifts, how they are checked, and which one a person reads.

A record's ``name`` (a shift's ``title``) is its English name and the one every
language falls back to. ``names`` gives the others, by app language
(``{"zh-Hant": "屋崙華埠", "vi": "Sài Gòn Nhỏ"}``): a key is a language the app is
written in (``taxonomy.APP_LANGUAGES``) other than English, a value a name on one line.
A language with no established name for a place is simply left out; the English name
shows, never an invented one.

Which name shows (``display_name``), for the app's language ``lang``:
1. ``names[lang]``;
2. the same language in its other script: Traditional and Simplified Chinese are one
   written language in two scripts, and a Chinese reader reads the other script far
   better than English. Converting is better still (a reader of Simplified should not
   have to decode 屋崙華埠), so the caller passes ``convert``
   (``stroll.chinese_script.convert_script`` on the device: script only, character and
   phrase tables, no vocabulary swaps). Traditional to Simplified is near one-to-one;
   the other way some characters split (发 is 發 or 髮), so where it matters a
   coordinator gives both. Without a converter the other script shows as written;
3. ``name``.

Pure: no I/O; the converter is handed in.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Mapping, Optional

from .taxonomy import APP_LANGUAGES

NAME_MAX = 120                  # characters in one language's name (a long shop name fits)
ENGLISH = "en"                  # the record's own ``name``: never a key of ``names``
NAME_LANGUAGES = tuple(code for code in APP_LANGUAGES if code != ENGLISH)

# (text, from language, to language) -> the text in the other script
Convert = Callable[[str, str, str], str]


def base_language(code: str) -> str:
    """The language without its script or region: ``zh`` for ``zh-Hant``."""
    return code.split("-", 1)[0].lower()


@lru_cache(maxsize=64)  # a list page asks once a row, for the same few languages
def script_variants(lang: str) -> tuple[str, ...]:
    """The app's other languages that are ``lang`` in another script (``zh-Hans`` for
    ``zh-Hant``), in the app's order."""
    base = base_language(lang)
    return tuple(code for code in NAME_LANGUAGES
                 if code != lang and base_language(code) == base)


def names_problem(names: Mapping) -> Optional[str]:
    """Why ``names`` (a mapping already) is not a valid ``names`` field, or None."""
    for code, text in names.items():
        if code == ENGLISH:
            return "'en' is the record's own name: set the name itself, not names['en']"
        if code not in NAME_LANGUAGES:
            return (f"unknown language {code!r} (allowed: {', '.join(NAME_LANGUAGES)})")
        if not isinstance(text, str):
            return f"the {code} name must be text, got {type(text).__name__}"
        if not text.strip():
            return f"the {code} name is empty (leave the language out instead)"
        if len(text) > NAME_MAX:
            return f"the {code} name is {len(text)} characters long (at most {NAME_MAX})"
        if any(unicodedata.category(c) == "Cc" for c in text):
            return f"the {code} name holds a line break or control character"
    return None


def display_name(name: str, names: Optional[Mapping[str, str]], lang: str,
                 convert: Optional[Convert] = None) -> str:
    """The name a person reading ``lang`` sees (the fallback chain above)."""
    if names:
        text = names.get(lang)
        if text:
            return text
        for other in script_variants(lang):
            text = names.get(other)
            if text:
                return convert(text, other, lang) if convert else text
    return name or ""


@dataclass(frozen=True)
class PlaceName:
    """A place's names, to be said in the reader's language later: a parameter of a
    sentence made before its language is known (a notice: "Checked in with {name}").
    ``stroll.i18n.Translator.t`` says it in its language; ``str()`` is the English name."""
    name: str
    names: dict = field(default_factory=dict)

    @classmethod
    def of(cls, record: Mapping, field_name: str = "name") -> "PlaceName":
        return cls(record.get(field_name) or "", dict(record.get("names") or {}))

    def __str__(self) -> str:
        return self.name

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.names.items()))))


__all__ = ["PlaceName", "NAME_MAX", "NAME_LANGUAGES", "Convert", "base_language",
           "script_variants", "names_problem", "display_name"]
