"""A candidate's data on request: the export holds everything, the deletion removes what identifies the person and
keeps the results and the audit log (chalicelib/agencies/privacy.py says why)."""

from __future__ import annotations

import pytest

from tests.functional.onboarding import operator_token
from tests.helpers import DOCUMENT, PASSWORD, SELFIE, assert_error, login_response, ok, presign, upload, verify


def in_process():
    from chalicelib import wiring

    wiring.settings()
    return wiring


def enrollment_folder(ctx) -> str:
    from chalicelib.identity.enrollment import enrollment_prefix

    return f"{enrollment_prefix(ctx['exam_id'], ctx['candidate_id'])}/"


def versions_under(prefix: str) -> list[dict]:
    wiring = in_process()
    page = wiring.s3().list_object_versions(Bucket=wiring.settings().media_bucket, Prefix=prefix)
    return [*page.get("Versions", []), *page.get("DeleteMarkers", [])]


@pytest.fixture
def sat(api, make_exam):
    """A candidate who passed the identity check, answered, was flagged, uploaded a frame and submitted."""
    ctx = make_exam(require_identity=True)
    assert ok(verify(api, ctx, SELFIE.read_bytes(), DOCUMENT.read_bytes()))["status"] == "approved"
    session = ok(api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={"language": "ru"}))
    ctx["session"] = session
    sid = session["session_id"]
    item = session["items"][0]
    option = item["options"][0]["option_id"]
    ok(api.call("PUT", f"/sessions/{sid}/answers/{item['item_id']}", ctx["candidate"], json={"option_id": option}))
    event = {"event_id": "ev-tab-1", "type": "tab_hidden", "occurred_at": session["started_at"]}
    ok(api.call("POST", f"/sessions/{sid}/events", ctx["candidate"], json={"events": [event]}))
    form = presign(api, ctx)
    upload(form, SELFIE.read_bytes()).raise_for_status()
    ctx["frame_key"] = form["fields"]["key"]
    ok(api.call("POST", f"/sessions/{sid}/submit", ctx["candidate"]))
    ctx["answered"] = (item["item_id"], option)
    return ctx


def test_export_holds_account_admissions_consent_sessions_results_violations_checks_and_media(api, sat):
    login, sid = sat["login"], sat["session"]["session_id"]
    data = ok(api.call("GET", f"/admin/candidates/{login}/export", sat["admin"]))
    assert data["account"]["login"] == login and data["account"]["full_name"] == "Test Candidate"
    assert data["account"]["candidate_id"] == sat["candidate_id"] and data["account"]["erased_at"] is None
    (admission,) = data["admissions"]
    assert admission["exam_id"] == sat["exam_id"] and admission["consent_at"] and admission["consent_language"] == "ru"
    (session,) = data["sessions"]
    assert session["session_id"] == sid and session["status"] in ("submitted", "awaiting_review")
    item_id, option = sat["answered"]
    assert session["answers"] == {item_id: option} and session["score"]["total"] > 0
    assert "tab_hidden" in {v["type"] for v in session["violations"]}
    (check,) = data["enrollments"]
    assert check["status"] == "approved" and all(key.startswith("enrollment/") for key in check["photos"])
    assert sat["frame_key"] in data["media"]
    assert "template_vector" not in str(data) and "password" not in str(data)
    audit = ok(api.call("GET", "/admin/audit?action=candidate.exported&limit=1", sat["admin"]))["entries"]
    assert audit[0]["target"] == login


def test_deletion_keeps_results_and_audit_and_removes_name_biometrics_media_and_every_sign_in(api, sat):
    login, sid, admin = sat["login"], sat["session"]["session_id"], sat["admin"]
    before = ok(api.call("GET", f"/admin/candidates/{login}/export", admin))
    assert versions_under(f"sessions/{sid}/") and versions_under(enrollment_folder(sat))
    deleted = ok(api.call("DELETE", f"/admin/candidates/{login}", admin))
    assert deleted["full_name"].startswith("erased-") and deleted["media_versions_deleted"] >= 1
    assert deleted["enrollments_deleted"] == 1 and deleted["photo_versions_deleted"] >= 2
    assert deleted["sessions_kept"] == 1

    # login impossible, every sign-in ended
    assert_error(login_response(api, sat["candidate_id"], PASSWORD), 401, "auth.invalid_credentials")
    assert_error(api.call("GET", "/me/exams", sat["candidate"]), 401, "auth.token_revoked")
    # personal data gone: name, photos, templates, media (every version)
    assert versions_under(f"sessions/{sid}/") == [] and versions_under(enrollment_folder(sat)) == []
    after = ok(api.call("GET", f"/admin/candidates/{login}/export", admin))
    assert after["account"]["full_name"] == deleted["full_name"] and after["account"]["erased_at"]
    assert after["account"]["disabled"] is True
    assert after["enrollments"] == [] and after["media"] == []
    # kept: admissions and consent, answers, score, violations
    assert after["admissions"] == before["admissions"]
    for field in ("session_id", "answers", "score", "started_at"):
        assert after["sessions"][0][field] == before["sessions"][0][field]
    assert "tab_hidden" in {v["type"] for v in after["sessions"][0]["violations"]}
    timeline = ok(api.call("GET", f"/proctor/sessions/{sid}/timeline", sat["proctor"]))
    assert timeline["session"]["full_name"] == deleted["full_name"]
    actions = [e["action"] for e in ok(api.call("GET", "/admin/audit?limit=20", admin))["entries"]]
    assert "candidate.erased" in actions and "candidate.exported" in actions  # the log itself is kept
    # the account cannot come back with its old password
    ok(api.call("POST", f"/admin/candidates/{login}/enable", admin))
    assert_error(login_response(api, sat["candidate_id"], PASSWORD), 401, "auth.invalid_credentials")


def test_only_the_candidates_own_agency_admin_can_export_or_delete(api, make_exam, other_agency):
    ctx = make_exam()
    login = ctx["login"]
    outsider = api.login(other_agency["admin"], PASSWORD, other_agency["agency_id"])
    for method, path in (("GET", f"/admin/candidates/{login}/export"), ("DELETE", f"/admin/candidates/{login}")):
        assert_error(api.call(method, path, outsider), 404, "candidate.not_found")
        for token in (ctx["proctor"], ctx["candidate"], operator_token(api)):
            assert_error(api.call(method, path, token), 403, "auth.forbidden_role")
        assert_error(api.call(method, path), 401, "auth.missing_token")
    for missing in ("nobody-here", "Not~A~Login", ctx["proctor"][:0] + "admin-x"):
        assert_error(api.call("GET", f"/admin/candidates/{missing}/export", ctx["admin"]), 404, "candidate.not_found")
    assert_error(api.call("GET", f"/admin/candidates/{login}/export?format=csv", ctx["admin"]), 400,
                 "request.invalid_field")  # fmt: skip
    ok(api.call("GET", "/me/exams", ctx["candidate"]))  # untouched
