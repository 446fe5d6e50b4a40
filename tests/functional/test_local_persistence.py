"""`make run` keeps its data across a clean stop and start, and picks up the sessions that were open.

Agencies, exams, accounts, sessions, violations and media are all in the endpoint's state directory; the lifecycle
executions that were running come back FAILED, so the dispatcher's start-up reconcile gives each open session a new
one: a session with time left goes on, one whose deadline passed while the stack was down is submitted.
"""

from __future__ import annotations

import time

import pytest
import requests

from local.seed import AGENCY, demo_bank
from tests.api_client import ApiClient
from tests.functional.make_run import MakeRun
from tests.helpers import PASSWORD, admit, exam_payload, ok, upload, wait_for
from tests.paths import FACES_DIR

SHORT_EXAM_S = 20


@pytest.fixture
def make_run(tmp_path):
    run = MakeRun(tmp_path / "state", tmp_path / "logs", PASSWORD)
    yield run
    run.kill()


def sign_in(api: ApiClient) -> tuple[str, str]:
    return api.login("admin@demo", PASSWORD, agency=AGENCY), api.login("proctor@demo", PASSWORD, agency=AGENCY)


def new_exam(api: ApiClient, admin: str, duration_s: int) -> str:
    payload = exam_payload(duration_s, analysis={"persistence": {"multiple_faces": 1}})
    exam_id = ok(api.call("POST", "/admin/exams", admin, json=payload))["exam_id"]
    ok(api.call("POST", f"/admin/exams/{exam_id}/questions", admin, json=demo_bank(4)))
    return exam_id


def sit(api: ApiClient, admin: str, exam_id: str) -> dict[str, str]:
    candidate_id, token = admit(api, admin, exam_id)
    session_id = ok(api.call("POST", f"/exams/{exam_id}/sessions", token, json={}))["session_id"]
    return {"candidate_id": candidate_id, "token": token, "session_id": session_id}


def session(api: ApiClient, sitting: dict[str, str]) -> dict:
    return ok(api.call("GET", f"/sessions/{sitting['session_id']}", sitting["token"]))


def test_everything_survives_a_clean_restart_and_open_sessions_are_picked_up(make_run):
    # Given make run with an exam a candidate is writing (a flagged frame on record) and a 20-second exam
    make_run.start()
    api = ApiClient(make_run.api_url)
    admin, proctor = sign_in(api)
    long_exam = new_exam(api, admin, 600)
    writing = sit(api, admin, long_exam)
    frame = (FACES_DIR / "group__two_people.jpg").read_bytes()
    form = ok(api.call("POST", f"/sessions/{writing['session_id']}/media", writing["token"], json={"kind": "webcam"}))
    upload(form, frame).raise_for_status()

    def violations() -> list[dict]:
        return ok(api.call("GET", f"/proctor/sessions/{writing['session_id']}/timeline", proctor))["violations"]

    assert [v["type"] for v in wait_for(violations, timeout_s=60)] == ["multiple_faces"]
    item = session(api, writing)["items"][0]
    answer = {"option_id": item["options"][0]["option_id"]}
    ok(api.call("PUT", f"/sessions/{writing['session_id']}/answers/{item['item_id']}", writing["token"], json=answer))
    answered = session(api, writing)["answers"]
    short = sit(api, admin, new_exam(api, admin, SHORT_EXAM_S))
    deadline = time.monotonic() + SHORT_EXAM_S

    # When make run is stopped with Ctrl-C, the short exam's deadline passes, and it is started again
    assert make_run.interrupt() in (0, 130)
    time.sleep(max(0.0, deadline - time.monotonic()) + 1)
    make_run.start()
    api = ApiClient(make_run.api_url)

    # Then the same accounts sign in with the same password, and tokens issued before still work
    admin, proctor = sign_in(api)
    assert api.login(writing["candidate_id"], PASSWORD)  # the account id names its agency
    # And the exams, the session with its answers, the violation and its evidence (the very bytes) are there
    exams = {e["exam_id"] for e in ok(api.call("GET", "/admin/exams", admin))["exams"]}
    assert long_exam in exams
    assert session(api, writing)["status"] == "in_progress"
    assert session(api, writing)["answers"] == answered
    [violation] = violations()
    assert violation["type"] == "multiple_faces"
    evidence = requests.get(violation["evidence_url"], timeout=10)
    assert evidence.content == frame, f"{violation['evidence_url']}: {evidence.text[:500]}"

    # And the session whose deadline passed while the stack was down was submitted at start-up
    finished = wait_for(lambda: (s := session(api, short))["status"] == "awaiting_review" and s, timeout_s=60)
    assert finished["auto_submitted"] is True

    # And the session with time left has a lifecycle again: submitting sends it to review
    ok(api.call("POST", f"/sessions/{writing['session_id']}/submit", writing["token"]))
    wait_for(lambda: session(api, writing)["status"] == "awaiting_review", timeout_s=30)
    assert make_run.interrupt() in (0, 130)

    # When it is started with --fresh, nothing of that is left
    make_run.start("--fresh")
    api = ApiClient(make_run.api_url)
    admin, _ = sign_in(api)
    assert long_exam not in {e["exam_id"] for e in ok(api.call("GET", "/admin/exams", admin))["exams"]}
    assert make_run.interrupt() in (0, 130)


def test_a_hard_kill_loses_at_most_the_last_snapshot_interval(make_run):
    from local.endpoint import SNAPSHOT_S

    # Given make run with an exam a candidate is writing, older than one snapshot interval
    make_run.start()
    api = ApiClient(make_run.api_url)
    admin, _ = sign_in(api)
    exam_id = new_exam(api, admin, 600)
    writing = sit(api, admin, exam_id)
    time.sleep(SNAPSHOT_S + 2)

    # When every process of it is killed at once (a power cut, the OOM killer)
    make_run.kill()

    # Then the next start has the exam and the session, and the session's lifecycle runs again
    make_run.start()
    api = ApiClient(make_run.api_url)
    admin, _ = sign_in(api)
    assert exam_id in {e["exam_id"] for e in ok(api.call("GET", "/admin/exams", admin))["exams"]}
    assert session(api, writing)["status"] == "in_progress"
    ok(api.call("POST", f"/sessions/{writing['session_id']}/submit", writing["token"]))
    wait_for(lambda: session(api, writing)["status"] == "awaiting_review", timeout_s=30)
    assert make_run.interrupt() in (0, 130)
