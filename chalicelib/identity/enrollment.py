"""Identity check before the exam: a face photo and an ID-document photo, quality gates, the two must match.

Only after recorded consent. The decision is stored with its scores; the selfie's face template and head pose
become the reference for re-identification during the exam. A proctor may override a rejection, with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.core.clock import Clock, iso
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import ApiError, BadRequest, Conflict, Forbidden, NotFound
from chalicelib.core.http import Fields
from chalicelib.exam.models import AdmissionRecord
from chalicelib.exam.sessions import load_enrollment, session_id_for
from chalicelib.identity.face_detector import InvalidImage, decode_image
from chalicelib.identity.face_engine import FaceEngine, FaceObservation, OpenCvFaceEngine
from chalicelib.identity.models import EnrollmentRecord
from chalicelib.identity.occlusion import region_template
from chalicelib.identity.quality import MESSAGES, QualityLimits, assess_enrollment
from chalicelib.identity.tokens import Principal
from chalicelib.media.uploads import MediaKind, MediaUploads

APPROVED, REJECTED, OVERRIDDEN = "approved", "rejected", "overridden"
MAX_ATTEMPTS = 10
PHOTO_KINDS = ("selfie", "id_document")
_MISMATCH_MESSAGE = {
    "kk": "Құжаттағы фото сіздің бетіңізге сәйкес келмейді. Өз құжатыңызды түсіріңіз.",
    "ru": "Фото в документе не совпадает с вашим лицом. Сфотографируйте свой документ.",
    "en": "The photo in the document does not match your face. Photograph your own document.",
}


def enrollment_prefix(exam_id: str, candidate_id: str) -> str:
    return f"enrollment/{session_id_for(exam_id, candidate_id)}"


def _reason(photo: str, code: str) -> dict[str, Any]:
    message = _MISMATCH_MESSAGE if code == "face_mismatch" else MESSAGES[code]
    return {"photo": photo, "code": code, "message": dict(message)}


class EnrollmentService:
    def __init__(
        self,
        s3: Any,
        bucket: str,
        uploads: MediaUploads,
        engine_for: Callable[[str], FaceEngine],
        clock: Clock,
        max_photo_bytes: int,
    ) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._uploads = uploads
        self._engine_for = engine_for
        self._clock = clock
        self._kind = {k: MediaKind(k, "image/jpeg", "jpg", max_photo_bytes) for k in PHOTO_KINDS}

    def _consented_admission(self, candidate: Principal, exam_id: str) -> AdmissionRecord:
        try:
            admission = AdmissionRecord.get(candidate.user_id, exam_id)
        except DoesNotExist:
            admission = None
        if admission is None or admission.agency_id != candidate.agency_id:
            raise NotFound("exam.not_found", "No such exam among your admissions.")
        if admission.consent_at is None:
            raise Forbidden("consent.required", "Accept the exam rules before the identity check.")
        return admission

    def presign(self, candidate: Principal, exam_id: str, body: Any) -> dict[str, Any]:
        kind = str(Fields(body).text("kind", choices=PHOTO_KINDS))
        self._consented_admission(candidate, exam_id)
        return self._uploads.post_policy(enrollment_prefix(exam_id, candidate.user_id), self._kind[kind])

    def _photo(self, key: str) -> tuple[np.ndarray, bytes]:
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError:
            raise Conflict("enrollment.photo_missing", "Upload the photo before asking for verification.") from None
        if head["ContentLength"] > self._kind["selfie"].max_bytes or head.get("ContentType") != "image/jpeg":
            raise ApiError("enrollment.photo_rejected", "The photo must be a JPEG within the size limit.", status=422)
        data = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        try:
            return decode_image(data), data
        except InvalidImage:
            raise ApiError(
                "enrollment.photo_unreadable", "The photo could not be read; take it again.", status=422
            ) from None

    def verify(self, candidate: Principal, exam_id: str, body: Any) -> dict[str, Any]:
        """Check both photos and record the decision (approved / rejected with reasons)."""
        fields = Fields(body)
        keys = {kind: str(fields.text(f"{kind}_key", max_len=300)) for kind in PHOTO_KINDS}
        admission = self._consented_admission(candidate, exam_id)
        prefix = enrollment_prefix(exam_id, candidate.user_id)
        for kind, key in keys.items():
            if not re.fullmatch(rf"{re.escape(prefix)}/{kind}/[0-9]{{8}}T[0-9]{{9}}Z-[0-9a-f]{{12}}\.jpg", key):
                raise BadRequest("enrollment.foreign_key", f"'{kind}_key' is not one of your uploads.")
        previous = load_enrollment(candidate.user_id, exam_id)
        if previous is not None and previous.status in (APPROVED, OVERRIDDEN):
            return self.view(previous)
        attempts = int(previous.attempts) + 1 if previous else 1
        if attempts > MAX_ATTEMPTS:
            raise ApiError("enrollment.too_many_attempts", "Too many attempts; ask a proctor for help.", status=429)
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
            agency_id=admission.agency_id,
            selfie_key=keys["selfie"],
            document_key=keys["id_document"],
            attempts=attempts,
            decided_at=self._clock.now(),
            engine=engine.name,
        )
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
            "status": record.status,
            "reasons": reasons,
            "scores": record.scores.as_dict(),
            "attempts": int(record.attempts),
            "decided_at": iso(record.decided_at),
            "reidentification": record.template_vector is not None or record.template_image_key is not None,
            "override_by": record.override_by,
            "override_reason": record.override_reason,
        }

    def status(self, candidate: Principal, exam_id: str) -> dict[str, Any]:
        self._consented_admission(candidate, exam_id)
        record = load_enrollment(candidate.user_id, exam_id)
        if record is None:
            raise NotFound("enrollment.not_found", "No identity check yet.")
        return self.view(record)

    def for_proctor(self, proctor: Principal, exam_id: str, candidate_id: str) -> EnrollmentRecord:
        record = load_enrollment(candidate_id, exam_id)
        if record is None or record.agency_id != proctor.agency_id:
            raise NotFound("enrollment.not_found", "No identity check for that candidate and exam.")
        return record

    def override(self, proctor: Principal, exam_id: str, candidate_id: str, body: Any) -> dict[str, Any]:
        reason = str(Fields(body).text("reason", max_len=1000))
        record = self.for_proctor(proctor, exam_id, candidate_id)
        if record.status != REJECTED:
            raise Conflict("enrollment.not_rejected", "Only a rejected identity check can be overridden.")
        try:
            record.update(
                actions=[
                    EnrollmentRecord.status.set(OVERRIDDEN),
                    EnrollmentRecord.override_by.set(proctor.user_id),
                    EnrollmentRecord.override_reason.set(reason),
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
