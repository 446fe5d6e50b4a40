"""End to end over real HTTP: candidate, S3 upload, queue, analyzer, state machine, proctor."""

from __future__ import annotations

import requests

from tests.helpers import analyzed, presign, timeline, upload, wait_for
from tests.paths import FACES_DIR


def test_two_people_on_camera_raise_multiple_faces_visible_to_the_proctor(api, started):
    # Given a candidate writing the exam
    # When the browser uploads two consecutive webcam frames showing two people through presigned POSTs
    posts = []
    for _ in range(2):
        posts.append(presign(api, started))
        assert upload(posts[-1], (FACES_DIR / "group__two_people.jpg").read_bytes()).status_code in (200, 204)

    # Then the proctor sees one multiple_faces episode with a frame as evidence, within seconds
    found = wait_for(lambda: [v for v in timeline(api, started)["violations"] if v["type"] == "multiple_faces"])
    assert len(found) == 1
    assert found[0]["severity"] == "high" and found[0]["source"] == "analyzer"
    assert found[0]["evidence_key"] in {p["key"] for p in posts}
    assert found[0]["details"]["faces"] == 2 and found[0]["frames"] == 2 and found[0]["open"] is True
    evidence = requests.get(found[0]["evidence_url"], timeout=10)
    assert evidence.status_code == 200 and evidence.content[:2] == b"\xff\xd8"
    listed = api.call("GET", "/proctor/sessions", started["proctor"]).json()["sessions"]
    row = next(s for s in listed if s["session_id"] == started["session"]["session_id"])
    assert row["violation_counts"] == {"multiple_faces": 1}
    assert row["risk_score"] > 0


def test_one_empty_frame_is_not_a_violation_but_a_persisting_empty_scene_is(api, started):
    # Given a candidate on camera, then one frame without anybody, then the candidate again
    for image in ("obama__obama.jpg", "noface__horses.jpg", "obama__obama.jpg"):
        upload(presign(api, started), (FACES_DIR / image).read_bytes()).raise_for_status()
    wait_for(lambda: analyzed(started) == 3)
    assert timeline(api, started)["violations"] == []  # one odd frame raises nothing

    # When the scene stays empty for two frames, then the candidate returns
    empty = [presign(api, started) for _ in range(2)]
    for post in empty:
        upload(post, (FACES_DIR / "noface__horses.jpg").read_bytes()).raise_for_status()
    upload(presign(api, started), (FACES_DIR / "obama__obama.jpg").read_bytes()).raise_for_status()
    wait_for(lambda: analyzed(started) == 6)

    # Then one closed no_face episode spans exactly the two empty frames
    [episode] = timeline(api, started)["violations"]
    assert (episode["type"], episode["frames"], episode["open"]) == ("no_face", 2, False)
    assert episode["evidence_key"] in {p["key"] for p in empty}
    assert episode["ended_at"] > episode["occurred_at"]


def option(item: dict, author_id: str) -> str:
    """The session's opaque id of the option the bank's author called `author_id` (its English text names it)."""
    return next(o["option_id"] for o in item["options"] if o["text"]["en"] == f"Answer {author_id}")


def test_full_session_answer_submit_and_verdict(api, started):
    session_id = started["session"]["session_id"]
    items = started["session"]["items"]
    assert len(items) == 5 and started["session"]["remaining_s"] > 500
    for item in items:
        answer = api.call(
            "PUT",
            f"/sessions/{session_id}/answers/{item['item_id']}",
            started["candidate"],
            json={"option_id": option(item, "a")},
        )
        assert answer.status_code == 200, answer.text

    # Reload (F5): same items in the same order, answers kept
    reloaded = api.call("GET", f"/sessions/{session_id}", started["candidate"]).json()
    assert [i["item_id"] for i in reloaded["items"]] == [i["item_id"] for i in items]
    assert reloaded["answers"] == {i["item_id"]: option(i, "a") for i in items}
    assert all(option(i, "a") != "a" for i in items)  # the author's ids never reach the candidate

    submitted = api.call("POST", f"/sessions/{session_id}/submit", started["candidate"])
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["score"] == {"correct": 5, "total": 5, "percent": 100.0}

    # The state machine moves the submitted session to review
    def status():
        return api.call("GET", f"/sessions/{session_id}", started["candidate"]).json()["status"]

    wait_for(lambda: status() == "awaiting_review")
    verdict = api.call(
        "POST",
        f"/proctor/sessions/{session_id}/verdict",
        started["proctor"],
        json={"verdict": "annul", "reason": "second person seen"},
    )
    assert verdict.status_code == 200, verdict.text
    final = api.call("GET", f"/sessions/{session_id}", started["candidate"]).json()
    assert final["status"] == "annulled" and final["score"] is None
    assert final["verdict_reason"] == "second person seen"


def test_a_short_session_is_auto_submitted_when_its_deadline_passes(api, make_exam):
    ctx = make_exam(duration_s=5)
    session = api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={}).json()
    first = session["items"][0]
    api.call(
        "PUT",
        f"/sessions/{session['session_id']}/answers/{first['item_id']}",
        ctx["candidate"],
        json={"option_id": option(first, "a")},
    ).raise_for_status()

    def current():
        return api.call("GET", f"/sessions/{session['session_id']}", ctx["candidate"]).json()

    done = wait_for(lambda: (s := current())["status"] != "in_progress" and s, timeout_s=20)
    assert done["auto_submitted"] is True
    assert done["score"] == {"correct": 1, "total": 5, "percent": 20.0}
    late = api.call(
        "PUT",
        f"/sessions/{session['session_id']}/answers/{first['item_id']}",
        ctx["candidate"],
        json={"option_id": option(first, "b")},
    )
    assert late.status_code == 409 and late.json()["error"]["code"] in (
        "session.not_in_progress",
        "session.deadline_passed",
    )
    wait_for(lambda: current()["status"] == "awaiting_review", timeout_s=10)
