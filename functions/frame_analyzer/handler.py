"""The frame_analyzer Lambda: SQS batches of S3 notifications in, partial batch failures out."""

from __future__ import annotations

import functools
import json
import time
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.s3_event import S3Event, S3EventRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib import wiring
from chalicelib.billing.analyzer_time import ANALYZER_TIME
from chalicelib.core import observability
from chalicelib.core.clock import parse_iso
from chalicelib.media.uploads import parse_media_key
from chalicelib.violations.speech import SpeechDetector
from functions.frame_analyzer.analysis import FrameAnalyzer, Outcome, UploadedObject
from functions.frame_analyzer.ledger import OutcomeLedger

SERVICE = observability.ANALYZER
ANALYZED_METRIC = {"webcam": "FramesAnalyzed", "audio": "AudioChunksAnalyzed"}  # a two-frame object counts 2 frames
processor = BatchProcessor(event_type=EventType.SQS)
outcome_ledger = OutcomeLedger()  # the outcome rows of each SQS batch go out together when it ends


@cache
def analyzer() -> FrameAnalyzer:
    """Built once per process: the face model loads at cold start, not per frame."""
    wiring.face_engine_for("")  # load the default engine's models now, at cold start
    return FrameAnalyzer(
        wiring.s3(),
        wiring.face_engine,
        wiring.face_engine_for,
        wiring.signal_tracker(),
        speech_detector,
        wiring.clock(),
        wiring.media_uploads().kinds,
        wiring.recorder(),
        trace=functools.partial(observability.segment, SERVICE),
        outcomes=outcome_ledger,
    )


@cache
def speech_detector() -> SpeechDetector:
    return SpeechDetector()


def handle_message(record: SQSRecord) -> list[Outcome]:
    """One SQS message holds one S3 notification; its test event and unknown shapes are skipped."""
    notification = json.loads(record.body)  # a malformed body raises: retried, then dead-lettered
    if notification.get("Event") == "s3:TestEvent" or "Records" not in notification:
        return []
    return [analyze(uploaded_object(s3_record)) for s3_record in S3Event(notification).records]


def uploaded_object(record: S3EventRecord) -> UploadedObject:
    """The fields the analyzer uses; a record without them raises (the message is retried, then dead-lettered)."""
    stored = record.s3.get_object
    return UploadedObject(
        bucket=record.s3.bucket.name,
        key=unquote_plus(stored.key),  # keys arrive URL-encoded
        etag=stored.etag.strip('"'),
        event_name=record.event_name,
        uploaded_at=event_time(record),
        version_id=stored.version_id or None,  # absent where the bucket is not versioned (and from moto)
    )


def event_time(record: S3EventRecord) -> datetime | None:
    try:
        return parse_iso(record.event_time)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def analyze(uploaded: UploadedObject) -> Outcome:
    """One uploaded object, logged and traced under its session id; its metrics go out when the invocation ends."""
    log = observability.logger(SERVICE)
    key = uploaded.key
    media_key = parse_media_key(key)
    session_id = media_key.session_id if media_key else None
    annotations = {"session_id": session_id} if session_id else {}
    with (
        observability.log_keys(SERVICE, correlation_id=session_id, object_key=key),
        observability.segment(SERVICE, "media_object", **annotations),
    ):
        started = time.perf_counter()
        try:
            outcome = analyzer().process(uploaded)
        except Exception:
            log.exception("media processing failed")  # the record fails and SQS delivers it again
            raise
        duration_ms = (time.perf_counter() - started) * 1000
        log.info(
            "media processed",
            extra={
                "object_id": outcome.object_id,
                "outcome": outcome.outcome,
                "reason": outcome.reason,
                "violations": list(outcome.violations),
                "duration_ms": round(duration_ms, 1),
            },
        )
        record_metrics(outcome, duration_ms, latency_ms(uploaded.uploaded_at))
        if outcome.outcome == "analyzed" and session_id:
            # Metering: only objects the session was verified to own (a forged key bills nobody); summed per batch.
            ANALYZER_TIME.add(session_id, duration_ms)
    return outcome


def record_metrics(outcome: Outcome, duration_ms: float, latency: float | None) -> None:
    """Counts per outcome and kind, opened episodes by signal type, and how long analysis took."""
    metrics = observability.metrics(SERVICE)
    if outcome.outcome == "rejected":
        metrics.add("UploadsRejected", 1, reason=outcome.reason or "unknown")
    if outcome.outcome != "analyzed" or outcome.kind not in ANALYZED_METRIC:
        return
    metrics.add(ANALYZED_METRIC[outcome.kind], outcome.frames if outcome.kind == "webcam" else 1)  # frames, not objects
    for change in outcome.violations:
        signal, _, kind = change.rpartition(":")
        if kind == "opened":
            metrics.add("ViolationEpisodesOpened", 1, type=signal)
    metrics.add("AnalysisDuration", duration_ms, MetricUnit.Milliseconds, kind=outcome.kind)
    if latency is not None:
        metrics.add("AnalysisLatency", latency, MetricUnit.Milliseconds, kind=outcome.kind)


def latency_ms(uploaded_at: datetime | None) -> float | None:
    """From S3's eventTime (the upload) to now; None when the time is unknown or ahead of our clock."""
    if uploaded_at is None:
        return None
    latency = (wiring.clock().now() - uploaded_at).total_seconds() * 1000
    return latency if latency >= 0 else None


@observability.instrumented(SERVICE)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One SQS batch; the outcome rows of its objects go out together when it ends (ledger.py)."""
    with outcome_ledger.batch(), ANALYZER_TIME.batch():
        return process_partial_response(
            event=event, record_handler=handle_message, processor=processor, context=context
        )
