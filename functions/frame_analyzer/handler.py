"""The frame_analyzer Lambda: SQS batches of S3 notifications in, partial batch failures out."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.core import wiring
from chalicelib.violations.speech import SpeechDetector
from functions.frame_analyzer.analysis import FrameAnalyzer, Outcome

logger = Logger(service="frame_analyzer")
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def analyzer() -> FrameAnalyzer:
    """Built once per process: the face model loads at cold start, not per frame."""
    wiring.face_engine_for("")  # load the default engine's models now, at cold start
    return FrameAnalyzer(wiring.s3(), wiring.face_engine, wiring.face_engine_for, wiring.signal_tracker(),
                         speech_detector, wiring.clock(), wiring.media_uploads().kinds)


@cache
def speech_detector() -> SpeechDetector:
    return SpeechDetector()


def handle_message(record: SQSRecord) -> list[Outcome]:
    """One SQS message holds one S3 notification; its test event and unknown shapes are skipped."""
    notification = json.loads(record.body)  # a malformed body raises: retried, then dead-lettered
    if notification.get("Event") == "s3:TestEvent":
        return []
    outcomes = [analyzer().process(s3_record) for s3_record in notification.get("Records", [])]
    for outcome in outcomes:
        logger.info("media processed", extra={"object_id": outcome.object_id, "outcome": outcome.outcome,
                                               "reason": outcome.reason, "violations": list(outcome.violations)})
    return outcomes


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=handle_message, processor=processor,
                                    context=context)
