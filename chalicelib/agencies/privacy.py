"""A candidate's data on request: export (everything the platform holds about the person) and deletion.

Deletion removes what identifies the person and keeps what the agency must keep:
- gone: the name (replaced by a pseudonym on the account and on the sessions' copies), the password (an unusable
  one), every sign-in (token version bumped, account disabled, so login is impossible), the biometric data (the
  existing erasure: identity photos of every version, face templates, the sessions' template copies) and the
  session media (webcam frames, audio, screen snapshots: every version, delete markers too);
- kept: the login and account id (the pseudonymous key the results hang on), admissions and consents (what the
  candidate agreed to, and when), sessions with answers, scores, verdicts and violation records (the exam result is
  a record the agency must be able to show and defend on appeal; the violation records keep type, time and scores,
  their evidence links no longer open), and the audit log (who did what, including this deletion).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.agencies import objects
from chalicelib.agencies.audit import record_audit
from chalicelib.core.clock import Clock, iso
from chalicelib.core.errors import Unavailable
from chalicelib.core.principal import Principal
from chalicelib.identity.accounts import Accounts, candidate_of
from chalicelib.identity.models import EnrollmentRecord, UserRecord
from chalicelib.identity.passwords import hash_password


@dataclass(frozen=True)
class CandidateRecords:
    """The exam context's records of one candidate, reached through ports (agencies sits below exam)."""

    admissions: Callable[[str], list[dict[str, Any]]]  # candidate_id -> admissions with consent
    sessions: Callable[[str], list[dict[str, Any]]]  # candidate_id -> sessions with answers, results, violations
    rename_sessions: Callable[[str, str], int]  # (candidate_id, pseudonym) -> sessions renamed
    erase_biometrics: Callable[[Principal, str], dict[str, Any]]  # (admin, login) -> counts


def pseudonym(candidate_id: str) -> str:
    return "erased-" + hashlib.sha256(candidate_id.encode()).hexdigest()[:10]


class CandidatePrivacy:
    def __init__(self, s3: Any, bucket: str, clock: Clock, accounts: Accounts, records: CandidateRecords) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._clock = clock
        self._accounts = accounts
        self._records = records

    def export(self, admin: Principal, login: str) -> dict[str, Any]:
        user = candidate_of(admin, login)
        sessions = self._records.sessions(user.user_id)
        enrollments = list(EnrollmentRecord.query(user.user_id, consistent_read=True))
        document = {
            "exported_at": iso(self._clock.now()),
            "account": {
                "login": user.login_name,
                "candidate_id": user.user_id,
                "agency_id": user.agency_id,
                "full_name": user.full_name,
                "created_at": iso(user.created_at),
                "disabled": bool(user.disabled),
                "erased_at": iso(user.erased_at) if user.erased_at else None,
            },
            "admissions": self._records.admissions(user.user_id),
            "sessions": sessions,
            "enrollments": [
                {
                    "exam_id": e.exam_id,
                    "status": e.status,
                    "reasons": list(e.reasons or []),
                    "attempts": int(e.attempts or 0),
                    "requested_at": iso(e.requested_at) if e.requested_at else None,
                    "decided_at": iso(e.decided_at) if e.decided_at else None,
                    "photos": [e.selfie_key, e.document_key],
                    "override_reason": e.override_reason,
                }
                for e in enrollments
            ],
            "media": sorted(
                key for s in sessions for key in objects.keys(self._s3, self._bucket, f"sessions/{s['session_id']}/")
            ),
        }
        record_audit(admin, "candidate.exported", user.login_name)
        return document

    def delete(self, admin: Principal, login: str) -> dict[str, Any]:
        user = candidate_of(admin, login)
        erased = self._records.erase_biometrics(admin, login)
        sessions = self._records.sessions(user.user_id)
        try:
            media = sum(
                objects.delete_versions(self._s3, self._bucket, f"sessions/{s['session_id']}/") for s in sessions
            )
        except (ClientError, BotoCoreError) as exc:
            raise Unavailable("erasure.incomplete", "Some media could not be deleted; try again.") from exc
        name = pseudonym(user.user_id)
        renamed = self._records.rename_sessions(user.user_id, name)
        self._accounts.revoke(
            user.user_id,
            [
                UserRecord.full_name.set(name),
                UserRecord.password_hash.set(hash_password(secrets.token_urlsafe(24))),
                UserRecord.disabled.set(True),
                UserRecord.erased_at.set(self._clock.now()),
            ],
        )
        result = {
            "login": user.login_name,
            "candidate_id": user.user_id,
            "full_name": name,
            "enrollments_deleted": erased["enrollments_deleted"],
            "photo_versions_deleted": erased["photo_versions_deleted"],
            "media_versions_deleted": media,
            "sessions_kept": len(sessions),
            "sessions_renamed": renamed,
            "deleted_at": iso(self._clock.now()),
        }
        record_audit(admin, "candidate.erased", user.login_name, {k: v for k, v in result.items() if k != "login"})
        return result
