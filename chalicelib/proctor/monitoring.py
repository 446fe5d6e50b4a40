"""What a proctor sees: the agency's sessions ordered by risk, and one session's timeline with evidence links."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.core.clock import iso
from chalicelib.core.presigned import Presigner
from chalicelib.core.principal import Principal
from chalicelib.exam import presence, rules, session_index
from chalicelib.exam.models import SessionRecord
from chalicelib.identity.logins import login_of
from chalicelib.proctor import credibility
from chalicelib.violations.media_stats import MEDIA_FIELDS, media_view
from chalicelib.violations.models import SignalStatesRecord, ViolationRecord
from chalicelib.violations.recorder import violation_view
from chalicelib.violations.silence import open_silences

MAX_SESSIONS = session_index.MAX_LIMIT  # the largest page
Page = tuple[str | None, int]  # (cursor, limit) as the route parsed them
FIRST_PAGE: Page = (None, session_index.DEFAULT_LIMIT)
MAX_TIMELINE = 500
FRAME_FIELDS = ["session_id", "last_frame_key", "last_frame_version", "last_frame_at"]
STATE_FIELDS = list(dict.fromkeys([*FRAME_FIELDS, "last_screen_key", "last_screen_version", *MEDIA_FIELDS]))


def media_states(sessions: list[SessionRecord]) -> dict[str, SignalStatesRecord]:
    """The sessions' media counters and newest frames, in one batch read (none before anything arrived)."""
    ids = [s.session_id for s in sessions]
    return {state.session_id: state for state in SignalStatesRecord.batch_get(ids, attributes_to_get=STATE_FIELDS)}


def weights(session: SessionRecord) -> dict[str, float]:
    return dict((session.analysis.as_dict() or {}).get("credibility_weights") or {})


def session_summary(
    session: SessionRecord,
    now: datetime | None = None,
    media: SignalStatesRecord | None = None,
    last_seen_at: datetime | None = None,
) -> dict[str, Any]:
    """One row of the proctor's lists; `media` is the session's signal-state item (media_states) and
    `last_seen_at` its last heartbeat (presence.last_seen), when read."""
    counts = {k: int(v) for k, v in session.violation_counts.as_dict().items()}
    now = now or datetime.now(UTC)
    return {
        "session_id": session.session_id,
        "exam_id": session.exam_id,
        "candidate_id": session.candidate_id,
        "login": login_of(session.candidate_id),
        "full_name": session.full_name,
        "status": session.status,
        "started_at": iso(session.started_at),
        "deadline_at": iso(session.deadline_at),
        "remaining_s": rules.remaining_s(session, now),
        "paused": session.paused_at is not None,
        "terminated": session.terminated_at is not None,
        "termination_reason": session.termination_reason,
        "control_rev": int(session.control_rev),
        "last_seen_at": iso(last_seen_at) if last_seen_at else None,
        "last_candidate_message_at": (
            iso(session.last_candidate_message_at) if session.last_candidate_message_at else None
        ),
        "violation_counts": counts,
        "risk_score": int(session.risk_score or 0),
        "credibility": credibility.score(counts, weights(session)),
        "submitted_at": iso(session.submitted_at) if session.submitted_at else None,
        "score": session.score.as_dict() if session.score else None,
        "verdict": session.verdict,
        "verdict_reason": session.verdict_reason,
        "media": {**media_view(media), "silent": open_silences(media)},
    }


def _sessions(
    proctor: Principal, exam_id: str | None, statuses: tuple[str, ...], page: Page = FIRST_PAGE
) -> tuple[list[SessionRecord], str | None]:
    """One page of the agency's matching sessions and the cursor of the next: a query per exam and status
    (chalicelib/exam/session_index.py), so no session is ever out of reach.

    A proctor limited to some exams sees only those: another exam as filter lists nothing (as another agency's
    exam does); without a filter, a single allowed exam becomes the filter, several filter the agency's page (a
    page may then hold fewer than `limit`, the cursor still reaches every session)."""
    limit = proctor.exam_ids
    if limit is None:
        return session_index.page(proctor.agency_id, exam_id, statuses, cursor=page[0], limit=page[1])
    if exam_id is not None and exam_id not in limit:
        return [], None
    if exam_id is None and len(limit) == 1:
        exam_id = limit[0]
    records, next_cursor = session_index.page(proctor.agency_id, exam_id, statuses, cursor=page[0], limit=page[1])
    return [r for r in records if r.exam_id in limit], next_cursor


def list_sessions(
    proctor: Principal, exam_id: str | None, status: str | None, page: Page = FIRST_PAGE
) -> dict[str, Any]:
    """One page of the agency's sessions (filtered), riskiest first within the page; next_cursor for the rest."""
    records, next_cursor = _sessions(proctor, exam_id, (status,) if status else (), page)
    states, seen = media_states(records), presence.last_seen(s.session_id for s in records)
    summaries = (session_summary(s, None, states.get(s.session_id), seen.get(s.session_id)) for s in records)
    sessions = sorted(summaries, key=lambda s: (-s["risk_score"], s["started_at"]))
    return {"sessions": sessions, "next_cursor": next_cursor}


def live(
    proctor: Principal, exam_id: str | None, presigner: Presigner, now: datetime, page: Page = FIRST_PAGE
) -> dict[str, Any]:
    """The live grid: sessions in progress, riskiest first, each with a link to its newest webcam frame."""
    sessions, next_cursor = _sessions(proctor, exam_id, (rules.IN_PROGRESS,), page)
    states, seen = media_states(sessions), presence.last_seen(s.session_id for s in sessions)
    tiles = []
    for session in sessions:
        state = states.get(session.session_id)
        tile = session_summary(session, now, state, seen.get(session.session_id))
        frame = state if state and state.last_frame_key else None
        tile["latest_frame_url"] = _link(presigner, frame.last_frame_key, frame.last_frame_version) if frame else None
        # Links are signed anew on every call: the console keeps its link while the frame's time is unchanged.
        tile["latest_frame_at"] = iso(frame.last_frame_at) if frame and frame.last_frame_at else None
        tiles.append(tile)
    tiles.sort(key=lambda t: (-t["risk_score"], t["credibility"], t["started_at"]))
    return {"sessions": tiles, "server_time": iso(now), "next_cursor": next_cursor}


def review_queue(proctor: Principal, exam_id: str | None, now: datetime, page: Page = FIRST_PAGE) -> dict[str, Any]:
    """Finished sessions waiting for a verdict, least credible first, each with why it scored so."""
    entries = []
    records, next_cursor = _sessions(proctor, exam_id, (rules.SUBMITTED, rules.AWAITING_REVIEW), page)
    states, seen = media_states(records), presence.last_seen(s.session_id for s in records)
    for session in records:
        entry = session_summary(session, now, states.get(session.session_id), seen.get(session.session_id))
        violations = ViolationRecord.query(session.session_id, limit=MAX_TIMELINE)
        entry["credibility_breakdown"] = credibility.breakdown(entry["violation_counts"], violations, weights(session))
        entries.append(entry)
    entries.sort(key=lambda e: (e["credibility"], e["submitted_at"] or ""))
    return {"sessions": entries, "server_time": iso(now), "next_cursor": next_cursor}


def evidence_kind(key: str) -> str | None:
    for kind in ("webcam", "screen", "audio"):
        if f"/{kind}/" in key:
            return kind
    return None


def timeline(session: SessionRecord, presigner: Presigner, now: datetime) -> dict[str, Any]:
    """Violations newest first; evidence comes as short-lived links, never as public objects."""
    entries = []
    records = ViolationRecord.by_time.query(session.session_id, scan_index_forward=False, limit=MAX_TIMELINE)
    violations = []
    for record in records:
        violations.append(record)
        entry = violation_view(record)
        # pinned to the analysed version: a later upload under the same key never changes what the proctor sees
        entry["evidence_url"] = _link(presigner, record.evidence_key, record.evidence_version)
        entry["evidence_kind"] = evidence_kind(record.evidence_key) if record.evidence_key else None
        entries.append(entry)
    state = media_states([session]).get(session.session_id)
    summary = session_summary(session, now, state, presence.last_seen([session.session_id]).get(session.session_id))
    return {
        "session": summary,
        "violations": entries,
        "credibility_breakdown": credibility.breakdown(summary["violation_counts"], violations, weights(session)),
        "latest_frame_url": _link(presigner, *((state.last_frame_key, state.last_frame_version) if state else ())),
        "latest_screen_url": (
            _link(presigner, state.last_screen_key, state.last_screen_version)
            if state and state.last_screen_key
            else _link(presigner, session.last_screen_key)  # written there before the screen moved to media stats
        ),
    }


def _link(presigner: Presigner, key: str | None = None, version_id: str | None = None) -> str | None:
    return presigner.download_url(key, version_id) if key else None


STATUSES = (*rules.OPEN_STATUSES, *rules.FINAL_STATUSES)
