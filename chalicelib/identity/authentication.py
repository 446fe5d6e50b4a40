"""Bearer token → Principal: the token's signature and claims, then the account's current token version.

Logout and disabling an account bump the account's `token_version`; a token issued under an older version (or for
an account that is disabled or gone) is refused. The version is cached per process for a short time, so most
requests cost no extra read: this process forgets its entry at once on logout or disable, other processes (other
Lambda instances) stop accepting the old token within `ttl_s`.

The token's subject is an agency-scoped account id (`<agency>~<login>`); a token whose subject belongs to another
agency than its `agency` claim (and audience) is refused, so no token ever speaks for another agency's account.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from chalicelib.core.errors import Unauthenticated
from chalicelib.core.principal import Principal
from chalicelib.identity.logins import agency_of, normalize
from chalicelib.identity.models import UserRecord
from chalicelib.identity.tokens import TokenService

VersionLookup = Callable[[str], "int | None"]
MAX_CACHED = 10_000  # accounts; the cache starts afresh beyond that (a Lambda instance serves far fewer)


def current_version(user_id: str) -> int | None:
    """The account's token version, or None when it no longer accepts any token (deleted or disabled)."""
    user = UserRecord.find(user_id)
    if user is None or user.disabled:
        return None
    return user.current_token_version


class Authenticator:
    def __init__(
        self,
        tokens: TokenService,
        lookup: VersionLookup | None = None,  # None: the account store (`current_version`)
        ttl_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tokens = tokens
        self._lookup = lookup
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, int | None]] = {}  # user_id -> (valid until, version)
        self._lock = threading.Lock()

    def __call__(self, token: str) -> Principal:
        principal, version = self._tokens.verify_versioned(token)
        owner = agency_of(principal.user_id)  # '' only for an id from before accounts were scoped (none is stored)
        if owner and owner != normalize(principal.agency_id):  # an account is one agency's own
            raise Unauthenticated("auth.token_invalid", "The session token is not valid.")
        if self._version(principal.user_id) != version:
            raise Unauthenticated("auth.token_revoked", "This sign-in was ended (logout or disabled); log in again.")
        return principal

    def forget(self, user_id: str) -> None:
        """Drop the cached version (this process): the next request reads the account again."""
        with self._lock:
            self._cache.pop(user_id, None)

    def _version(self, user_id: str) -> int | None:
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        version = (self._lookup or current_version)(user_id)
        with self._lock:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[user_id] = (now + self._ttl_s, version)
        return version
