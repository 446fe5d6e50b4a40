"""Checks one uploaded media object and turns what it shows into violations.

Every object ends in the media-objects ledger as analyzed or rejected (with a reason), exactly once:
a redelivered event finds the ledger entry and adds nothing; violation ids are derived from the object,
so even a crash between the two writes cannot duplicate a violation.
"""

from __future__ import annotations

import io
import logging
import wave
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist

from chalicelib.core.clock import Clock, parse_iso
from chalicelib.exam import rules
from chalicelib.exam.sessions import load_session
from chalicelib.identity.face_detector import FaceDetector, InvalidImage, decode_image
from chalicelib.media.uploads import MediaKind, parse_media_key
from chalicelib.violations.catalog import ANALYZER_TYPES
from chalicelib.violations.models import MediaObjectRecord
from chalicelib.violations.recorder import Violation, ViolationRecorder, derived_violation_id

logger = logging.getLogger(__name__)
LEDGER_RETENTION = timedelta(days=30)
# A frame captured just before submit may arrive a little after it.
LATE_UPLOAD_GRACE = timedelta(seconds=30)


class Rejected(Exception):
    """The object is not something we analyze; the reason is a stable code."""


@dataclass(frozen=True)
class Outcome:
    object_id: str
    outcome: str  # analyzed | rejected | duplicate | ignored
    reason: str | None = None
    violations: tuple[str, ...] = ()


class FrameAnalyzer:
    def __init__(self, s3: Any, detector: FaceDetector, recorder: ViolationRecorder, clock: Clock,
                 kinds: dict[str, MediaKind]) -> None:
        self._s3 = s3
        self._detector = detector
        self._recorder = recorder
        self._clock = clock
        self._kinds = kinds

    def process(self, record: dict[str, Any]) -> Outcome:
        """Handle one S3 event record (from an SQS-wrapped notification)."""
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])  # keys arrive URL-encoded
        etag = str(record["s3"]["object"].get("eTag", "")).strip('"')
        object_id = f"{bucket}/{key}#{etag}"
        if not record.get("eventName", "").startswith("ObjectCreated"):
            return Outcome(object_id, "ignored", "not_a_creation")
        try:
            MediaObjectRecord.get(object_id)
            return Outcome(object_id, "duplicate")
        except DoesNotExist:
            pass
        media_key = parse_media_key(key)
        uploaded_at = parse_iso(record.get("eventTime") or self._clock.now().isoformat())
        ledger = MediaObjectRecord(object_id=object_id, analyzed_at=self._clock.now(),
                                   expires_at=self._clock.now() + LEDGER_RETENTION)
        try:
            if media_key is None:
                raise Rejected("foreign_key")
            ledger.session_id, ledger.kind = media_key.session_id, media_key.kind
            session = self._active_session(media_key.session_id, uploaded_at)
            data = self._fetch(bucket, key, self._kinds[media_key.kind])
            if media_key.kind == "webcam":
                found = self._analyze_frame(session, key, object_id, data, uploaded_at)
                ledger.faces = found[0]
                violations = found[1]
            else:
                check_wav(data)
                violations = ()
        except Rejected as rejection:
            ledger.outcome, ledger.reason = "rejected", str(rejection)
            ledger.save()
            logger.info("rejected %s: %s", key, rejection)
            return Outcome(object_id, "rejected", str(rejection))
        ledger.outcome = "analyzed"
        ledger.save()
        return Outcome(object_id, "analyzed", violations=violations)

    def _active_session(self, session_id: str, uploaded_at: datetime) -> Any:
        session = load_session(session_id)
        if session is None:
            raise Rejected("unknown_session")
        if session.status == rules.IN_PROGRESS:
            return session
        ended = session.submitted_at or session.deadline_at
        if session.status in rules.FINAL_STATUSES or uploaded_at > ended + LATE_UPLOAD_GRACE:
            raise Rejected("session_inactive")
        return session

    def _fetch(self, bucket: str, key: str, kind: MediaKind) -> bytes:
        # S3 enforces the POST policy on AWS, but not every compatible endpoint does: check again here.
        try:
            head = self._s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            raise Rejected("missing") from exc
        if head["ContentLength"] > kind.max_bytes:
            raise Rejected("too_large")
        if head["ContentLength"] == 0:
            raise Rejected("empty")
        if head.get("ContentType", "").split(";")[0].strip().lower() != kind.content_type:
            raise Rejected("wrong_content_type")
        return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read(kind.max_bytes + 1)

    def _analyze_frame(self, session: Any, key: str, object_id: str, data: bytes,
                       uploaded_at: datetime) -> tuple[int, tuple[str, ...]]:
        try:
            image = decode_image(data)
        except InvalidImage as exc:
            raise Rejected("undecodable") from exc
        faces = self._detector.detect(image)
        kinds = []
        if not faces:
            kinds.append("no_face")
        elif len(faces) > 1:
            kinds.append("multiple_faces")
        for violation_type in kinds:
            self._recorder.record(session.agency_id, Violation(
                session_id=session.session_id, violation_id=derived_violation_id(object_id, violation_type),
                type=violation_type, severity=ANALYZER_TYPES[violation_type], source="analyzer",
                occurred_at=uploaded_at, evidence_key=key,
                details={"faces": len(faces), "scores": [round(f.score, 3) for f in faces][:10]},
            ))
        return len(faces), tuple(kinds)


def check_wav(data: bytes) -> None:
    """Accept only a well-formed PCM WAV (the browser records 16 kHz mono 16-bit)."""
    try:
        with wave.open(io.BytesIO(data)) as audio:
            if audio.getnchannels() != 1 or audio.getsampwidth() != 2 or audio.getframerate() != 16000:
                raise Rejected("unsupported_audio_format")
            if audio.getnframes() == 0 or len(audio.readframes(audio.getnframes())) < audio.getnframes() * 2:
                raise Rejected("truncated_audio")
    except (wave.Error, EOFError) as exc:
        raise Rejected("undecodable") from exc
