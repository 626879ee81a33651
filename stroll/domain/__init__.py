"""stroll's domain: records, validation, taxonomy, shift rules, geo math. Pure Python."""
from .errors import StrollError, UnknownRecordType, ValidationError
from .ids import new_id
from .records import (RECORD_TYPES, CheckIn, FollowUp, Incident, Member, Merchant,
                      Neighborhood, Partner, Record, Referral, Route, Shift, Signup, Stroll,
                      TrackChunk,
                      from_dict, now_iso, record_class)

__all__ = [
    "StrollError", "UnknownRecordType", "ValidationError", "new_id", "RECORD_TYPES",
    "CheckIn", "FollowUp", "Incident", "Member", "Merchant", "Neighborhood", "Partner",
    "Record", "Referral",
    "Route", "Shift", "Signup", "Stroll", "TrackChunk", "from_dict", "now_iso",
    "record_class",
]
