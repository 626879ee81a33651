"""The device app's state: observables with the actions the screens call.

- ``app``: ``AppState``, navigation, settings and the tabs' lists;
- ``sync_badge``: ``SyncService`` (the sync engine) and ``SyncView`` (the badge);
- ``patrol_screens``: ``PatrolState``, the patrol screens' observables, one per screen
  family (``start_form``, ``running``, ``check_in``, ``incident``) around the
  running stroll's ``core``;
- ``history``: ``History``, a past stroll read back and the incidents needing details;
- ``shifts``: ``ShiftBoard``, the Shifts tab (signing up, cancelling, changes to see);
- ``sign_in``: ``SignIn``, who is signed in on this device and the sign-in form;
- ``errors``: ``error_key``, a refusal of the rules as a catalog key;
- ``incident_fields``: the incident form's fields, read off the ``Incident`` record.

The state is made of Flet observables (``@ft.observable``, which needs only the
``flet`` package), but no Flet page or control: the tests drive it directly.
"""
from stroll.state.app import SCREENS, TABS, AppState
from stroll.state.check_in import MERCHANT_CATEGORIES, CheckIn, FormNotice
from stroll.state.core import (FIX_FRESH_S, GPS_DENIED, GPS_LOST, GPS_OFF, GPS_OK, GPS_SILENT_S,
                               GPS_STATES, GPS_UNAVAILABLE, GPS_WAITING, LiveNumbers, StrollCore,
                               TrackView)
from stroll.state.errors import error_key
from stroll.state.history import History
from stroll.state.incident import IncidentForms
from stroll.state.incident_fields import CONTACT_FIELDS, INCIDENT_FIELDS
from stroll.state.patrol_screens import PatrolState
from stroll.state.running import RunningStroll
from stroll.state.shifts import ShiftBoard, ShiftCard
from stroll.state.sign_in import SignIn
from stroll.state.start_form import StartForm
from stroll.state.sync_badge import (AUTH, CONNECTING, ERROR, NO_SERVER, OFFLINE, ONLINE, SYNCING,
                                     SyncService, SyncView, default_engine_factory)

__all__ = ["AppState", "TABS", "SCREENS", "SyncService", "SyncView", "default_engine_factory",
           "NO_SERVER", "CONNECTING", "ONLINE", "SYNCING", "OFFLINE", "ERROR", "AUTH",
           "PatrolState", "StrollCore", "StartForm", "RunningStroll", "CheckIn", "IncidentForms",
           "LiveNumbers", "TrackView", "FormNotice", "error_key", "GPS_STATES", "GPS_OFF",
           "GPS_WAITING", "GPS_OK", "GPS_LOST", "GPS_DENIED", "GPS_UNAVAILABLE", "FIX_FRESH_S",
           "GPS_SILENT_S", "INCIDENT_FIELDS", "CONTACT_FIELDS", "MERCHANT_CATEGORIES", "SignIn",
           "History", "ShiftBoard", "ShiftCard"]
