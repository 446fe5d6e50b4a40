"""A proctor's hold on a running session: pause, resume and terminate, each applied whole or not at all.

Every change is conditioned on the session's `control_rev`, the revision the proctor's console last saw: of two
proctors acting at once, one wins and the other gets a Conflict and reloads. Pausing freezes the server's timer
(`remaining` is measured against `paused_at`); resuming moves the deadline by the paused time, so the candidate
loses nothing. The lifecycle's deadline wait notices the moved deadline when it fires (progression.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.principal import Principal
from chalicelib.exam import rules
from chalicelib.exam.lifecycle import SessionLifecycle
from chalicelib.exam.models import SessionRecord
from chalicelib.exam.sessions import SESSION_ID, finalize, load_session

logger = logging.getLogger(__name__)
TRANSACTION_ATTEMPTS = 3
# What an action needs of the session: in progress and not paused, in progress and paused, or just in progress.
RUNNING, PAUSED, IN_PROGRESS = "running", "paused", "in_progress"


def agency_session(proctor: Principal, session_id: str) -> SessionRecord:
    """A session of the proctor's own agency; 404 for any other, so foreign ids reveal nothing."""
    session = load_session(session_id) if SESSION_ID.match(session_id) else None
    if session is None or session.agency_id != proctor.agency_id:
        raise NotFound("session.not_found", "No such session.")
    return session


def wrong_state(session: SessionRecord, needs: str, now: datetime) -> Conflict | None:
    """Why the session's state does not allow an action that needs `needs`; None when it does."""
    if session.status != rules.IN_PROGRESS or session.terminated_at is not None:
        return Conflict("session.not_in_progress", "The session is no longer in progress.")
    if needs == RUNNING and session.paused_at is None and session.deadline_at <= now:
        return Conflict("session.deadline_passed", "The session's time is up.")
    if needs == RUNNING and session.paused_at is not None:
        return Conflict("session.paused", "The session is paused.")
    if needs == PAUSED and session.paused_at is None:
        return Conflict("session.not_paused", "The session is not paused.")
    return None


def _changed() -> Conflict:
    return Conflict("session.changed", "Someone else acted on this session just now; look again and retry.")


class SessionControl:
    def __init__(self, clock: Clock, lifecycle: SessionLifecycle, connection: Connection) -> None:
        self._clock = clock
        self._lifecycle = lifecycle
        self._connection = connection

    def _apply(
        self, session: SessionRecord, expected_rev: int, actions: list, needs: str, record: Sequence[Model]
    ) -> int:
        """One transaction: the session changes (if still at the expected revision and in the state the action
        needs: RUNNING, PAUSED or IN_PROGRESS) together with the records that say who did it and why; returns the
        new revision, or raises a Conflict that says which of the two did not hold."""
        condition = (SessionRecord.status == rules.IN_PROGRESS) & SessionRecord.terminated_at.does_not_exist()
        if needs == RUNNING:
            condition &= SessionRecord.paused_at.does_not_exist() & (SessionRecord.deadline_at > self._clock.now())
        elif needs == PAUSED:
            condition &= SessionRecord.paused_at == session.paused_at
        for _ in range(TRANSACTION_ATTEMPTS):
            try:
                with TransactWrite(connection=self._connection) as transaction:
                    transaction.update(
                        SessionRecord(session.session_id),
                        actions=[*actions, SessionRecord.control_rev.set(expected_rev + 1)],
                        condition=(SessionRecord.control_rev == expected_rev) & condition,
                    )
                    for item in record:
                        transaction.save(item)
                return expected_rev + 1
            except TransactWriteError as exc:
                codes = {reason.code for reason in exc.cancellation_reasons or [] if reason is not None}
                if "ConditionalCheckFailed" in codes:
                    break
                if "TransactionConflict" not in codes:
                    raise
                # Another write to the session was in flight (a heartbeat, another proctor): try again after it.
        else:
            raise _changed()
        session.refresh()
        if int(session.control_rev) == expected_rev:
            wrong = wrong_state(session, needs, self._clock.now())
            if wrong is not None:
                raise wrong
        raise _changed()

    def warn(self, session: SessionRecord, expected_rev: int, record: Sequence[Model]) -> int:
        """A warning changes no state, but is ordered with the other proctors' actions like one that does."""
        return self._apply(session, expected_rev, [], IN_PROGRESS, record)

    def pause(self, session: SessionRecord, expected_rev: int, record: Sequence[Model]) -> int:
        return self._apply(session, expected_rev, [SessionRecord.paused_at.set(self._clock.now())], RUNNING, record)

    def resume(self, session: SessionRecord, expected_rev: int, record: Sequence[Model]) -> int:
        """The deadline moves by the time the pause lasted, and the lifecycle's wait is re-timed to it."""
        wrong = wrong_state(session, PAUSED, self._clock.now())
        if wrong is not None:
            raise wrong
        now = self._clock.now()
        paused_s = max(0.0, (now - session.paused_at).total_seconds())
        moved_deadline = session.deadline_at + (now - session.paused_at)
        actions = [
            SessionRecord.paused_at.remove(),
            SessionRecord.deadline_at.set(moved_deadline),
            SessionRecord.paused_total_s.add(round(paused_s)),
        ]
        revision = self._apply(session, expected_rev, actions, PAUSED, record)
        if session.submit_token:  # a stale token (the wait already timed out and is re-checking) is harmless
            left = max(1, int((moved_deadline - now).total_seconds()) + 1)
            self._wake(session.submit_token, {"resume_in_s": left})
        return revision

    def _wake(self, token: str, output: dict) -> None:
        """Tell the lifecycle after the change committed; if that fails, its own deadline check catches up."""
        try:
            self._lifecycle.complete_task(token, output)
        except (ClientError, BotoCoreError):
            logger.exception("could not resume the lifecycle wait; its deadline check will catch up")

    def terminate(
        self, session: SessionRecord, proctor: Principal, expected_rev: int, reason: str, record: Sequence[Model]
    ) -> SessionRecord:
        """End the sitting now: the answers so far are scored and the session goes to review with the reason.

        A session terminated while paused ends its pause as a resume would (the paused time joins `paused_total_s`
        and the deadline moves by it), so metering does not bill the pause as proctored time. The record read at
        `expected_rev` is the one the condition holds, so its `paused_at` is the pause being ended.
        """
        now = self._clock.now()
        actions = [
            SessionRecord.terminated_at.set(now),
            SessionRecord.terminated_by.set(proctor.user_id),
            SessionRecord.termination_reason.set(reason),
            SessionRecord.paused_at.remove(),
        ]
        if session.paused_at is not None:
            held = max(timedelta(0), now - session.paused_at)
            actions += [
                SessionRecord.paused_total_s.add(round(held.total_seconds())),
                SessionRecord.deadline_at.set(session.deadline_at + held),
            ]
        self._apply(session, expected_rev, actions, IN_PROGRESS, record)
        ended = finalize(session.session_id, auto=False, clock=self._clock)
        assert ended is not None
        if ended.submit_token and ended.status == rules.SUBMITTED:
            self._wake(ended.submit_token, {"submitted_by": "proctor"})
        return ended
