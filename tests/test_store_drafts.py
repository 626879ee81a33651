"""The device keeps what a form holds as it is typed: sealed, never synced, and it
survives the app being killed."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from stroll.store import Store

AT = "2026-11-30T10:00:00-08:00"
LATER = "2026-11-30T10:05:00-08:00"


def test_a_draft_reads_back_as_written(store):
    data = {"harm_types": ["physical_assault"], "note": "near the bakery 🥟", "count": 2}
    store.put_draft("quick_incident:s1", "quick_incident", data, stroll_id="s1", at=AT)
    assert store.draft("quick_incident:s1") == data
    assert store.draft("quick_incident:s2") is None


def test_writing_a_draft_again_replaces_it_and_moves_it_first(store):
    store.put_draft("a", "check_in", {"note": "one"}, at=AT)
    store.put_draft("b", "add_merchant", {"name": "Golden Gate Bakery"}, at=AT)
    store.put_draft("a", "check_in", {"note": "one two"}, at=LATER)
    listed = store.drafts()
    assert [d["key"] for d in listed] == ["a", "b"]
    assert listed[0] == {"key": "a", "form": "check_in", "stroll_id": None,
                         "updated_at": LATER, "data": {"note": "one two"}}


def test_a_discarded_draft_is_gone(store):
    store.put_draft("a", "check_in", {"note": "one"}, at=AT)
    assert store.discard_draft("a") is True
    assert store.draft("a") is None and store.drafts() == []
    assert store.discard_draft("a") is False


def test_a_draft_is_sealed_in_the_file_and_never_queued_for_sync(store, db_path):
    store.put_draft("incident:i1", "incident", {"survivor_name": "Mrs. Lau"}, at=AT)
    conn = sqlite3.connect(db_path)
    (text,) = conn.execute("SELECT data FROM draft").fetchone()
    conn.close()
    assert text.startswith("enc1:") and "Lau" not in text
    assert store.pending_count() == 0


def test_a_draft_written_inside_a_transaction_commits_with_it(store):
    try:
        with store.transaction():
            store.put_draft("a", "check_in", {"note": "one"}, at=AT)
            raise RuntimeError("the caller's write failed")
    except RuntimeError:
        pass
    assert store.draft("a") is None


def test_the_connection_is_back_to_full_durability_after_a_draft(store):
    store.put_draft("a", "check_in", {"note": "one"}, at=AT)
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


WRITER = textwrap.dedent("""
    import sys
    from stroll.store import Store
    store = Store(sys.argv[1])
    i = 0
    while True:
        store.put_draft("incident:i1", "incident", {"narrative": "x" * (i % 50), "i": i},
                        at="2026-11-30T10:00:00-08:00")
        print(i, flush=True)   # printed only after the write returned
        i += 1
""")


def test_a_draft_survives_the_app_being_killed_mid_typing(tmp_path):
    db = tmp_path / "field.db"
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE,
                            cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, text=True)
    written = -1
    while written < 500:
        line = proc.stdout.readline()
        if not line:
            break
        written = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # what the writer reported before it died, also the lines not read yet
    *whole, _unfinished = proc.stdout.read().split("\n")
    for line in whole:
        written = int(line)
    assert written >= 500, "the writer did not reach 500 keystrokes"
    with Store(db) as store:
        kept = store.draft("incident:i1")
    # the last keystroke reported, or the one after it that committed unreported
    assert kept["i"] in (written, written + 1)
    assert kept["narrative"] == "x" * (kept["i"] % 50)
