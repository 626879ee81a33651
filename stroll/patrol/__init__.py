"""The patrol on the phone: a stroll, its GPS track, merchant check-ins, incidents,
tallies. Plain Python over the device Store; no Flet, no network.

The UI's state layer calls these actions. Each action is one store transaction
together with its outbox entries: when an action returns, what it recorded has
been committed (synchronous=FULL) and waits in the outbox for sync.

GPS track. ``add_fixes`` filters the position stream (``geo.filter_jitter``,
continuing from the last kept fix, which lives in the store so a restart
continues where the killed app stopped), commits every kept fix at once to the
device-local ``gps_buffer`` table, and every ``chunk_points`` fixes (and on pause
and end) seals them into an append-only ``TrackChunk`` record with its outbox
entry, in the same transaction that deletes the sealed buffer rows. The distance
walked is kept incrementally (``geo.Odometer``: counted between anchor fixes
>= 10 m apart, so GPS zig-zag is not counted as walking) in ``patrol_state``; a
pause ends the segment, so the way covered while paused is not counted.

The running stroll is read from the store every time (``active_stroll``), never
kept only in memory: kill the app mid-stroll, start it again, and the stroll is
still running with its track intact.

The service is one class, ``PatrolService``, in parts: ``base`` (errors, clock,
reading a stroll), ``service`` (the stroll: start, pause, resume, end, summary,
tallies), ``track`` (GPS ingest and track chunks), ``street`` (merchants and
incidents).
"""
from stroll.domain.patrol_rules import RuleWarning
from stroll.patrol.base import (NoActiveStroll, PatrolError, StrollAlreadyActive, StrollEnded,
                                StrollNotOnThisDevice)
from stroll.patrol.service import PatrolService, StrollStarted
from stroll.patrol.track import IngestResult

__all__ = ["PatrolService", "StrollStarted", "IngestResult", "PatrolError", "NoActiveStroll",
           "StrollAlreadyActive", "StrollEnded", "StrollNotOnThisDevice", "RuleWarning"]
