"""Agency-admin rules: exams, question banks and rosters, always within the admin's own agency."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.core.clock import Clock, iso
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import BadRequest, Conflict, NotFound
from chalicelib.core.http import ID_PATTERN, Fields, invalid_field
from chalicelib.exam.bank_import import QuestionDraft
from chalicelib.exam.models import AdmissionRecord, ExamRecord, QuestionRecord
from chalicelib.identity.models import UserRecord
from chalicelib.identity.passwords import hash_password
from chalicelib.identity.tokens import Principal
from chalicelib.violations.policy import AnalysisPolicy

LANGUAGES = ("kk", "ru", "en")
BLOCK_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_ROSTER_BATCH = 100


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


def _titles(fields: Fields, name: str, languages: list[str]) -> dict[str, str]:
    titles = fields.nested(name)
    assert titles is not None
    return {lang: str(titles.text(lang, max_len=300)) for lang in languages}


class ExamCatalog:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def create_exam(self, admin: Principal, body: Any) -> dict[str, Any]:
        fields = Fields(body)
        languages = fields.items("languages", required=False, min_len=1, max_len=3) or list(LANGUAGES)
        if any(lang not in LANGUAGES for lang in languages) or len(set(languages)) != len(languages):
            raise BadRequest(
                "request.invalid_field",
                "Field 'languages' must list distinct codes of kk, ru, en.",
                details={"field": "languages", "problem": "invalid language"},
            )
        title = _titles(fields, "title", languages)
        duration_s = fields.integer("duration_s", minimum=5, maximum=12 * 3600)
        blocks = []
        for position, raw in enumerate(fields.items("blocks", min_len=1, max_len=20)):
            block = Fields(raw, prefix=f"blocks[{position}].")
            blocks.append(
                {
                    "block_id": block.text("block_id", pattern=BLOCK_ID),
                    "title": _titles(block, "title", languages),
                    "item_count": block.integer("item_count", minimum=1, maximum=500),
                }
            )
        if len({b["block_id"] for b in blocks}) != len(blocks):
            raise BadRequest(
                "request.invalid_field",
                "Block ids must be unique.",
                details={"field": "blocks", "problem": "duplicate block_id"},
            )
        opens_at, closes_at = fields.timestamp("opens_at"), fields.timestamp("closes_at")
        assert opens_at is not None and closes_at is not None
        if closes_at <= opens_at:
            raise BadRequest("exam.window_invalid", "closes_at must be after opens_at.")
        require_identity = fields.boolean("require_identity", required=False)
        analysis = AnalysisPolicy.from_dict(fields.data.get("analysis"))
        exam = ExamRecord(
            exam_id=f"ex-{uuid.uuid4().hex[:12]}",
            agency_id=admin.agency_id,
            created_at=self._clock.now(),
            title=title,
            languages=languages,
            duration_s=duration_s,
            blocks=blocks,
            opens_at=opens_at,
            closes_at=closes_at,
            bank_size=0,
            require_identity=require_identity is not False,
            analysis=analysis.to_dict(),
        )
        exam.save(condition=ExamRecord.exam_id.does_not_exist())
        return exam_view(exam)

    def list_exams(self, admin: Principal) -> list[dict[str, Any]]:
        exams = ExamRecord.by_agency.query(admin.agency_id, scan_index_forward=False)
        return [exam_view(exam) for exam in exams]

    def import_bank(self, exam: ExamRecord, drafts: list[QuestionDraft]) -> dict[str, Any]:
        """Upsert the items (same id replaces the earlier version) and refresh the bank size."""
        with QuestionRecord.batch_write() as batch:
            for draft in drafts:
                batch.save(
                    QuestionRecord(
                        exam_id=exam.exam_id,
                        item_id=draft.item_id,
                        block_id=draft.block_id,
                        text=draft.text,
                        options=draft.options,
                        correct_option=draft.correct_option,
                    )
                )
        size = sum(1 for _ in QuestionRecord.query(exam.exam_id, attributes_to_get=["item_id"]))
        exam.update(actions=[ExamRecord.bank_size.set(size)])
        return {"imported": len(drafts), "bank_size": size}

    def admit(self, admin: Principal, exam: ExamRecord, body: Any) -> dict[str, Any]:
        """Admit candidates; unknown logins become candidate accounts (a generated password is returned once)."""
        entries: dict[str, tuple[str, str, str | None]] = {}
        for position, raw in enumerate(Fields(body).items("candidates", min_len=1, max_len=MAX_ROSTER_BATCH)):
            entry = Fields(raw, prefix=f"candidates[{position}].")
            user_id = str(entry.text("user_id", pattern=ID_PATTERN)).lower()
            password = entry.text("password", required=False, max_len=128)
            if password is not None and len(password) < 8:  # checked before any write: a bad batch creates nothing
                raise invalid_field(f"candidates[{position}].password", "must have at least 8 characters")
            entries[user_id] = (user_id, str(entry.text("full_name", max_len=200)), password)
        existing = {u.user_id: u for u in UserRecord.batch_get(list(entries))}
        clashes = [uid for uid, u in existing.items() if u.role != "candidate" or u.agency_id != admin.agency_id]
        if clashes:
            raise Conflict("roster.login_taken", "Some logins belong to another account.", details=sorted(clashes))
        now = self._clock.now()
        created = []
        for user_id, full_name, password in entries.values():
            if user_id not in existing:
                secret = password or secrets.token_urlsafe(9)
                user = UserRecord(
                    user_id=user_id,
                    agency_id=admin.agency_id,
                    role="candidate",
                    full_name=full_name,
                    password_hash=hash_password(secret),
                    created_at=now,
                )
                try:
                    user.save(condition=UserRecord.user_id.does_not_exist())
                except PutError as exc:  # a concurrent admit created it first; the admission below still applies
                    if not is_condition_failure(exc):
                        raise
                    continue
                created.append({"user_id": user_id, "password": None if password else secret})
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
                "user_id": a.candidate_id,
                "admitted_at": iso(a.admitted_at),
                "consent_at": iso(a.consent_at) if a.consent_at else None,
            }
            for a in AdmissionRecord.by_exam.query(exam.exam_id)
        ]
