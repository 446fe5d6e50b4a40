"""Erasure of a candidate's biometric data on request: identity-check photos (every stored version), the face
templates in the enrollment records, and the copies of the template that running or past sessions hold.

Only an admin of the candidate's own agency can ask (the account is looked up under the admin's agency, so another
agency's login is simply not found). The media bucket is versioned, so deleting a key would only add a delete
marker: each object version under the candidate's enrollment folders is deleted by its version id, and the delete
markers too. What was erased, by whom and when is written as one audit log line; the answer repeats the counts.
The candidate's next identity check starts afresh (no record, no attempts counted).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import observability
from chalicelib.core.clock import Clock, iso
from chalicelib.core.errors import Unavailable
from chalicelib.core.principal import Principal
from chalicelib.identity.accounts import candidate_of
from chalicelib.identity.enrollment import enrollment_prefix
from chalicelib.identity.models import EnrollmentRecord

ExamsOf = Callable[[str], Iterable[str]]  # the exams a candidate was admitted to (the exam context answers)
ForgetReferences = Callable[[str, list[str]], int]  # drop the template copies in those exams' sessions; how many
DELETE_BATCH = 1000  # S3 DeleteObjects takes at most 1,000 keys


class BiometricErasure:
    def __init__(
        self, s3: Any, bucket: str, clock: Clock, exams_of: ExamsOf, forget_references: ForgetReferences
    ) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._clock = clock
        self._exams_of = exams_of
        self._forget_references = forget_references

    def erase(self, admin: Principal, login: str) -> dict[str, Any]:
        candidate = candidate_of(admin, login)
        candidate_id = candidate.user_id
        records = list(EnrollmentRecord.query(candidate_id, consistent_read=True))
        # Photos may exist without a record (uploaded, never verified): every admitted exam's folder is emptied.
        exam_ids = sorted({r.exam_id for r in records} | set(self._exams_of(candidate_id)))
        try:  # photos first: if this fails, the records still name the exams and a retry finds everything
            versions = sum(self._delete_versions(f"{enrollment_prefix(e, candidate_id)}/") for e in exam_ids)
        except (ClientError, BotoCoreError) as exc:
            observability.logger(observability.API).warning(
                "biometric erasure incomplete", extra={"candidate_id": candidate_id, "error": type(exc).__name__}
            )
            raise Unavailable("erasure.incomplete", "Some photos could not be deleted; try again.") from exc
        for record in records:
            record.delete()
        sessions = self._forget_references(candidate_id, exam_ids)
        erased = {
            "login": candidate.login_name,
            "candidate_id": candidate_id,
            "enrollments_deleted": len(records),
            "photo_versions_deleted": versions,
            "sessions_cleared": sessions,
            "erased_at": iso(self._clock.now()),
        }
        observability.logger(observability.API).info(
            "biometric data erased", extra={"audit": "biometric_erasure", "by": admin.user_id, **erased}
        )
        return erased

    def _delete_versions(self, prefix: str) -> int:
        """Delete every version and delete marker under prefix; how many were deleted."""
        deleted = 0
        for page in self._s3.get_paginator("list_object_versions").paginate(Bucket=self._bucket, Prefix=prefix):
            objects = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in (*page.get("Versions", ()), *page.get("DeleteMarkers", ()))
            ]
            for start in range(0, len(objects), DELETE_BATCH):
                batch = objects[start : start + DELETE_BATCH]
                answer = self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True})
                if answer.get("Errors"):
                    raise Unavailable("erasure.incomplete", "Some photos could not be deleted; try again.")
                deleted += len(batch)
        return deleted
