"""The heartbeat tells the candidate's page whether its inbox has something new, so the page fetches the inbox only
then: over HTTP against the local stack. The mark rides on the heartbeat's own presence write."""

from __future__ import annotations

from tests.helpers import count_dynamodb_requests, ok


def beat(api, ctx, client_id: str | None = "tab-inbox-001") -> dict:
    body = {"client_id": client_id} if client_id else None
    return ok(api.call("POST", f"/sessions/{ctx['session']['session_id']}/heartbeat", ctx["candidate"], json=body))


def act(api, ctx, action: str, **body) -> dict:
    sid = ctx["session"]["session_id"]
    if action in ("warn", "pause", "resume", "terminate"):
        body["expected_rev"] = ok(api.call("GET", f"/proctor/sessions/{sid}/messages", ctx["proctor"]))["session"][
            "control_rev"
        ]
    return ok(api.call("POST", f"/proctor/sessions/{sid}/{action}", ctx["proctor"], json=body))


def test_the_heartbeat_names_the_newest_proctor_message_and_the_violation_count(api, started):
    sid = started["session"]["session_id"]
    # A fresh session: nothing in the inbox, no violations
    first = beat(api, started)
    assert first["inbox"] == {"latest_id": None, "latest_at": None, "violations": 0}
    rev = first["control_rev"]

    # A proctor's chat: the next heartbeat names it (same control revision: only the mark says so)
    chat = act(api, started, "chat", text="Is your microphone on?")["message"]
    answer = beat(api, started)
    assert answer["inbox"]["latest_id"] == chat["message_id"]
    assert answer["inbox"]["latest_at"] == chat["created_at"]
    assert answer["control_rev"] == rev

    # The candidate's own chat and a proctor's private note change nothing; a warning raises the mark and the revision
    ok(api.call("POST", f"/sessions/{sid}/chat", started["candidate"], json={"text": "Yes"}))
    act(api, started, "notes", text="Looks fine.")
    assert beat(api, started)["inbox"]["latest_id"] == chat["message_id"]
    warning = act(api, started, "warn", text="Eyes on your screen, please.")["message"]
    answer = beat(api, started, client_id=None)  # a heartbeat without a client id answers the same
    assert answer["inbox"]["latest_id"] == warning["message_id"] and answer["control_rev"] == rev + 1

    # A violation recorded on the session: the count grows (the page then refreshes its log)
    event = {"event_id": "inbox-tab-1", "type": "tab_hidden", "occurred_at": started["session"]["started_at"]}
    ok(api.call("POST", f"/sessions/{sid}/events", started["candidate"], json={"events": [event]}))
    assert beat(api, started)["inbox"]["violations"] == 1

    # What the inbox then returns is exactly what the mark promised
    messages = ok(api.call("GET", f"/sessions/{sid}/inbox", started["candidate"]))["messages"]
    newest_from_proctor = max(m["message_id"] for m in messages if m["author_role"] != "candidate")
    assert newest_from_proctor == warning["message_id"]


def test_after_termination_the_heartbeat_still_names_the_termination(api, started):
    beat(api, started)
    ended = act(api, started, "terminate", reason="A phone on the desk")
    answer = beat(api, started)
    assert answer["status"] != "in_progress" and answer["terminated"] is True
    assert answer["inbox"]["latest_id"] == ended["message"]["message_id"]
    assert answer["inbox"]["violations"] is None


def test_a_heartbeat_reads_and_writes_no_more_items_than_before(api, started, monkeypatch):
    # The mark costs the heartbeat nothing: the presence write answers it. Counted in this process's own calls to
    # the endpoint, through the same service code the API runs (exam sessions + the route's marks).
    from chalicelib import wiring
    from chalicelib.core.principal import Principal
    from chalicelib.exam import presence
    from chalicelib.exam.models import SessionRecord

    beat(api, started)
    record = SessionRecord.get(started["session"]["session_id"])
    act(api, started, "chat", text="Hello")
    calls = count_dynamodb_requests(monkeypatch)
    candidate = Principal(user_id=record.candidate_id, role="candidate", agency_id=record.agency_id)
    with presence.beat_marks(record.session_id) as marks:
        wiring.exam_sessions().heartbeat(candidate, record.session_id, "tab-inbox-001")
    view = presence.inbox_view(record.session_id, marks)
    assert view["latest_id"] is not None and view["violations"] == 0
    # the session read and the presence write: nothing else (the silence check reads at most every few seconds)
    assert calls["UpdateItem"] == 1 and calls["GetItem"] <= 2 and calls["Query"] == 0, calls
