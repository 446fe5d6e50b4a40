"""Two webcam frames per uploaded object, through the real path: the candidate's form → S3 (the local endpoint, which
enforces the POST policy) → SQS → dispatcher → analyzer. A `<name>.f2.jpg` object is two frames stacked vertically,
earlier on top; each counts as a frame of the session's stream."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote_plus

import boto3
import cv2
import numpy as np
import pytest

from benchmarks.faces import letterbox
from chalicelib import wiring
from chalicelib.identity.face_detector import decode_image
from chalicelib.media.uploads import frames_name
from chalicelib.violations.episodes import SignalState
from chalicelib.violations.models import MediaObjectRecord, SignalStatesRecord, ViolationRecord
from chalicelib.violations.signal_tracker import SignalTracker
from functions.frame_analyzer.handler import lambda_handler
from tests.helpers import as_batch, presign, upload, wait_for
from tests.paths import FACES_DIR

CANDIDATE = "alex_lacamoire__alex_lacamoire1.jpg"
TWO_PEOPLE = "group__two_people.jpg"


@pytest.fixture
def started(api, make_exam):
    """An exam whose policy opens a violation on the first flagged frame."""
    ctx = make_exam(analysis={"persistence": {"multiple_faces": 1, "no_face": 1}})
    ctx["session"] = api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={}).json()
    return ctx


def frame(name: str) -> np.ndarray:
    return letterbox(decode_image((FACES_DIR / name).read_bytes()), (640, 480))


def jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def pair(top: str, bottom: str) -> bytes:
    return jpeg(np.vstack([frame(top), frame(bottom)]))


def form_for(post: dict, frames: int) -> dict:
    """The minute's form with a name of the upload's own, marked with the frames it holds (as the browser does)."""
    name = frames_name(post["key"].rsplit("/", 1)[1], frames)
    key = post["key_prefix"] + name
    return {**post, "key": key, "fields": {**post["fields"], "key": key}}


def send(api, ctx, data: bytes, frames: int) -> str:
    post = form_for(presign(api, ctx), frames)
    upload(post, data).raise_for_status()
    return post["key"]


def outcome(key: str) -> MediaObjectRecord:
    prefix = f"{wiring.settings().media_bucket}/{key}#"
    rows = [r for r in MediaObjectRecord.scan(MediaObjectRecord.object_id.startswith(prefix))]
    return rows[0] if rows else None


def done(key: str) -> MediaObjectRecord:
    return wait_for(lambda: outcome(key), timeout_s=30)


def states(ctx) -> SignalStatesRecord:
    return SignalStatesRecord.get(ctx["session"]["session_id"], consistent_read=True)


def frames_seen(ctx) -> int:
    return SignalTracker.states(states(ctx)).get("no_face", SignalState()).observations


def violations(ctx) -> list[ViolationRecord]:
    return list(ViolationRecord.query(ctx["session"]["session_id"], consistent_read=True))


def test_the_webcam_form_admits_a_two_frame_object(api, started):
    post = presign(api, started)
    assert post["max_bytes"] == 2 * wiring.settings().max_frame_bytes
    assert post["max_objects"] == 2 * 8 + 6  # objects: one every 2 × 5 s over the form's 80 s, plus slack


def test_a_two_frame_object_counts_two_frames_of_the_stream(api, started):
    key = send(api, started, pair(CANDIDATE, CANDIDATE), 2)
    row = done(key)
    assert (row.outcome, row.faces) == ("analyzed", 1)
    record = states(started)
    assert int(record.frames_received) == 2 and frames_seen(started) == 2
    assert record.last_frame_key == key  # the live tile: this object (its bottom frame is the newest)
    assert violations(started) == []


@pytest.mark.parametrize(("part", "top", "bottom"), [(1, CANDIDATE, TWO_PEOPLE), (0, TWO_PEOPLE, CANDIDATE)])
def test_two_people_in_one_half_open_multiple_faces_naming_that_half(api, started, part, top, bottom):
    key = send(api, started, pair(top, bottom), 2)
    assert done(key).outcome == "analyzed"
    (violation,) = wait_for(lambda: [v for v in violations(started) if v.type == "multiple_faces"])
    assert violation.evidence_key == key
    assert violation.details.as_dict()["part"] == part and violation.details.as_dict()["frames"] == 2
    assert violation.details.as_dict()["faces"] == 2
    last = states(started).last_frame_at
    # The earlier frame is placed webcam_every_s (5 s) before the upload, the later at the upload.
    assert violation.occurred_at == last - timedelta(seconds=5 * (1 - part))
    assert done(key).faces == 2  # the most faces one frame of the object showed


def notification_now(bucket: str, key: str, etag: str) -> str:
    moment = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": moment,
        "eventName": "ObjectCreated:Post",
        "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key), "eTag": etag, "size": 1}},
    }
    return json.dumps({"Records": [record]})


def test_a_redelivered_pair_changes_nothing(api, started, stack):
    key = send(api, started, pair(CANDIDATE, TWO_PEOPLE), 2)
    row = done(key)
    wait_for(lambda: violations(started))
    before = (SignalTracker.states(states(started)), int(states(started).frames_received), violations(started))
    bucket = wiring.settings().media_bucket
    s3 = boto3.client("s3", endpoint_url=stack.endpoint_url, region_name=stack.region)
    etag = s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
    # Delivered again after its outcome row was written (a duplicate), then as after a crash before the row
    event, _ = as_batch(notification_now(bucket, key, etag))
    assert lambda_handler(event, None) == {"batchItemFailures": []}
    row.delete()
    assert lambda_handler(event, None) == {"batchItemFailures": []}
    after = (SignalTracker.states(states(started)), int(states(started).frames_received), violations(started))
    assert after[:2] == before[:2] and int(after[1]) == 2
    assert [(v.violation_id, v.frames) for v in after[2]] == [(v.violation_id, v.frames) for v in before[2]]


def test_a_single_picture_named_as_a_pair_is_rejected_with_its_reason(api, started):
    key = send(api, started, jpeg(frame(TWO_PEOPLE)), 2)  # one 640x480 frame: two 640x240 strips are no frames
    row = done(key)
    assert (row.outcome, row.reason) == ("rejected", "not_a_frame_pair")
    assert violations(started) == [] and int(states(started).frames_rejected) == 1
    assert int(states(started).frames_received or 0) == 0


def test_a_single_frame_still_counts_one_frame(api, started):
    key = send(api, started, jpeg(frame(TWO_PEOPLE)), 1)
    assert done(key).outcome == "analyzed"
    assert int(states(started).frames_received) == 1 and frames_seen(started) == 1
    (violation,) = wait_for(lambda: violations(started))
    assert violation.type == "multiple_faces" and "part" not in violation.details.as_dict()


def test_the_size_limit_is_per_frame_the_name_says_the_object_holds(api, started):
    noise = np.random.default_rng(3).integers(0, 256, (960, 640, 3), np.uint8)
    big = jpeg(noise, 92)
    limit = wiring.settings().max_frame_bytes
    assert limit < len(big) <= 2 * limit  # over one frame's limit, within a pair's
    pair_key = send(api, started, big, 2)
    single_key = send(api, started, big, 1)  # the form's range admits it; the analyzer holds it to one frame's
    assert done(pair_key).outcome == "analyzed"
    assert (done(single_key).outcome, done(single_key).reason) == ("rejected", "too_large")
