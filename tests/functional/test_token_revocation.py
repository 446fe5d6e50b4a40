"""Revocable tokens over HTTP: logout ends every token of the user, a disabled or deleted account's tokens stop."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import PASSWORD, assert_error, login_response, ok


def in_process():
    from chalicelib import wiring

    wiring.settings()
    return wiring


def test_logout_makes_every_token_of_the_user_refused_on_the_next_request(api, new_candidate):
    # Given a candidate signed in twice (two tabs), both tokens in use
    user_id = new_candidate()
    first, second = api.login(user_id, PASSWORD), api.login(user_id, PASSWORD)
    ok(api.call("GET", "/me/exams", first))
    ok(api.call("GET", "/me/exams", second))

    # When one of them logs out
    assert ok(api.call("POST", "/auth/logout", first)) == {"logged_out": True}

    # Then both are refused at once, and a new login works
    assert_error(api.call("GET", "/me/exams", first), 401, "auth.token_revoked")
    assert_error(api.call("GET", "/me/exams", second), 401, "auth.token_revoked")
    assert_error(api.call("POST", "/auth/logout", first), 401, "auth.token_revoked")
    ok(api.call("GET", "/me/exams", api.login(user_id, PASSWORD)))


@pytest.mark.parametrize(
    ("token", "code"),
    [(None, "auth.missing_token"), ("not.a.token", "auth.token_invalid")],
    ids=["no-token", "malformed-token"],
)
def test_logout_without_a_valid_token_is_refused(api, token, code):
    assert_error(api.call("POST", "/auth/logout", token, json={}), 401, code)


def test_a_disabled_accounts_token_is_refused_and_it_cannot_log_in_again(api, new_candidate):
    # Given a candidate's token not yet seen by the server (no cached version anywhere)
    user_id = new_candidate()
    token = api.login(user_id, PASSWORD)

    # When the account is disabled
    in_process().accounts().disable_account(user_id)

    # Then its token is refused and the right password no longer logs in
    assert_error(api.call("GET", "/me/exams", token), 401, "auth.token_revoked")
    assert_error(login_response(api, user_id, PASSWORD), 401, "auth.invalid_credentials")


def test_disabling_an_unknown_account_is_not_found():
    from chalicelib.core.errors import NotFound

    with pytest.raises(NotFound):
        in_process().accounts().disable_account(f"agency-x~nobody-{uuid.uuid4().hex[:8]}")


def test_a_deleted_users_token_is_refused(api, new_candidate):
    user_id = new_candidate()
    token = api.login(user_id, PASSWORD)
    from chalicelib.identity.models import UserRecord

    in_process()
    UserRecord.get(user_id).delete()

    assert_error(api.call("GET", "/me/exams", token), 401, "auth.token_revoked")


# --- An agency admin disables and re-enables its own candidates --------------------------------------------------


def test_an_admin_disables_a_candidate_whose_tokens_end_at_once_and_enables_it_again(api, agency, new_candidate):
    # Given a signed-in candidate of the agency
    candidate_id = new_candidate()
    login = candidate_id.split("~", 1)[1]
    token = api.login(candidate_id, PASSWORD)
    admin = api.login(agency["admin"], PASSWORD)

    # When the agency's admin disables the account
    disabled = ok(api.call("POST", f"/admin/candidates/{login}/disable", admin))

    # Then its token is refused on the next request and the right password no longer logs in
    assert disabled == {"login": login, "candidate_id": candidate_id, "full_name": "Test Candidate", "disabled": True}
    assert_error(api.call("GET", "/me/exams", token), 401, "auth.token_revoked")
    assert_error(login_response(api, candidate_id, PASSWORD), 401, "auth.invalid_credentials")

    # When it is enabled again, Then the password logs in, and the token from before stays ended
    assert ok(api.call("POST", f"/admin/candidates/{login.upper()}/enable", admin))["disabled"] is False
    ok(api.call("GET", "/me/exams", api.login(candidate_id, PASSWORD)))
    assert_error(api.call("GET", "/me/exams", token), 401, "auth.token_revoked")


def test_only_the_candidates_own_agency_admin_can_disable_it(api, agency, other_agency, new_candidate):
    candidate_id = new_candidate()
    login = candidate_id.split("~", 1)[1]
    token = api.login(candidate_id, PASSWORD)
    others_admin = api.login(other_agency["admin"], PASSWORD)
    proctor = api.login(agency["proctor"], PASSWORD)
    admin = api.login(agency["admin"], PASSWORD)

    # Another agency's admin finds no such candidate (its own agency has none under that login)
    for action in ("disable", "enable"):
        path = f"/admin/candidates/{login}/{action}"
        assert_error(api.call("POST", path, others_admin), 404, "candidate.not_found")
        assert_error(api.call("POST", path, proctor), 403, "auth.forbidden_role")
        assert_error(api.call("POST", path, token), 403, "auth.forbidden_role")
    # Staff accounts, unknown logins and malformed ones are not candidates to disable
    for other in (agency["proctor"], agency["admin"], f"nobody-{uuid.uuid4().hex[:8]}", "bad~login"):
        assert_error(api.call("POST", f"/admin/candidates/{other}/disable", admin), 404, "candidate.not_found")

    # and the candidate is still signed in
    ok(api.call("GET", "/me/exams", token))
