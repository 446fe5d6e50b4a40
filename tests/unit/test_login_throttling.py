"""The throttling policy: how many failures lock, and how long each successive lockout lasts."""

import pytest

from chalicelib.identity.throttling import ACCOUNT_POLICY, CLIENT_POLICY, ThrottlePolicy


def test_each_lockout_of_an_account_is_twice_as_long_as_the_one_before():
    # Given an account locked out again and again, When each lockout's length is asked
    lengths = [ACCOUNT_POLICY.lockout_s(before) for before in range(4)]
    # Then they double from 30 s
    assert lengths == [30, 60, 120, 240]


@pytest.mark.parametrize("before", [4, 5, 10, 1000])
def test_lockouts_are_capped_at_five_minutes_so_a_candidate_is_delayed_minutes_at_most(before):
    assert ACCOUNT_POLICY.lockout_s(before) == 300


def test_a_fresh_counter_starts_again_from_the_shortest_lockout():
    # Given a successful login deleted the counter (lockouts back to 0)
    assert ACCOUNT_POLICY.lockout_s(0) == ACCOUNT_POLICY.base_lockout_s


def test_five_failures_lock_an_account_and_four_do_not():
    assert not ACCOUNT_POLICY.starts_lockout(4)
    assert ACCOUNT_POLICY.starts_lockout(5)


def test_a_client_address_tolerates_many_more_failures_than_one_account():
    # A test centre may put a whole room of candidates behind one address.
    assert CLIENT_POLICY.threshold >= 10 * ACCOUNT_POLICY.threshold
    assert CLIENT_POLICY.max_lockout_s <= 300


def test_a_policy_with_other_numbers_follows_them():
    policy = ThrottlePolicy(threshold=2, base_lockout_s=1, max_lockout_s=3)
    assert [policy.lockout_s(n) for n in range(4)] == [1, 2, 3, 3]
