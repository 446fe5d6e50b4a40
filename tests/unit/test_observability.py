"""Logs, metrics and traces of the analyzer and the API, in process: stdout holds JSON log lines and EMF documents."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.core import observability
from chalicelib.core.settings import ConfigurationError
from functions.frame_analyzer import handler
from functions.frame_analyzer.analysis import Outcome, UploadedObject
from local.dispatcher import sqs_event
from tests.paths import REPO_ROOT

ENV = {
    "PROCTOR_JWT_SECRET": "k" * 32,
    "PROCTOR_MEDIA_BUCKET": "media",
    "PROCTOR_MEDIA_QUEUE_URL": "media-queue",
    "PROCTOR_LIFECYCLE_QUEUE_URL": "lifecycle-queue",
    "PROCTOR_STATE_MACHINE_ARN": "arn:state-machine",
    "PROCTOR_STAGE": "unit",
}
UPLOADED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def environment() -> Iterator[None]:
    """Settings from a throwaway environment; afterwards the previous one (the session stack's, if any) is back."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ENV.items():
            patch.setenv(name, value)
        wiring.reset()
        yield
    wiring.reset()
    with contextlib.suppress(ConfigurationError):
        wiring.settings()  # bind the models to the restored environment again


@pytest.fixture(autouse=True)
def metered(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, list[float]]]:
    """The analyzer's per-session meter writes its batch to DynamoDB (tests/functional/test_metering.py): here, in
    process, the batches it would write are kept instead, so these tests need no endpoint."""
    flushed: list[dict[str, list[float]]] = []
    monkeypatch.setattr(handler.ANALYZER_TIME, "flush", lambda pending: flushed.append(dict(pending)))
    return flushed


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


class StubAnalyzer:
    """Stands in for FrameAnalyzer: logs while it works, like the real one, and answers a prepared outcome."""

    def __init__(self, answer: Callable[[UploadedObject], Outcome]) -> None:
        self._answer = answer

    def process(self, record: UploadedObject) -> Outcome:
        observability.logger(observability.ANALYZER).info("analyzing")
        return self._answer(record)


@pytest.fixture
def analyzer_answers(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[UploadedObject], Outcome]], None]:
    monkeypatch.setattr(wiring, "clock", lambda: FixedClock(UPLOADED_AT + timedelta(seconds=2.5)))

    def use(answer: Callable[[dict[str, Any]], Outcome]) -> None:
        monkeypatch.setattr(handler, "analyzer", lambda: StubAnalyzer(answer))

    return use


def media_key(session_id: str, kind: str = "webcam") -> str:
    extension = "jpg" if kind == "webcam" else "wav"
    prefix = f"sessions/{session_id}/{kind}/20260301T0900Z-{uuid.uuid4().hex[:16]}/"  # one minute's upload form
    return f"{prefix}20260301T090000000Z-{uuid.uuid4().hex[:12]}.{extension}"


def batch(*keys: str) -> dict[str, Any]:
    """An SQS batch with one S3 notification per key, as the media queue delivers them."""
    messages = [
        {
            "MessageId": str(uuid.uuid4()),
            "ReceiptHandle": "r",
            "Body": json.dumps(
                {
                    "Records": [
                        {
                            "eventName": "ObjectCreated:Post",
                            "eventTime": "2026-03-01T09:00:00.000Z",
                            "s3": {"bucket": {"name": "media"}, "object": {"key": key, "eTag": "e"}},
                        }
                    ]
                }
            ),
        }
        for key in keys
    ]
    return sqs_event(messages, "arn:aws:sqs:us-east-1:000000000000:media", "us-east-1")


def stdout_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """Every stdout line, parsed: each must be JSON (log line or EMF document)."""
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def emf(lines: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    return [line for line in lines if "_aws" in line and metric in line]


def dimensions(document: dict[str, Any]) -> dict[str, str]:
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Proctor"
    (names,) = directive["Dimensions"]
    return {name: document[name] for name in names}


def unit_of(document: dict[str, Any], metric: str) -> str:
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    return next(m["Unit"] for m in directive["Metrics"] if m["Name"] == metric)


def logs(lines: list[dict[str, Any]], message: str) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("message") == message]


def test_an_analyzed_frame_counts_the_frame_its_opened_episodes_and_how_long_it_took(analyzer_answers, capsys):
    # Given an analyzer that finds two people in a frame: one episode opens, another one closes
    session_id = uuid.uuid4().hex
    analyzer_answers(
        lambda record: Outcome(
            "media/x#e", "analyzed", kind="webcam", violations=("multiple_faces:opened", "no_face:closed")
        )
    )

    # When the frame's notification is handled
    assert handler.lambda_handler(batch(media_key(session_id)), None) == {"batchItemFailures": []}

    # Then one frame is counted per stage and service, the opened episode by its type, and the latency in ms
    lines = stdout_lines(capsys)
    (frames,) = emf(lines, "FramesAnalyzed")
    assert frames["FramesAnalyzed"] == [1.0]
    assert dimensions(frames) == {"stage": "unit", "service": "frame-analyzer"}
    (opened,) = emf(lines, "ViolationEpisodesOpened")
    assert opened["ViolationEpisodesOpened"] == [1.0]
    assert dimensions(opened) == {"stage": "unit", "service": "frame-analyzer", "type": "multiple_faces"}
    (timing,) = emf(lines, "AnalysisLatency")
    assert dimensions(timing) == {"stage": "unit", "service": "frame-analyzer", "kind": "webcam"}
    assert timing["AnalysisLatency"] == [2500.0] and unit_of(timing, "AnalysisLatency") == "Milliseconds"
    assert timing["AnalysisDuration"][0] >= 0 and unit_of(timing, "AnalysisDuration") == "Milliseconds"
    assert not emf(lines, "AudioChunksAnalyzed") and not emf(lines, "UploadsRejected")


def test_an_analyzed_audio_chunk_is_counted_as_audio(analyzer_answers, capsys):
    analyzer_answers(lambda record: Outcome("media/x#e", "analyzed", kind="audio"))

    handler.lambda_handler(batch(media_key(uuid.uuid4().hex, "audio")), None)

    lines = stdout_lines(capsys)
    (chunks,) = emf(lines, "AudioChunksAnalyzed")
    assert chunks["AudioChunksAnalyzed"] == [1.0] and not emf(lines, "FramesAnalyzed")
    assert not emf(lines, "ViolationEpisodesOpened")


def test_a_rejected_upload_counts_uploads_rejected_with_its_reason(analyzer_answers, capsys):
    # Given two uploads the analyzer rejects, one too large and one of a session that does not exist
    reasons = iter(["too_large", "unknown_session"])
    analyzer_answers(lambda record: Outcome("media/x#e", "rejected", next(reasons), kind="webcam"))

    # When both arrive in one batch
    handler.lambda_handler(batch(media_key(uuid.uuid4().hex), media_key(uuid.uuid4().hex)), None)

    # Then each reason is its own dimension value, and nothing counts as analyzed
    lines = stdout_lines(capsys)
    rejected = {dimensions(doc)["reason"]: doc["UploadsRejected"] for doc in emf(lines, "UploadsRejected")}
    assert rejected == {"too_large": [1.0], "unknown_session": [1.0]}
    assert not emf(lines, "FramesAnalyzed") and not emf(lines, "AnalysisLatency")


def test_an_invocation_that_records_nothing_prints_no_metrics_and_no_warning(analyzer_answers, capsys):
    analyzer_answers(lambda record: Outcome("media/x#e", "duplicate"))

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Powertools' "No application metrics to publish" would raise here
        handler.lambda_handler(batch(media_key(uuid.uuid4().hex)), None)

    lines = stdout_lines(capsys)
    assert [line for line in lines if "_aws" in line] == []
    assert logs(lines, "media processed")[0]["outcome"] == "duplicate"


def test_analyzer_log_lines_are_json_with_each_records_session_as_correlation_id(analyzer_answers, capsys):
    # Given a batch with uploads of two sessions
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    keys = [media_key(first), media_key(second)]
    analyzer_answers(lambda record: Outcome("media/x#e", "analyzed", kind="webcam"))

    # When it is handled, and something is logged afterwards
    handler.lambda_handler(batch(*keys), None)
    observability.logger(observability.ANALYZER).info("after the batch")

    # Then every line is JSON; lines logged while a record is analyzed carry its session and key, later ones not
    lines = stdout_lines(capsys)
    for message in ("analyzing", "media processed"):
        tagged = [(line["correlation_id"], line["object_key"]) for line in logs(lines, message)]
        assert tagged == [(first, keys[0]), (second, keys[1])]
        assert {line["service"] for line in logs(lines, message)} == {"frame-analyzer"}
    (after,) = logs(lines, "after the batch")
    assert "correlation_id" not in after and "object_key" not in after


def test_a_failing_record_is_logged_under_its_session_and_reported_as_a_batch_failure(analyzer_answers, capsys):
    # Given an analyzer that fails on one session's frame but not on another's
    failing, fine = uuid.uuid4().hex, uuid.uuid4().hex

    def answer(record: dict[str, Any]) -> Outcome:
        if failing in record.key:
            raise RuntimeError("model crashed")
        return Outcome("media/x#e", "analyzed", kind="webcam")

    analyzer_answers(answer)
    event = batch(media_key(failing), media_key(fine))

    # When the batch is handled
    response = handler.lambda_handler(event, None)

    # Then that message comes back as failed, its error is logged under its session, the other one still counts
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    lines = stdout_lines(capsys)
    (failure,) = logs(lines, "media processing failed")
    assert failure["correlation_id"] == failing and failure["level"] == "ERROR"
    assert "model crashed" in failure["exception"]
    assert [line["correlation_id"] for line in logs(lines, "media processed")] == [fine]
    assert emf(lines, "FramesAnalyzed")[0]["FramesAnalyzed"] == [1.0]


@pytest.fixture
def api_client() -> Iterator[Any]:
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local", project_dir=str(REPO_ROOT)) as client:
        yield client


def test_an_api_request_logs_json_with_the_path_session_as_correlation_id(api_client, capsys):
    # Given a request for a session without credentials
    session_id = uuid.uuid4().hex

    # When it is answered
    response = api_client.http.get(f"/sessions/{session_id}")

    # Then the access line is JSON under the session id, and the 401 is counted as a 4xx error
    assert response.status_code == 401
    lines = stdout_lines(capsys)
    (access,) = logs(lines, "request handled")
    assert access["correlation_id"] == session_id and access["service"] == "proctor-api"
    assert access["route"] == "/sessions/{session_id}" and access["status_code"] == 401
    assert "user_id" not in access  # nobody was authenticated
    (errors,) = emf(lines, "ApiErrors")
    # the stage the app runs as: the Client applies .chalice/config.json's "local" stage environment
    assert dimensions(errors) == {"stage": "local", "service": "proctor-api", "code_class": "4xx"}


def test_an_authenticated_request_logs_who_asked_but_never_the_token(api_client, capsys, monkeypatch):
    # Given a candidate's token and a session lookup that fails unexpectedly
    from chalicelib.core.principal import Principal
    from chalicelib.exam import routes

    def broken(*args: Any) -> Any:
        raise RuntimeError("lookup failed")

    monkeypatch.setattr(routes, "own_session", broken)
    monkeypatch.setattr("chalicelib.identity.authentication.current_version", lambda user_id: 0)  # no user table here
    token, _ = wiring.tokens().issue(Principal("cand-1", "candidate", "agency-1"), datetime.now(UTC))
    session_id = uuid.uuid4().hex

    # When the candidate asks for the session
    response = api_client.http.get(f"/sessions/{session_id}", headers={"Authorization": f"Bearer {token}"})

    # Then the error log and the access line name the caller and the session, the token appears nowhere,
    # and the 500 is counted as a 5xx error
    assert response.status_code == 500
    output = capsys.readouterr().out
    assert token not in output
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    for message in ("unhandled error on GET /sessions/{session_id}", "request handled"):
        (line,) = logs(lines, message)
        assert (line["correlation_id"], line["user_id"], line["role"], line["agency_id"]) == (
            session_id,
            "cand-1",
            "candidate",
            "agency-1",
        )
    (errors,) = emf(lines, "ApiErrors")
    assert dimensions(errors)["code_class"] == "5xx"


def test_consecutive_api_requests_do_not_inherit_each_others_keys(api_client, capsys):
    api_client.http.get(f"/sessions/{uuid.uuid4().hex}")
    api_client.http.get("/me/exams")

    (first, second) = logs(stdout_lines(capsys), "request handled")
    assert "correlation_id" in first
    assert second["route"] == "/me/exams" and "correlation_id" not in second


def test_tracing_is_off_outside_lambda_and_patches_nothing():
    from aws_xray_sdk.core import patcher

    assert "LAMBDA_TASK_ROOT" not in os.environ
    assert observability.tracer(observability.ANALYZER).disabled
    assert observability.tracer(observability.API).disabled
    assert "botocore" not in patcher._PATCHED_MODULES
