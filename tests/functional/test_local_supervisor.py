"""`make run` keeps going when one of its processes dies, and stops cleanly on Ctrl-C, even on a second one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from types import SimpleNamespace

import boto3
import pytest

from local.dispatcher import WorkerRestarts
from local.seed import AGENCY, demo_bank
from tests.api_client import ApiClient
from tests.functional.make_run import MakeRun, alive, descendants, listening
from tests.helpers import PASSWORD, admit, exam_payload, ok, upload, wait_for
from tests.paths import FACES_DIR, REPO_ROOT


@pytest.fixture
def make_run(tmp_path):
    run = MakeRun(tmp_path / "state", tmp_path / "logs", PASSWORD)
    yield run
    run.kill()


def violation_types(api: ApiClient, proctor: str, session_id: str) -> list[str]:
    timeline = ok(api.call("GET", f"/proctor/sessions/{session_id}/timeline", proctor))
    return [v["type"] for v in timeline["violations"]]


def test_a_killed_dispatcher_is_restarted_and_ctrl_c_twice_leaves_nothing_behind(make_run):
    # Given `make run` up, with a candidate writing an exam that flags the first two-person frame
    make_run.start()
    api = ApiClient(make_run.api_url)
    admin = api.login("admin@demo", PASSWORD, agency=AGENCY)
    policy = {"persistence": {"multiple_faces": 1}}
    exam = ok(api.call("POST", "/admin/exams", admin, json=exam_payload(analysis=policy)))
    ok(api.call("POST", f"/admin/exams/{exam['exam_id']}/questions", admin, json=demo_bank(4)))
    _, candidate = admit(api, admin, exam["exam_id"])
    session_id = ok(api.call("POST", f"/exams/{exam['exam_id']}/sessions", candidate, json={}))["session_id"]
    proctor = api.login("proctor@demo", PASSWORD, agency=AGENCY)

    # When the dispatcher is killed outright
    dispatcher = make_run.service_pid("dispatcher")
    assert dispatcher is not None
    os.kill(dispatcher, signal.SIGKILL)

    # Then make run starts another one, logs it, and frames are analysed again
    restarted = wait_for(lambda: (pid := make_run.service_pid("dispatcher")) != dispatcher and pid, timeout_s=30)
    assert restarted and alive(restarted) and make_run.process.poll() is None
    wait_for(lambda: "dispatcher restarted" in make_run.stderr.read_text(), timeout_s=5)
    form = ok(api.call("POST", f"/sessions/{session_id}/media", candidate, json={"kind": "webcam"}))
    upload(form, (FACES_DIR / "group__two_people.jpg").read_bytes()).raise_for_status()
    assert wait_for(lambda: violation_types(api, proctor, session_id), timeout_s=60) == ["multiple_faces"]

    # When Ctrl-C is pressed twice in quick succession
    processes = descendants(make_run.process.pid)
    assert len(processes) >= 4  # endpoint, API, dispatcher, web
    code = make_run.interrupt(times=2)

    # Then it exits as a Ctrl-C'd program does, without a traceback, and leaves no process and no port behind
    assert code in (0, 130), make_run.stderr.read_text()
    assert "Traceback" not in make_run.stderr.read_text()
    time.sleep(0.5)
    assert [pid for pid in processes if alive(pid)] == []
    assert [port for port in make_run.ports.values() if listening(port)] == []

    # And the data is still there at the next start: the endpoint saved it even though the stop was hurried
    make_run.start()
    api = ApiClient(make_run.api_url)
    assert violation_types(api, api.login("proctor@demo", PASSWORD, agency=AGENCY), session_id) == ["multiple_faces"]
    assert make_run.interrupt() in (0, 130)
    assert "Traceback" not in make_run.stderr.read_text()


def test_a_dead_media_worker_is_started_again_with_growing_delays():
    # Given a worker process that died, and a clock
    now = [100.0]
    spawned: list[int] = []

    def spawn(index: int):
        spawned.append(index)
        return SimpleNamespace(is_alive=lambda: True, pid=1000 + len(spawned), exitcode=None)

    dead = SimpleNamespace(is_alive=lambda: False, pid=7, exitcode=-9)
    processes = [SimpleNamespace(is_alive=lambda: True, pid=6, exitcode=None), dead]
    restarts = WorkerRestarts(spawn, clock=lambda: now[0])

    # When checked at once, then after the first delay
    restarts.check(processes)
    assert spawned == []  # not in a tight loop
    now[0] += 1.0
    restarts.check(processes)

    # Then only the dead one is started again, in its slot
    assert spawned == [1] and processes[1].pid == 1001

    # And a second quick death waits longer than the first
    processes[1] = dead
    restarts.check(processes)
    now[0] += 1.0
    restarts.check(processes)
    assert spawned == [1]
    now[0] += 1.0
    restarts.check(processes)
    assert spawned == [1, 1]


WORKER = """
import sys, boto3, threading
import local.dispatcher as dispatcher
dispatcher.LEASE_S = 2
def hang(event, context):
    print("received", flush=True)
    threading.Event().wait()
sqs = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="us-east-1")
dispatcher.poll_queue(sqs, sys.argv[2], hang, "test-worker", threading.Event())
"""


def test_a_dead_workers_messages_come_back_after_its_short_lease_not_the_queue_visibility(stack, tmp_path):
    # Given a queue with the media queue's 180 s visibility and one message, and a poller holding it (lease 2 s)
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url, region_name=stack.region)
    queue = sqs.create_queue(QueueName=f"lease-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": "180"})
    queue_url = queue["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="frame")
    out = tmp_path / "worker.out"
    with open(out, "wb") as sink:
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, stack.endpoint_url, queue_url], cwd=REPO_ROOT, stdout=sink, stderr=sink
        )
    try:
        wait_for(lambda: "received" in out.read_text(), timeout_s=30, message=out.read_text)

        # While it works, its lease is extended: nobody else gets the message past the first lease
        time.sleep(3)
        assert sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", []) == []

        # When the worker dies
        worker.kill()
        worker.wait(timeout=10)
        died = time.monotonic()

        # Then the message is back within the lease, not after the queue's 180 s
        def back() -> list:
            return sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])

        assert [m["Body"] for m in wait_for(back, timeout_s=15)] == ["frame"]
        assert time.monotonic() - died < 10
    finally:
        worker.kill()
        sqs.delete_queue(QueueUrl=queue_url)
