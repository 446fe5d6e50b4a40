"""The audio keep-alive: a policy cadence field served to the browser, and a silence window that never calls a quiet
candidate's microphone missing (the browser uploads audio only when it hears speech-like sound, and one chunk every
audio_keepalive_s anyway: web/src/shared/media/voice_gate.ts)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.core.errors import InvalidInput
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.exam.policy_defaults import policy_defaults
from chalicelib.violations.silence import CHANNELS, window
from tests.paths import REPO_ROOT

CAMERA, AUDIO = CHANNELS
VOICE_GATE = REPO_ROOT / "web" / "src" / "shared" / "media" / "voice_gate.ts"


def test_the_keepalive_defaults_to_a_minute_and_reaches_the_browser_with_the_cadence():
    policy = AnalysisPolicy()
    assert policy.audio_keepalive_s == 60
    assert policy.cadence() == {"webcam_every_s": 5, "audio_chunk_s": 10, "audio_keepalive_s": 60, "screen_every_s": 30}
    assert AnalysisPolicy.from_dict({"audio_keepalive_s": 120}).cadence()["audio_keepalive_s"] == 120
    # the browser's own default is the same minute
    assert "export const DEFAULT_KEEPALIVE_S = 60;" in VOICE_GATE.read_text()


@pytest.mark.parametrize("value", [2, 600, 45.0])
def test_a_keepalive_within_range_is_kept_as_whole_seconds(value):
    policy = AnalysisPolicy.from_dict({"audio_keepalive_s": value})
    assert policy.audio_keepalive_s == int(value) and isinstance(policy.audio_keepalive_s, int)


@pytest.mark.parametrize("value", [0, 1, 601, -60, "60", True, [60]])
def test_a_keepalive_out_of_range_is_refused(value):
    with pytest.raises(InvalidInput) as caught:
        AnalysisPolicy.from_dict({"audio_keepalive_s": value})
    assert caught.value.code == "request.invalid_field"
    assert caught.value.details["field"] == "analysis.audio_keepalive_s"


def test_the_admin_form_lists_the_keepalive_with_its_unit_bounds_and_explanation_in_three_languages():
    entry = next(e for e in policy_defaults({}) if e["param"] == "audio_keepalive_s")
    assert entry == {
        "param": "audio_keepalive_s",
        "default": 60,
        "unit": "seconds",
        "message_key": "policy.audio_keepalive_s",
        "kind": "integer",
        "min": 2,
        "max": 600,
    }
    texts = {
        lang: json.loads((REPO_ROOT / "web" / "src" / "shared" / "i18n" / f"{lang}.json").read_text())[
            "policy.audio_keepalive_s"
        ]
        for lang in ("kk", "ru", "en")
    }
    assert len(set(texts.values())) == 3 and all(len(t) > 80 for t in texts.values())


def test_a_quiet_candidate_is_not_audio_missing_between_two_keepalives():
    # With the defaults the browser uploads a quiet chunk every 60 s: the window is the keep-alive and two chunks
    # (one being recorded, one in flight), not the old max(3 x 10 s, 30 s) = 30 s that a silent room would break.
    policy = AnalysisPolicy()
    assert window(policy, AUDIO) == timedelta(seconds=80)
    assert window(policy, AUDIO) > timedelta(seconds=policy.audio_keepalive_s)
    assert window(AnalysisPolicy.from_dict({"audio_keepalive_s": 300}), AUDIO) == timedelta(seconds=320)


def test_the_audio_window_keeps_its_old_floor_when_the_keepalive_is_short():
    # the fast test cadence: 2 s chunks, a 2 s keep-alive (every chunk) -> max(3 x 2, 5, 2 + 4) = 6 s
    fast = AnalysisPolicy.from_dict({"audio_chunk_s": 2, "audio_keepalive_s": 2, "max_gap_s": 5})
    assert window(fast, AUDIO) == timedelta(seconds=6)
    assert window(AnalysisPolicy.from_dict({"audio_keepalive_s": 2, "max_gap_s": 45}), AUDIO) == timedelta(seconds=45)


def test_the_camera_window_does_not_depend_on_the_audio_keepalive():
    for keepalive in (2, 60, 600):
        policy = AnalysisPolicy.from_dict({"audio_keepalive_s": keepalive})
        assert window(policy, CAMERA) == timedelta(seconds=30)
