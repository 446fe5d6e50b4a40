"""Agency admins manage their own staff (admins, proctors limited to some exams); nobody else can.

A proctor limited to exams sees only those exams' sessions, live tiles, reviews and identity checks, and another
exam's session is simply not found: lists are filtered, direct access answers 404, in the API.
"""

from __future__ import annotations

import pytest

from tests.functional.onboarding import add_staff, exam_with_session, onboard, operator_token
from tests.helpers import assert_error, ok


@pytest.fixture(scope="module")
def onboarded(api):
    return onboard(api, operator_token(api))


@pytest.fixture(scope="module")
def other(api):
    return onboard(api, operator_token(api))


def test_admin_creates_lists_renames_and_resets_staff(api, onboarded):
    admin, code = onboarded["admin"], onboarded["agency_id"]
    proctor = add_staff(api, admin, code, "proctor")
    second_admin = add_staff(api, admin, code, "admin")
    assert proctor["role"] == "proctor" and proctor["exam_ids"] == [] and not proctor["disabled"]
    ok(api.call("GET", "/admin/exams", second_admin["token"]))  # a real admin of the agency
    staff = {s["login"]: s for s in ok(api.call("GET", "/admin/staff", admin))["staff"]}
    assert {onboarded["admin_login"], proctor["login"], second_admin["login"]} <= set(staff)
    assert "password" not in staff[proctor["login"]] and staff[second_admin["login"]]["role"] == "admin"
    renamed = ok(api.call("PATCH", f"/admin/staff/{proctor['login']}", admin, json={"full_name": "Renamed"}))
    assert renamed["full_name"] == "Renamed"
    reset = ok(api.call("POST", f"/admin/staff/{proctor['login']}/password", admin))
    assert reset["password"] != proctor["password"]
    assert_error(api.call("GET", "/proctor/exams", proctor["token"]), 401, "auth.token_revoked")
    body = {"agency": code, "user_id": proctor["login"], "password": proctor["password"]}
    assert_error(api.call("POST", "/auth/login", json=body), 401, "auth.invalid_credentials")
    ok(api.call("GET", "/proctor/exams", api.login(proctor["login"], reset["password"], code)))


def test_disabling_a_staff_member_ends_its_sign_ins_and_enabling_lets_it_log_in_again(api, onboarded):
    admin, code = onboarded["admin"], onboarded["agency_id"]
    proctor = add_staff(api, admin, code, "proctor")
    assert ok(api.call("PATCH", f"/admin/staff/{proctor['login']}", admin, json={"disabled": True}))["disabled"]
    assert_error(api.call("GET", "/proctor/exams", proctor["token"]), 401, "auth.token_revoked")
    body = {"agency": code, "user_id": proctor["login"], "password": proctor["password"]}
    assert_error(api.call("POST", "/auth/login", json=body), 401, "auth.invalid_credentials")
    ok(api.call("PATCH", f"/admin/staff/{proctor['login']}", admin, json={"disabled": False}))
    ok(api.call("GET", "/proctor/exams", api.login(proctor["login"], proctor["password"], code)))
    own = f"/admin/staff/{onboarded['admin_login']}"
    assert_error(api.call("PATCH", own, admin, json={"disabled": True}), 409, "staff.self_disable")


def test_staff_input_is_checked(api, onboarded, other):
    admin, code = onboarded["admin"], onboarded["agency_id"]
    proctor = add_staff(api, admin, code, "proctor")
    foreign_exam = exam_with_session(api, other["admin"])["exam_id"]

    def create(**body):
        return api.call(
            "POST", "/admin/staff", admin, json={"login": "x-1", "full_name": "X", "role": "proctor", **body}
        )

    assert_error(create(login=proctor["login"]), 409, "staff.exists")
    assert_error(create(login=onboarded["admin_login"]), 409, "staff.exists")
    for body in (
        {"role": "operator"},
        {"role": "candidate"},
        {"login": "Not A Login"},
        {"login": ""},
        {"full_name": ""},
        {"exam_ids": "ex-1"},
        {"exam_ids": [1]},
        {"exam_ids": [foreign_exam]},  # another agency's exam
        {"exam_ids": ["no-such-exam"]},
        {"role": "admin", "exam_ids": [foreign_exam]},
        {"extra": True},
    ):
        assert_error(create(**body), 400, "request.invalid_field")
    path = f"/admin/staff/{proctor['login']}"
    for body in ({}, {"disabled": "yes"}, {"exam_ids": [foreign_exam]}, {"role": "admin"}):
        assert_error(api.call("PATCH", path, admin, json=body), 400, "request.invalid_field")
    assert_error(api.call("PATCH", "/admin/staff/nobody", admin, json={"full_name": "X"}), 404, "staff.not_found")
    assert_error(api.call("GET", "/admin/staff?role=proctor", admin), 400, "request.invalid_field")


def test_staff_of_one_agency_is_out_of_reach_of_another_and_of_other_roles(api, onboarded, other):
    admin, code = onboarded["admin"], onboarded["agency_id"]
    proctor = add_staff(api, admin, code, "proctor")
    outsider = other["admin"]
    listed = {s["login"] for s in ok(api.call("GET", "/admin/staff", outsider))["staff"]}
    assert proctor["login"] not in listed and onboarded["admin_login"] not in listed
    path = f"/admin/staff/{proctor['login']}"
    assert_error(api.call("PATCH", path, outsider, json={"disabled": True}), 404, "staff.not_found")
    assert_error(api.call("POST", f"{path}/password", outsider), 404, "staff.not_found")
    ok(api.call("GET", "/proctor/exams", proctor["token"]))  # untouched
    session = exam_with_session(api, admin)
    for token in (proctor["token"], session["candidate"], operator_token(api)):
        assert_error(api.call("GET", "/admin/staff", token), 403, "auth.forbidden_role")
        body = {"login": "sneaky", "full_name": "S", "role": "admin"}
        assert_error(api.call("POST", "/admin/staff", token, json=body), 403, "auth.forbidden_role")
        assert_error(api.call("PATCH", path, token, json={"disabled": True}), 403, "auth.forbidden_role")
        assert_error(api.call("POST", f"{path}/password", token), 403, "auth.forbidden_role")


def rejected_check(agency_id: str, sitting: dict) -> None:
    """A rejected identity check of the sitting's candidate, written as the identity checker would leave it."""
    from chalicelib.identity.enrollment import enrollment_prefix
    from chalicelib.identity.models import EnrollmentRecord

    prefix = enrollment_prefix(sitting["exam_id"], sitting["candidate_id"])
    EnrollmentRecord(
        sitting["candidate_id"],
        sitting["exam_id"],
        agency_id=agency_id,
        status="rejected",
        reasons=["match.face_mismatch"],
        selfie_key=f"{prefix}/selfie.jpg",
        document_key=f"{prefix}/id_document.jpg",
    ).save()


def _listed(api, token, path):
    return {s["session_id"] for s in ok(api.call("GET", path, token))["sessions"]}


def test_a_proctor_limited_to_exams_sees_and_reaches_only_those(api, onboarded):
    admin, code = onboarded["admin"], onboarded["agency_id"]
    mine, theirs, third = (exam_with_session(api, admin) for _ in range(3))
    limited = add_staff(api, admin, code, "proctor", exam_ids=[mine["exam_id"]])
    two = add_staff(api, admin, code, "proctor", exam_ids=[mine["exam_id"], third["exam_id"]])
    everyone = add_staff(api, admin, code, "proctor")
    assert limited["exam_ids"] == [mine["exam_id"]]
    ids = {e["session"]["session_id"] for e in (mine, theirs, third)}
    own_id, foreign_id = mine["session"]["session_id"], theirs["session"]["session_id"]

    exams = {e["exam_id"] for e in ok(api.call("GET", "/proctor/exams", limited["token"]))["exams"]}
    assert exams == {mine["exam_id"]}
    for path in ("/proctor/sessions", "/proctor/live"):
        assert _listed(api, limited["token"], path) == {own_id}
        assert _listed(api, two["token"], path) == {own_id, third["session"]["session_id"]}
        assert ids <= _listed(api, everyone["token"], path)
        assert _listed(api, limited["token"], f"{path}?exam_id={theirs['exam_id']}") == set()
    paged = ok(api.call("GET", "/proctor/sessions?limit=1", two["token"]))  # several exams: filtered pages
    seen = {s["session_id"] for s in paged["sessions"]}
    while paged["next_cursor"]:
        paged = ok(api.call("GET", f"/proctor/sessions?limit=1&cursor={paged['next_cursor']}", two["token"]))
        seen |= {s["session_id"] for s in paged["sessions"]}
    assert seen == {own_id, third["session"]["session_id"]}

    ok(api.call("GET", f"/proctor/sessions/{own_id}/timeline", limited["token"]))
    ok(api.call("POST", f"/proctor/sessions/{own_id}/notes", limited["token"], json={"text": "fine"}))
    base = f"/proctor/sessions/{foreign_id}"
    for method, path, body in [
        ("GET", f"{base}/timeline", None),
        ("GET", f"{base}/messages", None),
        ("POST", f"{base}/notes", {"text": "x"}),
        ("POST", f"{base}/chat", {"text": "x"}),
        ("POST", f"{base}/warn", {"text": "x", "expected_rev": 0}),
        ("POST", f"{base}/pause", {"text": "x", "expected_rev": 0}),
        ("POST", f"{base}/resume", {"expected_rev": 0}),
        ("POST", f"{base}/terminate", {"reason": "x", "expected_rev": 0}),
        ("POST", f"{base}/verdict", {"verdict": "accept"}),
    ]:
        assert_error(api.call(method, path, limited["token"], json=body), 404, "session.not_found")
    ok(api.call("GET", f"{base}/timeline", everyone["token"]))

    rejected_check(code, theirs)
    listing = f"/proctor/enrollments?exam_id={theirs['exam_id']}"
    assert ok(api.call("GET", listing, limited["token"]))["enrollments"] == []
    assert len(ok(api.call("GET", listing, everyone["token"]))["enrollments"]) == 1
    check = f"/proctor/enrollments/{theirs['exam_id']}/{theirs['candidate_id']}"
    ok(api.call("GET", check, everyone["token"]))
    assert_error(api.call("GET", check, limited["token"]), 404, "enrollment.not_found")
    assert_error(api.call("POST", f"{check}/override", limited["token"], json={"reason": "x"}), 404,
                 "enrollment.not_found")  # fmt: skip

    # lifting the limit takes effect at once (this API process forgets the account it cached)
    ok(api.call("PATCH", f"/admin/staff/{limited['login']}", admin, json={"exam_ids": []}))
    assert ids <= _listed(api, limited["token"], "/proctor/sessions")
    ok(api.call("GET", f"{base}/timeline", limited["token"]))
