"""Silence is visible: a session that beats but sends no usable media gets a violation, and the proctor's list
shows what media arrived. Real HTTP against the local stack; the exam's cadence makes the window a few seconds."""

from __future__ import annotations

import time

from tests.helpers import ok, presign, timeline, upload, wait_for
from tests.paths import FACES_DIR

# camera window max(3 x 1 s, 5 s) = 5 s; audio window max(3 x 2 s, 5 s, keep-alive 2 s + 2 x 2 s) = 6 s; checks
# every 2 s
FAST = {"webcam_every_s": 1, "audio_chunk_s": 2, "audio_keepalive_s": 2, "max_gap_s": 5}


def start(api, make_exam) -> dict:
    ctx = make_exam(analysis=FAST)
    ctx["session"] = ok(api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={}))
    return ctx


def heartbeat(api, ctx) -> None:
    session_id = ctx["session"]["session_id"]
    ok(api.call("POST", f"/sessions/{session_id}/heartbeat", ctx["candidate"], json={"client_id": "tab-silence1"}))


def violations_while_beating(api, ctx, wanted: set[str], timeout_s: float = 20, each_beat=None) -> dict:
    """Heartbeat once a second (doing each_beat first) until the timeline shows every wanted type."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if each_beat:
            each_beat()
        heartbeat(api, ctx)
        found = {v["type"]: v for v in timeline(api, ctx)["violations"]}
        if wanted <= set(found):
            return found
        time.sleep(1)
    raise AssertionError(f"no {wanted} within {timeout_s}s: {timeline(api, ctx)['violations']}")


def listed(api, ctx) -> dict:
    rows = ok(api.call("GET", "/proctor/sessions", ctx["proctor"], params={"exam_id": ctx["exam_id"]}))["sessions"]
    return next(r for r in rows if r["session_id"] == ctx["session"]["session_id"])


def test_a_session_that_beats_but_sends_no_media_gets_camera_and_audio_missing(api, make_exam):
    # Given a candidate whose page keeps beating but whose camera and microphone send nothing
    ctx = start(api, make_exam)
    # When the policy window passes
    found = violations_while_beating(api, ctx, {"camera_missing", "audio_missing"})
    # Then both are open violations with the counts, and the proctor's list shows the silence
    camera = found["camera_missing"]
    assert (camera["severity"], camera["source"], camera["open"]) == ("high", "server", True)
    assert camera["occurred_at"] == ctx["session"]["started_at"]
    assert camera["details"]["received"] == 0 and camera["details"]["window_s"] == 5
    row = listed(api, ctx)
    assert row["violation_counts"] == {"camera_missing": 1, "audio_missing": 1}
    assert row["media"]["frames_received"] == 0 and row["media"]["last_frame_at"] is None
    assert row["media"]["silent"] == ["audio_missing", "camera_missing"]
    assert row["credibility"] < 100

    # When a usable frame arrives, the camera episode closes at the next check (audio stays missing)
    upload(presign(api, ctx), (FACES_DIR / "obama__obama.jpg").read_bytes()).raise_for_status()
    wait_for(lambda: listed(api, ctx)["media"]["frames_received"] == 1)

    def camera_closed():
        heartbeat(api, ctx)
        return [v for v in timeline(api, ctx)["violations"] if v["type"] == "camera_missing" and not v["open"]]

    wait_for(camera_closed, timeout_s=10, interval_s=1)
    row = listed(api, ctx)
    assert row["media"]["silent"] == ["audio_missing"] and row["media"]["last_frame_at"]
    assert row["violation_counts"]["camera_missing"] == 1  # one episode, not one per check


def test_a_session_whose_every_frame_is_rejected_gets_media_rejected(api, make_exam):
    # Given a candidate whose uploads all arrive but none is a usable JPEG
    ctx = start(api, make_exam)

    def corrupt_frame():
        upload(presign(api, ctx), b"\xff\xd8 not really a jpeg").raise_for_status()

    # When the window passes with only those
    found = violations_while_beating(api, ctx, {"media_rejected"}, each_beat=corrupt_frame)
    # Then the camera's silence is media_rejected (not camera_missing), with the counts and the reason
    rejected = found["media_rejected"]
    assert "camera_missing" not in found
    assert rejected["details"]["kind"] == "webcam" and rejected["details"]["received"] == 0
    assert rejected["details"]["last_rejected_reason"] == "undecodable"
    media = listed(api, ctx)["media"]
    assert media["frames_received"] == 0 and media["frames_rejected"] >= 3
    assert media["last_rejected_reason"] == "undecodable" and media["last_rejected_at"]


def test_a_session_sending_media_on_time_gets_no_silence_violation(api, make_exam):
    ctx = start(api, make_exam)
    frame = (FACES_DIR / "obama__obama.jpg").read_bytes()
    deadline = time.monotonic() + 9  # longer than both windows
    while time.monotonic() < deadline:
        upload(presign(api, ctx), frame).raise_for_status()
        heartbeat(api, ctx)
        time.sleep(1)
    types = {v["type"] for v in timeline(api, ctx)["violations"]}
    assert "camera_missing" not in types and "media_rejected" not in types
    assert listed(api, ctx)["media"]["frames_received"] >= 5
