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
