"""Every message the patrol screens can show is in the catalog, with the values it
takes, and reads in English at the end of a stroll. Against a real Store on a temporary
SQLite file seeded with the demo data; no Flet page, no browser (see conftest.py and
patrol_helpers.py)."""
from __future__ import annotations

import ast
import re

import pytest

from stroll.i18n import PLACEHOLDER, Translator
from stroll.state.errors import _ERRORS as PATROL_ERRORS

from patrol_helpers import EN, MEI, ROOT, ROSA, SF, STOCKTON, Locked, quick_incident


# ---- every message key exists ------------------------------------------------------------------

# The modules of the patrol screens' state: every message key they can set is in them.
PATROL_MODULES = ("core.py", "start_form.py", "running.py", "check_in.py", "incident.py",
                  "errors.py")


def _patrol_keys() -> set[str]:
    keys = {k for *_, k in PATROL_ERRORS}
    family = re.compile(r"^(error|warning|patrol|live|check_in|merchant|incident)\.[a-z0-9_]+$")
    nodes = (node for module in PATROL_MODULES
             for node in ast.walk(ast.parse((ROOT / "stroll" / "state" / module)
                                            .read_text(encoding="utf-8"))))
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and family.match(node.value):
            keys.add(node.value)
    # warnings come from the rules: warning.<code>
    for rules in ("patrol_rules.py", "plausibility.py"):
        rules_src = (ROOT / "stroll" / "domain" / rules).read_text(encoding="utf-8")
        keys |= {f"warning.{c}" for c in re.findall(r'RuleWarning\("([a-z_]+)"', rules_src)}
    return keys


def test_the_key_scan_finds_the_patrol_messages():
    keys = _patrol_keys()
    assert {"error.buddy_rule", "error.guest_name", "error.storage", "error.not_saved",
            "warning.no_trained_lead", "patrol.already_running",
            "live.position_set"} <= keys


@pytest.mark.parametrize("key", sorted(_patrol_keys()))
def test_every_message_key_the_patrol_screens_can_set_is_in_the_english_catalog(key):
    assert key in EN, f"{key} is missing from assets/locales/en.json"


# The values the patrol screens fill in, per message (every other message has none).
# The far-away warnings carry ``distance_m``; the screen says it as ``distance``.
MESSAGE_PARAMS = {"check_in.saved": {"name"}, "merchant.added_checked_in": {"name"},
                  "merchant.added": {"name"}, "warning.lead_not_trained": {"name"},
                  "warning.far_from_merchant": {"distance", "name"},
                  "warning.far_from_neighborhood": {"distance", "name"}}


@pytest.mark.parametrize("key", sorted(_patrol_keys()))
def test_every_message_takes_exactly_the_values_the_patrol_screens_give(key):
    assert set(PLACEHOLDER.findall(EN.get(key, ""))) == MESSAGE_PARAMS.get(key, set())


def test_the_notices_and_errors_of_a_stroll_read_in_english(ps, clock, demo_store):
    tr = Translator("en")
    said = []

    def say():
        for msg in (ps.core.notice, ps.core.error):
            if msg is not None:
                said.append(tr.t(msg[0], **msg[1]))
        ps.core.dismiss()

    ps.start.open_start(SF)
    ps.start.toggle_member(MEI)
    ps.start.toggle_member(ROSA)
    ps.start.set_lead(ROSA)
    ps.start.begin()
    say()
    ps.walk.set_position(*STOCKTON[1])
    say()
    ps.visit.open_check_in()
    ps.visit.pick_merchant(ps.visit.merchants[0]["id"])
    ps.visit.check_in("all_good")
    say()
    ps.visit.open_add_merchant()
    ps.visit.edit_new_merchant("name", "Sun Wah Kue")
    ps.visit.save_merchant()
    say()
    iid = quick_incident(ps)
    say()
    ps.report.open_incident(iid)
    ps.report.save_incident()
    say()
    with Locked(demo_store):
        ps.walk.on_position(*STOCKTON[2], clock.wall(), 5.0)
        say()
    assert said[0] == "Rosa Delgado leads but has not had stroll lead training."
    assert said[2].startswith("Check-in saved: ") and said[3] == "Added Sun Wah Kue and checked in."
    assert said[-1].startswith("The phone could not save this just now")
    assert len(said) == 7 and not any("{" in s for s in said)
