"""Accounts are each agency's own: the same login in two agencies is two people's independent accounts.

Logins are often national ID numbers, so two agencies will admit the same login. Neither may take it from the
other, see the other's candidate, lock them out, or reach the other's data with a token.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from tests.helpers import PASSWORD, account_of, assert_error, exam_payload, login_response, ok

OTHER_PASSWORD = "another-horse-battery"
WRONG = "not-the-password"


def new_exam(api, agency) -> tuple[str, str]:
    """(admin token, exam id) of a fresh exam in the agency."""
    admin = api.login(agency["admin"], PASSWORD, agency["agency_id"])
    exam_id = ok(api.call("POST", "/admin/exams", admin, json=exam_payload()))["exam_id"]
    ok(api.call("POST", f"/admin/exams/{exam_id}/questions", admin, json=demo_bank()))
    return admin, exam_id


def demo_bank():
    from local.seed import demo_bank as bank

    return bank(4)


def admit(api, admin, exam_id, login, password, full_name="Candidate"):
    body = {"candidates": [{"user_id": login, "full_name": full_name, "password": password}]}
    return api.call("POST", f"/admin/exams/{exam_id}/roster", admin, json=body)


@pytest.fixture
def shared_login(api, agency, other_agency):
    """One login (a national ID number) admitted by agency A, then by agency B with another password."""
    login = f"{uuid.uuid4().int % 10**12:012d}"
    a_admin, a_exam = new_exam(api, agency)
    b_admin, b_exam = new_exam(api, other_agency)
    ok(admit(api, a_admin, a_exam, login, PASSWORD, "Person in A"))
    a_token = api.login(login, PASSWORD, agency["agency_id"])
    b_admit = ok(admit(api, b_admin, b_exam, login, OTHER_PASSWORD, "Person in B"))
    return {
        "login": login,
        "a": {"agency": agency["agency_id"], "admin": a_admin, "exam": a_exam, "token": a_token},
        "b": {"agency": other_agency["agency_id"], "admin": b_admin, "exam": b_exam, "admitted": b_admit},
    }


def test_the_same_login_in_two_agencies_is_two_accounts_with_their_own_passwords_and_exams(api, shared_login):
    login, a, b = shared_login["login"], shared_login["a"], shared_login["b"]
    # Agency B's import created its own account (it did not find A's and refuse, nor reuse it)
    assert b["admitted"]["created_accounts"] == [{"user_id": login, "password": None}]

    # Each password opens only its own agency's account
    in_a = ok(login_response(api, login, PASSWORD, a["agency"]))
    in_b = ok(login_response(api, login, OTHER_PASSWORD, b["agency"]))
    assert_error(login_response(api, login, OTHER_PASSWORD, a["agency"]), 401, "auth.invalid_credentials")
    assert_error(login_response(api, login, PASSWORD, b["agency"]), 401, "auth.invalid_credentials")
    assert (in_a["user_id"], in_b["user_id"]) == (login, login)
    assert (in_a["account_id"], in_b["account_id"]) == (account_of(a["agency"], login), account_of(b["agency"], login))
    assert (in_a["agency_id"], in_b["agency_id"]) == (a["agency"], b["agency"])
    assert (in_a["full_name"], in_b["full_name"]) == ("Person in A", "Person in B")

    # Each sees only its own agency's exam, and sits it in its own session
    assert [e["exam_id"] for e in ok(api.call("GET", "/me/exams", in_a["token"]))["exams"]] == [a["exam"]]
    assert [e["exam_id"] for e in ok(api.call("GET", "/me/exams", in_b["token"]))["exams"]] == [b["exam"]]
    sessions = {}
    for side, token in (("a", in_a["token"]), ("b", in_b["token"])):
        exam_id = shared_login[side]["exam"]
        ok(api.call("POST", f"/exams/{exam_id}/consent", token, json={"accepted": True, "language": "ru"}))
        sessions[side] = ok(api.call("POST", f"/exams/{exam_id}/sessions", token, json={"language": "ru"}))
    assert sessions["a"]["session_id"] != sessions["b"]["session_id"]
    assert_error(api.call("GET", f"/sessions/{sessions['b']['session_id']}", in_a["token"]), 404, "session.not_found")
    assert_error(api.call("GET", f"/sessions/{sessions['a']['session_id']}", in_b["token"]), 404, "session.not_found")

    # Each agency's roster shows the login, under its own account id
    for side in ("a", "b"):
        roster = ok(api.call("GET", f"/admin/exams/{shared_login[side]['exam']}/roster", shared_login[side]["admin"]))
        assert [(c["user_id"], c["candidate_id"]) for c in roster["candidates"]] == [
            (login, account_of(shared_login[side]["agency"], login))
        ]


def test_another_agencys_import_of_the_login_leaves_the_first_account_untouched(api, shared_login):
    # Given agency B imported A's candidate's login (in the fixture), and again with yet another password
    login, a, b = shared_login["login"], shared_login["a"], shared_login["b"]
    ok(admit(api, b["admin"], b["exam"], login, "third-password-here", "Renamed by B"))

    # Then A's candidate keeps the password, the name, and the sign-in they already had
    ok(api.call("GET", "/me/exams", a["token"]))
    assert ok(login_response(api, login, PASSWORD, a["agency"]))["full_name"] == "Person in A"


def test_failed_logins_in_one_agency_do_not_lock_the_same_login_in_another(api, shared_login):
    login, a, b = shared_login["login"], shared_login["a"], shared_login["b"]
    # Given someone guessing passwords for the login in agency B until B's account is locked
    for _ in range(5):
        assert_error(login_response(api, login, WRONG, b["agency"]), 401, "auth.invalid_credentials")
    assert_error(login_response(api, login, OTHER_PASSWORD, b["agency"]), 429, "auth.too_many_attempts")

    # Then A's candidate with the same login still logs in
    assert ok(login_response(api, login, PASSWORD, a["agency"]))["agency_id"] == a["agency"]


def test_a_token_of_one_agencys_account_never_reaches_the_others_data(api, shared_login, other_agency):
    a, b = shared_login["a"], shared_login["b"]
    token = a["token"]
    # The other agency's exam, where the same login is admitted, is not there for A's account
    for method, path, body in (
        ("POST", f"/exams/{b['exam']}/consent", {"accepted": True, "language": "ru"}),
        ("POST", f"/exams/{b['exam']}/sessions", {"language": "ru"}),
        ("POST", f"/exams/{b['exam']}/enrollment/uploads", {"kind": "selfie"}),
    ):
        response = api.call(method, path, token, json=body)
        assert response.status_code in (403, 404), response.text

    # A token signed for A's account but claiming agency B (as a confused or compromised issuer might) is refused
    from chalicelib import wiring
    from chalicelib.core.principal import Principal

    wiring.settings()
    forged, _ = wiring.tokens().issue(
        Principal(account_of(a["agency"], shared_login["login"]), "candidate", b["agency"]), datetime.now(UTC)
    )
    assert_error(api.call("GET", "/me/exams", forged), 401, "auth.token_invalid")


def test_login_names_the_agency_and_an_unknown_agency_is_just_a_wrong_login(api, agency):
    no_agency = api.call("POST", "/auth/login", json={"user_id": agency["admin"], "password": PASSWORD})
    assert assert_error(no_agency, 400, "request.invalid_field")["details"]["field"] == "agency"
    for unknown in ("no-such-agency", "UPPER~case", "x" * 128):
        response = login_response(api, agency["admin"], PASSWORD, unknown)
        assert_error(response, 401, "auth.invalid_credentials")
    # The code is compared as typed by people: surrounding blanks and capitals do not matter
    assert ok(login_response(api, agency["admin"], PASSWORD, f"  {agency['agency_id'].upper()} "))["role"] == "admin"


def test_a_staff_login_of_one_agency_can_be_a_candidate_login_in_another(api, agency, other_agency):
    # The other agency's admin login is just a string to this agency
    admin, exam_id = new_exam(api, agency)
    taken = other_agency["admin"]
    ok(admit(api, admin, exam_id, taken, OTHER_PASSWORD))
    assert ok(login_response(api, taken, OTHER_PASSWORD, agency["agency_id"]))["role"] == "candidate"
    assert ok(login_response(api, taken, PASSWORD, other_agency["agency_id"]))["role"] == "admin"
    # while the agency's own staff login still cannot be admitted as a candidate
    response = admit(api, admin, exam_id, agency["proctor"], OTHER_PASSWORD)
    assert assert_error(response, 409, "roster.login_taken")["details"] == [agency["proctor"]]


def test_the_proctor_sees_the_login_people_type_not_the_account_id(api, started, agency):
    proctor = api.login(agency["proctor"], PASSWORD, agency["agency_id"])
    sessions = ok(api.call("GET", "/proctor/sessions", proctor, params={"exam_id": started["exam_id"]}))["sessions"]
    [summary] = [s for s in sessions if s["session_id"] == started["session"]["session_id"]]
    assert summary["candidate_id"] == f"{agency['agency_id']}~{summary['login']}"
    assert "~" not in summary["login"] and summary["login"] == started["login"]


def test_channel_messages_name_their_author_by_login(api, started, agency):
    session_id = started["session"]["session_id"]
    ok(api.call("POST", f"/sessions/{session_id}/chat", started["candidate"], json={"text": "Hello"}))
    ok(api.call("POST", f"/proctor/sessions/{session_id}/notes", started["proctor"], json={"text": "ok"}))
    messages = ok(api.call("GET", f"/proctor/sessions/{session_id}/messages", started["proctor"]))["messages"]
    by_kind = {m["kind"]: m for m in messages}
    assert by_kind["chat"]["author_login"] == started["login"]
    assert by_kind["note"]["author_login"] == agency["proctor"]
    assert by_kind["note"]["author_id"] == f"{agency['agency_id']}~{agency['proctor']}"
