"""Tokens name the stage that issued them and the agency they are for; a token of another stage or agency fails."""

from datetime import UTC, datetime

import jwt
import pytest

from chalicelib.core.errors import Unauthenticated
from chalicelib.core.principal import Principal
from chalicelib.identity.tokens import TokenService

SECRET = "s" * 40
WHO = Principal("cand-1", "candidate", "agency-a")


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def resigned(token: str, **overrides) -> str:
    """The same token with some claims changed, signed with the real secret (a leak, or a bug that mints them)."""
    return jwt.encode({**claims_of(token), **overrides}, SECRET, algorithm="HS256")


def refused(tokens: TokenService, token: str) -> str:
    with pytest.raises(Unauthenticated) as error:
        tokens.verify(token)
    return error.value.code


def test_a_token_names_its_stage_as_issuer_and_its_agency_as_audience():
    token, _ = TokenService(SECRET, 60, "prod").issue(WHO, datetime.now(UTC))
    assert claims_of(token)["iss"] == "proctor-prod"
    assert claims_of(token)["aud"] == "proctor-api:agency-a"


def test_a_token_issued_by_the_dev_stage_is_refused_by_prod_even_with_the_same_secret():
    # Given a token the dev stage issued
    dev_token, _ = TokenService(SECRET, 60, "dev").issue(WHO, datetime.now(UTC))
    # When prod verifies it, Then it is invalid (while dev itself accepts it)
    assert refused(TokenService(SECRET, 60, "prod"), dev_token) == "auth.token_invalid"
    assert TokenService(SECRET, 60, "dev").verify(dev_token) == WHO


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"agency": "agency-b"}, id="agency-claim-changed"),
        pytest.param({"aud": "proctor-api:agency-b"}, id="audience-of-another-agency"),
        pytest.param({"aud": "proctor-api"}, id="audience-of-no-agency"),
        pytest.param({"aud": ["proctor-api:agency-a", "proctor-api:agency-b"]}, id="audience-list"),
        pytest.param({"agency": 7, "aud": "proctor-api:7"}, id="agency-not-text"),
        pytest.param({"ver": "0"}, id="version-not-a-number"),
        pytest.param({"ver": True}, id="version-a-boolean"),
    ],
)
def test_a_token_whose_agency_and_audience_disagree_or_are_malformed_is_refused(overrides):
    tokens = TokenService(SECRET, 60, "prod")
    token, _ = tokens.issue(WHO, datetime.now(UTC))
    assert refused(tokens, resigned(token, **overrides)) == "auth.token_invalid"


@pytest.mark.parametrize("claim", ["iss", "aud"])
def test_a_token_without_issuer_or_audience_is_refused(claim):
    tokens = TokenService(SECRET, 60, "prod")
    token, _ = tokens.issue(WHO, datetime.now(UTC))
    claims = claims_of(token)
    del claims[claim]
    assert refused(tokens, jwt.encode(claims, SECRET, algorithm="HS256")) == "auth.token_invalid"
