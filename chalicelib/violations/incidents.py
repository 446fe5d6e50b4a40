"""Violations the server itself observes (not the analyzer, not the browser)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.exam.models import SessionRecord
from chalicelib.violations.catalog import SERVER_TYPES
from chalicelib.violations.recorder import Violation, ViolationRecorder, derived_violation_id


def record_second_client(recorder: ViolationRecorder, session: SessionRecord, client_id: str, now: datetime) -> None:
    """A second tab or device tried to take a live session: one violation per intruding client, however often."""
    recorder.record(
        session.agency_id,
        Violation(
            session_id=session.session_id,
            violation_id=derived_violation_id("second_client", client_id),
            type="second_client",
            severity=SERVER_TYPES["second_client"],
            source="server",
            occurred_at=now,
            details={"client_id": client_id, "holder": session.client_id or ""},
        ),
    )
