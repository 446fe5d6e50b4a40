"""HTTP for events reported by the candidate's browser."""

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.core.api import json_body, route
from chalicelib.exam.sessions import own_session
from chalicelib.violations import browser_events

bp = Blueprint(__name__)


@route(bp, "/sessions/{session_id}/events", methods=["POST"], roles=("candidate",))
def report_events(request, candidate, session_id):
    events = browser_events.parse_batch(json_body(request))
    session = own_session(candidate, session_id)
    return browser_events.ingest(wiring.recorder(), wiring.clock(), session, events)
