"""Presigned browser uploads of webcam frames, screen snapshots and audio chunks, each under its session's prefix.

Every form handed out is recorded (its key, session, kind and expiry) in the same write that counts it against the
session's per-minute allowance: the analyzer accepts only keys recorded here, whatever the storage endpoint
enforces, and a session cannot ask for more forms than its exam's cadence needs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, TooManyAttempts
from chalicelib.core.presigned import MediaKind, Presigner
from chalicelib.exam import rules
from chalicelib.exam.models import SessionRecord
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.media.models import UploadFormRecord, UploadQuotaRecord, form_id

PROBE_PREFIX = "probes"  # upload-speed probes of the system check: outside sessions/, so nothing analyses them
PROBE = MediaKind("probe", "application/octet-stream", "bin", 2 * 1024 * 1024)
KEY_PATTERN = re.compile(r"^sessions/([0-9a-f]{32})/(webcam|audio|screen)/[0-9]{8}T[0-9]{9}Z-[0-9a-f]{12}\.(jpg|wav)$")
LEDGER_RETENTION = timedelta(days=30)  # the media's own retention
QUOTA_WINDOW_S = 60
RETRY_SLACK = 6  # forms per minute beyond twice the cadence: retries after a lost response, a re-shared screen
PROBES_PER_WINDOW = 10  # the system check times a handful of probes; a retry or two on top


@dataclass(frozen=True)
class MediaKey:
    session_id: str
    kind: str


def parse_media_key(key: str) -> MediaKey | None:
    """The session and kind an object key claims, or None for any key we did not hand out."""
    match = KEY_PATTERN.match(key)
    return MediaKey(match.group(1), match.group(2)) if match else None


def every_s(policy: AnalysisPolicy, kind: str) -> int:
    """How often the browser sends one upload of this kind under the policy."""
    return {"webcam": policy.webcam_every_s, "audio": policy.audio_chunk_s, "screen": policy.screen_every_s}[kind]


def forms_per_window(policy: AnalysisPolicy, kind: str) -> int:
    """Twice what the cadence needs per minute (an outbox drains a backlog at double speed), plus slack."""
    return 2 * math.ceil(QUOTA_WINDOW_S / every_s(policy, kind)) + RETRY_SLACK


class MediaUploads:
    def __init__(
        self, presigner: Presigner, kinds: dict[str, MediaKind], clock: Clock, connection: Connection, expiry_s: int
    ) -> None:
        self._presigner = presigner
        self.kinds = kinds
        self._clock = clock
        self._connection = connection
        self._expiry_s = expiry_s

    def presign(self, session: SessionRecord, kind: str) -> dict[str, Any]:
        """A presigned POST for one monitoring upload under the session's own prefix, recorded as issued."""
        if session.status != rules.IN_PROGRESS:
            raise Conflict("session.not_in_progress", "Uploads are accepted only while the exam is in progress.")
        policy = AnalysisPolicy.from_dict(session.analysis.as_dict() or None)
        post = self._presigner.post_policy(f"sessions/{session.session_id}", self.kinds[kind])
        now = self._clock.now()
        form = UploadFormRecord(
            object_id=form_id(post["key"]),
            session_id=session.session_id,
            kind=kind,
            state="issued",
            issued_at=now,
            form_expires_at=now + timedelta(seconds=self._expiry_s),
            expires_at=now + LEDGER_RETENTION,
        )
        self._count(f"{session.session_id}#{kind}", forms_per_window(policy, kind), now, form)
        return post

    def probe(self, exam_id: str, candidate_id: str) -> dict[str, Any]:
        """A presigned POST the system check times to measure the candidate's upload speed on the real path."""
        self._count(f"probe#{exam_id}#{candidate_id}", PROBES_PER_WINDOW, self._clock.now(), None)
        return self._presigner.post_policy(f"{PROBE_PREFIX}/{exam_id}", PROBE)

    def _count(self, scope: str, limit: int, now: datetime, form: UploadFormRecord | None) -> None:
        """Count one form in the current minute and record it, in one transaction; 429 beyond the limit."""
        window = int(now.timestamp()) // QUOTA_WINDOW_S
        quota = UploadQuotaRecord(f"quota#{scope}#{window}")
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.update(
                    quota,
                    actions=[
                        UploadQuotaRecord.count.add(1),
                        UploadQuotaRecord.expires_at.set(now + timedelta(seconds=2 * QUOTA_WINDOW_S)),
                    ],
                    condition=UploadQuotaRecord.count.does_not_exist() | (UploadQuotaRecord.count < limit),
                )
                if form is not None:
                    transaction.save(form, condition=UploadFormRecord.object_id.does_not_exist())
        except TransactWriteError as exc:
            # The form's key is new (time + random), so a failed condition is the quota's (PynamoDB orders the
            # transaction's items by kind, not as written: look at every reason).
            reasons = exc.cancellation_reasons or []
            if not any(reason is not None and reason.code == "ConditionalCheckFailed" for reason in reasons):
                raise
            retry_after = max(1, (window + 1) * QUOTA_WINDOW_S - int(now.timestamp()))
            raise TooManyAttempts(
                "media.too_many_uploads",
                f"More uploads than the exam's cadence needs; try again in {retry_after} s.",
                details={"retry_after_s": retry_after, "limit_per_minute": limit},
            ) from exc
