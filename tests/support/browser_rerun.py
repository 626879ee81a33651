"""A second run for browser test modules that failed, once, in a fresh process.

Headless Chromium draws the app in software here, and under load a page now and then
stops producing frames (a screenshot then times out, a control's semantics never
come): the same modules pass on a second run. A browser module is a story on one
phone, so the whole module runs again, with a new browser, app and database.

After the whole run, when every failure is in tests/e2e/ and they are in at most
``MAX_MODULES`` modules, those modules run again in a new pytest process; the run
passes when they pass there. Both runs' reports are printed, and the tests that failed
first are listed as flaky, so the team sees them. Any other failure fails the run
as before. ``STROLL_TEST_NO_RERUN=1`` turns the second run off.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MAX_MODULES = 2
_RERUN_ENV = "STROLL_TEST_RERUN_OF"   # set in the second run: it reruns nothing itself
_E2E = "tests/e2e/"


class BrowserRerun:
    def __init__(self, root: Path):
        self.root = root
        self.failed: list[str] = []

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.failed.append(report.nodeid)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session):
        result = yield  # the terminal's summary of the first run is printed by now
        if session.exitstatus != pytest.ExitCode.TESTS_FAILED or not self.failed:
            return result
        modules = sorted({nodeid.split("::")[0] for nodeid in self.failed})
        if (os.environ.get(_RERUN_ENV) or os.environ.get("STROLL_TEST_NO_RERUN") == "1"
                or not all(m.startswith(_E2E) for m in modules) or len(modules) > MAX_MODULES):
            return result
        say = session.config.get_terminal_writer().line
        say("")
        say(f"browser modules failed: {', '.join(modules)}; running them again, whole, "
            "in a fresh process", bold=True)
        env = dict(os.environ, **{_RERUN_ENV: " ".join(modules)})
        rerun = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                                *modules], cwd=self.root, env=env)
        if rerun.returncode == 0:
            say("FLAKY (failed, then passed when their module ran again):", yellow=True,
                bold=True)
            for nodeid in self.failed:
                say(f"  {nodeid}", yellow=True)
            session.exitstatus = pytest.ExitCode.OK
        else:
            say("the browser modules failed again", red=True, bold=True)
        return result
