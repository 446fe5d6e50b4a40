"""A second live tab or device is refused and recorded; a silent one is taken over (F5, another computer).
Heartbeats write only the session's small presence item; the proctor's lists read last-seen from there."""

from datetime import UTC, datetime, timedelta

import boto3

from chalicelib import wiring
from chalicelib.core.clock import iso
from chalicelib.exam.models import PresenceRecord, SessionRecord
from chalicelib.violations.models import ViolationRecord
from tests.helpers import ok, wait_for


def beat(api, ctx, client_id=None):
    body = {"client_id": client_id} if client_id else None
    return api.call("POST", f"/sessions/{ctx['session']['session_id']}/heartbeat", ctx["candidate"], json=body)


def test_a_second_live_tab_is_refused_and_recorded_once(api, started):
    assert beat(api, started, "tab-aaaaaaaa").status_code == 200
    for _ in range(2):
        refused = beat(api, started, "tab-bbbbbbbb")
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "session.other_client_active"
    assert beat(api, started, "tab-aaaaaaaa").json()["status"] == "in_progress"
    recorded = list(ViolationRecord.query(started["session"]["session_id"]))
    assert [v.type for v in recorded] == ["second_client"]
    # the record names who held the session (read from the presence item)
    assert recorded[0].details.as_dict() == {"client_id": "tab-bbbbbbbb", "holder": "tab-aaaaaaaa"}


def test_a_silent_tab_is_taken_over_by_the_next_one(api, started):
    session_id = started["session"]["session_id"]
    assert beat(api, started, "laptop-aaaaaaaa").status_code == 200
    # Given the first client has been silent for longer than the takeover window
    PresenceRecord(session_id).update(
        actions=[PresenceRecord.client_seen_at.set(datetime.now(UTC) - timedelta(seconds=60))]
    )
    # When another device heartbeats, it takes the session over and the first is now the intruder
    assert beat(api, started, "laptop-bbbbbbbb").status_code == 200
    assert beat(api, started, "laptop-aaaaaaaa").status_code == 409
    assert [v.type for v in ViolationRecord.query(session_id)] == ["second_client"]


def test_heartbeats_without_a_client_id_still_keep_the_session_alive(api, started):
    response = beat(api, started)
    assert response.status_code == 200 and response.json()["remaining_s"] > 0


def test_a_malformed_client_id_is_a_400(api, started):
    response = beat(api, started, "x")
    assert response.status_code == 400 and response.json()["error"]["details"]["field"] == "client_id"


def raw_session(stack, session_id: str) -> dict:
    client = boto3.client("dynamodb", endpoint_url=stack.endpoint_url, region_name="us-east-1")
    table = wiring.settings().table_prefix + "sessions"
    return client.get_item(TableName=table, Key={"session_id": {"S": session_id}}, ConsistentRead=True)["Item"]


def test_a_heartbeat_writes_only_the_presence_item_and_the_proctor_sees_it(api, started, stack):
    session_id = started["session"]["session_id"]
    # the lifecycle writes its task token soon after the start; from then on nothing else changes the item here
    before = wait_for(lambda: (item := raw_session(stack, session_id)).get("submit_token") and item, timeout_s=20)
    # When the candidate's page heartbeats (with and without a client id)
    assert beat(api, started, "tab-cccccccc").status_code == 200
    assert beat(api, started).status_code == 200

    # Then the session item is exactly as it was (no index entry is rewritten by a heartbeat)
    assert raw_session(stack, session_id) == before
    # And the presence item holds the client and the time, and expires like the session's media
    presence = PresenceRecord.get(session_id, consistent_read=True)
    assert presence.client_id == "tab-cccccccc"
    assert presence.expires_at - presence.last_seen_at >= timedelta(days=29)
    seen = iso(presence.last_seen_at)

    # And the proctor's live grid, list and timeline show that last-seen time
    proctor, exam_id = started["proctor"], started["exam_id"]
    grid = ok(api.call("GET", "/proctor/live", proctor, params={"exam_id": exam_id}))["sessions"]
    listed = ok(api.call("GET", "/proctor/sessions", proctor, params={"exam_id": exam_id}))["sessions"]
    timeline = ok(api.call("GET", f"/proctor/sessions/{session_id}/timeline", proctor))["session"]
    for row in ([t for t in grid if t["session_id"] == session_id][0], listed[0], timeline):
        assert row["last_seen_at"] == seen


def test_a_session_never_seen_has_no_last_seen_time(api, started):
    grid = ok(api.call("GET", "/proctor/live", started["proctor"], params={"exam_id": started["exam_id"]}))
    assert [t["last_seen_at"] for t in grid["sessions"]] == [None]
    assert SessionRecord.get(started["session"]["session_id"]).status == "in_progress"
