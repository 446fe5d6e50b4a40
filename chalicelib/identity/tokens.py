"""Signed bearer tokens (JWT, HS256) carrying who the caller is and which agency they belong to.

This is the seam for a Cognito or custom authorizer on AWS: routes only ever see a Principal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt

from chalicelib.core.errors import Unauthenticated
from chalicelib.core.principal import Principal

ISSUER = "proctor-platform"
AUDIENCE = "proctor-api"


class TokenService:
    def __init__(self, secret: str, ttl_s: int) -> None:
        self._secret = secret
        self._ttl = timedelta(seconds=ttl_s)

    def issue(self, principal: Principal, now: datetime, version: int = 0) -> tuple[str, datetime]:
        expires = now + self._ttl
        claims = {
            "sub": principal.user_id,
            "ver": version,
            "role": principal.role,
            "agency": principal.agency_id,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256"), expires

    def verify(self, token: str) -> Principal:
        """Return the token's principal; raise Unauthenticated for expired, forged or malformed tokens."""
        return self.verify_versioned(token)[0]

    def verify_versioned(self, token: str) -> tuple[Principal, int]:
        """The token's principal and the account's token version it was issued under."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["sub", "ver", "role", "agency", "exp", "iat"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("auth.token_expired", "The session token has expired; log in again.") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("auth.token_invalid", "The session token is not valid.") from exc
        if not isinstance(claims["ver"], int) or isinstance(claims["ver"], bool):
            raise Unauthenticated("auth.token_invalid", "The session token is not valid.")
        return Principal(user_id=claims["sub"], role=claims["role"], agency_id=claims["agency"]), claims["ver"]
