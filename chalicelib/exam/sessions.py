"""Candidate-facing session rules: consent, start/resume, autosaved answers, heartbeat, submit and scoring."""

from __future__ import annotations

import logging
import random
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.core.clock import Clock, iso
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import Conflict, NotFound, NotPermitted, Unavailable, Unprocessable
from chalicelib.core.principal import Principal
from chalicelib.exam import presence, rules, session_index, slots
from chalicelib.exam.lifecycle import PHASE_IN_PROGRESS, SessionLifecycle
from chalicelib.exam.models import AdmissionRecord, ExamRecord, QuestionRecord, SessionRecord
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.identity.models import EnrollmentRecord, UserRecord

logger = logging.getLogger(__name__)
# Told when a second tab or device tries to take a live session (the violations context records it).
SecondClientHook = Callable[[SessionRecord, str, datetime], None]
HeartbeatHook = Callable[[SessionRecord, datetime], None]  # e.g. the violations context's check for silent media
_SESSION_NAMESPACE = uuid.UUID("6f1c4c39-9f0e-4d5e-9d53-0c1f3f0b7a11")
CONSENT_VERSION = "2026-11"
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")  # uuid5 hex: anything else names no session (and is never looked up)


def session_id_for(exam_id: str, candidate_id: str) -> str:
    """One session per candidate and exam: the id is derived, so a second start finds the first."""
    return uuid.uuid5(_SESSION_NAMESPACE, f"{exam_id}/{candidate_id}").hex


def load_session(session_id: str) -> SessionRecord | None:
    try:
        return SessionRecord.get(session_id)
    except DoesNotExist:
        return None


def own_session(candidate: Principal, session_id: str) -> SessionRecord:
    """The caller's own session; 404 for anyone else's, so ids of other candidates reveal nothing."""
    session = load_session(session_id) if SESSION_ID.match(session_id) else None
    if session is None or session.candidate_id != candidate.user_id or session.agency_id != candidate.agency_id:
        raise NotFound("session.not_found", "No such session.")
    return session


def drawn_questions(session: SessionRecord) -> dict[str, QuestionRecord]:
    """The session's items as it drew them: from its bank version, which later imports never change."""
    version = session.bank_version
    keys = [
        (session.exam_id, QuestionRecord.key(version, item["item_id"]) if version else item["item_id"])
        for item in session.items
    ]
    questions = {q.item_id: q for q in QuestionRecord.batch_get(keys)}
    missing = [item["item_id"] for item in session.items if item["item_id"] not in questions]
    if missing:
        logger.error("session %s lost items %s of bank version %s", session.session_id, missing, version)
        raise Unavailable(
            "session.content_unavailable", "The exam's questions cannot be loaded; contact the organiser."
        )
    return questions


def answer_key(session: SessionRecord) -> dict[str, str]:
    return {item_id: q.correct_option for item_id, q in drawn_questions(session).items()}


def finalize(session_id: str, *, auto: bool, clock: Clock) -> SessionRecord | None:
    """Submit and score an in-progress session exactly once; returns the session as it now stands."""
    for _ in range(5):
        session = load_session(session_id)
        if session is None or session.status != rules.IN_PROGRESS:
            return session
        result = rules.score(session.items, session.answers.as_dict(), answer_key(session))
        try:
            # Conditioned on the answers we scored: an answer saved meanwhile makes us score again.
            session.update(
                actions=[
                    *session_index.status_actions(session, rules.SUBMITTED),
                    SessionRecord.submitted_at.set(clock.now()),
                    SessionRecord.score.set(result),
                    SessionRecord.auto_submitted.set(auto),
                    SessionRecord.paused_at.remove(),  # a finished session is no longer held
                ],
                condition=(SessionRecord.status == rules.IN_PROGRESS)
                & (SessionRecord.answers_rev == session.answers_rev),
            )
            return session
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
    raise Conflict("session.busy", "The session changed while submitting; try again.")


class ExamSessions:
    def __init__(
        self,
        clock: Clock,
        lifecycle: SessionLifecycle,
        rng_factory: Callable[[], random.Random] = random.SystemRandom,
        on_second_client: SecondClientHook | None = None,
        on_heartbeat: HeartbeatHook | None = None,
    ) -> None:
        self._clock = clock
        self._lifecycle = lifecycle
        self._on_second_client = on_second_client
        self._on_heartbeat = on_heartbeat
        self._rng_factory = rng_factory

    def admitted_exams(self, candidate: Principal) -> list[dict[str, Any]]:
        admissions = list(AdmissionRecord.query(candidate.user_id))
        exams = {e.exam_id: e for e in ExamRecord.batch_get([a.exam_id for a in admissions])}
        sessions = {
            s.exam_id: s
            for s in SessionRecord.batch_get([session_id_for(a.exam_id, candidate.user_id) for a in admissions])
        }
        out = []
        for admission in admissions:
            exam = exams.get(admission.exam_id)
            if exam is None:
                continue
            session = sessions.get(exam.exam_id)
            out.append(
                {
                    "exam_id": exam.exam_id,
                    "title": exam.title.as_dict(),
                    "languages": list(exam.languages),
                    "duration_s": int(exam.duration_s),
                    "opens_at": iso(exam.opens_at),
                    "closes_at": iso(exam.closes_at),
                    "consent_recorded": admission.consent_at is not None,
                    "require_identity": bool(exam.require_identity),
                    "blocks": list(exam.blocks),
                    "session": self.outcome(session) if session else None,
                    **slots.cabinet_slots(candidate.user_id, exam.exam_id),  # {slots, booking}
                }
            )
        return out

    @staticmethod
    def outcome(session: SessionRecord) -> dict[str, Any]:
        """What the cabinet shows of a sitting: its state and, once known, score or the reason it was annulled."""
        return {
            "session_id": session.session_id,
            "status": session.status,
            "submitted_at": iso(session.submitted_at) if session.submitted_at else None,
            "score": session.score.as_dict() if session.score and session.status != rules.ANNULLED else None,
            "verdict": session.verdict,
            "verdict_reason": session.verdict_reason,
            "terminated": session.terminated_at is not None,
            "termination_reason": session.termination_reason,
        }

    def _admission(self, candidate: Principal, exam_id: str) -> AdmissionRecord:
        try:
            admission = AdmissionRecord.get(candidate.user_id, exam_id)
        except DoesNotExist:
            raise NotFound("exam.not_found", "No such exam among your admissions.") from None
        if admission.agency_id != candidate.agency_id:
            raise NotFound("exam.not_found", "No such exam among your admissions.")
        return admission

    def require_consent(self, candidate: Principal, exam_id: str) -> AdmissionRecord:
        """The candidate's admission to the exam, once the rules were accepted (403 before)."""
        admission = self._admission(candidate, exam_id)
        if admission.consent_at is None:
            raise NotPermitted("consent.required", "Accept the exam rules before starting.")
        return admission

    def record_consent(
        self, candidate: Principal, exam_id: str, accepted: bool, language: str | None
    ) -> dict[str, Any]:
        """Record that the candidate accepted the rules and biometric processing; the first consent is kept."""
        if not accepted:
            raise NotPermitted("consent.declined", "The exam cannot be taken without accepting the rules.")
        admission = self._admission(candidate, exam_id)
        if admission.consent_at is None:
            try:
                admission.update(
                    actions=[
                        AdmissionRecord.consent_at.set(self._clock.now()),
                        AdmissionRecord.consent_version.set(CONSENT_VERSION),
                        AdmissionRecord.consent_language.set(language),
                    ],
                    condition=AdmissionRecord.consent_at.does_not_exist(),
                )
            except UpdateError as exc:
                if not is_condition_failure(exc):
                    raise
                admission.refresh()
        return {
            "exam_id": exam_id,
            "consent_at": iso(admission.consent_at),
            "consent_version": admission.consent_version,
        }

    def start(self, candidate: Principal, exam_id: str, language: str | None) -> tuple[dict[str, Any], bool]:
        """Start the session, or return the existing one (second tab, reload, retry); True when created."""
        self.require_consent(candidate, exam_id)
        session_id = session_id_for(exam_id, candidate.user_id)
        existing = load_session(session_id)
        if existing is not None:
            self._ensure_lifecycle(existing)
            return self.view(existing), False
        exam = ExamRecord.get(exam_id)
        enrollment = EnrollmentRecord.find(candidate.user_id, exam_id)
        if exam.require_identity and not (enrollment and enrollment.lets_candidate_start):
            raise NotPermitted("identity.not_verified", "Pass the identity check before starting.")
        account = UserRecord.find(candidate.user_id)
        now = self._clock.now()
        if now < exam.opens_at:
            raise Conflict("exam.not_open", "The exam window has not opened yet.")
        if now >= exam.closes_at:
            raise Conflict("exam.closed", "The exam window has closed.")
        slots.require_slot_window(candidate.user_id, exam_id, now)  # an exam with slots: only in the booked one
        if language is not None and language not in exam.languages:
            raise Conflict("exam.language_unavailable", "The exam is not offered in that language.")
        version = exam.bank_version
        drawn_from = QuestionRecord.query(exam_id, QuestionRecord.item_key.startswith(QuestionRecord.key(version, "")))
        bank = (
            [{"item_id": q.item_id, "block_id": q.block_id, "options": q.options} for q in drawn_from]
            if version
            else []
        )
        try:
            items = rules.draw_items(bank, exam.blocks, self._rng_factory())
        except rules.BankTooSmall as exc:
            raise Conflict(
                "exam.bank_insufficient",
                "The exam's question bank is not ready; contact the organiser.",
                details={"block_id": exc.block_id},
            ) from exc
        session = SessionRecord(
            session_id=session_id,
            exam_id=exam_id,
            candidate_id=candidate.user_id,
            agency_id=candidate.agency_id,
            status=rules.IN_PROGRESS,
            language=language or exam.languages[0],
            started_at=now,
            deadline_at=now + timedelta(seconds=int(exam.duration_s)),
            items=items,
            bank_version=version,
            **session_index.index_keys(exam_id, candidate.agency_id, rules.IN_PROGRESS, session_id),
            answers={},
            answers_rev=0,
            violation_counts={},
            risk_score=0,
            analysis=exam.analysis.as_dict(),
            full_name=account.full_name if account else None,
        )
        if enrollment is not None and enrollment.lets_candidate_start:
            session.reference_engine = enrollment.engine
            session.reference_vector = enrollment.template_vector
            session.reference_image_key = enrollment.template_image_key
            session.reference_regions = enrollment.template_regions
            session.baseline_yaw, session.baseline_pitch = enrollment.baseline_yaw, enrollment.baseline_pitch
        try:
            session.save(condition=SessionRecord.session_id.does_not_exist())
        except PutError as exc:
            if not is_condition_failure(exc):
                raise
            return self.view(SessionRecord.get(session_id)), False  # a concurrent start won the race
        self._ensure_lifecycle(session)
        return self.view(session), True

    def _ensure_lifecycle(self, session: SessionRecord) -> None:
        if session.execution_arn or session.status != rules.IN_PROGRESS:
            return
        remaining = (session.deadline_at - self._clock.now()).total_seconds()
        try:
            arn = self._lifecycle.start(session.session_id, PHASE_IN_PROGRESS, int(remaining) + 1)
        except (ClientError, BotoCoreError) as exc:
            logger.exception("could not start the lifecycle of %s", session.session_id)
            raise Unavailable("lifecycle.unavailable", "The exam service is busy; try again in a moment.") from exc
        session.update(actions=[SessionRecord.execution_arn.set(arn)])

    def view(self, session: SessionRecord) -> dict[str, Any]:
        questions = drawn_questions(session)
        items = []
        for item in session.items:
            question = questions[item["item_id"]]
            texts = {o["option_id"]: o["text"] for o in question.options}
            items.append(
                {
                    "item_id": item["item_id"],
                    "block_id": item["block_id"],
                    "text": question.text.as_dict(),
                    # the candidate sees this session's opaque choice ids, never the author's option ids
                    "options": [{"option_id": choice, "text": texts[option]} for choice, option in rules.choices(item)],
                }
            )
        exam = ExamRecord.get(session.exam_id)
        return {
            **self.status(session),
            "blocks": list(exam.blocks),
            "monitoring": AnalysisPolicy.from_dict(session.analysis.as_dict() or None).cadence(),
            "items": items,
            "answers": session.answers.as_dict(),
        }

    def status(self, session: SessionRecord) -> dict[str, Any]:
        now = self._clock.now()
        return {
            **self.outcome(session),
            "exam_id": session.exam_id,
            "language": session.language,
            "started_at": iso(session.started_at),
            "deadline_at": iso(session.deadline_at),
            "server_time": iso(now),
            "remaining_s": rules.remaining_s(session, now),
            "paused": session.paused_at is not None,
            "control_rev": int(session.control_rev),
            "answered": len(session.answers.as_dict()),
            "total_items": len(session.items),
            "auto_submitted": bool(session.auto_submitted),
        }

    def save_answer(self, candidate: Principal, session_id: str, item_id: str, option_id: str) -> dict[str, Any]:
        """Autosave one answer (last write wins, same write twice is harmless); refused after the deadline."""
        session = own_session(candidate, session_id)
        item = next((i for i in session.items if i["item_id"] == item_id), None)
        if item is None:
            raise NotFound("item.not_found", "That item is not part of this session.")
        if rules.author_option(item, option_id) is None:
            raise Unprocessable("answer.invalid_option", "That option does not belong to the item.")
        now = self._clock.now()
        try:
            session.update(
                actions=[
                    SessionRecord.answers[item_id].set(option_id),
                    SessionRecord.answers_rev.add(1),
                ],
                condition=(SessionRecord.status == rules.IN_PROGRESS)
                & (SessionRecord.deadline_at > now)
                & SessionRecord.paused_at.does_not_exist()
                & SessionRecord.terminated_at.does_not_exist(),
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
            session.refresh()
            if session.terminated_at is not None:
                raise Conflict("session.terminated", "The proctor has ended the exam.") from None
            if session.status == rules.IN_PROGRESS and session.paused_at is not None:
                raise Conflict("session.paused", "The proctor has paused the exam; the answer was not saved.") from None
            if session.status == rules.IN_PROGRESS or session.auto_submitted:
                raise Conflict("session.deadline_passed", "Time is up; the answer was not saved.") from None
            raise Conflict("session.not_in_progress", "The session is already submitted.") from None
        return {
            "item_id": item_id,
            "option_id": option_id,
            "answered": len(session.answers.as_dict()),
            "remaining_s": rules.remaining_s(session, now),
        }

    def heartbeat(self, candidate: Principal, session_id: str, client_id: str | None) -> dict[str, Any]:
        """Keep the session alive and answer the server's timer; a second live tab/device gets 409. Reads the
        session (eventually consistent) and writes only its presence item."""
        session = own_session(candidate, session_id)
        if session.status != rules.IN_PROGRESS:
            return self.status(session)
        now = self._clock.now()
        # Presence is its own small item: a heartbeat never rewrites the session (nor its index entries).
        if client_id is None:
            presence.touch(session.session_id, now)
        else:
            held, holder = presence.claim(session.session_id, client_id, now)
            if not held:
                session.client_id = holder  # in memory only: who held it, for the record of the refusal
                if self._on_second_client is not None:
                    self._on_second_client(session, client_id, now)
                raise Conflict("session.other_client_active", "The exam is already open in another tab or device.")
        if self._on_heartbeat is not None:
            self._on_heartbeat(session, now)
        return self.status(session)

    def submit(self, candidate: Principal, session_id: str) -> dict[str, Any]:
        """Submit once; a repeated submit returns the same result. Resumes the lifecycle's in-progress wait."""
        if own_session(candidate, session_id).paused_at is not None:
            raise Conflict("session.paused", "The proctor has paused the exam; finish it once it resumes.")
        session = finalize(session_id, auto=False, clock=self._clock)
        assert session is not None
        if session.submit_token and session.status == rules.SUBMITTED:
            self._lifecycle.complete_task(session.submit_token, {"submitted_by": "candidate"})
        return self.status(session)
