"""HTTP for events reported by the candidate's browser."""

import re
from typing import Any

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.core.api import json_body, route
from chalicelib.core.clock import iso
from chalicelib.core.http import Fields, invalid_field
from chalicelib.exam.sessions import own_session
from chalicelib.violations import browser_events
from chalicelib.violations.catalog import BROWSER_TYPES
from chalicelib.violations.models import ViolationRecord

bp = Blueprint(__name__)
DETAIL_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_DETAILS = 20
MAX_OWN_VIOLATIONS = 500


@route(bp, "/sessions/{session_id}/events", methods=["POST"], roles=("candidate",))
def report_events(request, candidate, session_id):
    events = parse_batch(json_body(request))
    session = own_session(candidate, session_id)
    return browser_events.ingest(wiring.recorder(), wiring.clock(), session, events)


@route(bp, "/sessions/{session_id}/violations", methods=["GET"], roles=("candidate",))
def own_violations(request, candidate, session_id):
    """The candidate's "log": what was recorded so far, oldest first, without evidence or internal details."""
    session = own_session(candidate, session_id)
    records = ViolationRecord.by_time.query(session.session_id, limit=MAX_OWN_VIOLATIONS)
    return {
        "violations": [
            {
                "type": record.type,
                "severity": record.severity,
                "occurred_at": iso(record.occurred_at),
                "ended_at": iso(record.ended_at) if record.ended_at else None,
            }
            for record in records
        ]
    }


def parse_batch(body: Any) -> list[browser_events.BrowserEvent]:
    """The whole batch is validated before anything is stored: one bad event refuses it (400)."""
    events = []
    for position, raw in enumerate(Fields(body).items("events", min_len=1, max_len=browser_events.MAX_EVENTS)):
        event = Fields(raw, prefix=f"events[{position}].")
        event_id = str(event.text("event_id", pattern=browser_events.EVENT_ID))
        event_type = str(event.text("type", choices=tuple(BROWSER_TYPES)))
        occurred_at = event.timestamp("occurred_at")
        assert occurred_at is not None  # required
        detail = event.nested("details", required=False)
        details = detail.data if detail else {}
        if len(details) > MAX_DETAILS or not all(isinstance(k, str) and DETAIL_KEY.match(k) for k in details):
            raise invalid_field(f"events[{position}].details", f"must have at most {MAX_DETAILS} short keys")
        events.append(browser_events.BrowserEvent(event_id, event_type, occurred_at, details))
    return events
