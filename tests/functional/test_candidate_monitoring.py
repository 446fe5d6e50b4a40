"""What the candidate's web app needs from the API: cadence, blocks, outcomes, screen snapshots, speed probes."""

from __future__ import annotations

import pytest

from chalicelib.violations.models import MediaObjectRecord
from tests.helpers import FACES_DIR, assert_error, ok, presign, timeline, upload, wait_for


def ledger_entries(session_id: str) -> list[MediaObjectRecord]:
    return [r for r in MediaObjectRecord.scan() if f"sessions/{session_id}/" in r.object_id]


def test_the_session_tells_the_browser_its_upload_cadence_and_blocks(api, make_exam):
    # Given an exam whose policy asks for a webcam frame every 2 s and a screen snapshot every 20 s
    ctx = make_exam(analysis={"webcam_every_s": 2, "screen_every_s": 20})
    # When the candidate starts it
    session = ok(api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={"language": "kk"}))
    # Then the session carries that cadence (audio keeps its default) and the exam's blocks in order
    assert session["monitoring"] == {
        "webcam_every_s": 2,
        "audio_chunk_s": 10,
        "audio_keepalive_s": 60,
        "screen_every_s": 20,
    }
    assert [b["block_id"] for b in session["blocks"]] == ["law", "ethics"]
    assert {item["block_id"] for item in session["items"]} == {"law", "ethics"}


@pytest.mark.parametrize("value", [0, 61, "5", True])
def test_a_cadence_out_of_range_is_refused(api, agency, value):
    from tests.helpers import PASSWORD, exam_payload

    admin = api.login(agency["admin"], PASSWORD)
    payload = {**exam_payload(), "analysis": {"webcam_every_s": value}}
    error = assert_error(api.call("POST", "/admin/exams", admin, json=payload), 400, "request.invalid_field")
    assert error["details"]["field"] == "analysis.webcam_every_s"


def test_the_cabinet_shows_blocks_identity_requirement_and_the_outcome(api, make_exam):
    # Given a candidate who took an exam and a proctor who annulled it with a reason
    ctx = make_exam(require_identity=False)
    session = ok(api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={}))
    ok(api.call("POST", f"/sessions/{session['session_id']}/submit", ctx["candidate"]))

    def cabinet_entry():
        exams = ok(api.call("GET", "/me/exams", ctx["candidate"]))["exams"]
        return next(e for e in exams if e["exam_id"] == ctx["exam_id"])

    wait_for(lambda: cabinet_entry()["session"]["status"] == "awaiting_review")
    verdict = {"verdict": "annul", "reason": "Second person in the room"}
    ok(api.call("POST", f"/proctor/sessions/{session['session_id']}/verdict", ctx["proctor"], json=verdict))
    # When the candidate opens the cabinet
    entry = cabinet_entry()
    # Then it shows the blocks, whether identity is checked, and the annulment with its reason and no score
    assert entry["require_identity"] is False
    assert [b["block_id"] for b in entry["blocks"]] == ["law", "ethics"]
    outcome = entry["session"]
    assert (outcome["status"], outcome["verdict"]) == ("annulled", "annulled")
    assert outcome["verdict_reason"] == "Second person in the room"
    assert outcome["score"] is None and outcome["submitted_at"]


def test_a_screen_snapshot_is_kept_as_evidence_without_face_analysis(api, started):
    # Given a candidate sharing the screen; the snapshot shows two faces (a video call on screen, say)
    post = presign(api, started, kind="screen")
    assert post["key"].startswith(f"sessions/{started['session']['session_id']}/screen/")
    # When it is uploaded
    upload(post, (FACES_DIR / "group__two_people.jpg").read_bytes()).raise_for_status()
    session_id = started["session"]["session_id"]
    [entry] = wait_for(lambda: ledger_entries(session_id))
    # Then it is analysed as a readable image only: no face on a screen is a violation
    assert (entry.kind, entry.outcome) == ("screen", "analyzed")
    assert timeline(api, started)["violations"] == []


def test_a_screen_snapshot_that_is_not_an_image_is_rejected(api, started):
    post = presign(api, started, kind="screen")
    upload(post, b"\xff\xd8 not an image").raise_for_status()
    [entry] = wait_for(lambda: ledger_entries(started["session"]["session_id"]))
    assert (entry.outcome, entry.reason) == ("rejected", "undecodable")


def test_the_speed_probe_is_a_real_upload_outside_every_session(api, make_exam):
    ctx = make_exam()
    # When the system check asks for an upload-speed probe and sends 1 MB through it
    post = ok(api.call("POST", f"/exams/{ctx['exam_id']}/system-check/uploads", ctx["candidate"]))
    assert post["key"].startswith(f"probes/{ctx['exam_id']}/") and post["max_bytes"] >= 1_000_000
    response = upload(post, b"\0" * 1_000_000, content_type="application/octet-stream")
    # Then the upload lands, and nothing analyses it
    assert response.status_code in (200, 201, 204), response.text
    assert not [r for r in MediaObjectRecord.scan() if "/probes/" in r.object_id]


def test_the_speed_probe_needs_consent_and_an_own_exam(api, make_exam):
    no_consent = make_exam(consent=False)
    path = f"/exams/{no_consent['exam_id']}/system-check/uploads"
    assert_error(api.call("POST", path, no_consent["candidate"]), 403, "consent.required")
    other = make_exam()
    assert_error(api.call("POST", path, other["candidate"]), 404, "exam.not_found")
    assert_error(api.call("POST", path, other["proctor"]), 403, "auth.forbidden_role")
    assert_error(api.call("POST", path), 401, "auth.missing_token")


@pytest.mark.parametrize("event_type", ["cut", "context_menu", "second_screen", "microphone_ended", "microphone_muted"])
def test_the_browser_reports_every_monitored_event_type(api, started, event_type):
    session_id = started["session"]["session_id"]
    event = {"event_id": f"ev-{event_type}-1", "type": event_type, "occurred_at": started["session"]["started_at"]}
    result = ok(api.call("POST", f"/sessions/{session_id}/events", started["candidate"], json={"events": [event]}))
    assert result["results"] == [{"event_id": event["event_id"], "outcome": "recorded"}]
    assert [v["type"] for v in timeline(api, started)["violations"]] == [event_type]
