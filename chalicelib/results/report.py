"""An exam's results, one row per admitted candidate: the sitting's status, score, verdict, violations by severity,
credibility and review status. Read from what the sessions already hold; nothing is computed twice or stored.

Rows follow the roster (admissions by exam, ordered by candidate id), so a candidate who never started has a row
too (status `not_started`). A page is a query of the admissions index plus one batch read of the page's sessions and
one of its accounts (full names). The cursor is opaque to clients: base64url of JSON naming the agency, the exam and
the last candidate id of the page; it is checked before use (400 `request.invalid_cursor`), and it never names a
partition another tenant could open.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from typing import Any

from chalicelib.core.clock import iso
from chalicelib.core.errors import InvalidInput
from chalicelib.exam import rules
from chalicelib.exam.models import AdmissionRecord, ExamRecord, SessionRecord
from chalicelib.exam.sessions import session_id_for
from chalicelib.identity.logins import login_of
from chalicelib.identity.models import UserRecord
from chalicelib.proctor import credibility
from chalicelib.proctor.monitoring import weights
from chalicelib.violations.catalog import ANALYZER_TYPES, BROWSER_TYPES, SERVER_TYPES

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR = 1024
NOT_STARTED = "not_started"
SEVERITIES = ("low", "medium", "high")
SEVERITY_OF = {**ANALYZER_TYPES, **BROWSER_TYPES, **SERVER_TYPES}
_CANDIDATE_ID = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,127}~[a-z0-9][a-z0-9._@-]{0,127}$")
# The row's fields in order, as the JSON list, the CSV and the XLSX give them (export.py names the columns).
COLUMNS = (
    "login",
    "full_name",
    "status",
    "score",
    "max_score",
    "percent",
    "verdict",
    "violations_low",
    "violations_medium",
    "violations_high",
    "credibility",
    "review_status",
    "terminated",
    "started_at",
    "submitted_at",
)


def _invalid() -> InvalidInput:
    return InvalidInput("request.invalid_cursor", "The cursor is not valid for this list; start again without it.")


def encode_cursor(agency_id: str, exam_id: str, candidate_id: str) -> str:
    text = json.dumps({"a": agency_id, "e": exam_id, "c": candidate_id}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, agency_id: str, exam_id: str) -> str:
    """The last candidate id of the previous page, from a cursor made for this agency and exam."""
    if len(cursor) > MAX_CURSOR:
        raise _invalid()
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid() from None
    if not isinstance(payload, dict) or set(payload) != {"a", "e", "c"}:
        raise _invalid()
    if payload["a"] != agency_id or payload["e"] != exam_id:
        raise _invalid()
    candidate_id = payload["c"]
    if not isinstance(candidate_id, str) or not _CANDIDATE_ID.match(candidate_id):
        raise _invalid()
    return candidate_id


def review_status(session: SessionRecord | None) -> str:
    """not_applicable (nothing to review yet), pending (finished, no verdict), reviewed (a proctor's verdict) or
    auto_accepted (the review window expired: progression.py accepts it as "system")."""
    if session is None or session.status == rules.IN_PROGRESS:
        return "not_applicable"
    if session.status in (rules.SUBMITTED, rules.AWAITING_REVIEW):
        return "pending"
    return "auto_accepted" if session.reviewed_by == "system" else "reviewed"


def result_row(candidate_id: str, full_name: str | None, session: SessionRecord | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "login": login_of(candidate_id),
        "candidate_id": candidate_id,
        "full_name": full_name,
        "status": session.status if session else NOT_STARTED,
        "session_id": session.session_id if session else None,
        "score": None,
        "max_score": None,
        "percent": None,
        "verdict": None,
        "verdict_reason": None,
        "violations": {severity: 0 for severity in SEVERITIES},
        "violation_counts": {},
        "credibility": None,
        "review_status": review_status(session),
        "reviewed_by": None,
        "reviewed_at": None,
        "terminated": False,
        "termination_reason": None,
        "started_at": None,
        "submitted_at": None,
    }
    if session is None:
        return row
    counts = {k: int(v) for k, v in session.violation_counts.as_dict().items() if int(v) > 0}
    for violation, n in counts.items():
        row["violations"][SEVERITY_OF.get(violation, "medium")] += n
    score = session.score.as_dict() if session.score else None
    if score and session.status != rules.ANNULLED:  # an annulled sitting has no score, as the candidate sees it
        row.update(score=int(score["correct"]), max_score=int(score["total"]), percent=float(score["percent"]))
    row.update(
        verdict=session.verdict,
        verdict_reason=session.verdict_reason or None,
        violation_counts=counts,
        credibility=credibility.score(counts, weights(session)),
        reviewed_by=login_of(session.reviewed_by) if session.reviewed_by and "~" in session.reviewed_by else None,
        reviewed_at=iso(session.reviewed_at) if session.reviewed_at else None,
        terminated=session.terminated_at is not None,
        termination_reason=session.termination_reason,
        started_at=iso(session.started_at),
        submitted_at=iso(session.submitted_at) if session.submitted_at else None,
    )
    if session.reviewed_by == "system":
        row["reviewed_by"] = "system"
    return row


def _rows(exam: ExamRecord, candidate_ids: list[str]) -> list[dict[str, Any]]:
    sessions = {
        s.candidate_id: s for s in SessionRecord.batch_get([session_id_for(exam.exam_id, c) for c in candidate_ids])
    }
    names = {
        u.user_id: u.full_name for u in UserRecord.batch_get(candidate_ids, attributes_to_get=["user_id", "full_name"])
    }
    rows = []
    for candidate_id in candidate_ids:
        session = sessions.get(candidate_id)
        name = names.get(candidate_id) or (session.full_name if session else None)
        rows.append(result_row(candidate_id, name, session))
    return rows


def page(exam: ExamRecord, cursor: str | None, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """One page of the exam's results in candidate id order, and the cursor of the next (None at the end)."""
    after = decode_cursor(cursor, exam.agency_id, exam.exam_id) if cursor else None
    start = {"exam_id": {"S": exam.exam_id}, "candidate_id": {"S": after}} if after else None
    admissions = AdmissionRecord.by_exam.query(
        exam.exam_id, limit=limit + 1, page_size=limit + 1, last_evaluated_key=start
    )
    candidate_ids = [a.candidate_id for a in admissions]
    more = len(candidate_ids) > limit
    candidate_ids = candidate_ids[:limit]
    next_cursor = encode_cursor(exam.agency_id, exam.exam_id, candidate_ids[-1]) if more else None
    return {"exam_id": exam.exam_id, "results": _rows(exam, candidate_ids), "next_cursor": next_cursor}


def every_row(exam: ExamRecord, batch: int = 100) -> Iterator[dict[str, Any]]:
    """Every candidate's row, in candidate id order (for the exports)."""
    cursor = None
    while True:
        current = page(exam, cursor, batch)
        yield from current["results"]
        cursor = current["next_cursor"]
        if cursor is None:
            return
