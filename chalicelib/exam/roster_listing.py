"""The roster as an admin reads it: one page of admissions with each candidate's account, roster entry (language,
slot), consent and session status. Pages follow the admissions index (by candidate id); `next_cursor` is the last
candidate's login, so a cursor means nothing outside the admin's own agency and exam.

The session status is read only when asked (`?include=sessions`): a session item is ~3 KB (items, answers, scores),
so a 1,000-row page would read ~3 MB (~750 read units) just for one word per candidate."""

from __future__ import annotations

from typing import Any

from chalicelib.core.clock import iso
from chalicelib.core.errors import InvalidInput
from chalicelib.core.http import invalid_field
from chalicelib.exam.models import AdmissionRecord, ExamRecord, SessionRecord
from chalicelib.exam.roster_models import RosterEntryRecord
from chalicelib.identity.logins import CODE, account_id
from chalicelib.identity.models import UserRecord

DEFAULT_LIMIT, MAX_LIMIT = 500, 1000


def page_params(query: dict[str, str] | None) -> tuple[str | None, int, bool]:
    query = query or {}
    include = query.get("include")
    if include is not None and include != "sessions":
        raise invalid_field("include", "must be sessions")
    limit_text = query.get("limit")
    if limit_text is not None and (not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT):
        raise invalid_field("limit", f"must be a number from 1 to {MAX_LIMIT}")
    cursor = query.get("cursor")
    if cursor is not None and not CODE.match(cursor):
        raise InvalidInput("request.invalid_cursor", "The cursor is not one this list made; start again.")
    return cursor, int(limit_text) if limit_text else DEFAULT_LIMIT, include == "sessions"


def roster_page(exam: ExamRecord, cursor: str | None, limit: int, with_sessions: bool = False) -> dict[str, Any]:
    from chalicelib.exam.sessions import session_id_for

    start = None
    if cursor is not None:
        after = account_id(exam.agency_id, cursor)
        start = {"candidate_id": {"S": after}, "exam_id": {"S": exam.exam_id}}
    query = AdmissionRecord.by_exam.query(exam.exam_id, limit=limit, last_evaluated_key=start)
    admissions = list(query)
    last = query.last_evaluated_key
    ids = [a.candidate_id for a in admissions]
    users = {u.user_id: u for u in UserRecord.batch_get(ids)} if ids else {}
    entries = {e.candidate_id: e for e in RosterEntryRecord.batch_get([(c, exam.exam_id) for c in ids])}
    sessions = {}
    if with_sessions:
        keys = [session_id_for(exam.exam_id, c) for c in ids]
        read = SessionRecord.batch_get(keys, attributes_to_get=["session_id", "candidate_id", "status"])
        sessions = {s.candidate_id: s for s in read}
    candidates = []
    for admission in admissions:
        cid = admission.candidate_id
        user, entry = users.get(cid), entries.get(cid)
        login = user.login_name if user else cid.partition("~")[2]
        candidates.append(
            {
                "login": login,
                "user_id": login,  # the earlier field name, kept for its clients
                "candidate_id": cid,
                "full_name": user.full_name if user else None,
                "language": entry.language if entry else None,
                "slot_id": entry.slot_id if entry else None,
                "admission": "disabled" if user is not None and user.disabled else "admitted",
                "admitted_at": iso(admission.admitted_at),
                "consent_at": iso(admission.consent_at) if admission.consent_at else None,
            }
        )
        if with_sessions:
            session = sessions.get(cid)
            candidates[-1]["session_status"] = session.status if session else None
    next_cursor = None
    if last and len(admissions) == limit and candidates:
        next_cursor = candidates[-1]["login"]
    return {"candidates": candidates, "next_cursor": next_cursor}
