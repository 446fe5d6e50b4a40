"""The signal-state item's stored layout: one write unit (≤ 1,024 bytes as DynamoDB bills it) in the worst case,
exact round trips of every packed attribute, and items the old code wrote still read in full."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from benchmarks.cost import dynamodb_item_size
from chalicelib.violations import packing
from chalicelib.violations.catalog import ANALYZER_TYPES
from chalicelib.violations.episodes import SignalState
from chalicelib.violations.models import SignalStatesRecord
from chalicelib.violations.recorder import Evidence
from chalicelib.violations.signal_tracker import (
    APPLIED_KEPT,
    SignalTracker,
    applied_digests,
    has_applied,
    object_digest,
    remember_applied,
    store_states,
)

T = datetime(2026, 11, 29, 12, 59, 55, 123000, tzinfo=UTC)
WRITE_UNIT = 1024


def media_key(session_id: str, kind: str = "webcam", ext: str = "jpg", mark: str = "") -> str:
    return f"sessions/{session_id}/{kind}/20261129T1259Z-0123456789abcdef/20261129T125955123Z-0123456789ab{mark}.{ext}"


def frame_key(session_id: str) -> str:
    """A two-frame webcam object's key (`<name>.f2.jpg`, helper `pairs`)."""
    return media_key(session_id, mark=".f2")


def worst_states() -> dict[str, SignalState]:
    """Every analyzer signal in an episode open for two hours of a three-hour exam, every field set, peaks that
    need all 8 bytes of a float."""
    return {
        signal: SignalState(
            last_at=T - timedelta(milliseconds=7 * n),
            streak=1437,
            streak_started_at=T - timedelta(seconds=7185.25),
            streak_peak=0.8765432101 + n / 1000,
            episode_started_at=T - timedelta(seconds=7180.5),
            episode_last_at=T - timedelta(milliseconds=7 * n),
            episode_peak=0.9876543219 - n / 1000,
            episode_frames=1437,
            observations=2160,
            last_clear_at=T - timedelta(seconds=7190.75),
        )
        for n, signal in enumerate(ANALYZER_TYPES)
    }


def worst_silences() -> str:
    return json.dumps(
        {
            channel: {"type": kind, "started_at": "2026-11-29T12:58:40.123Z", "violation_id": "f" * 32}
            for channel, kind in (("camera", "media_rejected"), ("audio", "audio_missing"))
        },
        sort_keys=True,
    )


def worst_case_record(session_id: str, version: int | None = 123456) -> SignalStatesRecord:
    """The largest item a session reaches: all signals open, `applied` full, every counter, time and key set (an
    AWS S3 version id is 32 characters), both silences open."""
    record = SignalStatesRecord(session_id)
    store_states(record, worst_states())
    for n in range(APPLIED_KEPT + 5):
        remember_applied(record, object_digest(Evidence(f"k{n}", "v", "s")))
    record.last_frame_key, record.last_frame_version, record.last_frame_at = frame_key(session_id), "A" * 32, T
    record.last_screen_key, record.last_screen_version, record.last_screen_at = (
        media_key(session_id, "screen"),
        "B" * 32,
        T,
    )
    record.frames_received, record.frames_rejected = 2160, 150
    record.audio_received, record.audio_rejected = 1080, 150
    record.screens_received, record.screens_rejected = 360, 150
    record.last_audio_at = record.frame_rejected_at = record.audio_rejected_at = record.last_rejected_at = T
    record.last_rejected_kind, record.last_rejected_reason = "webcam", "too_many_in_window"
    record.silence_json = worst_silences()
    if version is not None:  # a session's item after many writes (a new one is saved as version 1)
        record.version = version
    return record


def test_the_worst_case_item_is_one_write_unit():
    item = worst_case_record(hashlib.md5(b"worst").hexdigest()).serialize()
    size = dynamodb_item_size(item)
    assert size <= WRITE_UNIT, {name: dynamodb_item_size({name: value}) for name, value in item.items()}


def test_the_worst_case_item_reads_back_exactly():
    session_id = hashlib.md5(b"worst").hexdigest()
    record = worst_case_record(session_id)
    read = SignalStatesRecord.from_raw_data(record.serialize())
    assert SignalTracker.states(read) == worst_states()
    assert applied_digests(read) == applied_digests(record) and len(applied_digests(read)) == APPLIED_KEPT
    assert (read.last_frame_key, read.last_frame_version, read.last_frame_at) == (frame_key(session_id), "A" * 32, T)
    assert (read.last_screen_key, read.last_screen_at) == (media_key(session_id, "screen"), T)
    assert json.loads(read.silence_json) == json.loads(worst_silences())
    assert (int(read.frames_received), int(read.screens_rejected), read.last_rejected_reason) == (
        2160,
        150,
        "too_many_in_window",
    )


@pytest.mark.parametrize(
    "states",
    [
        {},
        worst_states(),
        {"no_face": SignalState(last_at=T, observations=1, last_clear_at=T)},
        {"no_face": SignalState(streak_peak=0.5, episode_peak=1.0)},  # float32-exact peaks, no times
        {"no_face": SignalState(last_at=T.replace(microsecond=123456))},  # below a millisecond: kept as text
        {"new_signal": SignalState(last_at=T, streak=1)},  # no code yet: kept as text
        {"no_face": SignalState(last_at=datetime(1960, 1, 1, tzinfo=UTC))},  # before the epoch: as text
    ],
)
def test_states_round_trip_exactly(states):
    assert packing.unpack_states(packing.pack_states(states)) == states


def test_packed_states_are_a_fraction_of_the_json():
    packed = packing.pack_states(worst_states())
    assert packed[0] == packing.PACKED
    assert len(packed) < len(packing._states_json(worst_states())) / 5


@pytest.mark.parametrize(
    "key",
    [
        media_key("0123456789abcdef0123456789abcdef"),
        media_key("0123456789abcdef0123456789abcdef", "audio", "wav"),
        media_key("0123456789abcdef0123456789abcdef", mark=".f2"),
        media_key("0123456789abcdef0123456789abcdef", mark=".f02"),  # not a mark the forms write: as text
        media_key("0123456789abcdef0123456789abcdef", mark=".f0"),
        "sessions/x/webcam/a.jpg",  # any other shape: as text
        "sessions/0123456789abcdef0123456789abcdef/webcam/20261399T1259Z-0123456789abcdef/"
        "20261129T125955123Z-0123456789ab.jpg",  # no such month
        "",
    ],
)
def test_keys_round_trip_exactly(key):
    assert packing.unpack_key(packing.pack_key(key)) == key


def test_a_form_key_packs_to_44_bytes():
    assert len(packing.pack_key(media_key("0123456789abcdef0123456789abcdef"))) == 44
    assert len(packing.pack_key(media_key("0123456789abcdef0123456789abcdef", mark=".f2"))) == 44


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        worst_silences(),
        json.dumps({"camera": {"type": "camera_missing", "started_at": "2026-11-29T12:58:40.123Z"}}),  # other
        json.dumps({"camera": {"type": "x", "started_at": "2026-11-29T12:58:40.123Z", "violation_id": "f" * 32}}),
        json.dumps({"camera": {"type": "camera_missing", "started_at": "2026-11-29T12:58:40Z", "violation_id": "f"}}),
        '{"camera": {"violation_id": "ff", "type": "camera_missing", "started_at": "x"}}',
        "not json",
    ],
)
def test_silences_round_trip_exactly(text):
    assert packing.unpack_silence(packing.pack_silence(text)) == text


def test_two_open_silences_pack_to_49_bytes():
    assert len(packing.pack_silence(worst_silences())) == 1 + 2 * 24


def test_the_digest_is_the_old_codes_hex_digest_as_bytes():
    evidence = Evidence("sessions/a/webcam/b.jpg", "v1", "ab" * 32)
    text = f"{evidence.key}\x1f{evidence.version_id}\x1f{evidence.sha256}"
    assert object_digest(evidence).hex() == hashlib.sha256(text.encode()).hexdigest()[:16]


def old_item(session_id: str) -> dict:
    """An item exactly as the code before this layout wrote it (long names, ISO times, JSON, hex digests)."""
    digest = object_digest(Evidence("sessions/a/webcam/b.jpg", "v1", "ab" * 32)).hex()
    return {
        "session_id": {"S": session_id},
        "signals_json": {
            "S": json.dumps(
                {
                    "no_face": {
                        "last_at": "2026-11-29T12:59:55.123Z",
                        "streak": 2,
                        "streak_started_at": "2026-11-29T12:59:50.000Z",
                        "streak_peak": 1.0,
                        "episode_started_at": "2026-11-29T12:59:50.000Z",
                        "episode_last_at": "2026-11-29T12:59:55.123Z",
                        "episode_peak": 1.0,
                        "episode_frames": 2,
                        "observations": 9,
                        "last_clear_at": None,
                    }
                }
            )
        },
        "applied": {"L": [{"S": "00" * 8}, {"S": digest}]},
        "last_frame_key": {"S": media_key(session_id)},
        "last_frame_version": {"S": "v-frame"},
        "last_frame_at": {"S": "2026-11-29T12:59:55.123000+0000"},
        "frames_received": {"N": "9"},
        "frames_rejected": {"N": "2"},
        "audio_received": {"N": "4"},
        "audio_rejected": {"N": "0"},
        "screens_received": {"N": "1"},
        "screens_rejected": {"N": "0"},
        "last_audio_at": {"S": "2026-11-29T12:59:50.000000+0000"},
        "last_screen_key": {"S": media_key(session_id, "screen")},
        "last_screen_version": {"S": "v-screen"},
        "last_screen_at": {"S": "2026-11-29T12:59:30.000000+0000"},
        "frame_rejected_at": {"S": "2026-11-29T12:59:40.000000+0000"},
        "last_rejected_at": {"S": "2026-11-29T12:59:40.000000+0000"},
        "last_rejected_kind": {"S": "webcam"},
        "last_rejected_reason": {"S": "not_a_jpeg"},
        "silence_json": {"S": worst_silences()},
        "version": {"N": "17"},
    }


def test_an_item_the_old_code_wrote_reads_in_full():
    session_id = "0123456789abcdef0123456789abcdef"
    record = SignalStatesRecord.from_raw_data(old_item(session_id))
    at = datetime(2026, 11, 29, 12, 59, 55, 123000, tzinfo=UTC)
    assert SignalTracker.states(record)["no_face"] == SignalState(
        last_at=at,
        streak=2,
        streak_started_at=at.replace(second=50, microsecond=0),
        streak_peak=1.0,
        episode_started_at=at.replace(second=50, microsecond=0),
        episode_last_at=at,
        episode_peak=1.0,
        episode_frames=2,
        observations=9,
    )
    assert has_applied(record, object_digest(Evidence("sessions/a/webcam/b.jpg", "v1", "ab" * 32)))
    assert (record.last_frame_key, record.last_frame_version, record.last_frame_at) == (
        media_key(session_id),
        "v-frame",
        at,
    )
    assert (record.last_screen_key, record.last_screen_version) == (media_key(session_id, "screen"), "v-screen")
    assert [int(record.frames_received), int(record.frames_rejected), int(record.audio_received)] == [9, 2, 4]
    assert record.last_rejected_reason == "not_a_jpeg" and record.frame_rejected_at == at.replace(
        second=40, microsecond=0
    )
    assert record.silence_json == worst_silences()
    assert record.version == 17


def test_an_old_item_updated_since_merges_counters_and_takes_the_newest_group():
    session_id = "0123456789abcdef0123456789abcdef"
    raw = old_item(session_id)
    # media_stats.note_rejected / note_screen wrote under the new names after the deploy
    raw.update(
        {
            "fx": {"N": "1"},
            "sr": {"N": "2"},
            "sk": {"B": packing.pack_key("sessions/x/screen/newer.jpg")},
            "sa": {"N": str(packing.epoch_ms(T + timedelta(seconds=9)))},
            "fxa": {"N": str(packing.epoch_ms(T - timedelta(hours=1)))},
        }
    )
    record = SignalStatesRecord.from_raw_data(raw)
    assert (int(record.frames_rejected), int(record.screens_received)) == (3, 3)
    # the screen group is the new one, without the old version id mixed in
    assert (record.last_screen_key, record.last_screen_version) == ("sessions/x/screen/newer.jpg", None)
    assert record.frame_rejected_at == datetime(2026, 11, 29, 12, 59, 40, tzinfo=UTC)  # the newer of the two


def test_the_next_save_drops_the_old_attributes():
    session_id = "0123456789abcdef0123456789abcdef"
    record = SignalStatesRecord.from_raw_data(old_item(session_id))
    store_states(record, SignalTracker.states(record))
    remember_applied(record, b"\x01" * 8)
    item = record.serialize()
    assert not set(item) & {"signals_json", "applied", "frames_received", "last_frame_key", "silence_json"}
    assert len(applied_digests(SignalStatesRecord.from_raw_data(item))) == 3


def test_random_states_round_trip_exactly():
    import random

    rng = random.Random(13)

    def moment():
        if rng.random() < 0.3:
            return None
        return T - timedelta(milliseconds=rng.randrange(0, 4 * 3600 * 1000))

    for _ in range(500):
        states = {
            signal: SignalState(
                last_at=moment(),
                streak=rng.randrange(0, 5000),
                streak_started_at=moment(),
                streak_peak=rng.choice([0.0, 1.0, 0.5, rng.random(), round(rng.random(), 4)]),
                episode_started_at=moment(),
                episode_last_at=moment(),
                episode_peak=rng.choice([0.0, rng.random(), 2.5e-8, 1e300]),
                episode_frames=rng.randrange(0, 5000),
                observations=rng.randrange(0, 100_000),
                last_clear_at=moment(),
            )
            for signal in rng.sample(list(ANALYZER_TYPES), rng.randrange(0, len(ANALYZER_TYPES) + 1))
        }
        packed = packing.pack_states(states)
        assert packed[0] == packing.PACKED and packing.unpack_states(packed) == states
