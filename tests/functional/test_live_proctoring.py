"""Live proctoring over HTTP: the channel both ways, pause/resume on the server's timer, terminate, concurrency."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers import FACES_DIR, PASSWORD, assert_error, ok, presign, upload, wait_for


def path(ctx, action: str) -> str:
    return f"/proctor/sessions/{ctx['session']['session_id']}/{action}"


def rev(api, ctx) -> int:
    return ok(api.call("GET", path(ctx, "messages"), ctx["proctor"]))["session"]["control_rev"]


def inbox(api, ctx, since: str | None = None) -> dict:
    query = f"?since={since}" if since else ""
    return ok(api.call("GET", f"/sessions/{ctx['session']['session_id']}/inbox{query}", ctx["candidate"]))


def act(api, ctx, action: str, token: str | None = None, **body):
    return api.call("POST", path(ctx, action), token or ctx["proctor"], json=body)


def session_of(api, ctx) -> dict:
    return ok(api.call("GET", f"/sessions/{ctx['session']['session_id']}", ctx["candidate"]))


def answer(api, ctx):
    item = ctx["session"]["items"][0]
    body = {"option_id": item["options"][0]["option_id"]}
    return api.call(
        "PUT", f"/sessions/{ctx['session']['session_id']}/answers/{item['item_id']}", ctx["candidate"], json=body
    )


def test_a_warning_reaches_the_candidate_who_acknowledges_it(api, started):
    # Given a session in progress, When the proctor warns the candidate
    warned = ok(act(api, started, "warn", text="Look at your screen, please.", expected_rev=rev(api, started)))
    # Then the candidate's inbox has the warning, with the session's state beside it
    seen = inbox(api, started)
    [warning] = [m for m in seen["messages"] if m["kind"] == "warning"]
    assert warning["text"] == "Look at your screen, please." and warning["acknowledged_at"] is None
    assert seen["session"]["paused"] is False and seen["cursor"] == warning["message_id"]
    # When the candidate acknowledges it (twice: the second changes nothing)
    session_id = started["session"]["session_id"]
    ack = f"/sessions/{session_id}/inbox/{warning['message_id']}/ack"
    first = ok(api.call("POST", ack, started["candidate"]))["message"]["acknowledged_at"]
    again = ok(api.call("POST", ack, started["candidate"]))["message"]["acknowledged_at"]
    # Then the proctor's journal shows who warned, and when the candidate confirmed
    journal = ok(api.call("GET", path(started, "messages"), started["proctor"]))["messages"]
    [logged] = [m for m in journal if m["kind"] == "warning"]
    assert logged["author_role"] == "proctor" and logged["acknowledged_at"] == first == again
    assert warned["control_rev"] == 1


def test_chat_runs_both_ways_and_a_note_stays_with_the_proctors(api, started):
    ok(act(api, started, "chat", text="Is your microphone on?"))
    session_id = started["session"]["session_id"]
    ok(api.call("POST", f"/sessions/{session_id}/chat", started["candidate"], json={"text": "Yes, it is."}))
    ok(act(api, started, "notes", text="Candidate answers quickly."))

    candidate_sees = [(m["author_role"], m["text"]) for m in inbox(api, started)["messages"]]
    proctor_sees = [
        (m["kind"], m["text"]) for m in ok(api.call("GET", path(started, "messages"), started["proctor"]))["messages"]
    ]
    assert candidate_sees == [("proctor", "Is your microphone on?"), ("candidate", "Yes, it is.")]
    assert proctor_sees == [
        ("chat", "Is your microphone on?"),
        ("chat", "Yes, it is."),
        ("note", "Candidate answers quickly."),
    ]
    grid = ok(api.call("GET", "/proctor/live", started["proctor"]))["sessions"]
    tile = next(t for t in grid if t["session_id"] == session_id)
    assert tile["last_candidate_message_at"] is not None


def test_the_cursor_returns_what_is_new_and_repeats_only_the_last_seconds(api, started):
    ok(act(api, started, "chat", text="one"))
    cursor = inbox(api, started)["cursor"]
    # Messages of the last 10 s come again (one whose write committed late is never skipped); clients keep by id
    again = inbox(api, started, since=cursor)
    assert [m["text"] for m in again["messages"]] == ["one"] and again["cursor"] == cursor
    ok(act(api, started, "chat", text="two"))
    newer = inbox(api, started, since=cursor)
    assert [m["text"] for m in newer["messages"]][-1] == "two" and newer["cursor"] > cursor
    old = "20260101T000000000000Z-abcdef12"  # a cursor from long ago returns everything after it
    assert [m["text"] for m in inbox(api, started, since=old)["messages"]] == ["one", "two"]


def test_pause_freezes_the_timer_and_answers_and_resume_moves_the_deadline(api, started):
    # Given a running session
    before = session_of(api, started)
    # When the proctor pauses it with a message
    ok(act(api, started, "pause", text="Show the room, please.", expected_rev=rev(api, started)))
    paused = inbox(api, started)
    assert paused["session"]["paused"] is True
    assert [m["text"] for m in paused["messages"] if m["kind"] == "pause"] == ["Show the room, please."]
    # Then the server's timer stands still and answers and submit are refused
    frozen = session_of(api, started)["remaining_s"]
    time.sleep(2.2)
    assert session_of(api, started)["remaining_s"] == frozen
    assert_error(answer(api, started), 409, "session.paused")
    assert_error(
        api.call("POST", f"/sessions/{before['session_id']}/submit", started["candidate"]), 409, "session.paused"
    )
    # When the proctor resumes, Then the deadline has moved by the pause and answers are taken again
    ok(act(api, started, "resume", expected_rev=rev(api, started)))
    after = session_of(api, started)
    assert after["paused"] is False
    assert after["deadline_at"] > before["deadline_at"]
    assert abs(after["remaining_s"] - frozen) <= 1
    assert ok(answer(api, started))["answered"] == 1


def test_a_pause_across_the_deadline_holds_the_session_and_the_lifecycle_waits(api, make_exam):
    # Given a 6-second exam paused after one second
    ctx = make_exam(duration_s=6)
    ctx["session"] = ok(api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={}))
    time.sleep(1)
    ok(act(api, ctx, "pause", text="Wait, please.", expected_rev=rev(api, ctx)))
    # When the original deadline passes during the pause
    time.sleep(7)
    # Then the session is still in progress (not auto-submitted) with its time left
    held = session_of(api, ctx)
    assert held["status"] == "in_progress" and 3 <= held["remaining_s"] <= 5
    # When it resumes, the candidate can still answer, and the state machine submits at the moved deadline
    ok(act(api, ctx, "resume", expected_rev=rev(api, ctx)))
    assert ok(answer(api, ctx))["answered"] == 1
    wait_for(lambda: session_of(api, ctx)["status"] in ("submitted", "awaiting_review"), timeout_s=20)
    assert session_of(api, ctx)["auto_submitted"] is True


def test_terminate_ends_the_sitting_and_sends_it_to_review_with_the_reason(api, started):
    ok(answer(api, started))
    ended = ok(act(api, started, "terminate", reason="Used a phone", expected_rev=rev(api, started)))
    assert ended["status"] == "submitted"
    # The candidate's page learns it through the same channel, and the cabinet shows it
    box = inbox(api, started)
    assert box["session"]["terminated"] is True and box["session"]["termination_reason"] == "Used a phone"
    assert_error(answer(api, started), 409, "session.terminated")

    def queued():
        queue = ok(api.call("GET", f"/proctor/review?exam_id={started['exam_id']}", started["proctor"]))["sessions"]
        return [s for s in queue if s["session_id"] == started["session"]["session_id"]]

    [entry] = wait_for(queued)
    assert entry["terminated"] is True and entry["termination_reason"] == "Used a phone"
    cabinet = ok(api.call("GET", "/me/exams", started["candidate"]))["exams"]
    assert next(e for e in cabinet if e["exam_id"] == started["exam_id"])["session"]["terminated"] is True


def test_terminating_a_paused_session_ends_its_pause_so_the_pause_is_not_billed(api, started):
    from chalicelib.billing.metering import proctored_minutes
    from chalicelib.exam.models import SessionRecord

    # Given a session a proctor paused for ~2 s
    before = session_of(api, started)
    ok(act(api, started, "pause", text="Show the room, please.", expected_rev=rev(api, started)))
    time.sleep(2.2)
    # When the proctor terminates it without resuming
    ok(act(api, started, "terminate", reason="Refused to show the room", expected_rev=rev(api, started)))
    # Then the pause is counted as paused time (and the deadline moved by it, as a resume would)
    record = SessionRecord.get(started["session"]["session_id"], consistent_read=True)
    assert record.paused_at is None and 2 <= record.paused_total_s <= 4
    assert session_of(api, started)["deadline_at"] > before["deadline_at"]
    sitting_s = (record.terminated_at - record.started_at).total_seconds()
    assert float(proctored_minutes(record)) * 60 == pytest.approx(sitting_s - record.paused_total_s, abs=0.6)


def test_two_proctors_acting_at_once_one_wins_the_other_gets_409(api, started, agency):
    second = api.login(agency["admin"], PASSWORD)  # an agency admin may proctor too
    seen = rev(api, started)

    def pause(token):
        return act(api, started, "pause", token, text="Hold on.", expected_rev=seen)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(pause, [started["proctor"], second]))
    assert sorted(r.status_code for r in results) == [201, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["error"]["code"] == "session.changed"
    pauses = [m for m in inbox(api, started)["messages"] if m["kind"] == "pause"]
    assert len(pauses) == 1  # never half-applied: one pause, one audit line
    # A stale revision is refused too, and a fresh one works
    assert_error(act(api, started, "warn", text="x", expected_rev=seen), 409, "session.changed")
    assert act(api, started, "resume", expected_rev=rev(api, started)).status_code == 201


def test_actions_in_the_wrong_state_are_refused(api, started):
    assert_error(act(api, started, "resume", expected_rev=rev(api, started)), 409, "session.not_paused")
    ok(act(api, started, "pause", text="a", expected_rev=rev(api, started)))
    assert_error(act(api, started, "pause", text="b", expected_rev=rev(api, started)), 409, "session.paused")
    ok(act(api, started, "terminate", reason="done", expected_rev=rev(api, started)))
    assert_error(act(api, started, "warn", text="late", expected_rev=rev(api, started)), 409, "session.not_in_progress")


def test_only_the_own_agency_proctor_may_act_and_read(api, started, other_agency):
    stranger = api.login(other_agency["proctor"], PASSWORD)
    for action, body in [
        ("warn", {"text": "x", "expected_rev": 0}),
        ("chat", {"text": "x"}),
        ("notes", {"text": "x"}),
        ("pause", {"text": "x", "expected_rev": 0}),
        ("terminate", {"reason": "x", "expected_rev": 0}),
    ]:
        assert_error(act(api, started, action, stranger, **body), 404, "session.not_found")
        assert_error(act(api, started, action, started["candidate"], **body), 403, "auth.forbidden_role")
        assert_error(api.call("POST", path(started, action), json=body), 401, "auth.missing_token")
    assert_error(api.call("GET", path(started, "messages"), stranger), 404, "session.not_found")
    live = ok(api.call("GET", "/proctor/live", stranger))["sessions"]
    assert started["session"]["session_id"] not in {s["session_id"] for s in live}
    inbox_path = f"/sessions/{started['session']['session_id']}/inbox"
    assert_error(api.call("GET", inbox_path, started["proctor"]), 403, "auth.forbidden_role")
    assert session_of(api, started)["paused"] is False  # nothing happened


def test_another_candidate_cannot_read_or_write_the_channel(api, started, make_exam):
    other = make_exam()
    session_id = started["session"]["session_id"]
    assert_error(api.call("GET", f"/sessions/{session_id}/inbox", other["candidate"]), 404, "session.not_found")
    chat = api.call("POST", f"/sessions/{session_id}/chat", other["candidate"], json={"text": "hi"})
    assert_error(chat, 404, "session.not_found")


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("warn", {"text": "x"}, "expected_rev"),
        ("warn", {"text": "x", "expected_rev": -1}, "expected_rev"),
        ("warn", {"text": "x" * 2001, "expected_rev": 0}, "text"),
        ("pause", {"expected_rev": 0}, "text"),
        ("terminate", {"expected_rev": 0}, "reason"),
        ("chat", {"text": ""}, "text"),
        ("notes", {}, "text"),
    ],
)
def test_bad_action_bodies_are_refused_naming_the_field(api, started, action, body, field):
    error = assert_error(act(api, started, action, **body), 400, "request.invalid_field")
    assert error["details"]["field"] == field
    assert inbox(api, started)["messages"] == []


def test_bad_cursors_and_unknown_warnings_are_refused(api, started):
    session_id = started["session"]["session_id"]
    bad = api.call("GET", f"/sessions/{session_id}/inbox?since=../../x", started["candidate"])
    assert_error(bad, 400, "request.invalid_field")
    unknown = "20260101T000000000000Z-abcdef12"
    assert_error(
        api.call("POST", f"/sessions/{session_id}/inbox/{unknown}/ack", started["candidate"]), 404, "message.not_found"
    )
    assert_error(
        api.call("POST", f"/sessions/{session_id}/inbox/nonsense/ack", started["candidate"]), 404, "message.not_found"
    )
    ok(act(api, started, "chat", text="not a warning"))
    chat_id = inbox(api, started)["messages"][0]["message_id"]
    assert_error(
        api.call("POST", f"/sessions/{session_id}/inbox/{chat_id}/ack", started["candidate"]), 404, "message.not_found"
    )


def test_the_live_grid_shows_name_time_and_the_newest_frame_riskiest_first(api, started, make_exam):
    quiet = make_exam()
    quiet["session"] = ok(api.call("POST", f"/exams/{quiet['exam_id']}/sessions", quiet["candidate"], json={}))
    upload(presign(api, started), (FACES_DIR / "group__two_people.jpg").read_bytes()).raise_for_status()
    upload(presign(api, started), (FACES_DIR / "group__two_people.jpg").read_bytes()).raise_for_status()

    def grid():
        tiles = ok(api.call("GET", "/proctor/live", started["proctor"]))["sessions"]
        return {t["session_id"]: t for t in tiles}

    risky = wait_for(lambda: (grid().get(started["session"]["session_id"]) or {}).get("latest_frame_url") and grid())
    tile = risky[started["session"]["session_id"]]
    assert tile["full_name"] == "Test Candidate" and tile["status"] == "in_progress" and tile["remaining_s"] > 0
    ids = list(risky)
    assert ids.index(started["session"]["session_id"]) < ids.index(quiet["session"]["session_id"])
    wait_for(lambda: grid()[started["session"]["session_id"]]["violation_counts"].get("multiple_faces"))
    assert grid()[started["session"]["session_id"]]["credibility"] < 100
    # With no new frame, the tile names the same frame time on every poll (the console keeps its image)
    first, again = grid()[started["session"]["session_id"]], grid()[started["session"]["session_id"]]
    assert first["latest_frame_at"] and first["latest_frame_at"] == again["latest_frame_at"]


def test_the_review_queue_orders_by_credibility_with_the_exams_own_weights(api, make_exam):
    # Given an exam that weighs a tab switch at 30 points, and two submitted sessions: one clean, one with two
    ctx = make_exam(analysis={"credibility_weights": {"tab_hidden": 30}})
    ctx["session"] = ok(api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={}))
    events = [
        {"event_id": f"tab-{n}-abcdef", "type": "tab_hidden", "occurred_at": ctx["session"]["started_at"]}
        for n in range(2)
    ]
    ok(api.call("POST", f"/sessions/{ctx['session']['session_id']}/events", ctx["candidate"], json={"events": events}))
    ok(api.call("POST", f"/sessions/{ctx['session']['session_id']}/submit", ctx["candidate"]))

    def queue():
        return ok(api.call("GET", f"/proctor/review?exam_id={ctx['exam_id']}", ctx["proctor"]))["sessions"]

    [entry] = wait_for(queue)
    # Then its score and the breakdown say why: 100 - 2 x 30
    assert entry["credibility"] == 40
    [line] = entry["credibility_breakdown"]["lines"]
    assert (line["type"], line["count"], line["weight"], line["penalty"]) == ("tab_hidden", 2, 30, 60)


def test_the_enrollment_review_lists_rejected_checks_of_the_exam(api, make_exam):
    from tests.helpers import IMPOSTOR, SELFIE, verify

    ctx = make_exam(require_identity=True)
    assert verify(api, ctx, SELFIE.read_bytes(), IMPOSTOR.read_bytes()).json()["status"] == "rejected"
    listed = ok(api.call("GET", f"/proctor/enrollments?exam_id={ctx['exam_id']}&status=rejected", ctx["proctor"]))
    assert [e["candidate_id"] for e in listed["enrollments"]] == [ctx["candidate_id"]]
    refused = api.call("GET", f"/proctor/enrollments?exam_id={ctx['exam_id']}", ctx["candidate"])
    assert_error(refused, 403, "auth.forbidden_role")
    assert_error(api.call("GET", "/proctor/enrollments", ctx["proctor"]), 400, "request.invalid_field")


def test_the_candidate_sees_the_own_violations_without_evidence_and_nobody_else_does(api, started, make_exam):
    session_id = started["session"]["session_id"]
    event = {"event_id": "own-log-1", "type": "tab_hidden", "occurred_at": started["session"]["started_at"]}
    ok(api.call("POST", f"/sessions/{session_id}/events", started["candidate"], json={"events": [event]}))
    [entry] = ok(api.call("GET", f"/sessions/{session_id}/violations", started["candidate"]))["violations"]
    assert set(entry) == {"type", "severity", "occurred_at", "ended_at"} and entry["type"] == "tab_hidden"
    other = make_exam()
    assert_error(api.call("GET", f"/sessions/{session_id}/violations", other["candidate"]), 404, "session.not_found")
    assert_error(api.call("GET", f"/sessions/{session_id}/violations", started["proctor"]), 403, "auth.forbidden_role")


def test_a_proctor_lists_the_own_agencys_exams_only(api, make_exam, other_agency):
    ctx = make_exam()
    listed = ok(api.call("GET", "/proctor/exams", ctx["proctor"]))["exams"]
    assert ctx["exam_id"] in {e["exam_id"] for e in listed}
    stranger = ok(api.call("GET", "/proctor/exams", api.login(other_agency["proctor"], PASSWORD)))["exams"]
    assert ctx["exam_id"] not in {e["exam_id"] for e in stranger}
    assert_error(api.call("GET", "/proctor/exams", ctx["candidate"]), 403, "auth.forbidden_role")
