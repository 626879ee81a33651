"""Build the fonts the app ships, as subsets of Debian's Noto fonts.

Flet served with no_cdn cannot fetch fallback fonts, so without these files Chinese,
Korean, Khmer and some Vietnamese marks render as empty boxes. The generated files are
committed (a fresh machine has no fonts-noto-cjk); rerun this script after adding text to
assets/locales/*.json or changing a language's CLDR locale (stroll/i18n.py):

    apt-get install fonts-noto-cjk fonts-noto-core
    .venv/bin/python scripts/make_fonts.py            # every font
    .venv/bin/python scripts/make_fonts.py --only StrollEmoji-Regular.ttf

Output (assets/fonts/):
  StrollSans-Regular.ttf  Noto Sans (Latin incl. Vietnamese, Tagalog, Spanish) merged
                          with Noto Sans Khmer: en, vi, es, tl, km
  StrollTC-Regular.otf    Noto Sans CJK TC (Traditional glyph forms), and
  StrollSC-Regular.otf    Noto Sans CJK SC (Simplified glyph forms), each with
                          Big5 level 1 (5401 frequent Traditional characters), GB2312
                          level 1 (3755 frequent Simplified) and common written-Cantonese
                          characters, so text typed in either script renders in both
  StrollKR-Regular.otf    Noto Sans CJK KR: the 2350 Hangul syllables of KS X 1001
  StrollEmoji-Regular.ttf Noto Emoji (the monochrome outline face, from the pinned
                          manimgx-fonts package: its variable font fixed at Regular):
                          every emoji with its sequences (skin tones, ZWJ families, flags),
                          so names and notes people type with emoji render offline. Outlines,
                          not colour bitmaps: every renderer draws them, and the whole set
                          is under 1 MB (Debian's colour face is 11 MB of bitmaps).
Every file also keeps the characters of the catalogs in its script, Latin, digits and
punctuation, so user-typed names and notes render. Each stays under MAX_BYTES. The app
lists them all as fallbacks of each other (stroll.ui.theme), so mixed text renders too.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "assets" / "locales"
OUT = ROOT / "assets" / "fonts"
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_CORE = Path("/usr/share/fonts/truetype/noto")
CJK_INDEX = {"KR": 1, "SC": 2, "TC": 3}  # faces inside NotoSansCJK-Regular.ttc
MAX_BYTES = 3_000_000
EMOJI_MAX_BYTES = 1_000_000
EMOJI_PACKAGE = "manimgx_fonts"           # pip: manimgx-fonts (pyproject's test extra)
EMOJI_FILE = "NotoEmoji[wght].ttf"

# Latin, Latin-1, Latin Extended-A/B (Vietnamese ơ ư đ, Spanish ñ), combining marks,
# Latin Extended Additional (Vietnamese tone marks), punctuation, currency, symbols.
BASE_RANGES = [
    (0x0020, 0x007E), (0x00A0, 0x024F), (0x02B0, 0x02FF), (0x0300, 0x036F),
    (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20C0), (0x2100, 0x214F),
    (0x2190, 0x21FF), (0x2212, 0x2212), (0x2260, 0x2265), (0x25A0, 0x25FF),
    (0x2600, 0x2606), (0x2713, 0x2714), (0xFFFD, 0xFFFD),
]
# The CJK faces draw Latin for CJK text; anything rarer falls back to StrollSans.
CJK_BASE_RANGES = [(0x0020, 0x007E), (0x00A0, 0x00FF), (0x2000, 0x206F), (0x20AC, 0x20AC),
                   (0x2190, 0x2193), (0x25A0, 0x25CF)]
CJK_PUNCT_RANGES = [(0x3000, 0x303F), (0xFF01, 0xFF65), (0xFFE0, 0xFFEE), (0x30FB, 0x30FB)]
KHMER_RANGES = [(0x1780, 0x17FF), (0x19E0, 0x19FF), (0x200B, 0x200D), (0x25CC, 0x25CC)]
HANGUL_JAMO = [(0x1100, 0x11FF), (0x3130, 0x318F)]

# Characters of written Cantonese that Big5 level 1 lacks (HKSCS / Big5 level 2).
CANTONESE = ("嘅咗唔冇佢哋喺嚟啲嘢咁噉乜睇搵揾俾畀咪啱嗰呢係冚嘥攰瞓㗎嘞喇囉咩噃嘛吖呀晒哂"
             "餸嚿嘈嚡嗌掹揸撳攞諗諗靚嬲嗮咋啩喎嘢廿卅乸氹凼瀡埋囖嘥嚫膶孖冧揼撈")


def _ranges(ranges) -> set[int]:
    return {cp for lo, hi in ranges for cp in range(lo, hi + 1)}


def _double_byte(encoding: str, leads, trails) -> set[int]:
    out = set()
    for lead in leads:
        for trail in trails:
            try:
                ch = bytes([lead, trail]).decode(encoding)
            except UnicodeDecodeError:
                continue
            out.add(ord(ch))
    return out


def gb2312_level1() -> set[int]:
    return _double_byte("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))


def big5_level1() -> set[int]:
    trails = list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF))
    out = set()
    for lead in range(0xA4, 0xC7):
        for trail in trails:
            if (lead << 8 | trail) > 0xC67E:
                continue
            try:
                out.add(ord(bytes([lead, trail]).decode("big5")))
            except UnicodeDecodeError:
                pass
    return out


def ksx1001_hangul() -> set[int]:
    return _double_byte("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF))


def catalog_chars() -> set[int]:
    """The characters of every catalog text (each plural form), and of the dates, times
    and distances Babel formats from CLDR for each language (weekday and month names,
    上午/下午, unit names)."""
    sys.path.insert(0, str(ROOT))
    from stroll.i18n import LANGUAGES, forms, formatting_samples

    chars: set[int] = set()
    for path in sorted(LOCALES.glob("*.json")):
        for key, value in json.loads(path.read_text("utf-8")).items():
            chars.update(map(ord, key + "".join(forms(value).values())))
    for lang in LANGUAGES:
        chars.update(ord(c) for text in formatting_samples(lang) for c in text)
    return chars


def _subset_options(cjk: bool = False) -> subset.Options:
    opts = subset.Options()
    if cjk:
        # No 'locl' (it drags in the JP/KR/HK forms of every character: twice the glyphs;
        # the app picks the face per language instead) and no vertical forms.
        opts.layout_features = ["ccmp", "kern", "palt", "halt", "liga", "mark", "mkmk"]
        opts.drop_tables += ["vhea", "vmtx", "VORG"]
    else:
        opts.layout_features = ["*"]  # Khmer and Vietnamese need their shaping features
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.glyph_names = False
    opts.hinting = False
    opts.desubroutinize = False
    return opts


def _subset(font: TTFont, wanted: set[int], cjk: bool = False) -> TTFont:
    have = set(font.getBestCmap())
    sub = subset.Subsetter(_subset_options(cjk))
    sub.populate(unicodes=sorted(wanted & have))
    sub.subset(font)
    return font


def _rename(font: TTFont, family: str) -> None:
    """Give the subset its own family name: it is a modified Noto font (OFL 1.1)."""
    name = font["name"]
    for rec in list(name.names):
        if rec.nameID in (16, 17, 21, 22):
            name.removeNames(nameID=rec.nameID)
    for nid, value in ((1, family), (2, "Regular"), (3, f"{family}-Regular"),
                       (4, f"{family} Regular"), (6, f"{family}-Regular")):
        name.setName(value, nid, 3, 1, 0x409)
        name.setName(value, nid, 1, 0, 0)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [f"{family}-Regular"]
        top = cff.topDictIndex[0]
        top.FamilyName = family
        top.FullName = f"{family} Regular"


def _is_han(cp: int) -> bool:
    return 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x2FFFF


def _is_hangul(cp: int) -> bool:
    return 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F


def build_cjk(face: str, extra: set[int]) -> TTFont:
    font = TTCollection(str(NOTO_CJK)).fonts[CJK_INDEX[face]]
    script = _is_hangul if face == "KR" else _is_han
    from_catalogs = {cp for cp in catalog_chars() if script(cp)}
    wanted = _ranges(CJK_BASE_RANGES) | _ranges(CJK_PUNCT_RANGES) | from_catalogs | extra
    return _subset(font, wanted, cjk=True)


def build_sans(tmp: Path) -> TTFont:
    """Noto Sans (Latin) merged with Noto Sans Khmer into one family."""
    latin = _subset(TTFont(NOTO_CORE / "NotoSans-Regular.ttf"),
                    _ranges(BASE_RANGES) | catalog_chars())
    khmer = _subset(TTFont(NOTO_CORE / "NotoSansKhmer-Regular.ttf"),
                    _ranges(KHMER_RANGES) | catalog_chars())
    # Merger needs glyph names unique across fonts and the same unitsPerEm (1000 both).
    paths = []
    for name, f in (("latin", latin), ("khmer", khmer)):
        for table in ("vhea", "vmtx", "MATH"):
            if table in f:
                del f[table]
        p = tmp / f"{name}.ttf"
        f.save(p)
        paths.append(str(p))
    merged = Merger().merge(paths)
    return merged


def noto_emoji_source() -> Path | None:
    """Noto Emoji's variable font, as the manimgx-fonts package installs it."""
    import importlib.util
    spec = importlib.util.find_spec(EMOJI_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / EMOJI_FILE
    return path if path.exists() else None


def build_emoji(source: Path) -> TTFont:
    """Noto Emoji at Regular weight: every emoji and the sequences its GSUB composes."""
    from fontTools.varLib import instancer
    font = instancer.instantiateVariableFont(TTFont(source), {"wght": 400})
    opts = _subset_options()
    opts.drop_tables += ["vhea", "vmtx", "STAT"]
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=sorted(font.getBestCmap()))
    sub.subset(font)
    return font


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--only", action="append", metavar="FILE",
                    help="build only this file (repeatable), e.g. StrollEmoji-Regular.ttf")
    args = ap.parse_args(argv)
    emoji = noto_emoji_source()
    sources = {"StrollTC-Regular.otf": [NOTO_CJK], "StrollSC-Regular.otf": [NOTO_CJK],
               "StrollKR-Regular.otf": [NOTO_CJK],
               "StrollSans-Regular.ttf": [NOTO_CORE / "NotoSans-Regular.ttf",
                                          NOTO_CORE / "NotoSansKhmer-Regular.ttf"]}
    wanted = args.only or [*sources, "StrollEmoji-Regular.ttf"]
    unknown = [f for f in wanted if f not in sources and f != "StrollEmoji-Regular.ttf"]
    if unknown:
        print(f"unknown font file(s): {', '.join(unknown)}", file=sys.stderr)
        return 1
    missing = sorted({str(p) for f in wanted for p in sources.get(f, []) if not p.exists()})
    if missing:
        print("missing source fonts: " + ", ".join(missing) +
              "\n(apt-get install fonts-noto-cjk fonts-noto-core)", file=sys.stderr)
        return 1
    if "StrollEmoji-Regular.ttf" in wanted and emoji is None:
        print(f"missing source font: {EMOJI_FILE} of the {EMOJI_PACKAGE} package\n"
              "(scripts/setup --test installs it: pyproject's test extra)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = args.out / ".tmp"
    tmp.mkdir(exist_ok=True)
    hanzi_trad, hanzi_simp = big5_level1(), gb2312_level1()
    cantonese = set(map(ord, CANTONESE))
    builds = {
        "StrollTC-Regular.otf": lambda: build_cjk("TC", hanzi_trad | cantonese | hanzi_simp),
        "StrollSC-Regular.otf": lambda: build_cjk("SC", hanzi_simp | hanzi_trad | cantonese),
        "StrollKR-Regular.otf": lambda: build_cjk("KR", ksx1001_hangul() | _ranges(HANGUL_JAMO)),
        "StrollSans-Regular.ttf": lambda: build_sans(tmp),
        "StrollEmoji-Regular.ttf": lambda: build_emoji(emoji),
    }
    ok = True
    for filename, build in builds.items():
        if filename not in wanted:
            continue
        font = build()
        _rename(font, filename.split("-")[0])
        path = args.out / filename
        font.save(path)
        size = path.stat().st_size
        glyphs = len(TTFont(path).getBestCmap())
        limit = EMOJI_MAX_BYTES if "Emoji" in filename else MAX_BYTES
        flag = "" if size <= limit else f"  TOO BIG (> {limit})"
        ok &= size <= limit
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
              f"{glyphs} characters, {size / 1e6:.2f} MB{flag}")
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
