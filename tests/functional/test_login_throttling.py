"""Login throttling over HTTP: a short lockout after repeated failures, per account, reset by a success."""

from __future__ import annotations

import time
import uuid

from tests.helpers import PASSWORD, assert_error, login_response, ok

WRONG = "not-the-password"


def fail(api, user_id: str, times: int) -> None:
    for _ in range(times):
        assert_error(login_response(api, user_id, WRONG), 401, "auth.invalid_credentials")


def let_lockout_pass(user_id: str) -> None:
    """As if the lockout's time had passed: move its end into the past (the test does not wait 30 s)."""
    from chalicelib import wiring
    from chalicelib.identity.models import LoginAttemptRecord

    wiring.settings()
    record = LoginAttemptRecord.get(f"account#{user_id}", consistent_read=True)
    record.update(actions=[LoginAttemptRecord.locked_until.set(time.time() - 1)])


def test_five_wrong_passwords_lock_the_account_and_even_the_right_one_waits_for_the_lockout(api, new_candidate):
    # Given a candidate whose password was mistyped five times
    user_id = new_candidate()
    fail(api, user_id, 5)

    # When the right password is tried at once, Then it is refused with how long to wait (30 s at most, first time)
    error = assert_error(login_response(api, user_id, PASSWORD), 429, "auth.too_many_attempts")
    assert 0 < error["details"]["retry_after_s"] <= 30
    assert_error(login_response(api, user_id, WRONG), 429, "auth.too_many_attempts")

    # When the lockout has passed, Then the right password is accepted
    let_lockout_pass(user_id)
    assert ok(login_response(api, user_id, PASSWORD))["account_id"] == user_id


def test_the_second_lockout_of_an_account_lasts_longer(api, new_candidate):
    user_id = new_candidate()
    fail(api, user_id, 5)
    let_lockout_pass(user_id)

    fail(api, user_id, 5)

    error = assert_error(login_response(api, user_id, PASSWORD), 429, "auth.too_many_attempts")
    assert 30 < error["details"]["retry_after_s"] <= 60


def test_a_locked_account_does_not_lock_another_account_from_the_same_client(api, new_candidate):
    locked, neighbour = new_candidate(), new_candidate()
    fail(api, locked, 5)

    assert ok(login_response(api, neighbour, PASSWORD))["account_id"] == neighbour


def test_a_successful_login_resets_the_count_of_failures(api, new_candidate):
    # Given four failures, then a success
    user_id = new_candidate()
    fail(api, user_id, 4)
    ok(login_response(api, user_id, PASSWORD))

    # When four more failures follow
    fail(api, user_id, 4)

    # Then the account is not locked (eight failures, but never five in a row)
    ok(login_response(api, user_id, PASSWORD))


def test_unknown_logins_are_throttled_like_real_ones(api):
    # So a lockout does not reveal which logins exist
    user_id = f"nobody-{uuid.uuid4().hex[:8]}"
    fail(api, user_id, 5)

    assert_error(login_response(api, user_id, WRONG), 429, "auth.too_many_attempts")
