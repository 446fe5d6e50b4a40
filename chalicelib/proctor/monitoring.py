"""What a proctor sees: the agency's sessions ordered by risk, and one session's timeline with evidence links."""

from __future__ import annotations

from typing import Any

from chalicelib.core.clock import iso
from chalicelib.core.errors import NotFound
from chalicelib.core.presigned import Presigner
from chalicelib.core.principal import Principal
from chalicelib.exam import rules
from chalicelib.exam.models import SessionRecord
from chalicelib.exam.sessions import load_session
from chalicelib.violations.models import ViolationRecord
from chalicelib.violations.recorder import violation_view

MAX_SESSIONS = 500
MAX_TIMELINE = 500


def session_summary(session: SessionRecord) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "exam_id": session.exam_id,
        "candidate_id": session.candidate_id,
        "status": session.status,
        "started_at": iso(session.started_at),
        "deadline_at": iso(session.deadline_at),
        "last_seen_at": iso(session.last_seen_at) if session.last_seen_at else None,
        "violation_counts": {k: int(v) for k, v in session.violation_counts.as_dict().items()},
        "risk_score": int(session.risk_score or 0),
        "score": session.score.as_dict() if session.score else None,
        "verdict": session.verdict,
    }


def list_sessions(proctor: Principal, exam_id: str | None, status: str | None) -> list[dict[str, Any]]:
    """Newest sessions of the proctor's agency (filtered), riskiest first."""
    sessions = []
    for session in SessionRecord.by_agency.query(proctor.agency_id, scan_index_forward=False, limit=MAX_SESSIONS):
        if (exam_id and session.exam_id != exam_id) or (status and session.status != status):
            continue
        sessions.append(session_summary(session))
    return sorted(sessions, key=lambda s: (-s["risk_score"], s["started_at"]))


def agency_session(proctor: Principal, session_id: str) -> SessionRecord:
    session = load_session(session_id)
    if session is None or session.agency_id != proctor.agency_id:
        raise NotFound("session.not_found", "No such session.")
    return session


def timeline(session: SessionRecord, presigner: Presigner) -> dict[str, Any]:
    """Violations newest first; evidence comes as short-lived links, never as public objects."""
    entries = []
    records = ViolationRecord.by_time.query(session.session_id, scan_index_forward=False, limit=MAX_TIMELINE)
    for record in records:
        entry = violation_view(record)
        entry["evidence_url"] = presigner.download_url(record.evidence_key) if record.evidence_key else None
        entries.append(entry)
    return {"session": session_summary(session), "violations": entries}


STATUSES = (*rules.OPEN_STATUSES, *rules.FINAL_STATUSES)
