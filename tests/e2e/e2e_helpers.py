"""Helpers for the e2e tests: find controls by semantics identifier, change tabs,
save screenshots."""
from __future__ import annotations

import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
             has_touch=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def by_id(page, identifier: str):
    return page.locator(f'[flt-semantics-identifier="{identifier}"]')


def go_tab(page, tab: str) -> None:
    # a click event on the tab's semantics node (what a screen reader's tap sends):
    # no hover tooltip left on screen, no waiting on pointer actionability checks
    by_id(page, f"tab-{tab}").dispatch_event("click")
    page.locator(f'[flt-semantics-identifier="tab-{tab}"][aria-selected="true"]').wait_for(
        state="attached", timeout=10000)
    by_id(page, f"{tab}-tab").wait_for(state="attached", timeout=10000)


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
