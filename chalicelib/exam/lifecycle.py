"""Adapter over the Step Functions state machine that drives each exam session (infra/session_lifecycle.asl.json)."""

from __future__ import annotations

import json
from typing import Any, Protocol

from botocore.exceptions import ClientError

PHASE_IN_PROGRESS = "in_progress"
PHASE_AWAITING_REVIEW = "awaiting_review"
_STALE_TOKEN_CODES = {"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"}


class SessionLifecycle(Protocol):
    def start(self, session_id: str, phase: str, seconds_to_deadline: int, attempt: int = 0) -> str: ...

    def complete_task(self, task_token: str, output: dict[str, Any]) -> bool: ...

    def is_running(self, execution_arn: str) -> bool: ...


class StepFunctionsLifecycle:
    def __init__(self, client: Any, state_machine_arn: str, review_timeout_s: int) -> None:
        self._client = client
        self._arn = state_machine_arn
        self._review_timeout_s = review_timeout_s

    def start(self, session_id: str, phase: str, seconds_to_deadline: int, attempt: int = 0) -> str:
        """Start (or, for the same name and input, find) the session's execution; returns its ARN."""
        name = session_id if attempt == 0 else f"{session_id}-r{attempt}"
        payload = {
            "session_id": session_id,
            "phase": phase,
            "seconds_to_deadline": max(1, int(seconds_to_deadline)),
            "review_timeout_s": self._review_timeout_s,
        }
        try:
            response = self._client.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
            return self._arn.replace(":stateMachine:", ":execution:") + f":{name}"
        return response["executionArn"]

    def complete_task(self, task_token: str, output: dict[str, Any]) -> bool:
        """Resume a waiting state; False when the wait already ended (timed out or finished)."""
        try:
            self._client.send_task_success(taskToken=task_token, output=json.dumps(output))
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _STALE_TOKEN_CODES:
                return False
            raise
        return True

    def is_running(self, execution_arn: str) -> bool:
        try:
            status = self._client.describe_execution(executionArn=execution_arn)["status"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ExecutionDoesNotExist":
                return False
            raise
        return status == "RUNNING"
