"""Theme and fonts: the shipped font subsets, with each language's own face first."""
from __future__ import annotations

import flet as ft

from stroll.i18n import FONT_FILES, font_fallbacks, font_family

SEED = "#1F6F5C"          # jade green
MIN_TOUCH = 48            # px: smallest tap target
GAP = 12

_TEXT_STYLES = ("display_large", "display_medium", "display_small", "headline_large",
                "headline_medium", "headline_small", "title_large", "title_medium",
                "title_small", "body_large", "body_medium", "body_small", "label_large",
                "label_medium", "label_small")


# Flutter's own words (the back button's label, text selection menus) in the language.
# Flutter knows Tagalog as Filipino ("fil").
_FLUTTER_LOCALES = {
    "en": ft.Locale("en"), "zh-Hant": ft.Locale("zh", script_code="Hant"),
    "zh-Hans": ft.Locale("zh", script_code="Hans"), "vi": ft.Locale("vi"),
    "es": ft.Locale("es"), "tl": ft.Locale("fil"), "ko": ft.Locale("ko"), "km": ft.Locale("km"),
}


def locale_configuration(lang: str) -> ft.LocaleConfiguration:
    return ft.LocaleConfiguration(
        supported_locales=[ft.Locale("zh"), *_FLUTTER_LOCALES.values()],
        current_locale=_FLUTTER_LOCALES.get(lang, _FLUTTER_LOCALES["en"]))


def fonts() -> dict[str, str]:
    """``page.fonts``: family name -> file under the assets folder."""
    return dict(FONT_FILES)


def build_theme(lang: str) -> ft.Theme:
    """Material 3 theme in the language's font. Every text style lists the other
    shipped fonts as fallbacks: served with no_cdn, Flutter can fetch no font of its
    own, so a glyph missing from the first face would otherwise be an empty box."""
    # Flet applies text_theme after font_family, and a text style without a family of
    # its own then renders in the first fallback: name the family in every style too.
    own = font_family(lang)
    style = ft.TextStyle(font_family=own, font_family_fallback=[own, *font_fallbacks(lang)])
    return ft.Theme(
        color_scheme_seed=SEED,
        font_family=font_family(lang),
        text_theme=ft.TextTheme(**{name: style for name in _TEXT_STYLES}),
        visual_density=ft.VisualDensity.STANDARD,
    )
