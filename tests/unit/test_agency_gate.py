"""The authenticator's agency check: a suspended agency's tokens are refused, the status is read once per agency
per TTL (not per request), and tokens from before a suspension stay refused after it is lifted."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.errors import Unauthenticated
from chalicelib.core.principal import Principal
from chalicelib.identity.authentication import AccountState, AgencyGate, Authenticator
from chalicelib.identity.tokens import TokenService

TOKENS = TokenService("s" * 40, 600)


def issued() -> datetime:
    """A minute ago, read when a test runs (not at import: a long suite would outlive the tokens' 600 s)."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=60)


class Agencies:
    def __init__(self):
        self.gates = {}
        self.reads = 0

    def __call__(self, agency_id):
        self.reads += 1
        return self.gates.get(agency_id, AgencyGate())


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def accounts(user_id):
    agency = user_id.partition("~")[0]
    exam_ids = ("ex-1",) if user_id.endswith("limited") else None
    return AccountState(0, exam_ids, agency)


def token(login: str, agency: str = "agency-a", role: str = "proctor", at: datetime | None = None) -> str:
    return TOKENS.issue(Principal(f"{agency}~{login}", role, agency), at or issued(), 0)[0]


def refused(authenticate, value) -> str:
    with pytest.raises(Unauthenticated) as error:
        authenticate(value)
    return error.value.code


def test_the_agency_status_is_read_once_per_agency_per_ttl_and_a_suspension_refuses_its_tokens():
    agencies, clock = Agencies(), Clock()
    authenticate = Authenticator(TOKENS, accounts, ttl_s=30, monotonic=clock, agency_lookup=agencies)
    for login in ("p1", "p2", "p3"):
        authenticate(token(login))
    authenticate(token("p1", agency="agency-b"))
    assert agencies.reads == 2  # one per agency, not per request or per account
    agencies.gates["agency-a"] = AgencyGate(active=False)
    authenticate(token("p1"))  # still cached in this process: other processes learn within the TTL
    clock.now = 31
    assert refused(authenticate, token("p1")) == "auth.agency_suspended"
    authenticate(token("p1", agency="agency-b"))  # another agency carries on
    authenticate.forget_agency("agency-a")
    before = issued()
    agencies.gates["agency-a"] = AgencyGate(active=True, tokens_not_before=int(before.timestamp()) + 1)
    assert refused(authenticate, token("p1", at=before)) == "auth.token_revoked"  # issued before the suspension
    authenticate(token("p1", at=before + timedelta(seconds=2)))  # a sign-in after it


def test_a_proctors_exam_limit_comes_from_the_account_not_the_token():
    authenticate = Authenticator(TOKENS, accounts, agency_lookup=Agencies())
    assert authenticate(token("limited")).exam_ids == ("ex-1",)
    assert authenticate(token("free")).exam_ids is None
    assert authenticate(token("free")).may_see_exam("anything")
    assert not authenticate(token("limited")).may_see_exam("ex-2")
