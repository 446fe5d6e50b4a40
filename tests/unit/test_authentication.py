"""The authenticator: a valid token is accepted only under the account's current token version (cached briefly)."""

from datetime import UTC, datetime

import pytest

from chalicelib.core.errors import Unauthenticated
from chalicelib.core.principal import Principal
from chalicelib.identity.authentication import Authenticator
from chalicelib.identity.tokens import TokenService

WHO = Principal("cand-1", "candidate", "agency-a")
TOKENS = TokenService("s" * 40, 600)


class Accounts:
    """The account store as the authenticator sees it: user -> version (None: disabled or deleted), reads counted."""

    def __init__(self, **versions):
        self.versions = versions
        self.reads = 0

    def __call__(self, user_id):
        self.reads += 1
        return self.versions.get(user_id.replace("-", "_"))


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def token(version: int) -> str:
    return TOKENS.issue(WHO, datetime.now(UTC), version)[0]


def refused(authenticate, value) -> str:
    with pytest.raises(Unauthenticated) as error:
        authenticate(value)
    return error.value.code


def test_a_token_of_the_current_version_is_accepted_and_the_version_is_read_once_per_ttl():
    accounts, clock = Accounts(cand_1=3), Clock()
    authenticate = Authenticator(TOKENS, accounts, ttl_s=30, monotonic=clock)

    assert [authenticate(token(3)) for _ in range(5)] == [WHO] * 5
    assert accounts.reads == 1
    clock.now = 31
    authenticate(token(3))
    assert accounts.reads == 2


def test_a_token_of_an_older_version_is_refused_as_revoked():
    authenticate = Authenticator(TOKENS, Accounts(cand_1=4))
    assert refused(authenticate, token(3)) == "auth.token_revoked"


@pytest.mark.parametrize("accounts", [Accounts(), Accounts(cand_1=None)], ids=["deleted", "disabled"])
def test_tokens_of_a_deleted_or_disabled_account_are_refused(accounts):
    assert refused(Authenticator(TOKENS, accounts), token(0)) == "auth.token_revoked"


def test_a_bump_elsewhere_takes_effect_within_the_ttl_and_at_once_where_the_cache_is_forgotten():
    # Given a version cached by this process
    accounts, clock = Accounts(cand_1=0), Clock()
    authenticate = Authenticator(TOKENS, accounts, ttl_s=30, monotonic=clock)
    old = token(0)
    authenticate(old)
    # When another process logs the user out
    accounts.versions["cand_1"] = 1
    # Then the old token still passes here until the TTL runs out, and no longer after
    clock.now = 29
    assert authenticate(old) == WHO
    clock.now = 31
    assert refused(authenticate, old) == "auth.token_revoked"


def test_forgetting_an_account_refuses_its_old_token_on_the_very_next_request():
    accounts = Accounts(cand_1=0)
    authenticate = Authenticator(TOKENS, accounts)
    old = token(0)
    authenticate(old)
    accounts.versions["cand_1"] = 1

    authenticate.forget("cand-1")

    assert refused(authenticate, old) == "auth.token_revoked"
    assert authenticate(token(1)) == WHO


def test_a_token_without_a_version_claim_is_invalid():
    import jwt

    claims = jwt.decode(token(0), options={"verify_signature": False})
    del claims["ver"]
    unversioned = jwt.encode(claims, "s" * 40, algorithm="HS256")
    assert refused(Authenticator(TOKENS, Accounts(cand_1=0)), unversioned) == "auth.token_invalid"


def test_a_token_whose_account_belongs_to_another_agency_than_its_claim_is_invalid():
    # Signed by us, but the subject is agency A's account while the agency claim (and audience) say B
    crossed = TOKENS.issue(Principal("agency-a~cand-1", "candidate", "agency-b"), datetime.now(UTC), 0)[0]
    assert refused(Authenticator(TOKENS, lambda user_id: 0), crossed) == "auth.token_invalid"
    own = TOKENS.issue(Principal("agency-b~cand-1", "candidate", "agency-b"), datetime.now(UTC), 0)[0]
    assert Authenticator(TOKENS, lambda user_id: 0)(own).user_id == "agency-b~cand-1"
