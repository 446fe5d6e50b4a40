"""HTTP for proctors: the live session list, a session's timeline, and the review verdict."""

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.core.api import json_body, route
from chalicelib.core.http import ID_PATTERN, Fields
from chalicelib.exam.progression import VERDICTS
from chalicelib.proctor import monitoring

bp = Blueprint(__name__)
PROCTOR = ("proctor", "admin")


@route(bp, "/proctor/sessions", methods=["GET"], roles=PROCTOR)
def list_sessions(request, proctor):
    query = Fields(dict(request.query_params or {}))
    exam_id = query.text("exam_id", required=False, pattern=ID_PATTERN)
    status = query.text("status", required=False, choices=monitoring.STATUSES)
    return {"sessions": monitoring.list_sessions(proctor, exam_id, status)}


@route(bp, "/proctor/sessions/{session_id}/timeline", methods=["GET"], roles=PROCTOR)
def session_timeline(request, proctor, session_id):
    session = monitoring.agency_session(proctor, session_id)
    return monitoring.timeline(session, wiring.presigner())


@route(bp, "/proctor/sessions/{session_id}/verdict", methods=["POST"], roles=PROCTOR)
def record_verdict(request, proctor, session_id):
    fields = Fields(json_body(request))
    decision = str(fields.text("verdict", choices=tuple(VERDICTS)))
    reason = fields.text("reason", required=decision == "annul", max_len=1000)
    return wiring.progression().record_verdict(proctor, session_id, decision, reason)
