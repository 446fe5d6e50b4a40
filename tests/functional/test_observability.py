"""Logs and metrics of the running local stack: the API's and the dispatcher's stdout hold JSON lines and EMF."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from chalicelib import wiring
from functions.frame_analyzer.handler import lambda_handler
from tests.helpers import as_batch, notification, presign, upload, wait_for
from tests.paths import FACES_DIR


def json_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a process log (chalice local and the dispatcher also print plain text)."""
    lines = []
    for text in path.read_text(errors="replace").splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            continue
        if isinstance(line, dict):
            lines.append(line)
    return lines


def api_errors(lines: list[dict[str, Any]], code_class: str) -> float:
    return sum(
        sum(line["ApiErrors"])
        for line in lines
        if "_aws" in line and "ApiErrors" in line and line.get("code_class") == code_class
    )


def test_a_session_request_logs_json_under_the_session_id_with_the_caller_and_no_token(stack, api, started):
    # Given a candidate with a session in progress
    session_id = started["session"]["session_id"]

    # When the candidate asks for the session over HTTP
    response = api.call("GET", f"/sessions/{session_id}", started["candidate"])

    # Then the API log has a JSON access line under the session id naming the caller, and no token anywhere
    assert response.status_code == 200
    api_log = stack.log_dir / "api.log"
    (access,) = [
        line
        for line in json_lines(api_log)
        if line.get("message") == "request handled"
        and line.get("correlation_id") == session_id
        and line.get("route") == "/sessions/{session_id}"
    ]
    assert access["service"] == "proctor-api" and access["status_code"] == 200 and access["http_method"] == "GET"
    assert (access["user_id"], access["role"]) == (started["candidate_id"], "candidate")
    assert access["agency_id"]
    assert started["candidate"] not in api_log.read_text(errors="replace")


def test_an_api_error_is_counted_once_by_status_class(stack, api, started):
    # Given the errors the API has counted so far
    api_log = stack.log_dir / "api.log"
    before = api_errors(json_lines(api_log), "4xx")

    # When the candidate asks for a session that is not theirs
    response = api.call("GET", f"/sessions/{uuid.uuid4().hex}", started["candidate"])

    # Then one more 4xx is counted, in the Proctor namespace with the stage as dimension
    assert 400 <= response.status_code < 500
    lines = json_lines(api_log)
    assert api_errors(lines, "4xx") == before + 1
    latest = [line for line in lines if "_aws" in line and "ApiErrors" in line][-1]
    assert latest["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Proctor" and latest["stage"] == "local"


def test_the_dispatcher_logs_an_analyzed_upload_as_json_under_its_session(stack, api, started):
    # Given a frame uploaded through the real S3 → SQS → dispatcher path
    session_id = started["session"]["session_id"]
    upload(presign(api, started), (FACES_DIR / "group__two_people.jpg").read_bytes()).raise_for_status()

    # When the dispatcher has analyzed it
    dispatcher_log = stack.log_dir / "dispatcher.log"
    processed = wait_for(
        lambda: [
            line
            for line in json_lines(dispatcher_log)
            if line.get("correlation_id") == session_id and line.get("message") == "media processed"
        ],
        timeout_s=30,
    )

    # Then its log line is JSON under the session id, and the frame was counted in EMF
    assert processed[0]["service"] == "frame-analyzer" and processed[0]["outcome"] == "analyzed"
    assert processed[0]["object_key"].startswith(f"sessions/{session_id}/webcam/")
    frames = [line for line in json_lines(dispatcher_log) if "_aws" in line and "FramesAnalyzed" in line]
    assert frames and frames[-1]["stage"] == "local" and frames[-1]["service"] == "frame-analyzer"


def test_an_upload_for_an_unknown_session_counts_as_rejected_with_its_reason(stack, capsys):
    # Given a notification for a well-formed key of a session that does not exist (no object, so no S3 event)
    bucket = wiring.settings().media_bucket
    prefix = f"sessions/{uuid.uuid4().hex}/webcam/20260101T0000Z-{uuid.uuid4().hex[:16]}/"
    key = f"{prefix}20260101T000000000Z-{uuid.uuid4().hex[:12]}.jpg"
    event, _ = as_batch(notification(bucket, key, uuid.uuid4().hex))

    # When the real analyzer handles it
    assert lambda_handler(event, None) == {"batchItemFailures": []}

    # Then it is counted as rejected, with the reason as dimension
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    (rejected,) = [line for line in lines if "_aws" in line and "UploadsRejected" in line]
    assert rejected["reason"] == "unknown_session" and rejected["UploadsRejected"] == [1.0]
    assert sorted(rejected["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) == ["reason", "service", "stage"]
