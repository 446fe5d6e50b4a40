from datetime import UTC, datetime, timedelta

import jwt
import pytest

from chalicelib.core.errors import Unauthenticated
from chalicelib.core.principal import Principal
from chalicelib.identity.passwords import hash_password, verify_password
from chalicelib.identity.tokens import TokenService

SECRET = "s" * 40
WHO = Principal("cand-1", "candidate", "agency-a")


def test_a_password_verifies_only_against_its_own_hash():
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horsf", stored)
    assert hash_password("correct horse") != stored  # salted


@pytest.mark.parametrize("stored", ["", "plain", "scrypt$1$2$3$!!$!!", "bcrypt$x$y$z$a$b"])
def test_malformed_hashes_never_verify(stored):
    assert not verify_password("anything", stored)


def test_an_issued_token_round_trips_to_its_principal():
    tokens = TokenService(SECRET, 60)
    token, expires = tokens.issue(WHO, datetime.now(UTC))
    assert tokens.verify(token) == WHO
    assert expires > datetime.now(UTC)


def test_an_expired_token_is_refused_as_expired():
    tokens = TokenService(SECRET, 60)
    token, _ = tokens.issue(WHO, datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(Unauthenticated) as error:
        tokens.verify(token)
    assert error.value.code == "auth.token_expired"


@pytest.mark.parametrize(
    "forge",
    [
        lambda good: TokenService("x" * 40, 60).issue(WHO, datetime.now(UTC))[0],  # another secret
        lambda good: jwt.encode(
            {**jwt.decode(good, options={"verify_signature": False}), "role": "admin"}, "wrong" * 8, algorithm="HS256"
        ),
        lambda good: jwt.encode(jwt.decode(good, options={"verify_signature": False}), None, algorithm="none"),
        lambda good: good[:-4] + "abcd",
        lambda good: "not.a.token",
    ],
)
def test_forged_or_mangled_tokens_are_refused(forge):
    tokens = TokenService(SECRET, 60)
    good, _ = tokens.issue(WHO, datetime.now(UTC))
    with pytest.raises(Unauthenticated) as error:
        tokens.verify(forge(good))
    assert error.value.code == "auth.token_invalid"
