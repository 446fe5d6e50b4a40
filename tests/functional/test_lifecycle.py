"""Session lifecycle rules against the real tables; the Step Functions side is real where it can be."""

from __future__ import annotations

import json
from typing import Any

import boto3

from chalicelib import wiring
from chalicelib.exam.models import SessionRecord
from chalicelib.exam.progression import SessionProgression
from tests.helpers import wait_for


class RecordingLifecycle:
    """Stands in for Step Functions only where a test needs to see which task tokens were completed."""

    def __init__(self) -> None:
        self.completed: list[tuple[str, dict[str, Any]]] = []
        self.started: list[tuple[str, str, int]] = []

    def start(self, session_id: str, phase: str, seconds_to_deadline: int, attempt: int = 0) -> str:
        self.started.append((session_id, phase, seconds_to_deadline))
        return f"arn:aws:states:us-east-1:123456789012:execution:x:{session_id}-r{attempt}"

    def complete_task(self, task_token: str, output: dict[str, Any]) -> bool:
        self.completed.append((task_token, output))
        return True

    def is_running(self, execution_arn: str) -> bool:
        return False


def test_token_arriving_after_an_early_submit_is_completed_at_once(api, started):
    # Given a candidate who submitted before the worker saw the in-progress task token
    session_id = started["session"]["session_id"]
    api.call("POST", f"/sessions/{session_id}/submit", started["candidate"]).raise_for_status()
    lifecycle = RecordingLifecycle()
    progression = SessionProgression(wiring.clock(), lifecycle)
    # When the (late) exam_started message is handled
    progression.handle({"kind": "exam_started", "session_id": session_id, "task_token": "late-token"})
    # Then the machine is resumed straight away instead of waiting for the deadline
    assert lifecycle.completed == [("late-token", {"submitted_by": "candidate"})]


def test_review_window_expiry_accepts_the_result_as_the_system(api, started):
    session_id = started["session"]["session_id"]
    api.call("POST", f"/sessions/{session_id}/submit", started["candidate"]).raise_for_status()
    wait_for(lambda: SessionRecord.get(session_id).status == "awaiting_review")
    SessionProgression(wiring.clock(), RecordingLifecycle()).handle(
        {"kind": "review_expired", "session_id": session_id}
    )
    session = SessionRecord.get(session_id)
    assert (session.status, session.reviewed_by) == ("accepted", "system")


def test_reconcile_restarts_sessions_whose_execution_is_gone(stack, started):
    # Given an in-progress session whose execution no longer exists (the endpoint restarted, say)
    session_id = started["session"]["session_id"]
    gone = "arn:aws:states:us-east-1:123456789012:execution:proctor-local-session-lifecycle:vanished"
    SessionRecord(session_id).update(actions=[SessionRecord.execution_arn.set(gone)])
    # When reconciliation runs against the real state machine
    counts = wiring.progression().reconcile()
    # Then it got a new, running execution that again waits for the candidate
    assert counts["restarted"] >= 1
    arn = SessionRecord.get(session_id).execution_arn
    assert arn != gone
    sfn = boto3.client("stepfunctions", endpoint_url=stack.endpoint_url, region_name=stack.region)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    wait_for(lambda: SessionRecord.get(session_id).submit_token)


def test_the_state_machine_submits_an_exam_nobody_submitted_at_its_deadline(api, make_exam):
    # Given a 5-second exam the candidate started and left
    ctx = make_exam(duration_s=5)
    response = api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={})
    session_id = response.json()["session_id"]
    # Then the execution's deadline (a TimeoutSecondsPath from its input) ends it: submitted by the system
    wait_for(lambda: SessionRecord.get(session_id).status == "awaiting_review", timeout_s=30)
    assert SessionRecord.get(session_id).auto_submitted is True


def test_the_state_machine_ends_a_review_window_nobody_used(stack, api, started):
    # Given a submitted session whose review the state machine waits for, for 2 seconds only
    session_id = started["session"]["session_id"]
    api.call("POST", f"/sessions/{session_id}/submit", started["candidate"]).raise_for_status()
    wait_for(lambda: SessionRecord.get(session_id).status == "awaiting_review")
    sfn = boto3.client("stepfunctions", endpoint_url=stack.endpoint_url, region_name=stack.region)
    execution = {"session_id": session_id, "phase": "awaiting_review", "seconds_to_deadline": 0, "review_timeout_s": 2}
    sfn.start_execution(stateMachineArn=wiring.settings().state_machine_arn, input=json.dumps(execution))
    # Then the window times out (a TimeoutSecondsPath) and the result is accepted by the system
    wait_for(lambda: SessionRecord.get(session_id).status == "accepted", timeout_s=30)
    assert SessionRecord.get(session_id).reviewed_by == "system"
