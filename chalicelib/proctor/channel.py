"""Proctor and candidate talk through one channel per session: warnings, chat, pause notices, termination.

Both sides read it the same way, by polling with a cursor (the last message id they saw), so a console or a
candidate page that was offline catches up with one call. Every proctor action writes its message in the same
transaction as its state change (exam/control.py), so the channel doubles as the audit trail: who, when, why.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.core.clock import Clock, iso
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.principal import Principal
from chalicelib.exam import presence, rules
from chalicelib.exam.control import SessionControl, agency_session
from chalicelib.exam.models import SessionRecord
from chalicelib.exam.sessions import own_session
from chalicelib.identity.logins import login_of
from chalicelib.proctor.models import SessionMessageRecord

CURSOR = re.compile(r"^[0-9]{8}T[0-9]{12}Z-[0-9a-f]{8}$")
PAGE = 200
OVERLAP = timedelta(seconds=10)  # longer than any write's retries take


def message_id(at: datetime) -> str:
    return f"{at:%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:8]}"


def overlap_start(cursor: str) -> str:
    at = datetime.strptime(cursor[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC) - OVERLAP
    return f"{at:%Y%m%dT%H%M%S%f}Z"


def message_view(record: SessionMessageRecord) -> dict[str, Any]:
    return {
        "message_id": record.message_id,
        "kind": record.kind,
        "author_role": record.author_role,
        "author_id": record.author_id,
        "author_login": login_of(record.author_id) if record.author_id else None,
        "text": record.text,
        "created_at": iso(record.created_at),
        "for_candidate": bool(record.for_candidate),
        "acknowledged_at": iso(record.acknowledged_at) if record.acknowledged_at else None,
    }


def control_view(session: SessionRecord, now: datetime) -> dict[str, Any]:
    """The session's state as both sides need it to draw banners, overlays and the timer."""
    return {
        "session_id": session.session_id,
        "status": session.status,
        "paused": session.paused_at is not None,
        "paused_at": iso(session.paused_at) if session.paused_at else None,
        "terminated": session.terminated_at is not None,
        "termination_reason": session.termination_reason,
        "remaining_s": rules.remaining_s(session, now),
        "deadline_at": iso(session.deadline_at),
        "server_time": iso(now),
        "control_rev": int(session.control_rev),
        "violation_counts": session.violation_counts.as_dict(),
    }


class ProctorChannel:
    def __init__(self, clock: Clock, control: SessionControl) -> None:
        self._clock = clock
        self._control = control

    def _message(
        self, session: SessionRecord, author: Principal, kind: str, text: str, *, for_candidate: bool = True
    ) -> SessionMessageRecord:
        now = self._clock.now()
        return SessionMessageRecord(
            session_id=session.session_id,
            message_id=message_id(now),
            agency_id=session.agency_id,
            kind=kind,
            author_role=author.role,
            author_id=author.user_id,
            text=text,
            created_at=now,
            for_candidate=for_candidate,
        )

    def _answer(self, session_id: str, message: SessionMessageRecord, control_rev: int | None) -> dict[str, Any]:
        if message.for_candidate and message.author_role != "candidate":
            # Written: raise the inbox mark, so the candidate's next heartbeat says there is something new; the same
            # write marks the proctor's attention (the candidate then beats every BEAT_WATCHED_S for a while).
            presence.note_message(session_id, message.message_id, self._clock.now())
        elif message.author_role != "candidate":
            presence.attend(session_id, self._clock.now())  # a private note: the proctor is on this session
        body: dict[str, Any] = {"message": message_view(message)}
        if control_rev is not None:
            body["control_rev"] = control_rev
        return body

    # A proctor's actions. Those that a second proctor could contradict carry the revision the console saw.

    def warn(self, proctor: Principal, session_id: str, text: str, expected_rev: int) -> dict[str, Any]:
        session = agency_session(proctor, session_id)
        message = self._message(session, proctor, "warning", text)
        return self._answer(session_id, message, self._control.warn(session, expected_rev, [message]))

    def pause(self, proctor: Principal, session_id: str, text: str, expected_rev: int) -> dict[str, Any]:
        session = agency_session(proctor, session_id)
        message = self._message(session, proctor, "pause", text)
        return self._answer(session_id, message, self._control.pause(session, expected_rev, [message]))

    def resume(self, proctor: Principal, session_id: str, text: str, expected_rev: int) -> dict[str, Any]:
        session = agency_session(proctor, session_id)
        message = self._message(session, proctor, "resume", text)
        return self._answer(session_id, message, self._control.resume(session, expected_rev, [message]))

    def terminate(self, proctor: Principal, session_id: str, reason: str, expected_rev: int) -> dict[str, Any]:
        session = agency_session(proctor, session_id)
        message = self._message(session, proctor, "terminate", reason)
        ended = self._control.terminate(session, proctor, expected_rev, reason, [message])
        return {**self._answer(session_id, message, int(ended.control_rev)), "status": ended.status}

    def chat_to_candidate(self, proctor: Principal, session_id: str, text: str) -> dict[str, Any]:
        session = agency_session(proctor, session_id)
        if session.status in rules.FINAL_STATUSES:
            raise Conflict("session.closed", "The session has been reviewed; its channel is closed.")
        message = self._message(session, proctor, "chat", text)
        message.save()
        return self._answer(session_id, message, None)

    def note(self, proctor: Principal, session_id: str, text: str) -> dict[str, Any]:
        """A note for the other proctors and the review; the candidate never sees it."""
        session = agency_session(proctor, session_id)
        message = self._message(session, proctor, "note", text, for_candidate=False)
        message.save()
        return self._answer(session_id, message, None)

    def journal(self, proctor: Principal, session_id: str, since: str | None) -> dict[str, Any]:
        session = agency_session(proctor, session_id)
        messages = self._after(session_id, since, candidate_view=False)
        return {
            "messages": [message_view(m) for m in messages],
            "cursor": max([m.message_id for m in messages] + ([since] if since else []), default=None),
            "session": control_view(session, self._clock.now()),
        }

    # The candidate's side.

    def chat_to_proctor(self, candidate: Principal, session_id: str, text: str) -> dict[str, Any]:
        session = own_session(candidate, session_id)
        if session.status != rules.IN_PROGRESS:
            raise Conflict("session.not_in_progress", "The exam has ended; write to support instead.")
        message = self._message(session, candidate, "chat", text)
        message.save()
        session.update(actions=[SessionRecord.last_candidate_message_at.set(message.created_at)])
        return self._answer(session_id, message, None)

    def inbox(self, candidate: Principal, session_id: str, since: str | None) -> dict[str, Any]:
        session = own_session(candidate, session_id)
        messages = self._after(session_id, since, candidate_view=True)
        return {
            "messages": [message_view(m) for m in messages],
            "cursor": max([m.message_id for m in messages] + ([since] if since else []), default=None),
            "session": control_view(session, self._clock.now()),
        }

    def acknowledge(self, candidate: Principal, session_id: str, acknowledged_id: str) -> dict[str, Any]:
        """The candidate confirms having read a warning (once; repeating it changes nothing)."""
        own_session(candidate, session_id)
        record = SessionMessageRecord(session_id, acknowledged_id)
        try:
            record.update(
                actions=[SessionMessageRecord.acknowledged_at.set(self._clock.now())],
                condition=(SessionMessageRecord.kind == "warning")
                & SessionMessageRecord.acknowledged_at.does_not_exist(),
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
            record = self._find(session_id, acknowledged_id)
            if record is None or record.kind != "warning":
                raise NotFound("message.not_found", "No such warning.") from None
        return {"message": message_view(record)}

    def _find(self, session_id: str, wanted: str) -> SessionMessageRecord | None:
        found = list(SessionMessageRecord.query(session_id, SessionMessageRecord.message_id == wanted))
        return found[0] if found else None

    def _after(self, session_id: str, since: str | None, *, candidate_view: bool) -> list[SessionMessageRecord]:
        """Messages after the cursor, and again those of the OVERLAP before it: an id is stamped before its write
        commits (a transaction may retry), so a message can become visible after a later one was already read.
        Clients keep messages by id, so a repeat is harmless; a gap would not be."""
        condition = SessionMessageRecord.message_id > overlap_start(since) if since else None
        filtered = SessionMessageRecord.for_candidate == True if candidate_view else None  # noqa: E712 - a DynamoDB filter
        return list(SessionMessageRecord.query(session_id, condition, filter_condition=filtered, limit=PAGE))
