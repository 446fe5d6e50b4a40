"""Checks one uploaded media object and feeds what it shows into the session's violation episodes.

Every object ends in the media-objects ledger as analyzed or rejected (with a reason), exactly once: a redelivered
event finds the ledger entry and adds nothing; episode state ignores an observation older than the last one, and
episode ids are derived, so even a crash between the writes cannot duplicate a violation.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist

from chalicelib.core.clock import Clock
from chalicelib.exam import rules
from chalicelib.exam.models import SessionRecord
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.exam.sessions import load_session
from chalicelib.identity.face_detector import (
    FRAME_MAX_PIXELS,
    JPEG_ONLY,
    SCREEN_MAX_PIXELS,
    InvalidImage,
    decode_image,
)
from chalicelib.identity.face_engine import FaceEngine, FaceTemplate, OpenCvFaceEngine
from chalicelib.identity.occlusion import check_cover
from chalicelib.media.uploads import MediaKind, parse_media_key
from chalicelib.violations.episodes import SignalState
from chalicelib.violations.models import MediaObjectRecord
from chalicelib.violations.signal_tracker import Observation, SignalTracker
from chalicelib.violations.speech import InvalidAudio, SpeechDetector, read_wav
from functions.frame_analyzer.frame_signals import Identity, Reference, frame_signals

logger = logging.getLogger(__name__)
LEDGER_RETENTION = timedelta(days=30)
# A frame captured just before submit may arrive a little after it.
LATE_UPLOAD_GRACE = timedelta(seconds=30)
Trace = Callable[[str], AbstractContextManager[Any]]  # a named span around a block (X-Ray on Lambda)


def untraced(name: str) -> AbstractContextManager[Any]:
    return nullcontext()


@dataclass(frozen=True)
class UploadedObject:
    """One S3 object-created notification, as the handler read it (key already URL-decoded, once)."""

    bucket: str
    key: str
    etag: str
    event_name: str
    uploaded_at: datetime | None  # S3's eventTime; None when missing


class Rejected(Exception):
    """The object is not something we analyze; the reason is a stable code."""


@dataclass(frozen=True)
class Outcome:
    object_id: str
    outcome: str  # analyzed | rejected | duplicate | ignored
    reason: str | None = None
    violations: tuple[str, ...] = ()  # episode changes, e.g. "multiple_faces:opened"
    flags: tuple[str, ...] = ()  # signals this object showed
    kind: str | None = None  # webcam | audio | screen, when the key names one


class FrameAnalyzer:
    def __init__(
        self,
        s3: Any,
        engines: Callable[[str], FaceEngine],
        engine_for_agency: Callable[[str], FaceEngine],
        tracker: SignalTracker,
        speech: Callable[[], SpeechDetector],
        clock: Clock,
        kinds: dict[str, MediaKind],
        trace: Trace = untraced,
    ) -> None:
        self._s3 = s3
        self._engines = engines
        self._engine_for_agency = engine_for_agency
        self._tracker = tracker
        self._speech = speech
        self._clock = clock
        self._kinds = kinds
        self._trace = trace

    def process(self, uploaded: UploadedObject) -> Outcome:
        """Handle one uploaded object (from an SQS-wrapped S3 notification)."""
        bucket, key = uploaded.bucket, uploaded.key
        object_id = f"{bucket}/{key}#{uploaded.etag}"
        if not uploaded.event_name.startswith("ObjectCreated"):
            return Outcome(object_id, "ignored", "not_a_creation")
        try:
            MediaObjectRecord.get(object_id)
            return Outcome(object_id, "duplicate")
        except DoesNotExist:
            pass
        media_key = parse_media_key(key)
        uploaded_at = uploaded.uploaded_at or self._clock.now()
        ledger = MediaObjectRecord(
            object_id=object_id, analyzed_at=self._clock.now(), expires_at=self._clock.now() + LEDGER_RETENTION
        )
        try:
            if media_key is None:
                raise Rejected("foreign_key")
            ledger.session_id, ledger.kind = media_key.session_id, media_key.kind
            session = self._active_session(media_key.session_id, uploaded_at)
            with self._trace("s3.fetch"):
                data = self._fetch(bucket, key, self._kinds[media_key.kind])
            policy = AnalysisPolicy.from_dict(session.analysis.as_dict() or None)
            signal_record = None
            if media_key.kind == "webcam":
                signal_record = self._tracker.load(session.session_id)  # read once: frame count + episode state
                observations, ledger.faces = self._observe_frame(session, data, policy, signal_record)
            elif media_key.kind == "screen":
                observations = self._check_screen(data)
                session.update(actions=[SessionRecord.last_screen_key.set(key)])
            else:
                observations = self._observe_audio(data, policy)
        except Rejected as rejection:
            ledger.outcome, ledger.reason = "rejected", str(rejection)
            with self._trace("dynamodb.ledger"):
                ledger.save()
            logger.info("rejected %s: %s", key, rejection)
            return Outcome(object_id, "rejected", str(rejection), kind=ledger.kind)
        changes = []
        if observations:
            with self._trace("dynamodb.episodes"):
                changes = self._tracker.apply(
                    session,
                    uploaded_at,
                    observations,
                    policy,
                    evidence_key=key,
                    record=signal_record,
                    frame_key=key if media_key.kind == "webcam" else None,
                )
        ledger.outcome = "analyzed"
        with self._trace("dynamodb.ledger"):
            ledger.save()
        flagged = tuple(sorted(signal for signal, seen in observations.items() if seen.flagged))
        return Outcome(
            object_id,
            "analyzed",
            violations=tuple(f"{s}:{c.kind}" for s, c in changes),
            flags=flagged,
            kind=media_key.kind,
        )

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
        # One GetObject: its headers carry length and type; the body is read only when they pass.
        try:
            response = self._s3.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            raise Rejected("missing") from exc
        with contextlib.closing(response["Body"]) as body:
            if response["ContentLength"] > kind.max_bytes:
                raise Rejected("too_large")
            if response["ContentLength"] == 0:
                raise Rejected("empty")
            if response.get("ContentType", "").split(";")[0].strip().lower() != kind.content_type:
                raise Rejected("wrong_content_type")
            return body.read(kind.max_bytes + 1)

    def _observe_frame(
        self, session: Any, data: bytes, policy: AnalysisPolicy, signal_record: Any
    ) -> tuple[dict[str, Any], int]:
        try:
            image = decode_image(data, FRAME_MAX_PIXELS, JPEG_ONLY)
        except InvalidImage as exc:
            raise Rejected(exc.reason) from exc
        engine = (
            self._engines(session.reference_engine)
            if session.reference_engine
            else self._engine_for_agency(session.agency_id)
        )
        with self._trace("inference.observe"):
            faces = engine.observe(image, data)
        identity = None
        template = FaceTemplate(engine.name, session.reference_vector, session.reference_image_key)
        if faces and (template.vector or template.image_key):
            frame_number = self._tracker.states(signal_record).get("no_face", SignalState()).observations
            if frame_number % policy.reid_every_n == 0:
                with self._trace("inference.similarity"):
                    identity = reidentify(engine, template, session.reference_regions, image, faces[0], data, policy)
        reference = Reference(session.baseline_yaw, session.baseline_pitch)
        return frame_signals(faces, image, policy, reference, identity), len(faces)

    def _check_screen(self, data: bytes) -> dict[str, Any]:
        """A screen snapshot is evidence for the proctor, not a face frame: it only has to be a readable JPEG."""
        try:
            decode_image(data, SCREEN_MAX_PIXELS, JPEG_ONLY)
        except InvalidImage as exc:
            raise Rejected(exc.reason) from exc
        return {}

    def _observe_audio(self, data: bytes, policy: AnalysisPolicy) -> dict[str, Any]:
        try:
            samples = read_wav(data)
        except InvalidAudio as exc:
            raise Rejected(exc.reason) from exc
        detector = self._speech()
        with self._trace("inference.vad"):
            speech = detector.analyze(samples)
        flagged = detector.is_speech(speech, policy.speech_min_ratio)
        return {
            "speech_detected": Observation(
                flagged,
                round(speech.speech_ratio, 3),
                {
                    "speech_ratio": round(speech.speech_ratio, 3),
                    "duration_s": round(speech.duration_s, 2),
                    "segments": [[round(a, 2), round(b, 2)] for a, b in speech.speech_segments[:10]],
                },
            )
        }


def reidentify(
    engine: FaceEngine,
    template: FaceTemplate,
    regions: bytes | None,
    image: Any,
    face: Any,
    data: bytes,
    policy: AnalysisPolicy,
) -> Identity:
    """Whole-face match against the reference; with the OpenCV engine also whether the lower face is covered."""
    threshold = policy.match_threshold if policy.match_threshold is not None else engine.match_threshold
    similarity = float(engine.similarity(template, image, face, encoded=data))
    if regions and isinstance(engine, OpenCvFaceEngine):
        cover = check_cover(engine, regions, image, face)
        return Identity(similarity, threshold, covered=cover.covered, lower_similarity=cover.lower)
    return Identity(similarity=similarity, threshold=threshold)
