"""The signal-state item's layout through the real local endpoint: its size as DynamoDB bills it, read with boto3,
and items the old code wrote still read and carried forward."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import boto3
import pytest

from benchmarks.cost import dynamodb_item_size
from chalicelib import wiring
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.violations import media_stats
from chalicelib.violations.models import SignalStatesRecord
from chalicelib.violations.recorder import Evidence, ViolationRecorder
from chalicelib.violations.signal_tracker import Observation, SignalTracker, applied_digests, object_digest
from tests.unit.test_signal_states_layout import (
    WRITE_UNIT,
    frame_key,
    media_key,
    old_item,
    worst_case_record,
    worst_silences,
    worst_states,
)


def tracker_without_retags() -> SignalTracker:
    """The tracker as wired, minus the recorder's evidence retagging in S3 (these objects exist only as names)."""
    return SignalTracker(ViolationRecorder(wiring.clock(), wiring.connection()))


@pytest.fixture
def dynamodb(stack):
    wiring.connection()  # points the models at the stack's tables
    return boto3.client("dynamodb", endpoint_url=stack.endpoint_url, region_name=stack.region)


def raw_item(dynamodb, session_id: str) -> dict:
    table = SignalStatesRecord.Meta.table_name
    return dynamodb.get_item(TableName=table, Key={"session_id": {"S": session_id}}, ConsistentRead=True)["Item"]


def test_the_worst_case_item_as_stored_is_one_write_unit_and_reads_back(dynamodb):
    session_id = uuid.uuid4().hex
    record = worst_case_record(session_id, version=None)
    record.save()
    item = raw_item(dynamodb, session_id)
    print(f"\nworst-case signal-state item as stored: {dynamodb_item_size(item)} B")
    assert dynamodb_item_size(item) <= WRITE_UNIT - 2  # the unit test's version 123456 is 2 bytes more than 1
    record = SignalStatesRecord.get(session_id)
    assert SignalTracker.states(record) == worst_states()
    assert record.last_frame_key == frame_key(session_id)
    assert record.silence_json == worst_silences()


def test_an_item_the_old_code_wrote_is_read_and_carried_on_by_the_next_frame(dynamodb):
    session_id = uuid.uuid4().hex
    dynamodb.put_item(TableName=SignalStatesRecord.Meta.table_name, Item=old_item(session_id))
    # the proctor's list and the silence check read it through their projections
    view = media_stats.media_view(
        next(iter(SignalStatesRecord.batch_get([session_id], attributes_to_get=media_stats.MEDIA_FIELDS)))
    )
    assert (view["frames_received"], view["frames_rejected"], view["last_frame_at"]) == (
        9,
        2,
        "2026-11-29T12:59:55.123Z",
    )
    # a rejected upload counted under the new names before the tracker rewrites the item
    media_stats.note_rejected(session_id, "webcam", "not_a_jpeg", datetime(2026, 11, 29, 13, 0, tzinfo=UTC))
    # the old item's applied object is recognised as a redelivery
    session = SimpleNamespace(session_id=session_id, agency_id="unused")
    tracker = tracker_without_retags()
    policy = AnalysisPolicy()
    redelivered = Evidence("sessions/a/webcam/b.jpg", "v1", "ab" * 32)
    assert tracker.apply(session, datetime(2026, 11, 29, 13, 0, 5, tzinfo=UTC), {}, policy, redelivered) == []
    # a new frame (no flags) continues the old states and counters
    at = datetime(2026, 11, 29, 13, 0, 5, tzinfo=UTC)
    fresh = Evidence(media_key(session_id).replace("0123456789ab.jpg", "0123456789ac.jpg"), "v2", "cd" * 32)
    tracker.apply(session, at, {"no_face": Observation(False)}, policy, fresh, kind="webcam")

    item = raw_item(dynamodb, session_id)
    assert not {"signals_json", "applied", "frames_received", "last_frame_key", "silence_json"} & set(item)
    record = SignalStatesRecord.get(session_id)
    state = SignalTracker.states(record)["no_face"]
    assert (state.observations, state.episode_started_at, state.last_clear_at) == (10, None, at)
    assert (int(record.frames_received), int(record.frames_rejected), int(record.audio_received)) == (10, 3, 4)
    assert (record.last_frame_key, record.last_frame_version, record.last_frame_at) == (fresh.key, "v2", at)
    assert (record.last_screen_version, record.last_rejected_reason) == ("v-screen", "not_a_jpeg")
    assert record.silence_json == worst_silences()
    assert applied_digests(record)[-2:] == [object_digest(redelivered), object_digest(fresh)]
    assert dynamodb_item_size(item) < 600


def test_a_screen_snapshot_and_a_rejection_update_the_packed_item(dynamodb):
    session_id = uuid.uuid4().hex
    at = datetime(2026, 11, 29, 13, 0, 0, 250000, tzinfo=UTC)
    media_stats.note_screen(session_id, Evidence(media_key(session_id, "screen"), "v9"), at)
    media_stats.note_screen(session_id, Evidence(media_key(session_id, "screen") + "x", "v8"), at - timedelta(1))
    media_stats.note_rejected(session_id, "audio", "empty", at)
    record = SignalStatesRecord.get(session_id)
    assert (record.last_screen_key, record.last_screen_version, record.last_screen_at) == (
        media_key(session_id, "screen"),
        "v9",
        at,
    )
    assert (int(record.screens_received), int(record.audio_rejected), record.audio_rejected_at) == (2, 1, at)
    assert raw_item(dynamodb, session_id)["sk"]["B"][0] == 1  # packed
