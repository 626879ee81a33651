"""Is any text on the phone's screen cut? Flutter's semantics nodes against the text
measured with the app's own fonts.

Flutter paints to a canvas, but every text it shows is also a semantics node: its label
(the whole text, even when the screen shows only part of it) and its box on the screen.
``TextMeter`` lays each label out with the fonts the app ships (``stroll.i18n.FONT_FILES``,
fetched from the app itself) in CanvasKit, the Skia build the app's own renderer uses, so
line breaks and heights come out as Flutter's: at the width the node has, how many lines
does the text need, and do they fit in the node's height? A chip whose label fades out
mid-word, a name cut to two lines with an ellipsis, a title that ends in "…", a second
line clipped by a fixed height: each needs more lines than its box holds.

How much of a node's box is the text's own depends on what it is. Chips (``role=checkbox``)
and buttons are measured in their label style with the padding they are built with
(``stroll.ui.widgets``: ``CHIP_*``, ``button_style``); headers in their title styles; a
plain text node in any of the app's body sizes (12, 13, 14 or 16 px), the most lenient
(so a text there is called cut only when it could not fit at any of them). Icon buttons
(a tooltip, no text drawn) and the map's place names (a name longer than its label's
``MAX_LABEL_PX`` ends in "…" on purpose, ``stroll/ui/map_layers.py``) are not judged. A node only partly on the screen, or scrolled
partly out of its list, is judged when it comes fully into view (``walk_screen`` scrolls).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stroll.i18n import FONT_FILES, font_fallbacks, font_family
from stroll.ui import widgets

TOLERANCE = 1.0  # px: the node's box is rounded, the fonts' metrics are not

# Text styles as the app's Material 3 theme sets them: size, line height (multiple of the
# size), letter spacing, weight.
LABEL = (14, 20 / 14, 0.1, 500)            # labelLarge: chips, buttons
BODY = (14, 20 / 14, 0.25, 400)            # bodyMedium: ft.Text
BODY_13 = (13, 20 / 14, 0.25, 400)         # ft.Text(size=13): bodyMedium at 13 px
BODY_12 = (12, 20 / 14, 0.25, 400)
BODY_LARGE = (16, 1.5, 0.5, 400)           # bodyLarge: fields, radio and switch labels
TITLE_MEDIUM = (16, 1.5, 0.15, 600)        # section titles (widgets.section_title)
TITLE_LARGE = (22, 28 / 22, 0.0, 400)      # the app bar's title
PLAIN = (BODY_12, BODY_13, BODY, BODY_LARGE, TITLE_MEDIUM)

_MEASURE_JS = """
async ([fonts]) => {
  if (window.__fit) return true;
  const m = await import('/canvaskit/canvaskit.js');
  const CK = await m.default({locateFile: f => '/canvaskit/' + f});
  const provider = CK.TypefaceFontProvider.Make();
  for (const [family, url] of fonts) {
    const res = await fetch('/' + url);
    if (!res.ok) throw new Error(`the app does not serve ${url}: ${res.status}`);
    provider.registerFont(await res.arrayBuffer(), family);
  }
  const glyphs = {};
  window.__fit = (items) => items.map(([text, size, height, spacing, weight, families, width]) => {
    const style = new CK.ParagraphStyle({textStyle: {
      fontSize: size, heightMultiplier: height, letterSpacing: spacing,
      fontFamilies: families, fontStyle: {weight: {value: weight}}}});
    const b = CK.ParagraphBuilder.MakeFromFontProvider(style, provider);
    b.addText(text);
    const p = b.build();
    p.layout(width);
    const out = [p.getHeight(), p.getLineMetrics().length, p.getMinIntrinsicWidth(),
                 p.getMaxIntrinsicWidth()];
    p.delete(); b.delete();
    return out;
  });
  // The glyph ids a text is drawn with (0: no font has it, an empty box).
  window.__glyphs = (text, families) => {
    const style = new CK.ParagraphStyle({textStyle: {fontSize: 20, fontFamilies: families}});
    const b = CK.ParagraphBuilder.MakeFromFontProvider(style, provider);
    b.addText(text);
    const p = b.build();
    p.layout(10000);
    const out = [];
    for (const line of p.getShapedLines()) for (const run of line.runs) out.push(...run.glyphs);
    p.delete(); b.delete();
    return out;
  };
  return true;
}
"""

# A scrolling list's node: Flutter gives it overflow "scroll", or "hidden" while the
# framework itself handles the pointer.
_SCROLLS = """const SCROLLS = el => ['scroll', 'hidden'].includes(el.style.overflowY)
                     || ['scroll', 'hidden'].includes(el.style.overflowX);"""

# Every semantics node that shows text: its label, role, identifier (its own, or the
# nearest above it), box, and the box of the list it scrolls in.
_NODES_JS = """
() => {
  """ + _SCROLLS + """
  const host = document.querySelector('flt-semantics-host');
  if (!host) return [];
  const scroller = el => { for (let p = el.parentElement; p && p !== host; p = p.parentElement) {
      if (SCROLLS(p)) return p; } return null; };
  const owner = el => { for (let p = el; p && p !== host; p = p.parentElement) {
      const i = p.getAttribute('flt-semantics-identifier'); if (i) return i; } return null; };
  const out = [];
  for (const el of host.querySelectorAll('[id^="flt-semantic-node-"]')) {
    let text = el.getAttribute('aria-label') || '';
    if (!text) for (const c of el.childNodes) {
      if (c.nodeType === 3 || c.nodeName === 'SPAN') text += c.textContent;
    }
    text = text.trim();
    if (!text) continue;
    const r = el.getBoundingClientRect();
    const s = scroller(el);
    const sr = s ? s.getBoundingClientRect() : null;
    out.push({text, role: el.getAttribute('role') || el.nodeName.toLowerCase(),
              checked: el.getAttribute('aria-checked') === 'true',
              own: el.getAttribute('flt-semantics-identifier'), owner: owner(el),
              x: r.x, y: r.y, w: r.width, h: r.height,
              clip: sr ? [sr.x, sr.y, sr.width, sr.height] : null});
  }
  return out;
}
"""


@dataclass(frozen=True)
class Cut:
    """A text that needs more room than its box on the screen has."""
    screen: str
    owner: str | None
    text: str
    box: tuple[float, float]
    needs: str

    def __str__(self) -> str:
        return (f"{self.screen}: {self.owner or '(no identifier)'} {self.text!r} in "
                f"{self.box[0]:.0f}x{self.box[1]:.0f} px needs {self.needs}")


class TextMeter:
    """CanvasKit with the app's fonts, in a page of its own on the app's address."""

    def __init__(self, context, app_url: str):
        self.page = context.new_page()
        self.page.goto(app_url.rstrip("/") + "/version.json")
        self.page.evaluate(_MEASURE_JS, [list(FONT_FILES.items())])

    def close(self) -> None:
        self.page.close()

    def fit(self, items: list[tuple]) -> list[tuple[float, int, float, float]]:
        """(height, lines, widest word, one-line width) of each
        (text, style, families, width)."""
        if not items:
            return []
        return self.page.evaluate("items => window.__fit(items)", [
            [text, size, height, spacing, weight, families, max(width, 1.0)]
            for text, (size, height, spacing, weight), families, width in items])

    def glyphs(self, text: str, families: list[str]) -> list[int]:
        """The glyph ids ``text`` is drawn with from ``families`` (0: an empty box)."""
        return self.page.evaluate("([t, f]) => window.__glyphs(t, f)", [text, families])


def families(lang: str) -> list[str]:
    return [font_family(lang), *font_fallbacks(lang)]


def _room(node: dict) -> tuple[tuple, list[tuple], float, float, bool]:
    """What a node's text must fit in: (kind, its possible styles, width, height,
    whether a word may not be broken)."""
    role, w, h = node["role"], node["w"], node["h"]
    if role == "checkbox" and "\n" not in node["text"]:     # a chip (widgets.chip)
        pad_x, pad_y = widgets.CHIP_PADDING
        room_w = w - 2 * (pad_x + widgets.CHIP_BORDER)
        if node["checked"]:
            room_w -= widgets.CHIP_CHECK + widgets.CHIP_CHECK_GAP
        return ("chip", [LABEL], room_w, h - 2 * (pad_y + widgets.CHIP_BORDER + widgets.CHIP_BAND),
                True)
    if role == "button" and "\n" not in node["text"]:
        return ("button", [LABEL], w - 2 * 16, h, True)     # widgets.button_style
    if role == "h2" and node["own"] == "screen-title":
        return ("title", [TITLE_LARGE], w, h, False)
    if role == "h2":                                        # widgets.section_title
        return ("section", [TITLE_MEDIUM], w, h - 16, False)
    return ("text", list(PLAIN), w, h, False)


def _judged(node: dict, viewport: tuple[int, int]) -> bool:
    """Fully on the screen and, in a list, fully inside it."""
    x, y, w, h = node["x"], node["y"], node["w"], node["h"]
    if w < 1 or h < 1 or x < -0.5 or y < -0.5 or x + w > viewport[0] + 0.5 \
            or y + h > viewport[1] + 0.5:
        return False
    if node["clip"]:
        cx, cy, cw, ch = node["clip"]
        if y < cy + 0.5 or y + h > cy + ch - 0.5:
            return False
    return True


def _skipped(node: dict) -> bool:
    if node["role"] == "button" and node["w"] <= 48 and node["h"] <= 48:
        return True   # an icon button: its label is a tooltip, no text is drawn
    return node["owner"] in ("live-map-name", "map-name")  # map_layers.place_markers


def cut_texts(page, meter: TextMeter, lang: str, screen: str) -> list[Cut]:
    """The texts fully on the screen now that do not fit their boxes."""
    viewport = (page.viewport_size["width"], page.viewport_size["height"])
    fams = families(lang)
    nodes = [n for n in page.evaluate(_NODES_JS) if _judged(n, viewport) and not _skipped(n)]
    items, index = [], []
    for n in nodes:
        kind, styles, room_w, room_h, whole_words = _room(n)
        parts = n["text"].split("\n")   # a node that merges several texts: each must fit
        for part in parts:
            for style in styles:  # laid out a hair wider: the node's box is rounded
                items.append((part, style, fams, room_w + TOLERANCE))
                index.append((n, kind, part, style, room_w, room_h, whole_words))
    results = meter.fit(items)
    fits: dict[tuple, bool] = {}
    needs: dict[tuple, str] = {}
    for (n, kind, part, style, room_w, room_h, whole_words), (height, lines, word, _) in zip(
            index, results):
        key = (id(n), part)
        ok = height <= room_h + TOLERANCE and (
            not whole_words or " " not in part or word <= room_w + TOLERANCE)
        fits[key] = fits.get(key, False) or ok
        if not ok and key not in needs:
            needs[key] = (f"{lines} line(s), {height:.0f} px tall in {max(room_w, 0):.0f}x"
                          f"{max(room_h, 0):.0f} px ({kind}, {style[0]} px)")
    cuts, seen = [], set()
    for (n, _kind, part, *_rest) in index:
        key = (id(n), part)
        if fits[key] or key in seen:
            continue
        seen.add(key)
        cuts.append(Cut(screen, n["own"] or n["owner"], part, (n["w"], n["h"]), needs[key]))
    return cuts


def _main_scroller(page):
    """The box of the screen's biggest scrolling list, or None."""
    return page.evaluate("""() => {
      """ + _SCROLLS + """
      let best = null, area = 0;
      for (const el of document.querySelectorAll('flt-semantics-host [id^="flt-semantic-node-"]')) {
        if (!SCROLLS(el)) continue;
        const r = el.getBoundingClientRect();
        if (r.width * r.height > area) { area = r.width * r.height; best = [r.x, r.y, r.width, r.height]; }
      }
      return best; }""")


def _signature(page) -> list:
    return page.evaluate("""() => [...document.querySelectorAll(
        'flt-semantics-host [id^="flt-semantic-node-"]')].slice(0, 400)
        .map(e => Math.round(e.getBoundingClientRect().y))""")


def walk_screen(page, meter: TextMeter, lang: str, screen: str,
                shots: Path | None = None, max_steps: int = 25,
                settled: bool = False) -> list[Cut]:
    """Every text of the screen judged, scrolling its list from the top to the end
    (and back to the top) about two thirds of a list's height at a time; with ``shots``, a
    screenshot of each view (``<screen>_<n>.png``).

    A text found cut is judged again once the screen is laid out afresh (its width
    nudged and put back): a chip laid out while a font face was still arriving keeps
    the fallback's widths until something lays it out again, which is not the cut this
    looks for; one still cut then is."""
    if not settled:
        found = walk_screen(page, meter, lang, screen, shots, max_steps, settled=True)
        if not found:
            return found
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"] - 1, "height": size["height"]})
        page.wait_for_timeout(300)
        page.set_viewport_size(size)
        return walk_screen(page, meter, lang, screen, shots, max_steps, settled=True)
    page.wait_for_timeout(300)
    box = _main_scroller(page)
    _to_top(page, box)
    cuts: dict[tuple, Cut] = {}
    wheel = 1000.0
    for n in range(max_steps):
        page.wait_for_timeout(400)  # the canvas paints ~0.3 s after the DOM changes
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"{screen}_{n}.png"))
        for cut in cut_texts(page, meter, lang, screen):
            cuts.setdefault((cut.owner, cut.text), cut)
        if not box:
            break
        moved = _scrolled(page, box, wheel)
        if not moved:
            break
        # the wheel moves a list by some fraction of its delta: aim at two thirds of
        # the list (a text up to a third of it tall is whole in one of the views)
        wheel = max(100.0, min(8000.0, wheel * (box[3] * 2 / 3) / moved))
    _to_top(page, box)
    return list(cuts.values())


def _scrolled(page, box, wheel: float) -> float:
    """Scroll the list down; how far its content moved (0 at its end)."""
    before = _signature(page)
    page.mouse.move(box[0] + box[2] / 2, box[1] + box[3] / 2)
    page.mouse.wheel(0, wheel)
    for _ in range(5):
        page.wait_for_timeout(120)
        after = _signature(page)
        if after != before:
            page.wait_for_timeout(150)  # let the scroll settle before measuring it
            after = _signature(page)
            shifts = sorted(b - a for a, b in zip(after, before) if a != b)
            return float(shifts[len(shifts) // 2]) if shifts else 0.0
    return 0.0


def _to_top(page, box) -> None:
    if box:
        page.mouse.move(box[0] + box[2] / 2, box[1] + box[3] / 2)
        page.mouse.wheel(0, -50000)
        page.wait_for_timeout(300)
