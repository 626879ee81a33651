"""sync.plan: which outbox rows a push carries and what each answer means. Plain values
in, decisions out: no sockets, no threads, no store."""
from __future__ import annotations

import pytest

from sync import plan
from sync.plan import (Acknowledge, BatchRefused, Limits, NothingAcknowledged, ResendFrom,
                       ServerLost, Shrink)
from sync.protocol import (MAX_BATCH_ENTRIES, MAX_BODY_BYTES, Decision, ErrorBody, PushEntry,
                           PushResponse, PushResult)


def row(seq, payload=None, rtype="check_in", op="upsert"):
    return {"seq": seq, "record_type": rtype, "record_id": f"r-{seq}", "op": op,
            "payload": payload if payload is not None else {"id": f"r-{seq}"},
            "device_time": "2026-11-21T19:02:11-08:00", "attempts": 0, "error": None}


def batch(first=11, n=4, offset=10):
    return plan.next_batch([row(s) for s in range(first, first + n)], offset, Limits(100, 10**6))


def answer(acked_through, *results):
    return PushResponse(acked_through=acked_through, results=list(results), server_time="now")


# ---- what to send -------------------------------------------------------------------------


def test_limits_stay_within_what_the_protocol_allows():
    assert Limits.of(10**6, 10**12) == Limits(MAX_BATCH_ENTRIES, MAX_BODY_BYTES // 2)
    assert Limits.of(0, 0) == Limits(1, 1)


def test_a_batch_numbers_entries_for_the_wire_by_the_offset():
    b = plan.next_batch([row(11, op="patch"), row(12)], 10, Limits(100, 10**6))
    assert b.seqs == (11, 12) and b.offset == 10
    assert b.entries[0] == PushEntry(seq=1, type="check_in", id="r-11", op="patch",
                                     data={"id": "r-11"}, device_time="2026-11-21T19:02:11-08:00")
    assert [e.seq for e in b.entries] == [1, 2]


def test_a_new_device_id_starts_at_one_with_the_first_pending_entry():
    assert plan.first_offset(41) == 40


def test_a_batch_holds_at_most_the_entry_limit():
    b = plan.next_batch([row(s) for s in range(1, 10)], 0, Limits(entries=3, bytes=10**6))
    assert b.seqs == (1, 2, 3)


def test_a_batch_stops_before_the_entry_that_would_pass_the_byte_limit():
    rows = [row(s, {"note": "x" * 300}) for s in range(1, 6)]
    each = plan.entry_size(rows[0])
    b = plan.next_batch(rows, 0, Limits(entries=100, bytes=2 * each + 1))
    assert b.seqs == (1, 2)


def test_one_entry_larger_than_the_byte_limit_still_goes_alone():
    b = plan.next_batch([row(1, {"note": "x" * 5000}), row(2)], 0, Limits(100, 10))
    assert b.seqs == (1,)


def test_nothing_pending_is_no_batch():
    assert plan.next_batch([], 0, Limits(100, 10**6)) is None


# ---- a 200 answer ---------------------------------------------------------------------------


def test_applied_and_duplicate_results_are_acknowledged_and_counted():
    got = plan.after_answer(batch(n=3), answer(3, PushResult(1, "applied"),
                                               PushResult(2, "duplicate"),
                                               PushResult(3, "applied")))
    assert got == Acknowledge(acked=(11, 12, 13), refused=(), applied=2, duplicate=1)


def test_rejected_results_are_refused_with_the_servers_reason():
    why = ErrorBody("append_only", "check_in r-12 cannot be changed")
    got = plan.after_answer(batch(n=2), answer(2, PushResult(1, "applied"),
                                               PushResult(2, "rejected", error=why)))
    assert got.acked == (11,) and got.refused == ((12, "check_in r-12 cannot be changed"),)


def test_a_resent_entry_the_server_refused_before_stays_refused():
    # the first answer (rejected) was lost; the server answers the resend as a duplicate
    # carrying the original refusal: the entry must not be acknowledged as applied
    why = ErrorBody("append_only", "check_in r-12 cannot be changed")
    got = plan.after_answer(batch(n=2), answer(2, PushResult(1, "duplicate"),
                                               PushResult(2, "duplicate", error=why)))
    assert got.acked == (11,) and got.refused == ((12, "check_in r-12 cannot be changed"),)


def test_acked_through_acknowledges_entries_without_a_result():
    got = plan.after_answer(batch(n=4), answer(3, PushResult(1, "applied")))
    assert got.acked == (11, 12, 13)  # wire 4 is past acked_through: sent again later


def test_results_for_seqs_not_sent_are_ignored():
    got = plan.after_answer(batch(n=1), answer(1, PushResult(1, "applied"),
                                               PushResult(7, "rejected")))
    assert got.acked == (11,) and got.refused == ()


def test_the_servers_decision_on_a_sign_up_is_kept_by_record_id():
    decided = Decision("waitlisted", "shift is full")
    got = plan.after_answer(batch(n=1), answer(1, PushResult(1, "applied", decision=decided)))
    assert got.decisions == (("r-11", {"status": "waitlisted", "reason": "shift is full"}),)


def test_an_answer_that_settles_nothing_is_retried_later():
    assert plan.after_answer(batch(n=2), answer(0)) == NothingAcknowledged()


# ---- a refusal ----------------------------------------------------------------------------------


def refusal(b, status, code=None, details=None, gap_retries=0, limits=Limits(100, 1000)):
    return plan.after_refusal(b, limits, status=status, code=code, message="words",
                              details=details, gap_retries=gap_retries)


def test_a_sequence_gap_acknowledges_what_the_server_has_and_resends_from_expected():
    # wire 1..4 = outbox 11..14; the server already has wire 1..2 (an answer was lost)
    assert refusal(batch(), 409, "sequence_gap", {"expected": 3}) == \
        ResendFrom(seq=13, acked=(11, 12))


def test_a_sequence_gap_past_the_batch_acknowledges_all_of_it():
    assert refusal(batch(n=2), 409, "sequence_gap", {"expected": 9}) == \
        ResendFrom(seq=19, acked=(11, 12))


def test_a_sequence_gap_below_the_first_entry_kept_means_the_server_lost_entries():
    b = batch(first=15, n=2, offset=10)  # wire 5..6; the server wants 2..4 again
    assert refusal(b, 409, "sequence_gap", {"expected": 2}) == \
        ServerLost(expected=2, first=5, details={"expected": 2})


def test_a_sequence_gap_that_keeps_coming_back_stops_the_round():
    got = refusal(batch(), 409, "sequence_gap", {"expected": 3},
                  gap_retries=plan.MAX_GAP_RETRIES + 1)
    assert isinstance(got, ServerLost)


def test_a_sequence_gap_without_a_readable_expected_is_a_refusal():
    assert isinstance(refusal(batch(), 409, "sequence_gap", {"expected": True}), BatchRefused)


@pytest.mark.parametrize("code", ["batch_too_large", "body_too_large", None])
def test_413_halves_the_batch_and_its_bytes(code):
    assert refusal(batch(n=4), 413, code) == Shrink(Limits(entries=2, bytes=500))


def test_413_for_a_single_entry_is_a_refusal_not_a_loop():
    assert refusal(batch(n=1), 413, "body_too_large") == \
        BatchRefused(413, "body_too_large", "words", {})


@pytest.mark.parametrize("status,code", [(422, "unknown_record_type"), (403, "forbidden"),
                                         (400, "invalid_header"), (404, None)])
def test_other_refusals_keep_the_batch_and_say_why(status, code):
    assert refusal(batch(), status, code, {"field": "x"}) == \
        BatchRefused(status, code, "words", {"field": "x"})


# ---- which status an answer means ------------------------------------------------------------


def test_a_known_code_means_the_protocols_status_an_unknown_one_the_http_status():
    assert plan.meant_status(500, "unavailable") == 503
    assert plan.meant_status(400, "batch_too_large") == 413
    assert plan.meant_status(502, None) == 502
    assert plan.meant_status(429, "slow_down") == 429
