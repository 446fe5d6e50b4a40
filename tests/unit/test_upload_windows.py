"""The upload forms' key prefixes and windows: pure arithmetic (chalicelib/media/uploads.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.media.models import form_id
from chalicelib.media.uploads import (
    FORM_SLACK_S,
    FORM_VALID_S,
    MediaKey,
    key_prefix,
    objects_per_form,
    parse_media_key,
    retry_after_s,
    window_at,
    window_start,
)

SID = "0123456789abcdef0123456789abcdef"
NONCE = "00112233aabbccdd"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_request_gets_the_form_of_its_clock_minute():
    window = window_at(at("2026-11-29T18:04:59.999"))
    assert window.label == "20261129T1804Z"
    assert window_at(at("2026-11-29T18:04:00")) == window
    assert window_at(at("2026-11-29T18:05:00")).label == "20261129T1805Z"
    assert window.valid_until == at("2026-11-29T18:05:00") + timedelta(seconds=FORM_SLACK_S)


def test_the_prefix_names_session_kind_minute_and_nonce_and_the_form_row_names_no_key():
    prefix = key_prefix(SID, "webcam", window_at(at("2026-11-29T18:04:30")), NONCE)
    assert prefix == f"sessions/{SID}/webcam/20261129T1804Z-{NONCE}/"
    assert form_id(SID, "webcam", "20261129T1804Z") == f"form#{SID}/webcam/20261129T1804Z"


def test_an_upload_expires_with_the_minute_and_the_slack():
    window = window_at(at("2026-11-29T18:04:30"))
    assert not window.expired(at("2026-11-29T18:04:00"))
    assert not window.expired(at("2026-11-29T18:05:00") + timedelta(seconds=FORM_SLACK_S))
    assert window.expired(at("2026-11-29T18:05:00") + timedelta(seconds=FORM_SLACK_S + 1))
    assert not window.expired(at("2026-11-29T18:05:30"), skew=timedelta(seconds=10))


def test_keys_parse_strictly():
    name = "20261129T180431123Z-0123456789ab"
    key = f"sessions/{SID}/webcam/20261129T1804Z-{NONCE}/{name}.jpg"
    parsed = parse_media_key(key)
    assert parsed == MediaKey(SID, "webcam", "20261129T1804Z", NONCE, f"{name}.jpg")
    assert parsed.prefix == f"sessions/{SID}/webcam/20261129T1804Z-{NONCE}/"
    assert parsed.form_id == f"form#{SID}/webcam/20261129T1804Z"
    assert parse_media_key(f"sessions/{SID}/audio/20261129T1804Z-{NONCE}/{name}.wav").kind == "audio"
    for bad in (
        f"sessions/{SID}/webcam/{name}.jpg",  # the old one-form-per-object shape: no window
        f"sessions/{SID}/webcam/20261129T1804Z/{name}.jpg",  # no nonce
        f"sessions/{SID}/webcam/20261129T1804Z-{NONCE[:-1]}/{name}.jpg",
        f"sessions/{SID}/webcam/20261129T1804Z-{NONCE}/{name}.wav",  # the extension is not the kind's
        f"sessions/{SID}/audio/20261129T1804Z-{NONCE}/{name}.jpg",
        f"sessions/{SID}/webcam/20261329T1804Z-{NONCE}/{name}.jpg",  # month 13: no minute
        f"sessions/{SID}/webcam/20261129T1804Z-{NONCE}/x/{name}.jpg",
        f"sessions/{SID}/webcam/20261129T1804Z-{NONCE}/{name}.jpg.exe",
        f"sessions/{SID.upper()}/webcam/20261129T1804Z-{NONCE}/{name}.jpg",
        f"sessions/{SID}/webcam/20261129T1804Z-{NONCE}/../{name}.jpg",
        f"probes/{SID}/webcam/20261129T1804Z-{NONCE}/{name}.jpg",
    ):
        assert parse_media_key(bad) is None, bad


def test_a_window_label_that_is_no_minute_names_no_window():
    assert window_start("20261129T1804Z") == window_at(at("2026-11-29T18:04:00"))
    assert window_start("20261129T2460Z") is None


@pytest.mark.parametrize(
    ("kind", "every", "expected"),
    [("webcam", 5, 2 * 8 + 6), ("audio", 10, 2 * 8 + 6), ("screen", 30, 2 * 3 + 6), ("screen", 300, 2 + 6)],
)
def test_a_form_carries_twice_what_the_cadence_needs_over_its_validity_plus_slack(kind, every, expected):
    policy = AnalysisPolicy.from_dict(
        {
            "webcam_every_s": every if kind == "webcam" else 5,
            "audio_chunk_s": every if kind == "audio" else 10,
            "screen_every_s": every if kind == "screen" else 30,
        }
    )
    assert FORM_VALID_S == 80
    assert objects_per_form(policy, kind) == expected


def test_retry_after_is_the_rest_of_the_minute():
    assert retry_after_s(at("2026-11-29T18:04:15")) == 45
    assert retry_after_s(at("2026-11-29T18:04:59.5")) == 1
