"""Signed bearer tokens (JWT, HS256) carrying who the caller is and which agency they belong to.

Each token names the stage that issued it (`iss` = `proctor-<stage>`) and is addressed to its agency's API
(`aud` = `proctor-api:<agency>`): a dev token is refused by prod even if a secret were shared, and a token whose
agency claim does not match its audience is refused.

This is the seam for a Cognito or custom authorizer on AWS: routes only ever see a Principal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt

from chalicelib.core.errors import Unauthenticated
from chalicelib.core.principal import Principal


def issuer(stage: str) -> str:
    return f"proctor-{stage}"


def audience(agency_id: str) -> str:
    return f"proctor-api:{agency_id}"


class TokenService:
    def __init__(self, secret: str, ttl_s: int, stage: str = "local") -> None:
        self._secret = secret
        self._ttl = timedelta(seconds=ttl_s)
        self._issuer = issuer(stage)

    def issue(self, principal: Principal, now: datetime, version: int = 0) -> tuple[str, datetime]:
        expires = now + self._ttl
        claims = {
            "sub": principal.user_id,
            "ver": version,
            "role": principal.role,
            "agency": principal.agency_id,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "iss": self._issuer,
            "aud": audience(principal.agency_id),
        }
        return jwt.encode(claims, self._secret, algorithm="HS256"), expires

    def verify(self, token: str) -> Principal:
        """Return the token's principal; raise Unauthenticated for expired, forged or malformed tokens."""
        return self.verify_versioned(token)[0]

    def verify_versioned(self, token: str) -> tuple[Principal, int]:
        """The token's principal and the account's token version it was issued under."""
        principal, version, _ = self.verify_claims(token)
        return principal, version

    def verify_claims(self, token: str) -> tuple[Principal, int, int]:
        """The token's principal, the account's token version it was issued under, and when (epoch seconds)."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=self._issuer,
                # the audience depends on the token's own agency claim: checked below
                options={"require": ["sub", "ver", "role", "agency", "exp", "iat", "iss", "aud"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("auth.token_expired", "The session token has expired; log in again.") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("auth.token_invalid", "The session token is not valid.") from exc
        version, texts = claims["ver"], [claims[name] for name in ("sub", "role", "agency")]
        well_typed = type(version) is int and type(claims["iat"]) is int and all(isinstance(t, str) for t in texts)
        if not well_typed or claims["aud"] != audience(str(claims["agency"])):
            raise Unauthenticated("auth.token_invalid", "The session token is not valid.")
        principal = Principal(user_id=claims["sub"], role=claims["role"], agency_id=claims["agency"])
        return principal, version, claims["iat"]
