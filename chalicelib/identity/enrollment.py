"""Identity check before the exam: a face photo and an ID-document photo, quality gates, the two must match.

Only after recorded consent. This is the API's half and loads no image library: it issues the upload forms, checks
a verification request (consent, attempts left, both photos uploaded under the keys issued to this candidate, JPEG
headers) and records a `pending` check, then queues a job; the identity checker (functions/identity_checker/,
chalicelib/identity/identity_check.py) runs detection, the quality gates and the match and writes the decision on
the same record. The selfie's face template and head pose become the reference for re-identification during the
exam. A proctor may override a rejection, with a reason.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError, UpdateError

from chalicelib.core.clock import Clock, iso
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import Conflict, InvalidInput, NotFound, TooManyAttempts, Unprocessable
from chalicelib.core.presigned import MediaKind, Presigner
from chalicelib.core.principal import Principal
from chalicelib.identity.jpeg_header import BadJpeg, NotJpeg, jpeg_size
from chalicelib.identity.logins import login_of
from chalicelib.identity.models import PHOTO_KINDS, EnrollmentRecord
from chalicelib.identity.reasons import reason

PENDING, APPROVED, REJECTED, OVERRIDDEN = "pending", "approved", "rejected", "overridden"
STATUSES = (PENDING, APPROVED, REJECTED, OVERRIDDEN)
MAX_ATTEMPTS = 10
MAX_LISTED = 2000  # identity checks in one review list (the matching ones: filters run in the query)
PHOTO_MAX_PIXELS = 16_000_000  # as the checker's decoder allows (face_detector.PHOTO_MAX_PIXELS)
# A pending check whose job never decided (the queue gave up on it: dead-letter queue) may be asked for again after
# this long, without counting as a new attempt. Longer than the identity queue's redelivery cycle (3 x visibility).
PENDING_RETRY_AFTER = timedelta(minutes=10)
# Face templates are biometric data: a record lives as long as the photos it was made from (the media bucket's
# lifecycle rule, infra/definitions.py MEDIA_RETENTION_DAYS; a unit test holds the two equal), then TTL deletes it.
BIOMETRIC_RETENTION = timedelta(days=30)


_ENROLLMENT_NAMESPACE = uuid.UUID("0b9f3a52-6c1e-4f7e-9a57-2d3c8e1f4b60")
# Raises unless the candidate is admitted to the exam and has accepted its rules (the exam context knows how).
ConsentCheck = Callable[[Principal, str], object]
# Queues one identity check for the checker: {"candidate_id", "exam_id", "job_id"} (an SQS message on AWS).
EnqueueCheck = Callable[[dict[str, str]], object]


def enrollment_prefix(exam_id: str, candidate_id: str) -> str:
    """One opaque folder per candidate and exam, so neither login nor exam id shows in the object key."""
    return f"enrollment/{uuid.uuid5(_ENROLLMENT_NAMESPACE, f'{exam_id}/{candidate_id}').hex}"


def biometric_expiry(decided_at: datetime) -> datetime:
    """When an identity check's record (its face template) expires: with the photos it was made from."""
    return decided_at + BIOMETRIC_RETENTION


class EnrollmentService:
    def __init__(
        self,
        s3: Any,
        bucket: str,
        presigner: Presigner,
        clock: Clock,
        max_photo_bytes: int,
        require_consent: ConsentCheck,
        enqueue: EnqueueCheck,
    ) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._presigner = presigner
        self._require_consent = require_consent
        self._enqueue = enqueue
        self._clock = clock
        self._kind = {k: MediaKind(k, "image/jpeg", "jpg", max_photo_bytes) for k in PHOTO_KINDS}

    def presign(self, candidate: Principal, exam_id: str, kind: str) -> dict[str, Any]:
        """An upload form for one identity photo (kind: selfie or id_document), only after consent."""
        self._require_consent(candidate, exam_id)
        return self._presigner.post_policy(enrollment_prefix(exam_id, candidate.user_id), self._kind[kind])

    def _check_photo(self, key: str) -> None:
        """Uploaded, a JPEG within the size and pixel limits by its header: what the API can tell without decoding."""
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError:
            raise Conflict("enrollment.photo_missing", "Upload the photo before asking for verification.") from None
        if head["ContentLength"] > self._kind["selfie"].max_bytes or head.get("ContentType") != "image/jpeg":
            raise Unprocessable("enrollment.photo_rejected", "The photo must be a JPEG within the size limit.")
        data = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        too_big = "The photo must be a JPEG of at most 16 megapixels."
        try:
            width, height = jpeg_size(data)
        except NotJpeg:
            raise Unprocessable("enrollment.photo_rejected", too_big) from None
        except BadJpeg:
            raise Unprocessable("enrollment.photo_unreadable", "The photo could not be read; take it again.") from None
        if width * height > PHOTO_MAX_PIXELS:
            raise Unprocessable("enrollment.photo_rejected", too_big)

    def verify(
        self, candidate: Principal, exam_id: str, selfie_key: str, id_document_key: str
    ) -> tuple[dict[str, Any], int]:
        """Queue the check of both photos: (the pending view, 202). A decided pass is answered as it is (200).

        Each request that queues a check is one attempt, counted here and only here: the checker never counts, so a
        redelivered job cannot count twice. While a check is pending, asking again answers the pending check.
        """
        keys = {"selfie": selfie_key, "id_document": id_document_key}
        self._require_consent(candidate, exam_id)
        prefix = enrollment_prefix(exam_id, candidate.user_id)
        for kind, key in keys.items():
            if not re.fullmatch(rf"{re.escape(prefix)}/{kind}/[0-9]{{8}}T[0-9]{{9}}Z-[0-9a-f]{{12}}\.jpg", key):
                raise InvalidInput("enrollment.foreign_key", f"'{kind}_key' is not one of your uploads.")
        previous = EnrollmentRecord.find(candidate.user_id, exam_id)
        now = self._clock.now()
        if previous is not None and previous.status in (APPROVED, OVERRIDDEN):
            return self.view(previous), 200
        stale = previous is not None and previous.status == PENDING and _stale(previous, now)
        if previous is not None and previous.status == PENDING and not stale:
            return self.view(previous), 202
        attempts = int(previous.attempts) + (0 if stale else 1) if previous else 1
        if attempts > MAX_ATTEMPTS:
            raise TooManyAttempts("enrollment.too_many_attempts", "Too many attempts; ask a proctor for help.")
        for key in keys.values():
            self._check_photo(key)
        record = EnrollmentRecord(
            candidate_id=candidate.user_id,
            exam_id=exam_id,
            agency_id=candidate.agency_id,
            status=PENDING,
            selfie_key=keys["selfie"],
            document_key=keys["id_document"],
            attempts=attempts,
            requested_at=now,
            job_id=uuid.uuid4().hex,
            expires_at=biometric_expiry(now),  # the photos' retention, as for a decided check
        )
        if previous is None:
            condition = EnrollmentRecord.candidate_id.does_not_exist()
        else:  # nobody else queued or decided in between (a double click queues one check)
            condition = (EnrollmentRecord.attempts == previous.attempts) & (EnrollmentRecord.status == previous.status)
            if previous.job_id:
                condition &= EnrollmentRecord.job_id == previous.job_id
        try:
            record.save(condition=condition)
        except PutError as exc:
            if not is_condition_failure(exc):
                raise
            current = EnrollmentRecord.find(candidate.user_id, exam_id)
            if current is None:  # erased in between
                raise NotFound("enrollment.not_found", "The identity check was erased meanwhile; ask again.") from None
            return self.view(current), 202 if current.status == PENDING else 200
        try:
            self._enqueue({"candidate_id": record.candidate_id, "exam_id": exam_id, "job_id": record.job_id})
        except Exception:
            self._undo(record, previous)  # not left pending with no job: the candidate can ask again at once
            raise
        return self.view(record), 202

    @staticmethod
    def _undo(record: EnrollmentRecord, previous: EnrollmentRecord | None) -> None:
        """Put the record back as it was before a check that could not be queued (unless it changed since)."""
        unchanged = EnrollmentRecord.job_id == record.job_id
        try:
            if previous is None:
                record.delete(condition=unchanged)
            else:
                previous.save(condition=unchanged)
        except Exception:  # noqa: BLE001 - the queue's error is the one to report; a stale check can be asked again
            pass

    def view(self, record: EnrollmentRecord) -> dict[str, Any]:
        reasons = [reason(*code.split(".", 1)) for code in record.reasons]
        return {
            "exam_id": record.exam_id,
            "candidate_id": record.candidate_id,
            "login": login_of(record.candidate_id),
            "status": record.status,
            "reasons": reasons,
            "scores": record.scores.as_dict(),
            "attempts": int(record.attempts),
            "requested_at": iso(record.requested_at) if record.requested_at else None,
            "decided_at": iso(record.decided_at) if record.decided_at else None,
            "reidentification": record.template_vector is not None or record.template_image_key is not None,
            "override_by": login_of(record.override_by) if record.override_by else None,  # a login of the agency
            "override_reason": record.override_reason,
        }

    def status(self, candidate: Principal, exam_id: str) -> dict[str, Any]:
        self._require_consent(candidate, exam_id)
        record = EnrollmentRecord.find(candidate.user_id, exam_id)
        if record is None:
            raise NotFound("enrollment.not_found", "No identity check yet.")
        return self.view(record)

    def for_proctor(self, proctor: Principal, exam_id: str, candidate_id: str) -> EnrollmentRecord:
        record = EnrollmentRecord.find(candidate_id, exam_id)
        # another agency's check, or an exam outside a limited proctor's exams: simply not found
        if record is None or record.agency_id != proctor.agency_id or not proctor.may_see_exam(exam_id):
            raise NotFound("enrollment.not_found", "No identity check for that candidate and exam.")
        return record

    def for_exam(self, proctor: Principal, exam_id: str, status: str | None) -> list[dict[str, Any]]:
        """The exam's identity checks in the proctor's agency (rejected ones first), for the enrollment review."""
        # The agency and status filter run in the query, so the cap counts matching checks only: checks of other
        # statuses never push a rejected one out of the list.
        if not proctor.may_see_exam(exam_id):
            return []  # as for another agency's exam: nothing
        condition = EnrollmentRecord.agency_id == proctor.agency_id
        if status is not None:
            condition &= EnrollmentRecord.status == status
        records = list(EnrollmentRecord.by_exam.query(exam_id, filter_condition=condition, limit=MAX_LISTED))
        records.sort(key=lambda r: (r.status != REJECTED, r.candidate_id))
        return [self.view(r) for r in records]

    def override(self, proctor: Principal, exam_id: str, candidate_id: str, reason: str) -> dict[str, Any]:
        """A proctor accepts a rejected check after looking at the photos, with the reason on record."""
        record = self.for_proctor(proctor, exam_id, candidate_id)
        if record.status != REJECTED:
            raise Conflict("enrollment.not_rejected", "Only a rejected identity check can be overridden.")
        try:
            record.update(
                actions=[
                    EnrollmentRecord.status.set(OVERRIDDEN),
                    EnrollmentRecord.override_by.set(proctor.user_id),
                    EnrollmentRecord.override_reason.set(reason),
                    EnrollmentRecord.expires_at.set(record.expires_at or biometric_expiry(record.decided_at)),
                ],
                condition=EnrollmentRecord.status == REJECTED,
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
            raise Conflict("enrollment.not_rejected", "Only a rejected identity check can be overridden.") from None
        return self.view(record)


def _stale(record: EnrollmentRecord, now: datetime) -> bool:
    """A pending check nobody decided within PENDING_RETRY_AFTER (its job was given up on)."""
    return record.requested_at is None or now - record.requested_at >= PENDING_RETRY_AFTER
