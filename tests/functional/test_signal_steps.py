"""SignalTracker.apply_steps against the real local endpoint: several moments of one object (the two frames of a
webcam object) in one conditional write of the session's signal states."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from chalicelib import wiring
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.violations.models import SignalStatesRecord, ViolationRecord
from chalicelib.violations.recorder import Evidence, ViolationRecorder
from chalicelib.violations.signal_tracker import Observation, SignalTracker, Step
from tests.helpers import count_dynamodb_requests

POLICY = AnalysisPolicy.from_dict({"persistence": {"multiple_faces": 1, "no_face": 2}})
T0 = datetime(2026, 11, 29, 10, 0, 0, 250000, tzinfo=UTC)


def tracker_without_retags() -> SignalTracker:
    """The tracker as wired, minus the recorder's evidence retagging in S3 (these objects exist only as names)."""
    return SignalTracker(ViolationRecorder(wiring.clock(), wiring.connection()))


@pytest.fixture
def session(started):
    return SimpleNamespace(session_id=started["session"]["session_id"], agency_id=started["agency_id"])


@pytest.fixture
def writes(monkeypatch) -> Counter:
    """DynamoDB requests this process sends, by operation and table."""
    return count_dynamodb_requests(monkeypatch, by_table=True)


def clean() -> dict[str, Observation]:
    return {"no_face": Observation(False), "multiple_faces": Observation(False)}


def two_people(score: float = 0.9) -> dict[str, Observation]:
    return {
        "no_face": Observation(False),
        "multiple_faces": Observation(True, score, {"faces": 2}),
    }


def frame(session, name: str) -> Evidence:
    return Evidence(f"sessions/{session.session_id}/webcam/{name}.jpg", "v1", "ab" * 32)


def states_writes(sent: Counter) -> int:
    table = SignalStatesRecord.Meta.table_name
    return sum(n for (op, name), n in sent.items() if name == table and op in {"PutItem", "UpdateItem"})


def test_two_steps_of_one_object_are_saved_in_one_write_and_count_two_frames(session, writes):
    tracker = tracker_without_retags()
    steps = [Step(T0, clean()), Step(T0 + timedelta(seconds=5), clean())]
    assert tracker.apply_steps(session, steps, POLICY, frame(session, "a"), kind="webcam") == []
    assert states_writes(writes) == 1
    record = SignalStatesRecord.get(session.session_id)
    assert int(record.frames_received) == 2
    assert record.last_frame_at == T0 + timedelta(seconds=5)
    assert tracker.states(record)["no_face"].observations == 2


def test_a_redelivered_two_step_object_changes_nothing(session, writes):
    tracker = tracker_without_retags()
    evidence = frame(session, "b")
    steps = [Step(T0, two_people()), Step(T0 + timedelta(seconds=5), two_people(0.95))]
    changes = tracker.apply_steps(session, steps, POLICY, evidence, kind="webcam")
    assert [(signal, change.kind) for signal, change in changes] == [
        ("multiple_faces", "opened"),
        ("multiple_faces", "extended"),
    ]
    # opened and grown within the object: one violation write (the transaction that records it), one states write
    violations_table = ViolationRecord.Meta.table_name
    assert writes[("TransactWriteItems", None)] == 1 and writes[("UpdateItem", violations_table)] == 0
    assert states_writes(writes) == 1
    before = SignalStatesRecord.get(session.session_id)
    violations = [(v.violation_id, int(v.frames), v.open) for v in ViolationRecord.query(session.session_id)]
    assert [frames for _, frames, _ in violations] == [2]
    writes.clear()

    assert tracker.apply_steps(session, steps, POLICY, evidence, kind="webcam") == []

    assert states_writes(writes) == 0
    after = SignalStatesRecord.get(session.session_id)
    assert (after.version, int(after.frames_received)) == (before.version, 2)
    assert tracker.states(after) == tracker.states(before)
    assert [(v.violation_id, int(v.frames), v.open) for v in ViolationRecord.query(session.session_id)] == violations


def test_an_episode_opened_by_the_second_step_carries_its_details_extra(session):
    tracker = tracker_without_retags()
    steps = [
        Step(T0, clean(), {"part": 0}),
        Step(T0 + timedelta(seconds=5), two_people(), {"part": 1}),
    ]
    changes = tracker.apply_steps(session, steps, POLICY, frame(session, "c"), kind="webcam")
    assert [(signal, change.kind) for signal, change in changes] == [("multiple_faces", "opened")]
    (violation,) = ViolationRecord.query(session.session_id)
    assert violation.type == "multiple_faces"
    assert violation.details.as_dict() == {"faces": 2, "part": 1}
    assert violation.occurred_at == T0 + timedelta(seconds=5)
    assert violation.open is True


def test_one_step_through_apply_behaves_as_before(session):
    tracker = tracker_without_retags()
    tracker.apply(session, T0, two_people(), POLICY, frame(session, "d"), kind="webcam")
    tracker.apply(session, T0 + timedelta(seconds=5), clean(), POLICY, frame(session, "e"), kind="webcam")
    (violation,) = ViolationRecord.query(session.session_id)
    assert (violation.open, int(violation.frames), violation.details.as_dict()) == (False, 1, {"faces": 2})
    assert int(SignalStatesRecord.get(session.session_id).frames_received) == 2


def test_an_episode_opened_and_closed_within_one_object_is_recorded_closed(session):
    tracker = tracker_without_retags()
    steps = [Step(T0, two_people(), {"part": 0}), Step(T0 + timedelta(seconds=5), clean(), {"part": 1})]
    changes = tracker.apply_steps(session, steps, POLICY, frame(session, "f"), kind="webcam")
    assert [change.kind for _, change in changes] == ["opened", "closed"]
    (violation,) = ViolationRecord.query(session.session_id)
    assert (violation.open, int(violation.frames), violation.details.as_dict()) == (False, 1, {"faces": 2, "part": 0})


def test_an_episode_takes_a_new_frame_as_evidence_only_when_the_frame_raises_its_peak(session):
    """A constant score (no_face is 1.0 on every frame) keeps the first peak frame as the evidence: every frame of a
    long episode would otherwise become evidence (retagged, kept for the agency's retention instead of 7 days)."""
    tracker = tracker_without_retags()
    at = [T0 + timedelta(seconds=5 * n) for n in range(4)]
    tracker.apply_steps(session, [Step(at[0], two_people(0.6))], POLICY, frame(session, "p0"), kind="webcam")
    tracker.apply_steps(session, [Step(at[1], two_people(0.6))], POLICY, frame(session, "p1"), kind="webcam")
    (violation,) = [v for v in ViolationRecord.query(session.session_id) if v.type == "multiple_faces"]
    assert violation.evidence_key.endswith("/p0.jpg")  # a tie: the first frame stays the evidence
    tracker.apply_steps(session, [Step(at[2], two_people(0.8))], POLICY, frame(session, "p2"), kind="webcam")
    (violation,) = [v for v in ViolationRecord.query(session.session_id) if v.type == "multiple_faces"]
    assert violation.evidence_key.endswith("/p2.jpg")  # a higher score: the new peak frame
    tracker.apply_steps(session, [Step(at[3], two_people(0.8))], POLICY, frame(session, "p3"), kind="webcam")
    (violation,) = [v for v in ViolationRecord.query(session.session_id) if v.type == "multiple_faces"]
    assert violation.evidence_key.endswith("/p2.jpg")


def test_an_episode_whose_evidence_moves_to_another_frame_names_that_frame_of_its_object(session):
    """`part`/`frames` follow the evidence: the console crops the half they name, so a stale part would show the
    wrong frame of the new object."""
    tracker = tracker_without_retags()
    pair = {"frames": 2}
    at = [T0 + timedelta(seconds=5 * n) for n in range(6)]
    tracker.apply_steps(
        session,
        [Step(at[0], two_people(0.6), {**pair, "part": 0}), Step(at[1], clean(), {**pair, "part": 1})],
        POLICY,
        frame(session, "a.f2"),
        kind="webcam",
    )
    (violation,) = [v for v in ViolationRecord.query(session.session_id) if v.type == "multiple_faces"]
    assert (violation.evidence_key.split("/")[-1], violation.details["part"]) == ("a.f2.jpg", 0)
    # A new episode (the clean frame closed the first): opened by part 0 of b, its peak moves to part 1 of c.
    tracker.apply_steps(
        session,
        [Step(at[2], two_people(0.6), {**pair, "part": 0}), Step(at[3], two_people(0.6), {**pair, "part": 1})],
        POLICY,
        frame(session, "b.f2"),
        kind="webcam",
    )
    tracker.apply_steps(
        session,
        [Step(at[4], two_people(0.6), {**pair, "part": 0}), Step(at[5], two_people(0.9), {**pair, "part": 1})],
        POLICY,
        frame(session, "c.f2"),
        kind="webcam",
    )
    newest = max(
        (v for v in ViolationRecord.query(session.session_id) if v.type == "multiple_faces"),
        key=lambda v: v.occurred_at,
    )
    assert newest.evidence_key.endswith("/c.f2.jpg")
    assert (newest.details["part"], newest.details["frames"]) == (1, 2)
    # Its peak then moves to a single frame: no part is left behind.
    tracker.apply_steps(
        session, [Step(at[5] + timedelta(seconds=5), two_people(0.95))], POLICY, frame(session, "d"), kind="webcam"
    )
    newest = ViolationRecord.get(session.session_id, newest.violation_id)
    assert newest.evidence_key.endswith("/d.jpg")
    assert "part" not in newest.details and "frames" not in newest.details
