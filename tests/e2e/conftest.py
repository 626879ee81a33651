"""End-to-end fixtures: the real app in a subprocess, driven in headless Chromium.

Per test module: a fresh SQLite file seeded with the demo data (`stroll seed-demo`) and
the app served from it (`stroll serve --no-browser`) on a free port. Per session: one
Debian Chromium (Playwright, never `playwright install`). Per module: one phone-sized
page (390x844, touch, device scale 1: E2E_DPR=2 for sharper screenshots) with Flutter's
semantics tree switched on, so controls are found by their stable
`flt-semantics-identifier`.

Screenshots go to test-output/screenshots/ (git-ignored).
"""
from __future__ import annotations

import os

import pytest

from e2e_helpers import SCREENSHOTS, AppServer, free_port, open_app

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 # a phone with no signal: any name but this machine's fails at once (the
                 # app's online map tiles), whatever the machine's own resolver would do
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]

# What a failed test's page holds: each control's identifier and the start of its text.
_SEMANTICS_JS = """() => [...document.querySelectorAll('[flt-semantics-identifier]')].map(el => {
  const text = [el.innerText, el.getAttribute('aria-label') || ''].join(' ')
    .replace(/\\s+/g, ' ').trim();
  return el.getAttribute('flt-semantics-identifier') + (text ? ': ' + text.slice(0, 60) : '');
})"""


def _console_tail(lines: list[str], n: int = 30) -> str:
    """The console's last ``n`` lines, a line repeated one after another said once
    with its count (the app's online map tiles fail the same way many times)."""
    folded: list[list] = []
    for line in lines:
        if folded and folded[-1][0] == line:
            folded[-1][1] += 1
        else:
            folded.append([line, 1])
    return "\n".join(line if n_ == 1 else f"{line} (x{n_})" for line, n_ in folded[-n:])


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"headless e2e tests need Chromium at {CHROMIUM} "
                    "(apt-get install chromium), not found")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def app_server(tmp_path_factory, browser):
    tmp = tmp_path_factory.mktemp("e2e")
    server = AppServer(tmp / "device.db", free_port(), tmp / "app.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def store_view(app_server):
    """Read-only look at the app's database, for expected values (WAL: safe alongside)."""
    from stroll.store import Store

    s = Store(app_server.db_path)
    yield s
    s.close()


@pytest.fixture(scope="module")
def app(browser, app_server):
    """One phone page on the module's app; tests move between tabs on it."""
    ctx, page = open_app(browser, app_server.url)
    yield page
    ctx.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """A failed e2e test says what the phone showed and what the app printed: a
    screenshot of every open page, the browser console and the tail of the app's log."""
    report = yield
    if report.when == "call" and report.failed:
        server = item.funcargs.get("app_server")
        for name, value in item.funcargs.items():
            if hasattr(value, "screenshot") and hasattr(value, "console_lines"):
                lines = [_console_tail(value.console_lines)]
                try:  # a page that stopped drawing still answers this
                    lines += ["on the screen:", *("  " + t for t in value.evaluate(_SEMANTICS_JS))]
                    path = SCREENSHOTS / f"FAILED_{item.name}_{name}.png"
                    value.screenshot(path=str(path), timeout=5000)
                    lines.insert(0, f"screenshot: {path}")
                except Exception as e:  # the page may be gone or not drawing: say so
                    lines.insert(0, f"no screenshot: {str(e).splitlines()[0]}")
                report.sections.append((f"phone ({name})", "\n".join(lines)))
        if server is not None:
            report.sections.append(("app log (tail)", server.log()))
    return report
