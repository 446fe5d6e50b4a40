"""Every account change is audited, and an agency's admins page through their own agency's log only."""

from __future__ import annotations

import pytest

from tests.functional.onboarding import add_staff, exam_with_session, onboard, operator_token
from tests.helpers import assert_error, ok


@pytest.fixture(scope="module")
def onboarded(api):
    return onboard(api, operator_token(api))


def entries(api, admin, query=""):
    return ok(api.call("GET", f"/admin/audit{query}", admin))["entries"]


def account_changes(api, admin, limit):
    """The newest entries about accounts (the exam a test sets up is audited too: exam.created, bank.imported)."""
    exam_work = ("exam.", "bank.", "roster.", "results.")
    return [e for e in entries(api, admin, "?limit=200") if not e["action"].startswith(exam_work)][:limit]


def test_each_account_change_writes_one_entry_with_actor_target_and_details(api, onboarded):
    admin, code = onboarded["admin"], onboarded["agency_id"]
    sitting = exam_with_session(api, admin)
    login = sitting["candidate_id"].partition("~")[2]
    proctor = add_staff(api, admin, code, "proctor")
    path = f"/admin/staff/{proctor['login']}"
    ok(api.call("PATCH", path, admin, json={"full_name": "Renamed", "exam_ids": [sitting["exam_id"]]}))
    ok(api.call("PATCH", path, admin, json={"disabled": True}))
    ok(api.call("POST", f"{path}/password", admin))
    ok(api.call("POST", f"/admin/candidates/{login}/disable", admin))
    ok(api.call("POST", f"/admin/candidates/{login}/enable", admin))
    ok(api.call("DELETE", f"/admin/candidates/{login}/biometrics", admin))
    ok(api.call("PATCH", "/admin/agency", admin, json={"retention_days": 45}))
    log = account_changes(api, admin, 9)
    assert [e["action"] for e in log] == [
        "retention.changed",
        "candidate.biometrics_erased",
        "candidate.enabled",
        "candidate.disabled",
        "staff.password_reset",
        "staff.updated",
        "staff.updated",
        "staff.created",
        "staff.created",  # the first admin, by the operator
    ]
    assert all(e["actor"] == {"login": onboarded["admin_login"], "role": "admin", "agency_id": code} for e in log[:8])
    assert log[8]["actor"]["role"] == "operator" and log[8]["target"] == onboarded["admin_login"]
    assert [e["target"] for e in log[1:4]] == [login] * 3
    assert log[0]["details"] == {"from": 30, "to": 45}
    assert log[5]["details"] == {"disabled": {"from": False, "to": True}}
    assert log[6]["details"]["exam_ids"] == {"from": [], "to": [sitting["exam_id"]]}
    assert log[6]["details"]["full_name"] == {"from": "Test proctor", "to": "Renamed"}
    assert log[7]["details"] == {"role": "proctor", "exam_ids": []}
    assert set(log[1]["details"]) == {"enrollments_deleted", "photo_versions_deleted", "sessions_cleared"}
    assert all(e["at"].endswith("Z") and e["entry_id"] for e in log)
    # no change, no entry
    ok(api.call("PATCH", path, admin, json={"full_name": "Renamed"}))
    assert account_changes(api, admin, 1)[0]["action"] == "retention.changed"


def test_the_log_pages_newest_first_with_an_opaque_cursor_and_filters_by_action(api, onboarded):
    admin, code = onboarded["admin"], onboarded["agency_id"]
    for _ in range(3):
        add_staff(api, admin, code, "proctor")
    everything = entries(api, admin, "?limit=200")
    seen, cursor = [], None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = ok(api.call("GET", f"/admin/audit{query}", admin))
        assert len(page["entries"]) <= 2
        seen += page["entries"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [e["entry_id"] for e in seen] == [e["entry_id"] for e in everything]
    assert [e["at"] for e in seen] == sorted((e["at"] for e in seen), reverse=True)
    created = [e for e in everything if e["action"] == "staff.created"]
    filtered, cursor = [], None
    while True:
        query = "?action=staff.created&limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = ok(api.call("GET", f"/admin/audit{query}", admin))
        filtered += page["entries"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [e["entry_id"] for e in filtered] == [e["entry_id"] for e in created] and len(created) >= 4
    # a cursor is for its own list: not another filter's
    first = ok(api.call("GET", "/admin/audit?limit=1", admin))["next_cursor"]
    response = api.call("GET", f"/admin/audit?limit=1&action=staff.created&cursor={first}", admin)
    assert_error(response, 400, "request.invalid_cursor")


def test_bad_queries_are_refused(api, onboarded):
    admin = onboarded["admin"]
    bad = ("limit=0", "limit=201", "limit=abc", "limit=-1", "action=Staff", "action=x", "cursor=%%%", "cursor=abc")
    for query in (*bad, "sort=asc", "agency_id=other"):
        response = api.call("GET", f"/admin/audit?{query}", admin)
        assert response.status_code == 400, (query, response.text)
        assert response.json()["error"]["code"] in ("request.invalid_field", "request.invalid_cursor")


def test_an_agency_sees_only_its_own_log_and_only_its_admins_see_it(api, onboarded, agency):
    from tests.helpers import PASSWORD

    admin, code = onboarded["admin"], onboarded["agency_id"]
    other = onboard(api, operator_token(api))
    add_staff(api, other["admin"], other["agency_id"], "proctor")
    mine = {e["entry_id"] for e in entries(api, admin, "?limit=200")}
    theirs = entries(api, other["admin"], "?limit=200")
    assert not mine & {e["entry_id"] for e in theirs}
    assert all(e["target"] != onboarded["admin_login"] for e in theirs)
    # another agency's cursor opens nothing
    cursor = ok(api.call("GET", "/admin/audit?limit=1", other["admin"]))["next_cursor"]
    assert_error(api.call("GET", f"/admin/audit?limit=1&cursor={cursor}", admin), 400, "request.invalid_cursor")
    proctor = add_staff(api, admin, code, "proctor")["token"]
    candidate = exam_with_session(api, admin)["candidate"]
    scripted_proctor = api.login(agency["proctor"], PASSWORD, agency["agency_id"])
    for token in (proctor, candidate, operator_token(api), scripted_proctor):
        assert_error(api.call("GET", "/admin/audit", token), 403, "auth.forbidden_role")


def test_exam_work_is_audited_with_what_changed(api, onboarded):
    """Creating, editing, opening/closing and duplicating an exam, importing its bank and exporting its results each
    leave an entry naming the exam."""
    admin = onboarded["admin"]
    sitting = exam_with_session(api, admin)
    exam_id = sitting["exam_id"]
    ok(api.call("POST", f"/admin/exams/{exam_id}/close", admin))
    copy = ok(api.call("POST", f"/admin/exams/{exam_id}/duplicate", admin, json=duplicate_window()))
    assert api.call("GET", f"/admin/exams/{exam_id}/results?format=csv", admin).status_code == 200
    mine = [e for e in entries(api, admin, "?limit=200") if e["target"] in (exam_id, copy["exam_id"])]
    assert [(e["action"], e["target"]) for e in mine] == [
        ("results.exported", exam_id),
        ("exam.created", copy["exam_id"]),
        ("exam.updated", exam_id),
        ("roster.imported", exam_id),
        ("bank.imported", exam_id),
        ("exam.created", exam_id),
    ]
    assert mine[0]["details"] == {"format": "csv", "rows": 1}
    assert mine[1]["details"] == {"duplicate_of": exam_id}
    assert mine[2]["details"] == {"change": "closed"}
    assert mine[3]["details"]["admitted"] == 1 and "full_name" not in mine[3]["details"]  # counts, no names
    assert mine[4]["details"] == {"items": 8, "format": "json"}


def duplicate_window() -> dict:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    return {"opens_at": now.isoformat(), "closes_at": (now + timedelta(days=1)).isoformat()}
