"""Draft autosave: what one keystroke batch costs on the phone, through the state action
the text field calls (``IncidentForms.incident_text`` on the full incident form, every
field filled: the largest draft there is), sealing the draft and writing it to the
device store. Target: p99 < 5 ms per keystroke batch.

A keystroke batch is one ``on_change`` event: Flutter sends the field's whole text, one
or a few keystrokes at a time. Each is measured on its own. The same keystrokes are
then measured with the draft written at the store's full durability (``synchronous =
FULL`` for that commit too, an fsync per keystroke): the baseline, measured in the
same run, that the figure is a ratio against.

    .venv/bin/python bench/drafts.py [--keystrokes 2000] [--dir DIR]
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stroll.demo import seed  # noqa: E402
from stroll.domain import Incident  # noqa: E402
from stroll.patrol import PatrolService  # noqa: E402
from stroll.state import PatrolState  # noqa: E402
from stroll.store import Store  # noqa: E402
from stroll.store import drafts as store_drafts  # noqa: E402

TARGET_MS = 5.0
STORY = ("An older woman waiting for the 30 Stockton was shoved from behind by a man who "
         "shouted at her to go back to her country. She fell against the bench and hurt "
         "her wrist. Two merchants came out; the man walked off toward Broadway. ")


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def line(name: str, ms: list[float]) -> str:
    return (f"{name:<48} p50 {pct(ms, 50):6.2f} ms  p99 {pct(ms, 99):6.2f} ms  "
            f"max {max(ms):6.2f} ms  (n={len(ms)})")


def full_incident(store: Store) -> str:
    rec = store.save(Incident(
        occurred_at=datetime.now().astimezone().isoformat(), harm_types=["physical_assault"],
        motivations=["race", "language"], site_type="transit",
        lat=37.7946, lon=-122.4079, location_precision="block",
        cross_streets="Stockton St & Clay St", reporter_role="witness",
        affected_age_band="75_plus", affected_language="yue", needs_interpreter=True,
        survivor_name="Mrs. Lau", narrative_language="yue", injuries=True,
        injuries_note="Sprained wrist, scraped palm", police_involved="no",
        actions_taken=["first_aid", "checked_on_person"], actions_note="Walked her home",
        consent_contact=True, contact_channel="phone", contact_value="+1 415 555 0134",
        contact_language="yue", contact_safe_times="Weekday mornings",
        referral_needs=["medical", "legal"], quick=False))
    return rec.id


def type_story(report, keystrokes: int) -> list[float]:
    """Type the story into the narrative, one on_change per keystroke; ms each."""
    text, out = "", []
    for i in range(keystrokes):
        text += STORY[i % len(STORY)]
        t = time.perf_counter()
        report.incident_text("narrative", text[-1500:])
        out.append((time.perf_counter() - t) * 1e3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keystrokes", type=int, default=2000)
    ap.add_argument("--dir", type=Path, default=None,
                    help="where the database goes (default: a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        with Store(Path(tmp) / "device.db") as store:
            seed(store, datetime.now().date())
            iid = full_incident(store)
            ps = PatrolState(PatrolService(store))
            assert ps.report.open_incident(iid)
            type_story(ps.report, 50)                              # warm up
            fast = type_story(ps.report, args.keystrokes)
            original = store_drafts.DRAFT_SYNCHRONOUS
            store_drafts.DRAFT_SYNCHRONOUS = "FULL"
            try:
                full = type_story(ps.report, args.keystrokes)
            finally:
                store_drafts.DRAFT_SYNCHRONOUS = original
            size = len(str(store.draft(f"incident:{iid}")))
    print(f"the full incident form, every field filled; the draft holds {size:,} characters "
          "of JSON (sealed on disk)")
    print(line("keystroke batch, draft at synchronous=NORMAL", fast))
    print(line("baseline: the same at synchronous=FULL", full))
    ratio = pct(full, 99) / pct(fast, 99)
    print(f"p99 ratio baseline / draft write: {ratio:.1f}x")
    verdict = "met" if pct(fast, 99) < TARGET_MS else "NOT met"
    print(f"target p99 < {TARGET_MS:.0f} ms per keystroke batch: {verdict}")


if __name__ == "__main__":
    main()
