"""What happens when the state machine moves a session on, when a proctor gives a verdict, and reconciliation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.core.clock import Clock, iso
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.http import invalid_field
from chalicelib.core.principal import Principal
from chalicelib.exam import rules, session_index
from chalicelib.exam.lifecycle import PHASE_AWAITING_REVIEW, PHASE_IN_PROGRESS, SessionLifecycle
from chalicelib.exam.models import SessionRecord
from chalicelib.exam.sessions import finalize, load_session

logger = logging.getLogger(__name__)
VERDICTS = {"accept": rules.ACCEPTED, "annul": rules.ANNULLED}
# While a proctor holds a session past its deadline, the lifecycle looks again this often; a pause nobody ends is
# over after MAX_PAUSE (the answers so far are submitted), so no execution waits forever.
PAUSE_RECHECK_S = 30
MAX_PAUSE = timedelta(minutes=30)
# Told about every session that has ended (submitted by the candidate, the deadline or a proctor), each time the
# review step's message arrives: it may arrive more than once, so the hook must be idempotent (billing's metering).
EndedHook = Callable[[SessionRecord], object]


def _conditional(session: SessionRecord, actions: list, condition: Any) -> bool:
    try:
        session.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
        return False
    return True


class SessionProgression:
    def __init__(self, clock: Clock, lifecycle: SessionLifecycle, on_ended: EndedHook | None = None) -> None:
        self._clock = clock
        self._lifecycle = lifecycle
        self._on_ended = on_ended

    def handle(self, message: dict[str, Any]) -> None:
        """Apply one lifecycle message from the state machine (idempotent: redelivery is harmless)."""
        kind, session_id, token = message.get("kind"), message.get("session_id"), message.get("task_token")
        if not isinstance(session_id, str) or load_session(session_id) is None:
            logger.warning("lifecycle message for unknown session: %s", message)
            return
        if kind == "exam_started":
            self.exam_started(session_id, token)
        elif kind == "deadline_passed":
            self.deadline_passed(session_id, token)
        elif kind == "review_requested":
            self.review_requested(session_id, token)
        elif kind == "review_expired":
            self.review_expired(session_id)
        else:
            logger.warning("unknown lifecycle message kind: %s", kind)

    def exam_started(self, session_id: str, token: str) -> None:
        session = SessionRecord(session_id)
        stored = _conditional(
            session, [SessionRecord.submit_token.set(token)], SessionRecord.status == rules.IN_PROGRESS
        )
        if not stored:  # the candidate submitted before we learned the token: let the machine move on now
            self._lifecycle.complete_task(token, {"submitted_by": "candidate"})

    def deadline_passed(self, session_id: str, token: str) -> None:
        """The in-progress wait timed out. A pause may have moved the deadline (or be holding it): then the
        machine goes back to waiting for the time that is left; otherwise (or once a pause has lasted MAX_PAUSE)
        the answers are submitted now."""
        session = load_session(session_id)
        assert session is not None
        if session.status == rules.IN_PROGRESS:
            now = self._clock.now()
            if session.paused_at is not None and now - session.paused_at < MAX_PAUSE:
                self._lifecycle.complete_task(token, {"resume_in_s": PAUSE_RECHECK_S})
                return
            left = rules.remaining_s(session, now)
            if left > 0:
                self._lifecycle.complete_task(token, {"resume_in_s": left + 1})
                return
        finalize(session_id, auto=True, clock=self._clock)
        self._lifecycle.complete_task(token, {"submitted_by": "deadline"})

    def review_requested(self, session_id: str, token: str) -> None:
        session = finalize(session_id, auto=True, clock=self._clock)  # no-op unless still in progress
        assert session is not None
        _conditional(
            session,
            [*session_index.status_actions(session, rules.AWAITING_REVIEW), SessionRecord.review_token.set(token)],
            SessionRecord.status.is_in(rules.SUBMITTED, rules.AWAITING_REVIEW),
        )
        if self._on_ended is not None:  # after the review wait is armed: a failing hook retries the message
            self._on_ended(session)

    def review_expired(self, session_id: str) -> None:
        """Nobody reviewed in time: the result stands (accepted by the system, marked as such)."""
        session = load_session(session_id)
        if session is None:
            return
        _conditional(
            session,
            [
                *session_index.status_actions(session, rules.ACCEPTED),
                SessionRecord.verdict.set(rules.ACCEPTED),
                SessionRecord.verdict_reason.set("review window expired"),
                SessionRecord.reviewed_by.set("system"),
                SessionRecord.reviewed_at.set(self._clock.now()),
            ],
            SessionRecord.status == rules.AWAITING_REVIEW,
        )

    def record_verdict(self, proctor: Principal, session_id: str, decision: str, reason: str | None) -> dict[str, Any]:
        """The review's outcome (decision: accept | annul); ends the lifecycle's review wait."""
        verdict = VERDICTS[decision]
        if verdict == rules.ANNULLED and not reason:
            raise invalid_field("reason", "is required")
        session = load_session(session_id)
        if session is None or session.agency_id != proctor.agency_id:
            raise NotFound("session.not_found", "No such session.")
        now = self._clock.now()
        recorded = _conditional(
            session,
            [
                *session_index.status_actions(session, verdict),
                SessionRecord.verdict.set(verdict),
                SessionRecord.verdict_reason.set(reason or ""),
                SessionRecord.reviewed_by.set(proctor.user_id),
                SessionRecord.reviewed_at.set(now),
            ],
            SessionRecord.status == rules.AWAITING_REVIEW,
        )
        if not recorded:
            raise Conflict("session.not_awaiting_review", "Only a submitted session awaiting review takes a verdict.")
        if session.review_token and not self._lifecycle.complete_task(session.review_token, {"verdict": verdict}):
            logger.warning("review wait of %s had already ended", session_id)
        return {"session_id": session_id, "status": verdict, "verdict_reason": reason, "reviewed_at": iso(now)}

    def reconcile(self) -> dict[str, int]:
        """Restart the lifecycle of every open session whose execution is gone; DynamoDB is the truth."""
        counts = {"checked": 0, "restarted": 0}
        now = self._clock.now()
        for session in SessionRecord.scan(SessionRecord.status.is_in(*rules.OPEN_STATUSES)):
            counts["checked"] += 1
            if session.execution_arn and self._lifecycle.is_running(session.execution_arn):
                continue
            held = session.status == rules.IN_PROGRESS and session.paused_at is not None
            remaining = PAUSE_RECHECK_S if held else int((session.deadline_at - now).total_seconds())
            writing = session.status == rules.IN_PROGRESS and remaining > 0
            phase = PHASE_IN_PROGRESS if writing else PHASE_AWAITING_REVIEW
            arn = self._lifecycle.start(session.session_id, phase, remaining, attempt=int(now.timestamp()))
            session.update(
                actions=[
                    SessionRecord.execution_arn.set(arn),
                    SessionRecord.submit_token.remove(),
                    SessionRecord.review_token.remove(),
                ]
            )
            counts["restarted"] += 1
        return counts
