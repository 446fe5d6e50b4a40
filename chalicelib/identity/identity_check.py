"""The identity checker's half of enrollment: decode both photos, detect faces, apply the quality gates, match the
document to the selfie, and write the decision on the pending record. Runs in its own function
(functions/identity_checker/), never in the API: this module loads OpenCV, numpy and ONNX Runtime.

Idempotent: a job carries the id the API wrote on the pending record, and the decision is written only while the
record is still pending under that id. A redelivered job, or one overtaken by a newer request, writes nothing; and
attempts are counted by the API when it queues a check, never here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError

from chalicelib.core.clock import Clock
from chalicelib.core.db import is_condition_failure
from chalicelib.identity.enrollment import APPROVED, PENDING, REJECTED, biometric_expiry
from chalicelib.identity.face_detector import JPEG_ONLY, PHOTO_MAX_PIXELS, InvalidImage, decode_image
from chalicelib.identity.face_engine import FaceEngine, FaceObservation, OpenCvFaceEngine
from chalicelib.identity.models import EnrollmentRecord
from chalicelib.identity.occlusion import region_template
from chalicelib.identity.quality import QualityLimits, assess_enrollment


@dataclass(frozen=True)
class CheckJob:
    candidate_id: str
    exam_id: str
    job_id: str

    @classmethod
    def parse(cls, body: dict[str, Any]) -> CheckJob:
        """A queued job; a body without these fields raises (retried, then dead-lettered)."""
        return cls(str(body["candidate_id"]), str(body["exam_id"]), str(body["job_id"]))


class IdentityChecker:
    def __init__(self, s3: Any, bucket: str, engine_for: Callable[[str], FaceEngine], clock: Clock) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._engine_for = engine_for
        self._clock = clock

    def decide(self, job: CheckJob) -> str:
        """Decide one queued check; returns the status written, or `skipped` (not pending under this job)."""
        record = EnrollmentRecord.find(job.candidate_id, job.exam_id)
        if record is None or record.status != PENDING or record.job_id != job.job_id:
            return "skipped"
        engine = self._engine_for(record.agency_id)
        photos = {"selfie": self._photo(record.selfie_key), "id_document": self._photo(record.document_key)}
        unreadable = [f"{kind}.unreadable" for kind, photo in photos.items() if photo is None]
        for name in ("template_vector", "template_image_key", "template_regions", "baseline_yaw", "baseline_pitch"):
            setattr(record, name, None)
        if unreadable:
            record.status, record.reasons = REJECTED, unreadable
            record.scores = {"threshold": engine.match_threshold}
        else:
            self._assess(record, engine, photos)  # type: ignore[arg-type]
        record.decided_at = self._clock.now()
        record.expires_at = biometric_expiry(record.decided_at)
        record.engine = engine.name
        try:
            record.save(condition=(EnrollmentRecord.status == PENDING) & (EnrollmentRecord.job_id == job.job_id))
        except PutError as exc:
            if not is_condition_failure(exc):
                raise
            return "skipped"  # decided by an earlier delivery of this job, or a newer request replaced it
        return str(record.status)

    def _photo(self, key: str) -> tuple[np.ndarray, bytes] | None:
        """The decoded photo; None when it is gone or does not decode (the API checked its header only)."""
        try:
            data = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound", "AccessDenied", "403"):
                return None
            raise
        try:
            return decode_image(data, PHOTO_MAX_PIXELS, JPEG_ONLY), data
        except InvalidImage:
            return None

    @staticmethod
    def _assess(record: EnrollmentRecord, engine: FaceEngine, photos: dict[str, tuple[np.ndarray, bytes]]) -> None:
        (selfie, selfie_bytes), (document, document_bytes) = photos["selfie"], photos["id_document"]
        selfie_faces = engine.observe(selfie, selfie_bytes)
        document_faces = engine.observe(document, document_bytes)
        reasons = [f"selfie.{c}" for c in assess_enrollment(selfie_faces, QualityLimits())]
        reasons += [f"id_document.{c}" for c in assess_enrollment(document_faces, QualityLimits.for_document())]
        scores: dict[str, Any] = {
            "selfie": _measure(selfie_faces),
            "id_document": _measure(document_faces),
            "threshold": engine.match_threshold,
        }
        if not any(r.startswith("selfie.") for r in reasons):
            face = selfie_faces[0]
            template = engine.template(selfie, face, image_key=record.selfie_key, encoded=selfie_bytes)
            record.template_vector, record.template_image_key = template.vector, template.image_key
            if isinstance(engine, OpenCvFaceEngine):
                record.template_regions = region_template(engine, selfie, face)
            record.baseline_yaw, record.baseline_pitch = round(face.yaw, 2), round(face.pitch, 2)
            if not reasons:
                similarity = engine.similarity(template, document, document_faces[0], encoded=document_bytes)
                scores["similarity"] = round(float(similarity), 4)
                if similarity < engine.match_threshold:
                    reasons.append("id_document.face_mismatch")
        record.status = REJECTED if reasons else APPROVED
        record.reasons = reasons
        record.scores = scores


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
