"""Bearer token → Principal: the token's signature and claims, then the account's current token version.

Logout and disabling an account bump the account's `token_version`; a token issued under an older version (or for
an account that is disabled or gone) is refused. The version is cached per process for a short time, so most
requests cost no extra read: this process forgets its entry at once on logout or disable, other processes (other
Lambda instances) stop accepting the old token within `ttl_s`. The same holds for the agency: a suspended agency's
tokens are refused (its status is cached per agency for `ttl_s`, so it costs one small read per agency and process
every 30 s), and tokens issued before its last suspension stay refused after the suspension is lifted.

The token's subject is an agency-scoped account id (`<agency>~<login>`); a token whose subject belongs to another
agency than its `agency` claim (and audience) is refused, so no token ever speaks for another agency's account.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.core.errors import Unauthenticated
from chalicelib.core.principal import Principal
from chalicelib.identity.logins import agency_of, normalize
from chalicelib.identity.models import UserRecord
from chalicelib.identity.tokens import TokenService


@dataclass(frozen=True)
class AccountState:
    """What a request needs from the account besides the token: its token version and a proctor's exam limit."""

    version: int
    exam_ids: tuple[str, ...] | None = None
    agency_id: str | None = None  # the account's agency, whose status is checked too (None: not known, not checked)


@dataclass(frozen=True)
class AgencyGate:
    """Whether an agency's accounts may act, and the oldest token it still accepts (epoch seconds)."""

    active: bool = True
    tokens_not_before: int = 0


VersionLookup = Callable[[str], "int | AccountState | None"]
AgencyLookup = Callable[[str], AgencyGate]
MAX_CACHED = 10_000  # accounts; the cache starts afresh beyond that (a Lambda instance serves far fewer)


def exam_limit(user: UserRecord) -> tuple[str, ...] | None:
    """A proctor's exam limit; None (every exam) for other roles and for an empty list."""
    if user.role != "proctor" or not user.exam_ids:
        return None
    return tuple(sorted(user.exam_ids))


def current_version(user_id: str) -> AccountState | None:
    """The account's token version (and exam limit), or None when it no longer accepts any token (deleted or
    disabled)."""
    user = UserRecord.find(user_id)
    if user is None or user.disabled:
        return None
    return AccountState(user.current_token_version, exam_limit(user), user.agency_id)


class Authenticator:
    def __init__(
        self,
        tokens: TokenService,
        lookup: VersionLookup | None = None,  # None: the account store (`current_version`)
        ttl_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        agency_lookup: AgencyLookup | None = None,  # None: every agency is active (unit tests)
    ) -> None:
        self._tokens = tokens
        self._lookup = lookup
        self._agency_lookup = agency_lookup
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, AccountState | None]] = {}  # user_id -> (valid until, state)
        self._agencies: dict[str, tuple[float, AgencyGate]] = {}  # agency_id -> (valid until, gate)
        self._lock = threading.Lock()

    def __call__(self, token: str) -> Principal:
        principal, version, issued_at = self._tokens.verify_claims(token)
        owner = agency_of(principal.user_id)  # '' only for an id from before accounts were scoped (none is stored)
        if owner and owner != normalize(principal.agency_id):  # an account is one agency's own
            raise Unauthenticated("auth.token_invalid", "The session token is not valid.")
        state = self._state(principal.user_id)
        if state is None or state.version != version:
            raise Unauthenticated("auth.token_revoked", "This sign-in was ended (logout or disabled); log in again.")
        gate = self._gate(state.agency_id) if state.agency_id is not None else AgencyGate()
        if not gate.active:
            raise Unauthenticated("auth.agency_suspended", "Your organisation's access is suspended.")
        if issued_at < gate.tokens_not_before:
            raise Unauthenticated("auth.token_revoked", "This sign-in was ended (logout or disabled); log in again.")
        return dataclasses.replace(principal, exam_ids=state.exam_ids) if state.exam_ids is not None else principal

    def forget(self, user_id: str) -> None:
        """Drop the cached version (this process): the next request reads the account again."""
        with self._lock:
            self._cache.pop(user_id, None)

    def forget_agency(self, agency_id: str) -> None:
        """Drop the cached agency status (this process): the next request reads the agency again."""
        with self._lock:
            self._agencies.pop(agency_id, None)

    def _state(self, user_id: str) -> AccountState | None:
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = (self._lookup or current_version)(user_id)
        state = AccountState(found) if isinstance(found, int) else found
        with self._lock:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[user_id] = (now + self._ttl_s, state)
        return state

    def _gate(self, agency_id: str) -> AgencyGate:
        """The agency's status, read at most once per `ttl_s` per agency and process (a few agencies: one small
        read per agency every 30 s, not one per request)."""
        if self._agency_lookup is None:
            return AgencyGate()
        now = self._monotonic()
        with self._lock:
            cached = self._agencies.get(agency_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        gate = self._agency_lookup(agency_id)
        with self._lock:
            if len(self._agencies) >= MAX_CACHED:
                self._agencies.clear()
            self._agencies[agency_id] = (now + self._ttl_s, gate)
        return gate
