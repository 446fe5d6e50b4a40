"""HTTP for proctors (live grid, a session's timeline and channel, warn / chat / pause / resume / terminate / note,
the review queue and verdict) and the candidate's side of the channel (inbox, chat, acknowledging a warning)."""

import re

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.core.api import json_body, route
from chalicelib.core.errors import NotFound
from chalicelib.core.http import ID_PATTERN, Fields, invalid_field
from chalicelib.core.principal import Principal
from chalicelib.exam import presence, rules, session_index
from chalicelib.exam.control import agency_session
from chalicelib.exam.progression import VERDICTS
from chalicelib.proctor import monitoring
from chalicelib.proctor.channel import CURSOR, overlap_start

bp = Blueprint(__name__)
PROCTOR = ("proctor", "admin")
CANDIDATE = ("candidate",)
MAX_TEXT = 2000
LIMIT = re.compile(r"^[0-9]{1,4}$")
PAGE = ("cursor", "limit")


def _session(proctor: Principal, session_id: str):
    """The agency's session, and one of the proctor's exams if the proctor is limited to some: 404 otherwise."""
    session = agency_session(proctor, session_id)
    if not proctor.may_see_exam(session.exam_id):
        raise NotFound("session.not_found", "No such session.")
    return session


def _reachable(proctor: Principal, session_id: str) -> None:
    """For actions that load the session themselves: only a limited proctor costs the extra read."""
    if proctor.exam_ids is not None:
        _session(proctor, session_id)


def _query(request) -> Fields:
    return Fields(dict(request.query_params or {}))


def _exam_filter(request) -> str | None:
    return _query(request).text("exam_id", required=False, pattern=ID_PATTERN)


def _page(request) -> monitoring.Page:
    """(cursor, limit) of a paged list: the cursor as the previous page's next_cursor gave it."""
    query = _query(request)
    cursor = query.text("cursor", required=False, max_len=session_index.MAX_CURSOR)
    raw_limit = query.text("limit", required=False, max_len=4, pattern=LIMIT)
    limit = int(raw_limit) if raw_limit else session_index.DEFAULT_LIMIT
    if not 1 <= limit <= session_index.MAX_LIMIT:
        raise invalid_field("limit", f"must be between 1 and {session_index.MAX_LIMIT}")
    return cursor, limit


def _since(request) -> str | None:
    """A channel cursor: the pattern, and a real time (month 85 matches the pattern but is no date)."""
    since = _query(request).text("since", required=False, pattern=CURSOR)
    if since is not None:
        try:
            overlap_start(since)
        except ValueError:
            raise invalid_field("since", "is not a cursor this channel handed out") from None
    return since


def _action(request, *, text_field: str = "text", text_required: bool = True) -> tuple[str, int]:
    """(text, expected_rev) of an action that must not cross another proctor's."""
    fields = Fields(json_body(request))
    text = fields.text(text_field, required=text_required, max_len=MAX_TEXT) or ""
    expected_rev = fields.integer("expected_rev", minimum=0, maximum=10**9)
    assert expected_rev is not None  # required
    return text, expected_rev


def _text(request) -> str:
    return str(Fields(json_body(request)).text("text", max_len=MAX_TEXT))


@route(bp, "/proctor/sessions", methods=["GET"], roles=PROCTOR, query=("exam_id", "status", *PAGE))
def list_sessions(request, proctor):
    status = _query(request).text("status", required=False, choices=monitoring.STATUSES)
    return monitoring.list_sessions(proctor, _exam_filter(request), status, _page(request))


@route(bp, "/proctor/exams", methods=["GET"], roles=PROCTOR)
def agency_exams(request, proctor):
    """The agency's exams (newest first), so a console can filter by exam before any session started."""
    exams = wiring.exam_catalog().list_exams(proctor)
    return {"exams": [exam for exam in exams if proctor.may_see_exam(exam["exam_id"])]}


@route(bp, "/proctor/live", methods=["GET"], roles=PROCTOR, query=("exam_id", *PAGE))
def live_grid(request, proctor):
    return monitoring.live(proctor, _exam_filter(request), wiring.presigner(), wiring.clock().now(), _page(request))


@route(bp, "/proctor/review", methods=["GET"], roles=PROCTOR, query=("exam_id", *PAGE))
def review_queue(request, proctor):
    return monitoring.review_queue(proctor, _exam_filter(request), wiring.clock().now(), _page(request))


@route(bp, "/proctor/sessions/{session_id}/timeline", methods=["GET"], roles=PROCTOR)
def session_timeline(request, proctor, session_id):
    session, now = _session(proctor, session_id), wiring.clock().now()
    # The console polls the timeline while the session is open: the candidate's heartbeat speeds up meanwhile
    # (one conditional write per ATTENTION_REFRESH at most, exam/presence.py); a review of a finished one writes none.
    if session.status == rules.IN_PROGRESS:
        presence.attend(session.session_id, now)
    return monitoring.timeline(session, wiring.presigner(), now)


@route(bp, "/proctor/sessions/{session_id}/messages", methods=["GET"], roles=PROCTOR, query=("since",))
def session_journal(request, proctor, session_id):
    _reachable(proctor, session_id)
    return wiring.channel().journal(proctor, session_id, _since(request))


@route(bp, "/proctor/sessions/{session_id}/warn", methods=["POST"], roles=PROCTOR)
def warn(request, proctor, session_id):
    _reachable(proctor, session_id)
    text, expected_rev = _action(request)
    return wiring.channel().warn(proctor, session_id, text, expected_rev), 201


@route(bp, "/proctor/sessions/{session_id}/pause", methods=["POST"], roles=PROCTOR)
def pause(request, proctor, session_id):
    _reachable(proctor, session_id)
    text, expected_rev = _action(request)
    return wiring.channel().pause(proctor, session_id, text, expected_rev), 201


@route(bp, "/proctor/sessions/{session_id}/resume", methods=["POST"], roles=PROCTOR)
def resume(request, proctor, session_id):
    _reachable(proctor, session_id)
    text, expected_rev = _action(request, text_required=False)
    return wiring.channel().resume(proctor, session_id, text, expected_rev), 201


@route(bp, "/proctor/sessions/{session_id}/terminate", methods=["POST"], roles=PROCTOR)
def terminate(request, proctor, session_id):
    _reachable(proctor, session_id)
    reason, expected_rev = _action(request, text_field="reason")
    return wiring.channel().terminate(proctor, session_id, reason, expected_rev), 201


@route(bp, "/proctor/sessions/{session_id}/chat", methods=["POST"], roles=PROCTOR)
def chat_to_candidate(request, proctor, session_id):
    _reachable(proctor, session_id)
    return wiring.channel().chat_to_candidate(proctor, session_id, _text(request)), 201


@route(bp, "/proctor/sessions/{session_id}/notes", methods=["POST"], roles=PROCTOR)
def note(request, proctor, session_id):
    _reachable(proctor, session_id)
    return wiring.channel().note(proctor, session_id, _text(request)), 201


@route(bp, "/proctor/sessions/{session_id}/verdict", methods=["POST"], roles=PROCTOR)
def record_verdict(request, proctor, session_id):
    _reachable(proctor, session_id)
    fields = Fields(json_body(request))
    decision = str(fields.text("verdict", choices=tuple(VERDICTS)))
    reason = fields.text("reason", required=decision == "annul", max_len=1000)
    return wiring.progression().record_verdict(proctor, session_id, decision, reason)


@route(bp, "/sessions/{session_id}/inbox", methods=["GET"], roles=CANDIDATE, query=("since",))
def candidate_inbox(request, candidate, session_id):
    return wiring.channel().inbox(candidate, session_id, _since(request))


@route(bp, "/sessions/{session_id}/chat", methods=["POST"], roles=CANDIDATE)
def chat_to_proctor(request, candidate, session_id):
    return wiring.channel().chat_to_proctor(candidate, session_id, _text(request)), 201


@route(bp, "/sessions/{session_id}/inbox/{message_id}/ack", methods=["POST"], roles=CANDIDATE)
def acknowledge_warning(request, candidate, session_id, message_id):
    if not CURSOR.match(message_id):
        raise NotFound("message.not_found", "No such warning.")
    return wiring.channel().acknowledge(candidate, session_id, message_id)
