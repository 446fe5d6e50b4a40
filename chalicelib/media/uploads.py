"""Presigned browser uploads of webcam frames, screen snapshots and audio chunks, each under its session's prefix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chalicelib.core.errors import Conflict
from chalicelib.core.presigned import MediaKind, Presigner
from chalicelib.exam import rules
from chalicelib.exam.models import SessionRecord

PROBE_PREFIX = "probes"  # upload-speed probes of the system check: outside sessions/, so nothing analyses them
PROBE = MediaKind("probe", "application/octet-stream", "bin", 2 * 1024 * 1024)
KEY_PATTERN = re.compile(r"^sessions/([0-9a-f]{32})/(webcam|audio|screen)/[0-9]{8}T[0-9]{9}Z-[0-9a-f]{12}\.(jpg|wav)$")


@dataclass(frozen=True)
class MediaKey:
    session_id: str
    kind: str


def parse_media_key(key: str) -> MediaKey | None:
    """The session and kind an object key claims, or None for any key we did not hand out."""
    match = KEY_PATTERN.match(key)
    return MediaKey(match.group(1), match.group(2)) if match else None


class MediaUploads:
    def __init__(self, presigner: Presigner, kinds: dict[str, MediaKind]) -> None:
        self._presigner = presigner
        self.kinds = kinds

    def presign(self, session: SessionRecord, kind: str) -> dict[str, Any]:
        """A presigned POST for one monitoring upload under the session's own prefix."""
        if session.status != rules.IN_PROGRESS:
            raise Conflict("session.not_in_progress", "Uploads are accepted only while the exam is in progress.")
        return self._presigner.post_policy(f"sessions/{session.session_id}", self.kinds[kind])

    def probe(self, exam_id: str) -> dict[str, Any]:
        """A presigned POST the system check times to measure the candidate's upload speed on the real path."""
        return self._presigner.post_policy(f"{PROBE_PREFIX}/{exam_id}", PROBE)
