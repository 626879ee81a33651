"""Traditional <-> Simplified Chinese for names given in one script only.

``convert_script(text, from_lang, to_lang)`` is the converter
``stroll.domain.place_names.display_name`` takes: a place named only in Traditional
reads in Simplified, and the other way. It uses zhconv (MediaWiki's conversion tables,
pure Python, so it runs on the phone too) in its script-only modes (``zh-hans``,
``zh-hant``): characters and phrases change script, words are never swapped for a
region's vocabulary, which would be wrong for a proper name. Its tables load on the
first conversion (about 0.1 s); the demo data gives both scripts, so a conversion only
happens for names a coordinator gave in one. Any other pair of languages is returned
as it is.
"""
from __future__ import annotations

from functools import lru_cache

_TARGET = {"zh-Hans": "zh-hans", "zh-Hant": "zh-hant"}


@lru_cache(maxsize=2048)
def convert_script(text: str, from_lang: str, to_lang: str) -> str:
    target = _TARGET.get(to_lang)
    if target is None or from_lang not in _TARGET or from_lang == to_lang:
        return text
    import zhconv  # (its tables load on first use: only when a conversion is needed)
    return zhconv.convert(text, target)


__all__ = ["convert_script"]
