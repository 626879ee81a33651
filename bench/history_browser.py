"""Opening a past stroll with a 5,000-point track in Chromium: from the tap on its card on
the Patrol tab to the map drawn with the walked track. The app runs as in the e2e tests
(``stroll serve`` on a demo database, a 390x844 phone page in headless Debian Chromium,
tests/e2e/e2e_helpers.py).

"Drawn" is read off the screen, as a person sees it: the browser's screencast hands
over every frame it paints with the time it was painted (nothing is forced to paint,
unlike screenshots, which slowed the page down), and the first frame whose map area
shows the map's grey field with the track's jade line in it is the moment the map was
drawn. The time until the past-stroll screen is in the page's semantics tree (DOM) is
printed beside it, and the machine's load average: the figures move with it.

    .venv/bin/python bench/history_browser.py [--points 5000] [--runs 8]

The state and store time alone (no browser) is bench/history.py.
"""
from __future__ import annotations

import argparse
import base64
import math
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from e2e_helpers import AppServer, by_id, free_port, open_app  # noqa: E402
from stroll.store import Store  # noqa: E402
from tests.support.strolls import walk_and_end  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
MAP_CLIP = {"x": 0, "y": 64, "width": 390, "height": 200}   # below the app bar (CSS px)
TRACK_RGB = (0x1F, 0x6F, 0x5C)   # stroll/ui/live.py TRACK_COLOR
MAP_GREY = 0xEE                  # the map's field with no tiles (GREY_200)

# counts, in one captured PNG, the map's grey pixels (share) and the track's jade pixels
_COUNT_JS = """async ([b64, rgb, grey, clip]) => {
  const blob = await (await fetch('data:image/png;base64,' + b64)).blob();
  const bmp = await createImageBitmap(blob);
  const k = bmp.width / 390;   // frame pixels per CSS pixel
  const w = Math.round(clip.width * k), h = Math.round(clip.height * k);
  const c = new OffscreenCanvas(w, h), g = c.getContext('2d');
  g.drawImage(bmp, Math.round(clip.x * k), Math.round(clip.y * k), w, h, 0, 0, w, h);
  const d = g.getImageData(0, 0, w, h).data;
  let field = 0, track = 0;
  for (let i = 0; i < d.length; i += 4) {
    const r = d[i], gg = d[i + 1], b = d[i + 2];
    if (Math.abs(r - grey) < 4 && Math.abs(gg - grey) < 4 && Math.abs(b - grey) < 4) field++;
    const dr = r - rgb[0], dg = gg - rgb[1], db = b - rgb[2];
    if (dr * dr + dg * dg + db * db < 1600) track++;
  }
  return [field / (d.length / 4), track];
}"""


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def line(name: str, ms: list[float]) -> str:
    return (f"{name:<36} p50 {pct(ms, 50):7.0f} ms  p95 {pct(ms, 95):7.0f} ms  "
            f"min {min(ms):6.0f} ms  max {max(ms):6.0f} ms  (n={len(ms)})")


def one_open(page, cdp, stroll_id: str, watch_s: float = 4.0):
    """Tap the card and watch the frames the browser paints (its screencast: frames
    as they are painted, each with the time it was painted, nothing forced). Returns
    (tap->DOM seconds, [(painted seconds after the tap, png bytes)])."""
    card = by_id(page, f"stroll-{stroll_id}").first
    card.wait_for(state="attached", timeout=10000)
    box = card.bounding_box()
    frames: list[tuple[float, bytes]] = []

    def on_frame(ev):
        frames.append((ev["metadata"]["timestamp"], base64.b64decode(ev["data"])))
        cdp.send("Page.screencastFrameAck", {"sessionId": ev["sessionId"]})

    cdp.on("Page.screencastFrame", on_frame)
    cdp.send("Page.startScreencast", {"format": "png", "everyNthFrame": 1})
    page.wait_for_timeout(300)          # the screencast running, the tab still
    frames.clear()
    t0 = time.time()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    by_id(page, "past-stroll-map").first.wait_for(state="attached", timeout=30000)
    t_dom = time.time() - t0
    while time.time() - t0 < max(watch_s, t_dom + 1.5):
        page.wait_for_timeout(50)       # (frames arrive while Playwright waits)
    cdp.send("Page.stopScreencast")
    cdp.remove_listener("Page.screencastFrame", on_frame)
    return t_dom, [(at - t0, png) for at, png in frames if at >= t0]


def first_drawn(decoder, frames) -> float | None:
    """When the first frame showing the map's field with the track in it was painted."""
    for at, png in frames:
        field, track = decoder.evaluate(_COUNT_JS, [base64.b64encode(png).decode(),
                                                    list(TRACK_RGB), MAP_GREY, MAP_CLIP])
        if field > 0.35 and track > 40:
            return at
    return None


def baseline(page) -> float:
    """For comparison, on the same machine at the same moment: a screen with no map
    (the start form, from the Patrol tab's first button), tap to in the DOM."""
    by_id(page, "recent-strolls").first.wait_for(state="attached")
    page.wait_for_timeout(300)
    box = by_id(page, "start-stroll").first.bounding_box()
    t0 = time.time()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    by_id(page, "new-stroll").first.wait_for(state="attached", timeout=30000)
    took = time.time() - t0
    page.get_by_role("button", name="Back").click()
    by_id(page, "new-stroll").first.wait_for(state="detached")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=8)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        server = AppServer(tmp / "device.db", free_port(), tmp / "app.log").start()
        try:
            with Store(server.db_path) as store:
                walked = walk_and_end(store, points=args.points, grid=True,
                                      ago=timedelta(hours=2))
            print(f"a stroll of {walked.points:,} recorded GPS points; app on {server.url}")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                ctx, page = open_app(browser, server.url)
                decoder = ctx.new_page()
                cdp = ctx.new_cdp_session(page)
                dom, drawn, counts, base = [], [], [], []
                for run in range(args.runs):
                    by_id(page, "recent-strolls").first.wait_for(state="attached")
                    page.wait_for_timeout(500)   # the tab settled
                    t_dom, frames = one_open(page, cdp, walked.stroll_id)
                    t_drawn = first_drawn(decoder, frames)
                    counts.append(len(frames))
                    if t_dom is None or t_drawn is None:
                        print(f"run {run + 1}: the map was not seen drawn "
                              f"(DOM {t_dom}, {len(frames)} frames)")
                    else:
                        dom.append(t_dom * 1e3)
                        drawn.append(t_drawn * 1e3)
                        print(f"run {run + 1}: screen in the DOM {t_dom * 1e3:5.0f} ms, "
                              f"map drawn {t_drawn * 1e3:5.0f} ms")
                    page.get_by_role("button", name="Back").click()
                    by_id(page, "past-stroll").first.wait_for(state="detached")
                    base.append(baseline(page) * 1e3)
                ctx.close()
                browser.close()
        finally:
            server.stop()
    if drawn:
        print(line("tap -> past-stroll screen in DOM", dom))
        print(line("tap -> map drawn with the track", drawn))
        print(line("baseline: tap -> start form in DOM", base))
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"frames painted per open: p50 {pct(counts, 50):.0f}; the first run includes "
              f"building the screen's widgets for the first time")


if __name__ == "__main__":
    main()
