"""Metering: one usage record per ended session, written by the lifecycle, never twice — against the real stack
(the state machine ends the session, its review message reaches the lifecycle consumer, which meters it)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest

from chalicelib import wiring
from chalicelib.billing.analyzer_time import AnalyzerTime
from chalicelib.billing.metering import Metering, month_of, proctored_minutes
from chalicelib.billing.models import MeterRecord, UsageRecord
from chalicelib.exam.models import SessionRecord
from chalicelib.exam.progression import SessionProgression
from tests.helpers import WEBCAM, ok, presign, upload, wait_for

AUDIO = b"RIFF" + b"\x00" * 4000  # stored as uploaded; what the analyzer makes of it does not matter here


class RecordingLifecycle:
    """Stands in for Step Functions where a test hands the consumer a message itself (no task to complete)."""

    def __init__(self) -> None:
        self.completed: list[tuple[str, dict]] = []

    def start(self, session_id: str, phase: str, seconds_to_deadline: int, attempt: int = 0) -> str:
        raise AssertionError("not started by these tests")

    def complete_task(self, task_token: str, output: dict) -> bool:
        self.completed.append((task_token, output))
        return True

    def is_running(self, execution_arn: str) -> bool:
        return False


def usage_of(session_id: str) -> UsageRecord | None:
    try:
        return UsageRecord.get(session_id, consistent_read=True)
    except UsageRecord.DoesNotExist:
        return None


def stored(session_id: str) -> dict:
    return usage_of(session_id).to_simple_dict()


def ended_session(**overrides) -> SessionRecord:
    """A session that ended, written straight into the sessions table (no execution: nothing else meters it)."""
    start = overrides.pop("started_at", datetime.now(UTC) - timedelta(minutes=30))
    values = {
        "exam_id": f"exam-{uuid.uuid4().hex[:8]}",
        "candidate_id": f"agency-x~cand-{uuid.uuid4().hex[:8]}",
        "agency_id": "agency-metering",
        "status": "awaiting_review",
        "language": "ru",
        "started_at": start,
        "deadline_at": start + timedelta(minutes=60),
        "submitted_at": start + timedelta(minutes=25),
        "items": [],
    }
    values.update(overrides)
    session = SessionRecord(uuid.uuid4().hex, **values)
    session.save()
    return session


def test_an_ended_session_is_metered_once_by_the_lifecycle_and_redelivery_changes_nothing(api, started):
    # Given a session that delivered two webcam frames and an audio chunk
    session_id = started["session"]["session_id"]
    frame = WEBCAM.read_bytes()
    upload(presign(api, started, "webcam"), frame).raise_for_status()
    upload(presign(api, started, "webcam"), frame).raise_for_status()
    upload(presign(api, started, "audio"), AUDIO, "audio/wav").raise_for_status()
    # When the candidate submits, the state machine's review step reaches the lifecycle consumer
    ok(api.call("POST", f"/sessions/{session_id}/submit", started["candidate"]))
    record = wait_for(lambda: usage_of(session_id), timeout_s=30)
    # Then one record holds what the session used
    session = SessionRecord.get(session_id)
    assert (record.agency_id, record.exam_id) == (started["agency_id"], started["exam_id"])
    assert record.month == month_of(session.started_at) and record.agency_month == f"{record.agency_id}#{record.month}"
    assert record.end_reason == "submitted"
    elapsed_min = Decimal((session.submitted_at - session.started_at).total_seconds()) / 60
    assert abs(Decimal(str(record.proctored_minutes)) - elapsed_min) <= Decimal("0.01")
    by_kind = record.media_by_kind.as_dict()
    assert by_kind["webcam"] == {"objects": 2, "bytes": 2 * len(frame)}
    assert by_kind["audio"] == {"objects": 1, "bytes": len(AUDIO)}
    assert by_kind["screen"] == {"objects": 0, "bytes": 0}
    assert (record.media_objects, record.media_bytes) == (3, 2 * len(frame) + len(AUDIO))
    assert record.identity_checks == 0  # the exam needs no identity check
    first = stored(session_id)
    # When the same review message is delivered twice more (SQS redelivery), after the meters moved on
    AnalyzerTime().add(session_id, 4321)
    progression = SessionProgression(wiring.clock(), RecordingLifecycle(), on_ended=wiring.metering().close)
    message = {"kind": "review_requested", "session_id": session_id, "task_token": session.review_token}
    progression.handle(message)
    progression.handle(message)
    # Then the record is exactly the first one: nothing counted twice, nothing re-measured
    assert stored(session_id) == first


def test_a_lifecycle_restarted_by_reconciliation_does_not_meter_again(stack, api, started):
    # Given a submitted session, metered, whose execution then vanished (the endpoint restarted, say)
    session_id = started["session"]["session_id"]
    ok(api.call("POST", f"/sessions/{session_id}/submit", started["candidate"]))
    wait_for(lambda: usage_of(session_id), timeout_s=30)
    first = stored(session_id)
    old_token = wait_for(lambda: SessionRecord.get(session_id).review_token)
    gone = "arn:aws:states:us-east-1:123456789012:execution:proctor-local-session-lifecycle:vanished"
    SessionRecord(session_id).update(actions=[SessionRecord.execution_arn.set(gone)])
    AnalyzerTime().add(session_id, 999)  # a re-measure would differ
    # When reconciliation restarts its lifecycle and the new execution's review step arrives
    wiring.progression().reconcile()
    sfn = boto3.client("stepfunctions", endpoint_url=stack.endpoint_url, region_name=stack.region)
    arn = SessionRecord.get(session_id).execution_arn
    assert arn != gone and sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    wait_for(lambda: SessionRecord.get(session_id).review_token not in (None, old_token), timeout_s=30)
    # Then the usage record is the first one
    assert stored(session_id) == first


class RacingMetering(Metering):
    """Every writer measures before any of them writes: the put's condition alone must decide."""

    def __init__(self, barrier: threading.Barrier) -> None:
        super().__init__(wiring.clock(), wiring.s3(), wiring.settings().media_bucket)
        self._barrier = barrier

    def measure(self, session):
        record = super().measure(session)
        self._barrier.wait(timeout=30)
        return record


def test_racing_writers_record_the_session_exactly_once(stack):
    session = ended_session()
    writers = 6
    barrier = threading.Barrier(writers)
    results: list[bool] = []

    def close() -> None:
        results.append(RacingMetering(barrier).close(SessionRecord.get(session.session_id)))

    threads = [threading.Thread(target=close) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [False] * (writers - 1) + [True]
    assert usage_of(session.session_id) is not None


def test_proctored_minutes_leave_out_pauses_and_the_lifecycles_delay(stack):
    start = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    # a 60-minute exam paused 10 minutes (the deadline moved to 70), auto-submitted 2 minutes after the deadline
    late = ended_session(
        started_at=start,
        deadline_at=start + timedelta(minutes=70),
        submitted_at=start + timedelta(minutes=72),
        auto_submitted=True,
        paused_total_s=600,
    )
    assert proctored_minutes(late) == Decimal("60.00")
    wiring.metering().close(late)
    record = usage_of(late.session_id)
    # billed in the month it started, though it ended in the next one
    assert (record.month, record.end_reason, record.proctored_minutes) == ("2026-10", "expired", Decimal("60"))
    terminated = ended_session(
        started_at=start,
        submitted_at=start + timedelta(minutes=12, seconds=30),
        terminated_at=start + timedelta(minutes=12, seconds=30),
    )
    wiring.metering().close(terminated)
    assert (usage_of(terminated.session_id).end_reason, usage_of(terminated.session_id).proctored_minutes) == (
        "terminated",
        Decimal("12.5"),
    )


def test_a_session_still_in_progress_is_not_metered(stack):
    session = ended_session(status="in_progress", submitted_at=None)
    assert wiring.metering().close(session) is False
    assert usage_of(session.session_id) is None


def test_analyzer_time_is_summed_per_batch_and_read_at_the_end(stack):
    session = ended_session()
    timer = AnalyzerTime()
    with timer.batch():
        for ms in (120.4, 80.2, 99.6):
            timer.add(session.session_id, ms)
        assert MeterRecord.count(session.session_id) == 0  # nothing written until the batch ends
    timer.add(session.session_id, 100)  # outside a batch: written at once
    meter = MeterRecord.get(session.session_id)
    assert (meter.analyzer_ms, meter.analyzed_objects) == (400, 4)
    wiring.metering().close(session)
    assert usage_of(session.session_id).analyzer_ms == 400


@pytest.mark.parametrize("checks", [0, 3])
def test_identity_checks_are_the_enrollments_queued_checks(stack, checks):
    from chalicelib.identity.models import EnrollmentRecord

    session = ended_session()
    if checks:
        EnrollmentRecord(
            session.candidate_id,
            session.exam_id,
            agency_id=session.agency_id,
            status="approved",
            selfie_key="enrollment/x/selfie.jpg",
            document_key="enrollment/x/document.jpg",
            attempts=checks,
        ).save()
    wiring.metering().close(session)
    assert usage_of(session.session_id).identity_checks == checks
