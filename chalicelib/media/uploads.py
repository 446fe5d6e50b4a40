"""Presigned browser uploads of webcam frames and audio chunks, each scoped to its session's key prefix."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict
from chalicelib.core.http import Fields
from chalicelib.exam import rules
from chalicelib.exam.models import SessionRecord

PROBE_PREFIX = "probes"  # upload-speed probes of the system check: outside sessions/, so nothing analyses them
PROBE_MAX_BYTES = 2 * 1024 * 1024
KEY_PATTERN = re.compile(r"^sessions/([0-9a-f]{32})/(webcam|audio|screen)/[0-9]{8}T[0-9]{9}Z-[0-9a-f]{12}\.(jpg|wav)$")


@dataclass(frozen=True)
class MediaKind:
    name: str
    content_type: str
    extension: str
    max_bytes: int


@dataclass(frozen=True)
class MediaKey:
    session_id: str
    kind: str


def parse_media_key(key: str) -> MediaKey | None:
    """The session and kind an object key claims, or None for any key we did not hand out."""
    match = KEY_PATTERN.match(key)
    return MediaKey(match.group(1), match.group(2)) if match else None


class MediaUploads:
    def __init__(self, s3: Any, bucket: str, expiry_s: int, kinds: dict[str, MediaKind], clock: Clock) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._expiry_s = expiry_s
        self.kinds = kinds
        self._clock = clock

    def presign(self, session: SessionRecord, body: Any) -> dict[str, Any]:
        """A presigned POST for one monitoring upload under the session's own prefix."""
        kind = self.kinds[str(Fields(body).text("kind", choices=tuple(self.kinds)))]
        if session.status != rules.IN_PROGRESS:
            raise Conflict("session.not_in_progress", "Uploads are accepted only while the exam is in progress.")
        return self.post_policy(f"sessions/{session.session_id}", kind)

    def probe(self, exam_id: str) -> dict[str, Any]:
        """A presigned POST the system check times to measure the candidate's upload speed on the real path."""
        kind = MediaKind("probe", "application/octet-stream", "bin", PROBE_MAX_BYTES)
        return self.post_policy(f"{PROBE_PREFIX}/{exam_id}", kind)

    def post_policy(self, prefix: str, kind: MediaKind) -> dict[str, Any]:
        """A POST policy for one object: fixed key, content type and a size range (enforced by S3)."""
        now = self._clock.now()
        stamp = now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"
        key = f"{prefix}/{kind.name}/{stamp}-{uuid.uuid4().hex[:12]}.{kind.extension}"
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": kind.content_type},
            Conditions=[{"Content-Type": kind.content_type}, ["content-length-range", 1, kind.max_bytes]],
            ExpiresIn=self._expiry_s,
        )
        return {
            "url": post["url"],
            "fields": post["fields"],
            "key": key,
            "content_type": kind.content_type,
            "max_bytes": kind.max_bytes,
            "expires_in_s": self._expiry_s,
        }

    def evidence_url(self, key: str) -> str:
        return self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=self._expiry_s
        )
