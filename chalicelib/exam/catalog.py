"""Agency-admin rules: exams, question banks and rosters, always within the admin's own agency."""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.core.clock import Clock, iso
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import Conflict, InvalidInput, NotFound, Unavailable
from chalicelib.core.principal import Principal
from chalicelib.exam.bank_import import QuestionDraft
from chalicelib.exam.models import AdmissionRecord, ExamRecord, QuestionRecord
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.identity.logins import account_id, login_of
from chalicelib.identity.models import UserRecord
from chalicelib.identity.passwords import hash_password

LANGUAGES = ("kk", "ru", "en")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExamDraft:
    """A new exam as an admin describes it; every field already validated on its own."""

    title: dict[str, str]  # per language
    languages: tuple[str, ...]
    duration_s: int
    blocks: tuple[dict[str, Any], ...]  # {block_id, title: {lang: text}, item_count}
    opens_at: datetime
    closes_at: datetime
    require_identity: bool
    analysis: AnalysisPolicy


@dataclass(frozen=True)
class RosterEntry:
    user_id: str  # the login, lower-cased
    full_name: str
    password: str | None  # None: generate one and show it once


def exam_view(exam: ExamRecord) -> dict[str, Any]:
    return {
        "exam_id": exam.exam_id,
        "title": exam.title.as_dict(),
        "languages": list(exam.languages),
        "duration_s": int(exam.duration_s),
        "blocks": exam.blocks,
        "opens_at": iso(exam.opens_at),
        "closes_at": iso(exam.closes_at),
        "bank_size": int(exam.bank_size),
        "require_identity": bool(exam.require_identity),
        "analysis": AnalysisPolicy.from_dict(exam.analysis.as_dict() or None).to_dict(),
    }


def load_exam(exam_id: str, agency_id: str) -> ExamRecord:
    """The exam if it exists in this agency; 404 otherwise, so other tenants' ids reveal nothing."""
    try:
        exam = ExamRecord.get(exam_id)
    except DoesNotExist:
        exam = None
    if exam is None or exam.agency_id != agency_id:
        raise NotFound("exam.not_found", "No such exam.")
    return exam


class ExamCatalog:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def create_exam(self, admin: Principal, draft: ExamDraft) -> dict[str, Any]:
        if draft.closes_at <= draft.opens_at:
            raise InvalidInput("exam.window_invalid", "closes_at must be after opens_at.")
        exam = ExamRecord(
            exam_id=f"ex-{uuid.uuid4().hex[:12]}",
            agency_id=admin.agency_id,
            created_at=self._clock.now(),
            title=draft.title,
            languages=list(draft.languages),
            duration_s=draft.duration_s,
            blocks=[dict(block) for block in draft.blocks],
            opens_at=draft.opens_at,
            closes_at=draft.closes_at,
            bank_size=0,
            require_identity=draft.require_identity,
            analysis=draft.analysis.to_dict(),
        )
        exam.save(condition=ExamRecord.exam_id.does_not_exist())
        return exam_view(exam)

    def list_exams(self, admin: Principal) -> list[dict[str, Any]]:
        exams = ExamRecord.by_agency.query(admin.agency_id, scan_index_forward=False)
        return [exam_view(exam) for exam in exams]

    def import_bank(self, exam: ExamRecord, drafts: list[QuestionDraft]) -> dict[str, Any]:
        """Replace the exam's bank with these (already validated) items, all or nothing.

        The items are staged under a new bank version that nothing reads yet; one conditional write then moves the
        exam's pointer to it. A failure before that switch leaves the live bank as it was (the staged rows are
        removed); running sessions keep the version they drew from, which no import ever changes.
        """
        previous = exam.bank_version
        version = f"{self._clock.now():%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"
        staged = [
            QuestionRecord(
                exam_id=exam.exam_id,
                item_key=QuestionRecord.key(version, draft.item_id),
                bank_version=version,
                item_id=draft.item_id,
                block_id=draft.block_id,
                text=draft.text,
                options=draft.options,
                correct_option=draft.correct_option,
            )
            for draft in drafts
        ]
        try:
            self._write_staged(staged)
            condition = (
                ExamRecord.bank_version.does_not_exist() if previous is None else ExamRecord.bank_version == previous
            )
            exam.update(
                actions=[ExamRecord.bank_version.set(version), ExamRecord.bank_size.set(len(staged))],
                condition=condition,
            )
        except UpdateError as exc:
            self._discard(staged)
            if not is_condition_failure(exc):
                raise
            raise Conflict("bank.import_conflict", "Another import finished first; this one changed nothing.") from None
        except Exception:
            self._discard(staged)
            raise
        return {"imported": len(staged), "bank_size": len(staged)}

    @staticmethod
    def _write_staged(staged: list[QuestionRecord]) -> None:
        try:
            with QuestionRecord.batch_write() as batch:
                for record in staged:
                    batch.save(record)
        except (PutError, ClientError, BotoCoreError) as exc:
            logger.exception("staging a bank version failed; the live bank is unchanged")
            raise Unavailable("bank.import_failed", "The import could not be stored; nothing was changed.") from exc

    @staticmethod
    def _discard(staged: list[QuestionRecord]) -> None:
        """Best effort: a staged version nothing points to is never read, so a leftover row is only storage."""
        try:
            with QuestionRecord.batch_write() as batch:
                for record in staged:
                    batch.delete(record)
        except Exception:  # noqa: BLE001 - the import has already failed; that error is the one to report
            logger.exception("could not remove a failed import's staged rows")

    def admit(self, admin: Principal, exam: ExamRecord, roster: list[RosterEntry]) -> dict[str, Any]:
        """Admit candidates; unknown logins become candidate accounts (a generated password is returned once)."""
        # Accounts are the agency's own (id from agency and login); the last line for a login wins
        entries = {account_id(admin.agency_id, entry.user_id): entry for entry in roster}
        existing = {u.user_id: u for u in UserRecord.batch_get(list(entries))}
        clashes = [login_of(uid) for uid, u in existing.items() if u.role != "candidate"]
        if clashes:
            raise Conflict("roster.login_taken", "Some logins belong to another account.", details=sorted(clashes))
        now = self._clock.now()
        created = []
        for user_id, entry in entries.items():
            password = entry.password
            if user_id not in existing:
                secret = password or secrets.token_urlsafe(9)
                user = UserRecord(
                    user_id=user_id,
                    agency_id=admin.agency_id,
                    login=entry.user_id,
                    role="candidate",
                    full_name=entry.full_name,
                    password_hash=hash_password(secret),
                    created_at=now,
                )
                try:
                    user.save(condition=UserRecord.user_id.does_not_exist())
                except PutError as exc:  # a concurrent admit created it first; the admission below still applies
                    if not is_condition_failure(exc):
                        raise
                    continue
                created.append({"user_id": entry.user_id, "password": None if password else secret})
        for user_id in entries:
            admission = AdmissionRecord(
                candidate_id=user_id, exam_id=exam.exam_id, agency_id=admin.agency_id, admitted_at=now
            )
            try:  # re-admitting keeps the first admission and any consent already recorded
                admission.save(condition=AdmissionRecord.candidate_id.does_not_exist())
            except PutError as exc:
                if not is_condition_failure(exc):
                    raise
        return {"admitted": len(entries), "created_accounts": created}

    def roster(self, exam: ExamRecord) -> list[dict[str, Any]]:
        return [
            {
                "user_id": login_of(a.candidate_id),
                "candidate_id": a.candidate_id,
                "admitted_at": iso(a.admitted_at),
                "consent_at": iso(a.consent_at) if a.consent_at else None,
            }
            for a in AdmissionRecord.by_exam.query(exam.exam_id)
        ]
