"""Helpers for the e2e tests: find controls by semantics identifier, change tabs,
save screenshots."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import free_port  # noqa: E402,F401 - the e2e tests import it from here

SCREENSHOTS = ROOT / "test-output" / "screenshots"
# Device scale 1: the browser draws in software here, and the maps' tests took twice as
# long at scale 2; the app lays out in logical pixels either way. E2E_DPR=2 (or 3) for
# screenshots as sharp as a phone's.
PHONE = dict(viewport={"width": 390, "height": 844},
             device_scale_factor=int(os.environ.get("E2E_DPR", "1")), is_mobile=True,
             has_touch=True)


def by_id(page, identifier: str):
    return page.locator(f'[flt-semantics-identifier="{identifier}"]')


def go_tab(page, tab: str) -> None:
    # a click event on the tab's semantics node (what a screen reader's tap sends):
    # no hover tooltip left on screen, no waiting on pointer actionability checks
    by_id(page, f"tab-{tab}").dispatch_event("click")
    page.locator(f'[flt-semantics-identifier="tab-{tab}"][aria-selected="true"]').wait_for(
        state="attached", timeout=10000)
    by_id(page, f"{tab}-tab").wait_for(state="attached", timeout=10000)


def choose_language(page, lang: str) -> None:
    """Choose ``lang`` on the More tab and wait until the tabs are named in it."""
    from stroll.i18n import Translator
    from stroll.state import TABS

    go_tab(page, "more")
    by_id(page, f"lang-{lang}").click()
    tr = Translator(lang)
    page.wait_for_function(
        """labels => labels.every(([id, label]) => document.querySelector(
               `[flt-semantics-identifier="tab-${id}"]`)?.getAttribute('aria-label') === label)""",
        arg=[[tab, tr.t(f"tab.{tab}")] for tab in TABS], timeout=10000)
    # every text laid out again in the language's face, loaded by now (a resize is what
    # makes the engine measure all text afresh)
    page.wait_for_load_state("networkidle", timeout=30000)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": size["height"] - 1})
    page.set_viewport_size(size)


def screenshot(page, name: str) -> Path:
    """Save what the phone shows. The DOM runs ~0.3 s ahead of the canvas."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def text_of(locator) -> str:
    """All text a control shows: its DOM text and the aria-labels Flutter folds text
    into (a semantics container merges its children's texts into one label)."""
    return locator.first.evaluate(
        """el => [el.innerText, ...[el, ...el.querySelectorAll('[aria-label]')]
                 .map(e => e.getAttribute('aria-label') || '')].join('\\n')""")


def scroll_to(page, list_id: str, locator, *, step: int = 500, tries: int = 20):
    """Scroll the list ``list_id`` until ``locator`` is in the DOM (lists build lazily)."""
    if locator.count():
        return locator.first
    box = by_id(page, list_id).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(tries):
        page.mouse.wheel(0, step)
        page.wait_for_timeout(120)
        if locator.count():
            return locator.first
    raise AssertionError(f"{locator} not found in {list_id} after scrolling")


def scroll_top(page, list_id: str) -> None:
    box = by_id(page, list_id).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -20000)
    page.wait_for_timeout(300)


_TEXT_JS = """([sel, text]) => { const el = document.querySelector(sel); if (!el) return false;
  const all = [el.innerText, ...[el, ...el.querySelectorAll('[aria-label]')]
               .map(e => e.getAttribute('aria-label') || '')].join('\\n');
  return all.includes(text); }"""


def wait_for_text(page, identifier: str, text: str, timeout: int = 10000) -> None:
    """Wait until the control ``identifier`` shows ``text`` (see ``text_of``)."""
    page.wait_for_function(_TEXT_JS, arg=[f'[flt-semantics-identifier="{identifier}"]', text],
                           timeout=timeout)


# Below the app bar, above a pinned save button: where a tap lands on what it aims at.
TOP, BOTTOM = 64, 844 - 160


def shown(page, identifier: str, timeout: int = 10000):
    """The control, scrolled into the part of the screen between the app bar and the
    pinned save button. Scrolled with the wheel, which moves the canvas first and the
    DOM after it: a click at the DOM position then lands on the control itself
    (``scroll_into_view`` moves the DOM first, and a click can hit what was there)."""
    node = by_id(page, identifier).first
    node.wait_for(state="attached", timeout=timeout)
    if identifier.endswith("-save"):
        return node  # pinned below the form, always in view
    moved = False
    for _ in range(40):
        box = node.bounding_box()
        if box and box["y"] >= TOP and box["y"] + box["height"] <= BOTTOM:
            break
        page.mouse.move(195, 400)
        delta = (box["y"] + box["height"] / 2 - 400) if box else 400
        page.mouse.wheel(0, max(-500, min(500, delta)))
        page.wait_for_timeout(150)
        moved = True
    if moved:
        page.wait_for_timeout(300)
    return node


def tap(page, identifier: str, timeout: int = 10000):
    shown(page, identifier, timeout).click()


def choose(page, identifier: str, timeout: int = 10000):
    """Tap a chip or switch and wait until it shows as chosen (the app handles taps
    concurrently: a save tapped right after could run first)."""
    tap(page, identifier, timeout)
    page.locator(f'[flt-semantics-identifier="{identifier}"] [aria-checked="true"], '
                 f'[flt-semantics-identifier="{identifier}"][aria-checked="true"]'
                 ).first.wait_for(state="attached", timeout=timeout)


def end_running_stroll(store) -> None:
    """A test that stopped half-way through a stroll leaves it running, and the next
    phone on that database would open on it instead of the tabs: end it, as the team
    would."""
    from stroll.patrol.service import PatrolService

    service = PatrolService(store)
    if service.active_stroll() is not None:
        service.end_stroll()


def again_until(page, tap, then: str, tries: int = 3) -> None:
    """``tap()`` until the control ``then`` is on the screen: under load a tap that
    lands while a screen is still being built or sliding in is now and then lost, and
    a person taps again. ``tap`` does nothing when its control is gone already."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(tries):
        tap()
        try:
            by_id(page, then).first.wait_for(state="attached", timeout=5000)
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise


def go_back(page, then: str, label: str = "Back") -> None:
    """The app bar's Back, until the screen below (``then``) is there."""
    button = page.get_by_role("button", name=label)
    again_until(page, lambda: button.count() and button.first.click(), then)


def wait_shown(page, identifier: str, timeout: int = 10000):
    by_id(page, identifier).first.wait_for(state="attached", timeout=timeout)


def type_into(page, identifier: str, text: str) -> None:
    """Type into a text field: click it first (a fill on an unfocused field can lose
    the text)."""
    field = shown(page, identifier)
    field.click()
    inner = field.locator("input, textarea")
    (inner.first if inner.count() else field).fill(text)


def _app_env() -> dict:
    env = dict(os.environ, FLET_WEB_NO_CDN="1", PYTHONUNBUFFERED="1")
    env.pop("DISPLAY", None)  # headless: flet serves instead of opening a window
    for key in [k for k in env if k.startswith("STROLL_")]:
        env.pop(key)
    return env


class AppServer:
    def __init__(self, db_path: Path, port: int, log_path: Path):
        self.db_path, self.port, self.log_path = db_path, port, log_path
        self.url = f"http://127.0.0.1:{port}/"
        self.proc: subprocess.Popen | None = None

    def start(self, *, seed: bool = True) -> "AppServer":
        """Seed the demo data (unless ``seed`` is false: a restart on the same file),
        then serve the app and wait until it answers."""
        env = _app_env()
        if seed:
            seeded = subprocess.run([sys.executable, "-m", "stroll", "seed-demo", "--db",
                                     str(self.db_path)], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=60)
            if seeded.returncode:
                pytest.fail(f"seeding the demo data failed:\n{seeded.stdout}{seeded.stderr}")
        self._log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stroll", "serve", "--db", str(self.db_path),
             "--port", str(self.port), "--no-browser"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the app exited ({self.proc.returncode}):\n{self.log()}")
            try:
                urllib.request.urlopen(self.url, timeout=1).read(64)
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"the app did not answer on {self.url} within 30 s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL the app process: no shutdown code runs (a phone killing the app)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if getattr(self, "_log", None):
            self._log.close()

    def log(self) -> str:
        try:
            return self.log_path.read_text()[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_log", None):
            self._log.close()


def new_page(ctx):
    """A page that keeps what the browser console printed (shown when a test fails)."""
    page = ctx.new_page()
    page.console_lines = []
    page.on("console", lambda m: page.console_lines.append(f"console {m.type}: {m.text}"))
    page.on("websocket", lambda ws: (
        page.console_lines.append(f"websocket opened {time.strftime('%H:%M:%S')}"),
        ws.on("close", lambda _ws: page.console_lines.append(
            f"websocket closed {time.strftime('%H:%M:%S')}"))))
    return page


def open_app(browser, url: str, ready: str = "sync-status", **context_options):
    """A phone page on ``url``, once the control ``ready`` is on screen."""
    ctx = browser.new_context(**{**PHONE, **context_options})
    page = new_page(ctx)
    page.goto(url)
    ph = page.locator("flt-semantics-placeholder")
    ph.wait_for(state="attached", timeout=30000)
    ph.dispatch_event("click")
    by_id(page, ready).wait_for(state="attached", timeout=30000)
    # the shipped fonts fetched (megabytes of CJK faces): text laid out before a face
    # arrives can keep a fallback's glyph widths
    page.wait_for_load_state("networkidle", timeout=30000)
    return ctx, page
