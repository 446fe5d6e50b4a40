"""Checks one uploaded media object and feeds what it shows into the session's violation episodes.

Only objects under keys the API issued (a form row in the media-objects table) are analysed: the analyzer claims
the key's form with one conditional write that records the object version it read and its sha256, so a key never
issued to that session is rejected (`not_issued`, nothing recorded for the session its prefix names) and another
upload under a key already used is recorded (`media_reupload`) while the first version stays the evidence.
Violations carry the evidence's version id and sha256; the proctor's link is pinned to that version.

Every object also ends in the ledger as analyzed or rejected (with a reason); the rows of one SQS batch are written
together when the batch ends (ledger.py). A redelivered event claims the same version again and finds its ledger row
(or, after a crash before the row was written, is applied again: the tracker recognises an object it applied and
episode ids are derived, so nothing is counted twice).

A webcam object holds one frame or, named `<name>.f2.jpg`, two frames stacked vertically (earlier on top: the browser
uploads every second capture as one JPEG, chalicelib/media/uploads.py WEBCAM_FRAMES_PER_OBJECT). It is decoded once
and split; each frame is observed in order as a frame of the session's stream (its own frame number, re-identification
and two-pass detection as for a single frame), the earlier at uploaded_at − webcam_every_s, the later at uploaded_at,
and both are applied to the signal states in one write. A violation opened or grown by a frame of a pair says which
half (`details.part` 0 or 1 of `details.frames` 2) so the console shows that frame.

Endpoint requests per webcam object (one or two frames): one BatchGetItem (the session, projected, and its signal
states: session_inputs.py), one GetObject, the claim (UpdateItem), one conditional PutItem of the signal states
(episodes, media counters and the live tile in the same write), and a share of the batch's BatchWriteItem of outcome
rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.clock import Clock
from chalicelib.exam import rules
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.identity.face_detector import (
    FRAME_MAX_PIXELS,
    JPEG_ONLY,
    SCREEN_MAX_PIXELS,
    FaceStream,
    InvalidImage,
    decode_image,
)
from chalicelib.identity.face_engine import FaceEngine, FaceTemplate, OpenCvFaceEngine
from chalicelib.identity.occlusion import check_cover, match_and_cover
from chalicelib.media import claims
from chalicelib.media.uploads import MediaKey, MediaKind, object_max_bytes, parse_media_key
from chalicelib.violations import media_stats
from chalicelib.violations.catalog import SERVER_TYPES
from chalicelib.violations.episodes import SignalState
from chalicelib.violations.models import MediaObjectRecord
from chalicelib.violations.recorder import Evidence, Violation, ViolationRecorder, derived_violation_id
from chalicelib.violations.signal_tracker import Observation, SignalTracker, Step
from chalicelib.violations.speech import InvalidAudio, SpeechDetector, read_wav
from functions.frame_analyzer.frame_signals import (
    Identity,
    NotAFramePair,
    Reference,
    frame_signals,
    split_frames,
)
from functions.frame_analyzer.ledger import OutcomeLedger
from functions.frame_analyzer.session_inputs import SessionInputs, read_inputs

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
    version_id: str | None = None  # in the event where the bucket is versioned (AWS); moto sends none


@dataclass(frozen=True)
class StoredObject:
    """One object version as read: its headers, and the bytes once they passed the header checks."""

    version_id: str | None
    etag: str
    length: int
    content_type: str
    body: Any


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
    frames: int = 1  # webcam frames the object held (analysed: each one observed)


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
        recorder: ViolationRecorder,
        trace: Trace = untraced,
        sessions: Callable[[str], SessionInputs | None] = read_inputs,
        outcomes: OutcomeLedger | None = None,
    ) -> None:
        self._s3 = s3
        self._engines = engines
        self._engine_for_agency = engine_for_agency
        self._tracker = tracker
        self._speech = speech
        self._clock = clock
        self._kinds = kinds
        self._recorder = recorder
        self._trace = trace
        self._sessions = sessions
        self.outcomes = outcomes or OutcomeLedger()  # the handler wraps each SQS batch in outcomes.batch()

    def process(self, uploaded: UploadedObject) -> Outcome:
        """Handle one uploaded object (from an SQS-wrapped S3 notification)."""
        bucket, key = uploaded.bucket, uploaded.key
        object_id = f"{bucket}/{key}#{uploaded.etag}"
        if not uploaded.event_name.startswith("ObjectCreated"):
            return Outcome(object_id, "ignored", "not_a_creation")
        media_key = parse_media_key(key)
        now = self._clock.now()
        uploaded_at = uploaded.uploaded_at or now
        ledger = MediaObjectRecord(object_id=object_id, analyzed_at=now, expires_at=now + LEDGER_RETENTION)
        claimed = False
        try:
            if media_key is None:
                raise Rejected("foreign_key")
            ledger.kind = media_key.kind
            inputs = self._active_session(media_key.session_id, uploaded_at)
            session = inputs.session
            kind = self._kinds[media_key.kind]
            with self._trace("s3.fetch"):
                stored = self._get(uploaded)
            frames = media_key.frames
            with contextlib.closing(stored.body):
                content_problem = header_problem(stored, kind, frames)
                data = b"" if content_problem else stored.body.read(object_max_bytes(kind, frames) + 1)
            evidence = Evidence(key, stored.version_id, hashlib.sha256(data).hexdigest() if data else None)
            ledger.version_id, ledger.sha256 = evidence.version_id, evidence.sha256
            with self._trace("dynamodb.claim"):
                first = self._claim(media_key, evidence, stored.etag, now, uploaded_at)
            if first is None:  # another version under a used key: recorded, never the evidence
                return self._reupload(session, media_key, evidence, ledger, uploaded_at)
            claimed, ledger.session_id = True, media_key.session_id
            if not first and self.outcomes.done(object_id):
                return Outcome(object_id, "duplicate", kind=media_key.kind)
            if content_problem:
                raise Rejected(content_problem)
            policy = inputs.policy
            signal_record = inputs.states  # read with the session: frame count, episode states, applied objects
            if media_key.kind == "webcam":
                steps, ledger.faces = self._observe_frames(session, data, policy, signal_record, uploaded_at, frames)
            elif media_key.kind == "screen":
                steps = [Step(uploaded_at, self._check_screen(data))]
                media_stats.note_screen(session.session_id, evidence, uploaded_at)
            else:
                steps = [Step(uploaded_at, self._observe_audio(data, policy))]
        except Rejected as rejection:
            ledger.outcome, ledger.reason = "rejected", str(rejection)
            with self._trace("dynamodb.ledger"):
                if claimed and media_key is not None:  # the session's own upload: it counts as rejected media
                    media_stats.note_rejected(media_key.session_id, media_key.kind, str(rejection), uploaded_at)
                self.outcomes.save(ledger)
            if str(rejection) == "not_issued":
                logger.warning("upload under a key never issued: %s (nothing recorded for its session)", key)
            else:
                logger.info("rejected %s: %s", key, rejection)
            return Outcome(object_id, "rejected", str(rejection), kind=ledger.kind)
        changes = []
        steps = [step for step in steps if step.observations]
        if steps:
            with self._trace("dynamodb.episodes"):
                changes = self._tracker.apply_steps(
                    session, steps, policy, evidence, record=signal_record, kind=media_key.kind
                )
        ledger.outcome = "analyzed"
        with self._trace("dynamodb.ledger"):
            self.outcomes.save(ledger)
        flagged = tuple(sorted({name for step in steps for name, seen in step.observations.items() if seen.flagged}))
        return Outcome(
            object_id,
            "analyzed",
            violations=tuple(f"{s}:{c.kind}" for s, c in changes),
            flags=flagged,
            kind=media_key.kind,
            frames=frames,
        )

    def _claim(
        self, media_key: MediaKey, evidence: Evidence, etag: str, now: datetime, uploaded_at: datetime
    ) -> bool | None:
        """Claim the object's name under its form (chalicelib/media/claims.py): True the first time, False for the
        same version again (a redelivery), None when another version holds it. Rejected(reason) when the form does
        not admit it: not_issued, form_expired, too_many_in_window."""
        try:
            return claims.claim(media_key, evidence.version_id, evidence.sha256, etag, uploaded_at)
        except claims.Refused as refused:
            raise Rejected(str(refused)) from None

    def _reupload(
        self, session: Any, media_key: MediaKey, evidence: Evidence, ledger: MediaObjectRecord, uploaded_at: datetime
    ) -> Outcome:
        """Another object under a key that already holds analysed evidence: keep the first, record this one."""
        form = claims.note_reupload(media_key, evidence.version_id)
        same_bytes = bool(form.sha256 and evidence.sha256 and form.sha256 == evidence.sha256)
        ledger.session_id, ledger.outcome = media_key.session_id, "rejected"
        ledger.reason = "reupload_same_bytes" if same_bytes else "reupload"
        if not same_bytes:  # the same bytes again (a retried POST) change nothing; other bytes are an attempt
            self._recorder.record(
                session.agency_id,
                Violation(
                    session_id=session.session_id,
                    violation_id=derived_violation_id(
                        "media_reupload", evidence.key, evidence.version_id or "", evidence.sha256 or ""
                    ),
                    type="media_reupload",
                    severity=SERVER_TYPES["media_reupload"],
                    source="analyzer",
                    occurred_at=uploaded_at,
                    evidence=Evidence(evidence.key, form.version_id, form.sha256),  # the analysed original
                    details={
                        "kind": media_key.kind,
                        "evidence_version": form.version_id or "",
                        "evidence_sha256": form.sha256 or "",
                        "reupload_version": evidence.version_id or "",
                        "reupload_sha256": evidence.sha256 or "",
                    },
                ),
            )
        self.outcomes.save(ledger)
        logger.warning("another upload under the used key %s: %s", evidence.key, ledger.reason)
        return Outcome(ledger.object_id, "rejected", ledger.reason, kind=media_key.kind)

    def _get(self, uploaded: UploadedObject) -> StoredObject:
        """One GetObject of the very version the event reports. Where events carry no version id (moto) and the
        key was written again meanwhile (another ETag), the version with the event's ETag is looked up."""
        request = {"Bucket": uploaded.bucket, "Key": uploaded.key}
        if uploaded.version_id:
            request["VersionId"] = uploaded.version_id
        try:
            response = self._s3.get_object(**request)
            etag = response.get("ETag", "").strip('"')
            if not uploaded.version_id and uploaded.etag and etag != uploaded.etag:
                response["Body"].close()
                version = self._version_with_etag(uploaded.bucket, uploaded.key, uploaded.etag)
                if version is None:
                    raise Rejected("missing")
                response = self._s3.get_object(**request, VersionId=version)
                etag = response.get("ETag", "").strip('"')
        except ClientError as exc:
            raise Rejected("missing") from exc
        version_id = response.get("VersionId")
        return StoredObject(
            version_id=version_id if version_id and version_id != "null" else None,
            etag=etag,
            length=int(response.get("ContentLength") or 0),
            content_type=response.get("ContentType", ""),
            body=response["Body"],
        )

    def _version_with_etag(self, bucket: str, key: str, etag: str) -> str | None:
        listed = self._s3.list_object_versions(Bucket=bucket, Prefix=key)
        matches = [v for v in listed.get("Versions", []) if v["Key"] == key and v["ETag"].strip('"') == etag]
        return min(matches, key=lambda v: v["LastModified"])["VersionId"] if matches else None

    def _active_session(self, session_id: str, uploaded_at: datetime) -> SessionInputs:
        """The session's analysis inputs and signal states (one read), if it still takes media."""
        inputs = self._sessions(session_id)
        if inputs is None:
            raise Rejected("unknown_session")
        session = inputs.session
        if session.status == rules.IN_PROGRESS:
            return inputs
        ended = session.submitted_at or session.deadline_at
        if session.status in rules.FINAL_STATUSES or uploaded_at > ended + LATE_UPLOAD_GRACE:
            raise Rejected("session_inactive")
        return inputs

    def _observe_frames(
        self,
        session: Any,
        data: bytes,
        policy: AnalysisPolicy,
        signal_record: Any,
        uploaded_at: datetime,
        frames: int,
    ) -> tuple[list[Step], int]:
        """The object's frames observed in order, each as the next frame of the session's stream: one step per frame
        (at frame_times), and the most faces in one."""
        pictures = decode_frames(data, frames)
        states = self._tracker.states(signal_record)
        frame_number = states.get("no_face", SignalState()).observations
        times = frame_times(uploaded_at, frames, policy.webcam_every_s, states.get("no_face", SignalState()).last_at)
        steps, counts = [], []
        for part, picture in enumerate(pictures):
            previous = None if part == 0 else counts[-1]  # the frame before this one is the pair's earlier half
            signals, faces = self._observe_image(
                session, picture, data if frames == 1 else None, policy, states, frame_number + part, previous
            )
            counts.append(faces)
            extra = {"part": part, "frames": frames} if frames > 1 else None
            steps.append(Step(times[part], signals, extra))
        return steps, max(counts)

    def _observe_frame(
        self, session: Any, data: bytes, policy: AnalysisPolicy, signal_record: Any
    ) -> tuple[dict[str, Any], int]:
        """One single-frame JPEG as the next frame of the session's stream: its signals and face count."""
        (image,) = decode_frames(data, 1)
        states = self._tracker.states(signal_record)
        frame_number = states.get("no_face", SignalState()).observations
        return self._observe_image(session, image, data, policy, states, frame_number, None)

    def _observe_image(
        self,
        session: Any,
        image: Any,
        encoded: bytes | None,
        policy: AnalysisPolicy,
        states: dict[str, SignalState],
        frame_number: int,
        previous_faces: int | None,
    ) -> tuple[dict[str, Any], int]:
        """One frame: `frame_number` frames of the stream came before it; `previous_faces`, when known here (the
        earlier frame of the same object), is what the frame before showed, else the states say it."""
        engine = (
            self._engines(session.reference_engine)
            if session.reference_engine
            else self._engine_for_agency(session.agency_id)
        )
        template = FaceTemplate(engine.name, session.reference_vector, session.reference_image_key)
        can_reid = bool(template.vector or template.image_key)
        reid = can_reid and frame_number % policy.reid_every_n == 0
        every = policy.reid_every_n if can_reid else 0
        if previous_faces is None:
            stream = face_stream(states, frame_number, reid, every)
        else:
            stream = FaceStream(frame_number, min(previous_faces, 2), reid, every)
        with self._trace("inference.observe"):
            faces = engine.observe(image, encoded, stream=stream)
        identity = None
        if faces and reid:
            with self._trace("inference.similarity"):
                identity = reidentify(engine, template, session.reference_regions, image, faces[0], encoded, policy)
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


def frame_times(uploaded_at: datetime, frames: int, every_s: int, newest: datetime | None) -> list[datetime]:
    """When each frame of an object was taken, as far as the server can tell: the last at the upload, each earlier one
    `every_s` before the next (the browser's cadence). The browser captured them after the frames of the session's
    previous object, so an earlier frame never goes before the newest frame seen (`newest`): when uploads jitter (the
    previous object went up late, this one early) the earlier frames are spread evenly between it and the upload.
    Otherwise a late-placed earlier frame would count as an out-of-order observation, and a flagged one after a clean
    newer frame would be dropped. An object older than the newest frame (delivered out of order) keeps the cadence."""
    times = [uploaded_at - timedelta(seconds=every_s) * (frames - 1 - part) for part in range(frames)]
    if newest is None or newest >= uploaded_at:
        return times
    span = uploaded_at - newest
    return [max(at, newest + span * (part + 1) / frames) for part, at in enumerate(times)]


def decode_frames(data: bytes, frames: int) -> list[Any]:
    """Decode a webcam object once (pixel limit checked from the header: FRAME_MAX_PIXELS per frame it holds) and
    split it into its frames. Rejected with the decoder's reason, or `not_a_frame_pair` when a two-frame object's
    picture is not two equal webcam frames stacked."""
    try:
        image = decode_image(data, FRAME_MAX_PIXELS * frames, JPEG_ONLY)
        return split_frames(image, frames)
    except InvalidImage as exc:
        raise Rejected(exc.reason) from exc
    except NotAFramePair as exc:
        raise Rejected(exc.reason) from exc


def header_problem(stored: StoredObject, kind: MediaKind, frames: int = 1) -> str | None:
    """S3 enforces the POST policy on AWS, but not every compatible endpoint does: check again from the headers,
    before reading the body. The size limit is the kind's per frame the name says the object holds (the form's
    range admits a two-frame object, so a single frame is held to its own limit here)."""
    if stored.length > object_max_bytes(kind, frames):
        return "too_large"
    if stored.length == 0:
        return "empty"
    if stored.content_type.split(";")[0].strip().lower() != kind.content_type:
        return "wrong_content_type"
    return None


def reidentify(
    engine: FaceEngine,
    template: FaceTemplate,
    regions: bytes | None,
    image: Any,
    face: Any,
    data: bytes | None,
    policy: AnalysisPolicy,
) -> Identity:
    """Whole-face match against the reference; with the OpenCV engine also whether the lower face is covered."""
    threshold = policy.match_threshold if policy.match_threshold is not None else engine.match_threshold
    if regions and template.vector and isinstance(engine, OpenCvFaceEngine):
        # One batch of two crops (whole face, lower half): the whole-face match stands in for the upper half's.
        similarity, cover = match_and_cover(engine, template.vector, regions, image, face)
        return Identity(similarity, threshold, covered=cover.covered, lower_similarity=cover.lower)
    similarity = float(engine.similarity(template, image, face, encoded=data))
    if regions and isinstance(engine, OpenCvFaceEngine):
        cover = check_cover(engine, regions, image, face)
        return Identity(similarity, threshold, covered=cover.covered, lower_similarity=cover.lower)
    return Identity(similarity=similarity, threshold=threshold)


def face_stream(states: dict[str, SignalState], frame_number: int, precise: bool, precise_every: int = 0) -> FaceStream:
    """Where this frame sits in the session's webcam stream, from the signal states before it: the no_face and
    multiple_faces streaks say whether the previous frame showed none, one or several faces (two-pass detection in
    chalicelib/identity/face_detector.py). `precise`: this frame's face will be embedded (needs the full pass);
    `precise_every`: the re-identification interval in frames when the session has a reference (0 otherwise)."""
    if frame_number == 0:
        return FaceStream(0, None, precise, precise_every)
    if states.get("no_face", SignalState()).streak:
        previous = 0
    elif states.get("multiple_faces", SignalState()).streak:
        previous = 2
    else:
        previous = 1
    return FaceStream(frame_number, previous, precise, precise_every)
