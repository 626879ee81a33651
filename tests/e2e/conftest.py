"""End-to-end fixtures: the real app in a subprocess, driven in headless Chromium.

Per test module: a fresh SQLite file seeded with the demo data (`stroll seed-demo`) and
the app served from it (`stroll serve --no-browser`) on a free port. Per session: one
Debian Chromium (Playwright, never `playwright install`). Per module: one phone-sized
page (390x844, device scale 2, touch) with Flutter's semantics tree switched on, so
controls are found by their stable `flt-semantics-identifier`.

Screenshots go to test-output/screenshots/ (git-ignored).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from e2e_helpers import PHONE, by_id, free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


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

    def start(self) -> "AppServer":
        env = _app_env()
        seeded = subprocess.run([sys.executable, "-m", "stroll", "seed-demo", "--db",
                                 str(self.db_path)], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=60)
        if seeded.returncode:
            pytest.fail(f"seeding the demo data failed:\n{seeded.stdout}{seeded.stderr}")
        self._log = open(self.log_path, "w")
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


def open_app(browser, url: str, **context_options):
    ctx = browser.new_context(**{**PHONE, **context_options})
    page = ctx.new_page()
    page.goto(url)
    ph = page.locator("flt-semantics-placeholder")
    ph.wait_for(state="attached", timeout=30000)
    ph.dispatch_event("click")
    by_id(page, "sync-status").wait_for(state="attached", timeout=30000)
    return ctx, page


@pytest.fixture(scope="module")
def app(browser, app_server):
    """One phone page on the module's app; tests move between tabs on it."""
    ctx, page = open_app(browser, app_server.url)
    yield page
    ctx.close()
