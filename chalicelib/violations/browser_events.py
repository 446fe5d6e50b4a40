"""Turns events reported by the candidate's browser into violations, idempotently by the client's event id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict
from chalicelib.exam import rules
from chalicelib.exam.models import SessionRecord
from chalicelib.violations.catalog import BROWSER_TYPES
from chalicelib.violations.recorder import Violation, ViolationRecorder, derived_violation_id

EVENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_EVENTS = 100
# Browsers buffer events while offline and clocks drift: accept a little before start and after the end.
EARLY_GRACE = timedelta(seconds=60)
LATE_GRACE = timedelta(seconds=120)


@dataclass(frozen=True)
class BrowserEvent:
    event_id: str  # chosen by the browser, so a retried batch is recognised
    type: str  # one of BROWSER_TYPES
    occurred_at: datetime
    details: dict[str, Any]


def ingest(
    recorder: ViolationRecorder, clock: Clock, session: SessionRecord, events: list[BrowserEvent]
) -> dict[str, Any]:
    """Record each event of a validated batch: recorded, duplicate or out of the session's window."""
    if session.status not in rules.OPEN_STATUSES:
        raise Conflict("session.closed", "The session has been reviewed; it takes no more events.")
    now = clock.now()
    window_end = min(now, session.submitted_at or session.deadline_at) + LATE_GRACE
    results = []
    for event in events:
        event_id, event_type, occurred_at, detail = event.event_id, event.type, event.occurred_at, event.details
        if not session.started_at - EARLY_GRACE <= occurred_at <= window_end:
            results.append({"event_id": event_id, "outcome": "out_of_window"})
            continue
        created = recorder.record(
            session.agency_id,
            Violation(
                session_id=session.session_id,
                violation_id=derived_violation_id("browser", event_id),
                type=event_type,
                severity=BROWSER_TYPES[event_type],
                source="browser",
                occurred_at=occurred_at,
                details={k: str(v)[:200] for k, v in list(detail.items())[:10]},
            ),
        )
        results.append({"event_id": event_id, "outcome": "recorded" if created else "duplicate"})
    return {"results": results}
