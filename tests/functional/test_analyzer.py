"""The frame_analyzer handler against the real local endpoint: idempotency, rejection, partial failures, DLQ."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import boto3
import cv2
import numpy as np
import pytest

from chalicelib import wiring
from chalicelib.violations.models import MediaObjectRecord, SignalStatesRecord, ViolationRecord
from functions.frame_analyzer.handler import lambda_handler
from tests.helpers import as_batch, count_dynamodb_requests, notification, presign, upload, wait_for
from tests.paths import FACES_DIR, REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "audio"


@pytest.fixture
def aws(stack):
    return {
        name: boto3.client(name, endpoint_url=stack.endpoint_url, region_name=stack.region) for name in ("s3", "sqs")
    }


def violations_of(session_id: str) -> list[ViolationRecord]:
    return list(ViolationRecord.query(session_id))


@pytest.fixture
def started(api, make_exam):
    """An exam whose policy raises a violation on the first flagged frame (persistence 1)."""
    ctx = make_exam(analysis={"persistence": {"multiple_faces": 1, "no_face": 1}})
    ctx["session"] = api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={}).json()
    return ctx


def test_the_same_s3_event_delivered_again_adds_no_violation(api, started, aws):
    # Given a two-person frame uploaded and analyzed once through the real S3 → SQS → dispatcher path
    post = presign(api, started)
    upload(post, (FACES_DIR / "group__two_people.jpg").read_bytes()).raise_for_status()
    session_id = started["session"]["session_id"]
    wait_for(lambda: violations_of(session_id))
    bucket = wiring.settings().media_bucket
    etag = aws["s3"].head_object(Bucket=bucket, Key=post["key"])["ETag"]

    # When the same event arrives twice more: once through the queue, once straight into the handler
    body = notification(bucket, post["key"], etag.strip('"'))
    aws["sqs"].send_message(QueueUrl=wiring.settings().media_queue_url, MessageBody=body)
    event, _ = as_batch(body)
    assert lambda_handler(event, None) == {"batchItemFailures": []}
    wait_for(
        lambda: (
            aws["sqs"].get_queue_attributes(
                QueueUrl=wiring.settings().media_queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
        )
    )

    # Then there is still exactly one violation and the session counted it once
    assert [v.type for v in violations_of(session_id)] == ["multiple_faces"]
    row = next(
        s
        for s in api.call("GET", "/proctor/sessions", started["proctor"]).json()["sessions"]
        if s["session_id"] == session_id
    )
    assert row["violation_counts"] == {"multiple_faces": 1}


def put_frame(aws, key: str, data: bytes, content_type: str = "image/jpeg") -> str:
    bucket = wiring.settings().media_bucket
    return aws["s3"].put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)["ETag"].strip('"')


def ledger(key: str, etag: str) -> MediaObjectRecord:
    return MediaObjectRecord.get(f"{wiring.settings().media_bucket}/{key}#{etag}")


def test_a_corrupt_frame_is_rejected_without_failing_the_good_frame_in_its_batch(api, started, aws):
    session_id = started["session"]["session_id"]
    bad_key = presign(api, started)["key"]
    good_key = presign(api, started)["key"]
    jpeg = (FACES_DIR / "group__two_people.jpg").read_bytes()
    bad_etag = put_frame(aws, bad_key, jpeg[: len(jpeg) // 2])  # truncated upload
    good_etag = put_frame(aws, good_key, jpeg)
    bucket = wiring.settings().media_bucket

    event, _ = as_batch(notification(bucket, bad_key, bad_etag), notification(bucket, good_key, good_etag))
    assert lambda_handler(event, None) == {"batchItemFailures": []}

    assert ledger(bad_key, bad_etag).outcome == "rejected"
    assert ledger(bad_key, bad_etag).reason == "undecodable"
    assert ledger(good_key, good_etag).outcome == "analyzed"
    evidence = {v.evidence_key for v in violations_of(session_id)}
    assert good_key in evidence and bad_key not in evidence


def png(path) -> bytes:
    ok, encoded = cv2.imencode(".png", cv2.resize(cv2.imread(str(path)), (320, 240)))
    assert ok and len(encoded) < 512 * 1024  # within the upload limit: only the format is wrong
    return encoded.tobytes()


def huge_jpeg(width: int, height: int) -> bytes:
    ok, encoded = cv2.imencode(".jpg", np.full((height, width, 3), 128, np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 30])
    assert ok and len(encoded) < 512 * 1024  # within the upload limit: only the pixel count is wrong
    return encoded.tobytes()


@pytest.mark.parametrize(
    ("data", "content_type", "reason"),
    [
        (b"\xff\xd8" + b"x" * (600 * 1024), "image/jpeg", "too_large"),  # put directly, as a lax endpoint takes it
        ((FACES_DIR / "obama__obama.jpg").read_bytes(), "text/plain", "wrong_content_type"),
        (b"not a jpeg at all", "image/jpeg", "undecodable"),
        (png(FACES_DIR / "obama__obama.jpg"), "image/jpeg", "not_jpeg"),  # a PNG under a JPEG label
        (huge_jpeg(5000, 4000), "image/jpeg", "too_many_pixels"),  # 20 megapixels: refused from the header
    ],
)
def test_uploads_that_break_the_rules_are_rejected_with_a_reason(api, started, aws, data, content_type, reason):
    key = presign(api, started)["key"]
    etag = put_frame(aws, key, data, content_type)
    event, _ = as_batch(notification(wiring.settings().media_bucket, key, etag))
    assert lambda_handler(event, None) == {"batchItemFailures": []}
    assert (ledger(key, etag).outcome, ledger(key, etag).reason) == ("rejected", reason)
    assert violations_of(started["session"]["session_id"]) == []


def test_objects_outside_any_session_prefix_are_rejected(aws, stack):
    prefix = f"sessions/{uuid.uuid4().hex}/webcam/20260101T0000Z-{uuid.uuid4().hex[:16]}/"
    key = f"{prefix}20260101T000000000Z-{uuid.uuid4().hex[:12]}.jpg"
    etag = put_frame(aws, key, (FACES_DIR / "obama__obama.jpg").read_bytes())
    foreign = "sessions/../../etc/passwd.jpg"
    foreign_etag = put_frame(aws, foreign, b"x")
    bucket = wiring.settings().media_bucket
    event, _ = as_batch(notification(bucket, key, etag), notification(bucket, foreign, foreign_etag))
    assert lambda_handler(event, None) == {"batchItemFailures": []}
    assert ledger(key, etag).reason == "unknown_session"
    assert ledger(foreign, foreign_etag).reason == "foreign_key"


def test_a_malformed_message_is_reported_as_the_only_failure_of_its_batch(stack):
    event, ids = as_batch("{not json", json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}))
    assert lambda_handler(event, None) == {"batchItemFailures": [{"itemIdentifier": ids[0]}]}


def test_a_message_that_keeps_failing_lands_in_the_dead_letter_queue(aws, stack):
    queue_url = wiring.settings().media_queue_url
    dlq_url = queue_url + "-dlq"
    marker = f"poison-{uuid.uuid4().hex}"
    aws["sqs"].send_message(QueueUrl=queue_url, MessageBody=marker)

    def in_dlq():
        messages = aws["sqs"].receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return [m for m in messages.get("Messages", []) if m["Body"] == marker]

    assert wait_for(in_dlq, timeout_s=20)


def wav(samples, rate: int = 16000) -> bytes:
    import io
    import wave

    import numpy as np

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def pink_noise(seconds: float, level: float = 0.1):
    import numpy as np

    rng = np.random.default_rng(7)
    spectrum = np.fft.rfft(rng.standard_normal(int(16000 * seconds)))
    spectrum /= np.sqrt(np.arange(1, len(spectrum) + 1))
    noise = np.fft.irfft(spectrum)
    return noise / np.abs(noise).max() * level


def test_speech_in_an_audio_chunk_raises_speech_detected(api, started):
    post = presign(api, started, kind="audio")
    speech = (FIXTURES / "speech_dialog_ru.wav").read_bytes()
    upload(post, speech, content_type="audio/wav").raise_for_status()
    found = wait_for(
        lambda: [v for v in violations_of(started["session"]["session_id"]) if v.type == "speech_detected"]
    )
    assert found[0].details["speech_ratio"] > 0.5 and found[0].evidence_key == post["key"]


def test_noise_and_hum_chunks_raise_nothing(api, started):
    import numpy as np

    t = np.arange(16000 * 6) / 16000
    hum = 0.05 * np.sin(2 * np.pi * 50 * t) + 0.02 * np.sin(2 * np.pi * 150 * t)
    keys = []
    for chunk in (pink_noise(6), hum, np.zeros(16000 * 6)):
        post = presign(api, started, kind="audio")
        upload(post, wav(chunk), content_type="audio/wav").raise_for_status()
        keys.append(post["key"])
    session_id = started["session"]["session_id"]
    wait_for(
        lambda: (
            sum(
                1 for r in MediaObjectRecord.scan(MediaObjectRecord.session_id == session_id) if r.outcome == "analyzed"
            )
            == len(keys)
        )
    )
    assert violations_of(started["session"]["session_id"]) == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (wav(pink_noise(1), rate=8000), "unsupported_audio_format"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk", "undecodable"),
    ],
)
def test_audio_in_the_wrong_format_is_rejected(api, started, aws, data, reason):
    key = presign(api, started, kind="audio")["key"]
    etag = put_frame(aws, key, data, "audio/wav")
    event, _ = as_batch(notification(wiring.settings().media_bucket, key, etag))
    assert lambda_handler(event, None) == {"batchItemFailures": []}
    assert ledger(key, etag).reason == reason


def test_a_cancelled_transaction_never_undoes_a_concurrent_answer(api, started):
    # Given duplicates of one browser event (each a transaction that the endpoint cancels) racing answer saves
    session = started["session"]
    event = {"event_id": "racing-dup-1", "type": "copy", "occurred_at": session["started_at"]}
    events_path = f"/sessions/{session['session_id']}/events"
    api.call("POST", events_path, started["candidate"], json={"events": [event]}).raise_for_status()

    def duplicate(_):
        return api.call("POST", events_path, started["candidate"], json={"events": [event]}).status_code

    def answer(item):
        body = {"option_id": item["options"][0]["option_id"]}
        path = f"/sessions/{session['session_id']}/answers/{item['item_id']}"
        return api.call("PUT", path, started["candidate"], json=body).status_code

    # When they run at the same time
    with ThreadPoolExecutor(8) as pool:
        duplicates = [pool.submit(duplicate, n) for n in range(24)]
        answers = [pool.submit(answer, item) for item in session["items"] * 2]
        assert {f.result() for f in duplicates + answers} == {200}
    # Then every answer is still there: no rollback of one request erased another's write
    saved = api.call("GET", f"/sessions/{session['session_id']}", started["candidate"]).json()["answers"]
    assert set(saved) == {item["item_id"] for item in session["items"]}


@pytest.fixture
def scratch_bucket(aws):
    """A bucket without notifications: objects put here reach only the handler the test calls (the stack's
    dispatcher analyses everything in the media bucket, which would race the test for the claims)."""
    name = f"frame-io-{uuid.uuid4().hex[:12]}"
    aws["s3"].create_bucket(Bucket=name)
    return name


def put_in(aws, bucket: str, key: str, data: bytes) -> str:
    return aws["s3"].put_object(Bucket=bucket, Key=key, Body=data, ContentType="image/jpeg")["ETag"].strip('"')


def event_at(body: str, when: datetime) -> str:
    """The notification with S3's eventTime set (the upload's time, which the late-upload grace compares)."""
    notification_ = json.loads(body)
    notification_["Records"][0]["eventTime"] = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return json.dumps(notification_)


def test_a_batch_of_frames_costs_one_read_and_two_writes_per_frame_and_two_writes_per_batch(
    api, started, aws, scratch_bucket, monkeypatch
):
    from functions.frame_analyzer.handler import analyzer

    analyzer()  # models loaded before counting
    jpeg = (FACES_DIR / "obama__obama.jpg").read_bytes()
    keys = [presign(api, started)["key"] for _ in range(3)]
    bodies = [notification(scratch_bucket, key, put_in(aws, scratch_bucket, key, jpeg)) for key in keys]
    requests_ = count_dynamodb_requests(monkeypatch)
    event, _ = as_batch(*bodies)
    assert lambda_handler(event, None) == {"batchItemFailures": []}
    # One BatchGetItem (session + signal states), the claim, the signal-state write per frame; the outcome rows of
    # the whole batch in one BatchWriteItem and the session's analysis-time meter in one UpdateItem (billing). No
    # GetItem of the session or of the ledger.
    assert requests_ == Counter({"BatchGetItem": 3, "UpdateItem": 3 + 1, "PutItem": 3, "BatchWriteItem": 1})
    rows = [
        MediaObjectRecord.get(f"{scratch_bucket}/{key}#{body_etag(body)}")
        for key, body in zip(keys, bodies, strict=True)
    ]
    assert [(r.outcome, r.session_id, r.kind) for r in rows] == [
        ("analyzed", started["session"]["session_id"], "webcam")
    ] * 3
    states = SignalStatesRecord.get(started["session"]["session_id"])
    assert int(states.frames_received) == 3


def body_etag(body: str) -> str:
    return json.loads(body)["Records"][0]["s3"]["object"]["eTag"]


def test_a_batch_lost_before_its_outcome_rows_were_written_is_redelivered_without_double_counting(
    api, started, aws, scratch_bucket, monkeypatch
):
    from functions.frame_analyzer.ledger import OutcomeLedger

    session_id = started["session"]["session_id"]
    key = presign(api, started)["key"]
    body = notification(
        scratch_bucket, key, put_in(aws, scratch_bucket, key, (FACES_DIR / "group__two_people.jpg").read_bytes())
    )
    # Given a batch whose frame was analysed (violation, counters, signal states written) but whose invocation died
    # before the batch's outcome rows went out
    monkeypatch.setattr(OutcomeLedger, "flush", staticmethod(lambda rows: None))
    event, _ = as_batch(body)
    assert lambda_handler(event, None) == {"batchItemFailures": []}
    object_id = f"{scratch_bucket}/{key}#{body_etag(body)}"
    assert MediaObjectRecord.count(object_id) == 0
    monkeypatch.undo()
    # When SQS delivers it again
    event, _ = as_batch(body)
    assert lambda_handler(event, None) == {"batchItemFailures": []}
    # Then the row is written, and nothing was counted twice
    assert MediaObjectRecord.get(object_id).outcome == "analyzed"
    assert [v.type for v in violations_of(session_id)] == ["multiple_faces"]
    assert int(SignalStatesRecord.get(session_id).frames_received) == 1
    row = next(
        s
        for s in api.call("GET", "/proctor/sessions", started["proctor"]).json()["sessions"]
        if s["session_id"] == session_id
    )
    assert row["violation_counts"] == {"multiple_faces": 1}


def test_a_terminated_session_stops_being_analysed_with_the_next_object(api, started, aws, scratch_bucket):
    # Given a session whose frames this process has just analysed (anything it kept of the session is warm)
    session_id = started["session"]["session_id"]
    jpeg = (FACES_DIR / "obama__obama.jpg").read_bytes()
    first, late = presign(api, started)["key"], presign(api, started)["key"]
    body = notification(scratch_bucket, first, put_in(aws, scratch_bucket, first, jpeg))
    event, _ = as_batch(event_at(body, datetime.now(UTC)))
    lambda_handler(event, None)
    assert MediaObjectRecord.get(f"{scratch_bucket}/{first}#{body_etag(body)}").outcome == "analyzed"
    # When the proctor terminates it, and a frame uploaded after the late-upload grace arrives right away
    rev = api.call("GET", f"/proctor/sessions/{session_id}/messages", started["proctor"]).json()["session"][
        "control_rev"
    ]
    terminate = {"reason": "Used a phone", "expected_rev": rev}
    response = api.call("POST", f"/proctor/sessions/{session_id}/terminate", started["proctor"], json=terminate)
    assert response.status_code == 201 and response.json()["status"] == "submitted", response.text
    body = notification(scratch_bucket, late, put_in(aws, scratch_bucket, late, jpeg))
    event, _ = as_batch(event_at(body, datetime.now(UTC) + timedelta(seconds=31)))
    lambda_handler(event, None)
    # Then it is rejected at once: the status is read with every object, no cached copy can be stale
    row = MediaObjectRecord.get(f"{scratch_bucket}/{late}#{body_etag(body)}")
    assert (row.outcome, row.reason) == ("rejected", "session_inactive")


def test_analysis_time_is_metered_for_the_verified_session_only(api, started, aws, scratch_bucket):
    """The analyzer adds each analysed object's time to its session's meter (billing reads it when the session
    ends); an object the session was not verified to own (a key never issued) bills nobody. (A bucket without
    notifications: only this call analyses them.)"""
    from chalicelib.billing.models import MeterRecord

    def meter(session_id: str) -> MeterRecord | None:
        try:
            return MeterRecord.get(session_id, consistent_read=True)
        except MeterRecord.DoesNotExist:
            return None

    session_id = started["session"]["session_id"]
    before = meter(session_id)
    analysed = int(before.analyzed_objects) if before else 0
    jpeg = (FACES_DIR / "obama__obama.jpg").read_bytes()
    key = presign(api, started)["key"]
    forged_key = key.rsplit("/", 2)[0] + f"/20260101T0000Z-{uuid.uuid4().hex[:16]}/20260101T000000000Z-{'0' * 12}.jpg"
    bodies = [notification(scratch_bucket, k, put_in(aws, scratch_bucket, k, jpeg)) for k in (key, forged_key)]
    event, _ = as_batch(*bodies)
    assert lambda_handler(event, None) == {"batchItemFailures": []}
    outcomes = [
        MediaObjectRecord.get(f"{scratch_bucket}/{k}#{body_etag(b)}").outcome
        for k, b in zip((key, forged_key), bodies, strict=True)
    ]
    assert outcomes == ["analyzed", "rejected"]
    after = meter(session_id)
    assert after is not None and int(after.analyzed_objects) == analysed + 1 and after.analyzer_ms > 0
