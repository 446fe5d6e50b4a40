"""A second live tab or device is refused and recorded; a silent one is taken over (F5, another computer)."""

from datetime import UTC, datetime, timedelta

from chalicelib.exam.models import SessionRecord
from chalicelib.violations.models import ViolationRecord


def beat(api, ctx, client_id=None):
    body = {"client_id": client_id} if client_id else None
    return api.call("POST", f"/sessions/{ctx['session']['session_id']}/heartbeat", ctx["candidate"], json=body)


def test_a_second_live_tab_is_refused_and_recorded_once(api, started):
    assert beat(api, started, "tab-aaaaaaaa").status_code == 200
    for _ in range(2):
        refused = beat(api, started, "tab-bbbbbbbb")
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "session.other_client_active"
    assert beat(api, started, "tab-aaaaaaaa").json()["status"] == "in_progress"
    recorded = [v.type for v in ViolationRecord.query(started["session"]["session_id"])]
    assert recorded == ["second_client"]


def test_a_silent_tab_is_taken_over_by_the_next_one(api, started):
    session_id = started["session"]["session_id"]
    assert beat(api, started, "laptop-aaaaaaaa").status_code == 200
    # Given the first client has been silent for longer than the takeover window
    SessionRecord(session_id).update(
        actions=[SessionRecord.client_seen_at.set(datetime.now(UTC) - timedelta(seconds=60))]
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
