"""The heartbeat's cadence follows the proctor's attention: every 20 s while nobody watches, every 5 s once a proctor
reads the session's timeline or writes to its channel, back to 20 s when that attention ends. The attention mark on
the presence item is written at most once per ATTENTION_REFRESH however often the console polls. Over HTTP against
the local stack; time is moved by moving the mark (the API's clock is the system clock)."""

from __future__ import annotations

import time

import boto3

from chalicelib import wiring
from chalicelib.exam import presence
from tests.helpers import count_dynamodb_requests, ok


def beat(api, ctx) -> dict:
    sid = ctx["session"]["session_id"]
    return ok(api.call("POST", f"/sessions/{sid}/heartbeat", ctx["candidate"], json={"client_id": "tab-adaptive1"}))


def timeline(api, ctx) -> dict:
    return ok(api.call("GET", f"/proctor/sessions/{ctx['session']['session_id']}/timeline", ctx["proctor"]))


def presence_item(stack, session_id: str) -> dict:
    client = boto3.client("dynamodb", endpoint_url=stack.endpoint_url, region_name="us-east-1")
    table = wiring.settings().table_prefix + "presence"
    return client.get_item(TableName=table, Key={"session_id": {"S": session_id}}, ConsistentRead=True)["Item"]


def attention_until(stack, session_id: str) -> int | None:
    value = presence_item(stack, session_id).get(presence.ATTENTION_MARK)
    return int(value["N"]) if value else None


def set_attention(stack, session_id: str, until: float) -> None:
    client = boto3.client("dynamodb", endpoint_url=stack.endpoint_url, region_name="us-east-1")
    client.update_item(
        TableName=wiring.settings().table_prefix + "presence",
        Key={"session_id": {"S": session_id}},
        UpdateExpression="SET #a = :u",
        ExpressionAttributeNames={"#a": presence.ATTENTION_MARK},
        ExpressionAttributeValues={":u": {"N": str(int(until))}},
    )


def act(api, ctx, action: str, **body) -> dict:
    sid = ctx["session"]["session_id"]
    if action in ("warn", "pause", "resume", "terminate"):
        journal = ok(api.call("GET", f"/proctor/sessions/{sid}/messages", ctx["proctor"]))
        body["expected_rev"] = journal["session"]["control_rev"]
    return ok(api.call("POST", f"/proctor/sessions/{sid}/{action}", ctx["proctor"], json=body))


def test_unwatched_20_s_watched_5_s_after_a_timeline_read_and_20_s_again_when_attention_ends(api, started, stack):
    sid = started["session"]["session_id"]
    assert (presence.BEAT_IDLE_S, presence.BEAT_WATCHED_S) == (20, 5)
    # Nobody watches: every 20 s; the channel's own poll (no timeline) does not count as attention
    assert beat(api, started)["next_heartbeat_s"] == 20
    ok(api.call("GET", f"/proctor/sessions/{sid}/messages", started["proctor"]))
    assert beat(api, started)["next_heartbeat_s"] == 20

    # The proctor opens the session (the console polls its timeline): every 5 s from the next beat on
    timeline(api, started)
    until = attention_until(stack, sid)
    assert until is not None and abs(until - (time.time() + presence.ATTENTION.total_seconds())) < 10
    assert beat(api, started)["next_heartbeat_s"] == 5

    # Two minutes later with no read or action, the mark has passed: every 20 s again
    set_attention(stack, sid, time.time() - 1)
    assert beat(api, started)["next_heartbeat_s"] == 20


def test_a_warning_a_chat_or_a_note_marks_attention(api, started, stack):
    sid = started["session"]["session_id"]
    beat(api, started)
    for action, body in (
        ("warn", {"text": "Eyes on your screen."}),
        ("chat", {"text": "Hello"}),
        ("notes", {"text": "ok"}),
    ):
        set_attention(stack, sid, time.time() - 1)
        assert beat(api, started)["next_heartbeat_s"] == 20, action
        act(api, started, action, **body)
        assert beat(api, started)["next_heartbeat_s"] == 5, action


def test_a_pause_marks_attention_so_the_resume_arrives_within_5_s(api, started):
    beat(api, started)
    act(api, started, "pause", text="One moment, please.")
    answer = beat(api, started)
    assert answer["paused"] is True and answer["next_heartbeat_s"] == 5


def test_attention_is_written_at_most_once_per_refresh_however_often_the_console_polls(api, started, stack):
    sid = started["session"]["session_id"]
    beat(api, started)
    timeline(api, started)
    first = attention_until(stack, sid)
    # The console polls again and again within ATTENTION_REFRESH: the mark stays as written (no write)
    for _ in range(4):
        timeline(api, started)
        time.sleep(0.5)
    assert attention_until(stack, sid) == first
    # Once the mark is older than ATTENTION_REFRESH (it ends sooner than ATTENTION - ATTENTION_REFRESH), the next
    # poll writes it again
    older = time.time() + (presence.ATTENTION - presence.ATTENTION_REFRESH).total_seconds() - 5
    set_attention(stack, sid, older)
    timeline(api, started)
    assert attention_until(stack, sid) > older + 4


def test_attend_counts_one_write_per_refresh_in_this_process(api, started):
    # Counted through the same code the API runs: the first call writes, the next ones are refused by the
    # condition (nothing written), and nothing is created for a session whose page never heartbeated.
    from datetime import UTC, datetime, timedelta

    sid = started["session"]["session_id"]
    beat(api, started)
    now = datetime.now(UTC) + timedelta(hours=1)  # later than any mark the API wrote
    assert presence.attend(sid, now) is True
    assert [presence.attend(sid, now + timedelta(seconds=s)) for s in (2, 4, 10, 29)] == [False] * 4
    assert presence.attend(sid, now + presence.ATTENTION_REFRESH + timedelta(seconds=1)) is True
    assert presence.attend("no-such-session-0001", now) is False


def test_the_interval_costs_the_heartbeat_no_extra_request(api, started, monkeypatch):
    from chalicelib.core.principal import Principal
    from chalicelib.exam.models import SessionRecord

    beat(api, started)
    timeline(api, started)
    record = SessionRecord.get(started["session"]["session_id"])
    calls = count_dynamodb_requests(monkeypatch)
    candidate = Principal(user_id=record.candidate_id, role="candidate", agency_id=record.agency_id)
    with presence.beat_marks(record.session_id) as marks:
        wiring.exam_sessions().heartbeat(candidate, record.session_id, "tab-adaptive1")
    presence.inbox_view(record.session_id, marks)
    assert presence.next_heartbeat_s(marks, wiring.clock().now()) == 5
    assert calls["UpdateItem"] == 1 and calls["GetItem"] <= 2 and calls["Query"] == 0, calls


def test_reading_a_finished_sessions_timeline_marks_no_attention(api, started, stack):
    sid = started["session"]["session_id"]
    beat(api, started)
    act(api, started, "terminate", reason="A phone on the desk")
    client = boto3.client("dynamodb", endpoint_url=stack.endpoint_url, region_name="us-east-1")
    client.update_item(
        TableName=wiring.settings().table_prefix + "presence",
        Key={"session_id": {"S": sid}},
        UpdateExpression="REMOVE #a",
        ExpressionAttributeNames={"#a": presence.ATTENTION_MARK},
    )
    timeline(api, started)  # a review after the exam: nothing to speed up
    assert attention_until(stack, sid) is None
