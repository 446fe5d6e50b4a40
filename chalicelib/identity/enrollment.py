"""Identity check before the exam: a face photo and an ID-document photo, quality gates, the two must match.

Only after recorded consent. The decision is stored with its scores; the selfie's face template and head pose
become the reference for re-identification during the exam. A proctor may override a rejection, with a reason.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from botocore.exceptions import ClientError
from pynamodb.exceptions import UpdateError

from chalicelib.core.clock import Clock, iso
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import Conflict, InvalidInput, NotFound, TooManyAttempts, Unprocessable
from chalicelib.core.presigned import MediaKind, Presigner
from chalicelib.core.principal import Principal
from chalicelib.identity.face_detector import JPEG_ONLY, PHOTO_MAX_PIXELS, InvalidImage, decode_image
from chalicelib.identity.face_engine import FaceEngine, FaceObservation, OpenCvFaceEngine
from chalicelib.identity.logins import login_of
from chalicelib.identity.models import PHOTO_KINDS, EnrollmentRecord
from chalicelib.identity.occlusion import region_template
from chalicelib.identity.quality import MESSAGES, QualityLimits, assess_enrollment

APPROVED, REJECTED, OVERRIDDEN = "approved", "rejected", "overridden"
MAX_ATTEMPTS = 10
MAX_LISTED = 2000  # identity checks in one review list (the matching ones: filters run in the query)
# Face templates are biometric data: a record lives as long as the photos it was made from (the media bucket's
# lifecycle rule, infra/definitions.py MEDIA_RETENTION_DAYS; a unit test holds the two equal), then TTL deletes it.
BIOMETRIC_RETENTION = timedelta(days=30)
_MISMATCH_MESSAGE = {
    "kk": "Құжаттағы фото сіздің бетіңізге сәйкес келмейді. Өз құжатыңызды түсіріңіз.",
    "ru": "Фото в документе не совпадает с вашим лицом. Сфотографируйте свой документ.",
    "en": "The photo in the document does not match your face. Photograph your own document.",
}


_ENROLLMENT_NAMESPACE = uuid.UUID("0b9f3a52-6c1e-4f7e-9a57-2d3c8e1f4b60")
# Raises unless the candidate is admitted to the exam and has accepted its rules (the exam context knows how).
ConsentCheck = Callable[[Principal, str], object]


def enrollment_prefix(exam_id: str, candidate_id: str) -> str:
    """One opaque folder per candidate and exam, so neither login nor exam id shows in the object key."""
    return f"enrollment/{uuid.uuid5(_ENROLLMENT_NAMESPACE, f'{exam_id}/{candidate_id}').hex}"


def biometric_expiry(decided_at: datetime) -> datetime:
    """When an identity check's record (its face template) expires: with the photos it was made from."""
    return decided_at + BIOMETRIC_RETENTION


def _reason(photo: str, code: str) -> dict[str, Any]:
    message = _MISMATCH_MESSAGE if code == "face_mismatch" else MESSAGES[code]
    return {"photo": photo, "code": code, "message": dict(message)}


class EnrollmentService:
    def __init__(
        self,
        s3: Any,
        bucket: str,
        presigner: Presigner,
        engine_for: Callable[[str], FaceEngine],
        clock: Clock,
        max_photo_bytes: int,
        require_consent: ConsentCheck,
    ) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._presigner = presigner
        self._require_consent = require_consent
        self._engine_for = engine_for
        self._clock = clock
        self._kind = {k: MediaKind(k, "image/jpeg", "jpg", max_photo_bytes) for k in PHOTO_KINDS}

    def presign(self, candidate: Principal, exam_id: str, kind: str) -> dict[str, Any]:
        """An upload form for one identity photo (kind: selfie or id_document), only after consent."""
        self._require_consent(candidate, exam_id)
        return self._presigner.post_policy(enrollment_prefix(exam_id, candidate.user_id), self._kind[kind])

    def _photo(self, key: str) -> tuple[np.ndarray, bytes]:
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError:
            raise Conflict("enrollment.photo_missing", "Upload the photo before asking for verification.") from None
        if head["ContentLength"] > self._kind["selfie"].max_bytes or head.get("ContentType") != "image/jpeg":
            raise Unprocessable("enrollment.photo_rejected", "The photo must be a JPEG within the size limit.")
        data = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        try:
            return decode_image(data, PHOTO_MAX_PIXELS, JPEG_ONLY), data
        except InvalidImage as exc:
            if exc.reason in ("not_jpeg", "too_many_pixels"):
                message = "The photo must be a JPEG of at most 16 megapixels."
                raise Unprocessable("enrollment.photo_rejected", message) from None
            raise Unprocessable("enrollment.photo_unreadable", "The photo could not be read; take it again.") from None

    def verify(self, candidate: Principal, exam_id: str, selfie_key: str, id_document_key: str) -> dict[str, Any]:
        """Check both photos and record the decision (approved / rejected with reasons)."""
        keys = {"selfie": selfie_key, "id_document": id_document_key}
        self._require_consent(candidate, exam_id)
        prefix = enrollment_prefix(exam_id, candidate.user_id)
        for kind, key in keys.items():
            if not re.fullmatch(rf"{re.escape(prefix)}/{kind}/[0-9]{{8}}T[0-9]{{9}}Z-[0-9a-f]{{12}}\.jpg", key):
                raise InvalidInput("enrollment.foreign_key", f"'{kind}_key' is not one of your uploads.")
        previous = EnrollmentRecord.find(candidate.user_id, exam_id)
        if previous is not None and previous.status in (APPROVED, OVERRIDDEN):
            return self.view(previous)
        attempts = int(previous.attempts) + 1 if previous else 1
        if attempts > MAX_ATTEMPTS:
            raise TooManyAttempts("enrollment.too_many_attempts", "Too many attempts; ask a proctor for help.")
        engine = self._engine_for(candidate.agency_id)
        selfie, selfie_bytes = self._photo(keys["selfie"])
        document, document_bytes = self._photo(keys["id_document"])
        selfie_faces = engine.observe(selfie, selfie_bytes)
        document_faces = engine.observe(document, document_bytes)
        reasons = [_reason("selfie", c) for c in assess_enrollment(selfie_faces, QualityLimits())]
        reasons += [_reason("id_document", c) for c in assess_enrollment(document_faces, QualityLimits.for_document())]
        scores: dict[str, Any] = {
            "selfie": _measure(selfie_faces),
            "id_document": _measure(document_faces),
            "threshold": engine.match_threshold,
        }
        record = EnrollmentRecord(
            candidate_id=candidate.user_id,
            exam_id=exam_id,
            agency_id=candidate.agency_id,
            selfie_key=keys["selfie"],
            document_key=keys["id_document"],
            attempts=attempts,
            decided_at=self._clock.now(),
            engine=engine.name,
        )
        record.expires_at = biometric_expiry(record.decided_at)
        if not any(r["photo"] == "selfie" for r in reasons):
            face = selfie_faces[0]
            template = engine.template(selfie, face, image_key=keys["selfie"], encoded=selfie_bytes)
            record.template_vector, record.template_image_key = template.vector, template.image_key
            if isinstance(engine, OpenCvFaceEngine):
                record.template_regions = region_template(engine, selfie, face)
            record.baseline_yaw, record.baseline_pitch = round(face.yaw, 2), round(face.pitch, 2)
            if not reasons:
                similarity = engine.similarity(template, document, document_faces[0], encoded=document_bytes)
                scores["similarity"] = round(float(similarity), 4)
                if similarity < engine.match_threshold:
                    reasons.append(_reason("id_document", "face_mismatch"))
        record.status = REJECTED if reasons else APPROVED
        record.reasons = [f"{r['photo']}.{r['code']}" for r in reasons]
        record.scores = scores
        record.save()
        return self.view(record)

    def view(self, record: EnrollmentRecord) -> dict[str, Any]:
        reasons = [_reason(*reason.split(".", 1)) for reason in record.reasons]
        return {
            "exam_id": record.exam_id,
            "candidate_id": record.candidate_id,
            "login": login_of(record.candidate_id),
            "status": record.status,
            "reasons": reasons,
            "scores": record.scores.as_dict(),
            "attempts": int(record.attempts),
            "decided_at": iso(record.decided_at),
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
        if record is None or record.agency_id != proctor.agency_id:
            raise NotFound("enrollment.not_found", "No identity check for that candidate and exam.")
        return record

    def for_exam(self, proctor: Principal, exam_id: str, status: str | None) -> list[dict[str, Any]]:
        """The exam's identity checks in the proctor's agency (rejected ones first), for the enrollment review."""
        # The agency and status filter run in the query, so the cap counts matching checks only: checks of other
        # statuses never push a rejected one out of the list.
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


def _measure(faces: list[FaceObservation]) -> dict[str, Any]:
    if not faces:
        return {"faces": 0}
    face = faces[0]
    return {
        "faces": len(faces),
        "yaw": round(face.yaw, 1),
        "pitch": round(face.pitch, 1),
        "brightness": round(face.brightness, 1),
        "sharpness": round(face.sharpness, 1),
        "face_fraction": round(face.face_fraction, 3),
    }
