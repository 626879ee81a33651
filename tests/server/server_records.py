"""Valid records for the server tests (dicts as a device sends them)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from stroll.domain import (CheckIn, FollowUp, Incident, Member, Merchant, Neighborhood,
                           Partner, Referral, Route, Shift, Signup, Stroll, TrackChunk, new_id, now_iso)

T0 = "2026-11-21T19:02:11-08:00"


def incident(**over) -> dict:
    d = Incident(occurred_at=T0, harm_types=["verbal_harassment"], motivations=["race"],
                 lat=37.7941, lon=-122.4078, cross_streets="Stockton & Jackson",
                 reporter_role="witness", narrative="Yelled at an elder outside the bakery.",
                 survivor_name="Mrs. W", consent_contact=True, contact_channel="phone",
                 contact_value="415-555-0100").to_dict()
    d.update(over)
    return d


def follow_up(incident_id: str, **over) -> dict:
    d = FollowUp(incident_id=incident_id, status="new", notes="call back Tuesday").to_dict()
    d.update(over)
    return d


def referral(incident_id: str | None = None, **over) -> dict:
    d = Referral(incident_id=incident_id or new_id(), partner_id=new_id(), need="legal",
                 referred_at=T0, outcome="pending",
                 outcome_note="intake booked for Mrs. W").to_dict()
    d.update(over)
    return d


def partner(**over) -> dict:
    d = Partner(name="Chinatown tenants' clinic", services="Eviction defense",
                languages=["yue", "en"], referral_needs=["housing", "legal"]).to_dict()
    d.update(over)
    return d


def check_in(**over) -> dict:
    d = CheckIn(merchant_id=new_id(), status="all_good", at=T0, note="all quiet").to_dict()
    d.update(over)
    return d


def track_chunk(**over) -> dict:
    d = TrackChunk(stroll_id=new_id(), seq=0, points="_p~iF~ps|U_ulLnnqC", point_count=2,
                   started_at=T0).to_dict()
    d.update(over)
    return d


def shift(capacity: int = 2, *, days_ahead: int = 3, **over) -> dict:
    start = datetime.now(timezone.utc) + timedelta(days=days_ahead)
    d = Shift(neighborhood_id=new_id(), title="Saturday stroll", capacity=capacity,
              starts_at=start.isoformat(timespec="seconds"),
              ends_at=(start + timedelta(hours=2)).isoformat(timespec="seconds")).to_dict()
    d.update(over)
    return d


def signup(shift_id: str, member_id: str | None = None, **over) -> dict:
    d = Signup(shift_id=shift_id, member_id=member_id or new_id(), requested_at=T0).to_dict()
    d.update(over)
    return d


def neighborhood(**over) -> dict:
    d = Neighborhood(name="SF Chinatown", city="San Francisco", center_lat=37.7946,
                     center_lon=-122.4068).to_dict()
    d.update(over)
    return d


def route(**over) -> dict:
    d = Route(neighborhood_id=new_id(), name="Stockton loop",
              path=[[37.7941, -122.4078], [37.7963, -122.4069]]).to_dict()
    d.update(over)
    return d


def member(**over) -> dict:
    d = Member(name="Lin", role="volunteer", languages=["yue"], phone="415-555-0111").to_dict()
    d.update(over)
    return d


def merchant(**over) -> dict:
    d = Merchant(neighborhood_id=new_id(), name="Golden Gate Bakery", lat=37.7963,
                 lon=-122.4069).to_dict()
    d.update(over)
    return d


def stroll(**over) -> dict:
    d = Stroll(neighborhood_id=new_id(), team=[{"name": "A"}, {"name": "B"}],
               started_at=now_iso()).to_dict()
    d.update(over)
    return d


def roster(**over) -> dict:
    """A shift's roster as a device might send one (refused: the server keeps rosters)."""
    shift_id = over.pop("shift_id", None) or new_id()
    d = {"id": shift_id, "shift_id": shift_id, "confirmed": 1, "waitlisted": 0}
    d.update(over)
    return d


def shift_team(**over) -> dict:
    """A shift's team as a device might send one (refused: the server keeps it)."""
    shift_id = over.pop("shift_id", None) or new_id()
    d = {"id": shift_id, "shift_id": shift_id,
         "going": [{"member_id": new_id(), "name": "Mei", "lead": False}]}
    d.update(over)
    return d
