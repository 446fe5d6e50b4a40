"""Login throttling: failed logins counted per account and per client, answered by short, growing lockouts.

An account that fails `threshold` times is locked for 30 s, then 60 s, 120 s … capped at 5 minutes; a client (the
caller's source address) gets the same treatment at a higher threshold, since a test centre may put many candidates
behind one address. A lockout refuses even the right password (otherwise it would stop nothing), but it is short and
capped, so someone who locks a candidate out on exam day delays them by minutes, not the whole exam. A successful
login forgets the account's counter; counters are forgotten `window_s` after their last failure.

The account counter is keyed by the agency-scoped account id (`<agency>~<login>`), so failures against a login in
one agency never lock the same login in another (agency B's users cannot lock out agency A's candidate).

Counts are DynamoDB `ADD`s, so concurrent failures all count; only one of them starts a lockout (conditional).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from chalicelib.core import observability
from chalicelib.core.clock import Clock
from chalicelib.core.errors import TooManyAttempts
from chalicelib.identity.models import LoginAttemptRecord


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures start a lockout and how long each successive lockout lasts (pure arithmetic)."""

    threshold: int
    base_lockout_s: int = 30
    max_lockout_s: int = 300
    window_s: int = 900

    def lockout_s(self, lockouts_before: int) -> int:
        """The length of the next lockout, given how many came before it: base, 2×base, 4×base … up to the cap."""
        return min(self.base_lockout_s * 2 ** min(lockouts_before, 20), self.max_lockout_s)

    def starts_lockout(self, failures: int) -> bool:
        return failures >= self.threshold


ACCOUNT_POLICY = ThrottlePolicy(threshold=5)
CLIENT_POLICY = ThrottlePolicy(threshold=100)
LOCAL_CLIENT = "local"  # no source address (a direct call, a local server that does not report one)


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


class LoginThrottle:
    def __init__(
        self, clock: Clock, account: ThrottlePolicy = ACCOUNT_POLICY, client: ThrottlePolicy = CLIENT_POLICY
    ) -> None:
        self._clock = clock
        self._policies = {"account": account, "client": client}

    @staticmethod
    def _keys(user_id: str, client: str | None) -> dict[str, str]:
        return {"account": f"account#{user_id}", "client": f"client#{client or LOCAL_CLIENT}"}

    def check(self, user_id: str, client: str | None) -> None:
        """Raise TooManyAttempts while the account or the client is locked out (before any password is checked)."""
        now = _epoch(self._clock.now())
        waits = []
        for key in self._keys(user_id, client).values():
            try:
                record = LoginAttemptRecord.get(key, consistent_read=True)
            except DoesNotExist:
                continue
            if record.locked_until and record.locked_until > now:
                waits.append(record.locked_until - now)
        if waits:
            retry_after = math.ceil(max(waits))
            raise TooManyAttempts(
                "auth.too_many_attempts",
                f"Too many failed logins; try again in {retry_after} s.",
                details={"retry_after_s": retry_after},
            )

    def failed(self, user_id: str, client: str | None) -> None:
        """Count one failed login against the account and the client; start a lockout where a threshold is met."""
        for kind, key in self._keys(user_id, client).items():
            self._count(kind, key, self._policies[kind])

    def succeeded(self, user_id: str) -> None:
        """A correct password outside a lockout: the account starts afresh (the client's counter stays)."""
        try:
            LoginAttemptRecord(self._keys(user_id, None)["account"]).delete()
        except DeleteError:
            observability.logger(observability.API).warning("could not reset the login counter")

    def _count(self, kind: str, key: str, policy: ThrottlePolicy) -> None:
        now = self._clock.now()
        expires = datetime.fromtimestamp(_epoch(now) + policy.window_s, UTC)
        count = [LoginAttemptRecord.failures.add(1), LoginAttemptRecord.expires_at.set(expires)]
        record = LoginAttemptRecord(key)
        try:  # a live counter: one more failure
            record.update(actions=count, condition=LoginAttemptRecord.expires_at > now)
        except UpdateError:  # none yet, or one past its window (TTL deletion is lazy): start afresh
            record = LoginAttemptRecord(key, failures=1, lockouts=0, expires_at=expires)
            try:
                record.save(
                    condition=LoginAttemptRecord.attempt_key.does_not_exist() | (LoginAttemptRecord.expires_at <= now)
                )
            except PutError:  # a concurrent failure started it first: count on top of it
                record = LoginAttemptRecord(key)
                record.update(actions=count)
        if not policy.starts_lockout(record.failures):
            return
        lockout = policy.lockout_s(record.lockouts)
        try:  # only one of several concurrent failures starts the lockout
            record.update(
                actions=[
                    LoginAttemptRecord.failures.set(0),
                    LoginAttemptRecord.lockouts.add(1),
                    LoginAttemptRecord.locked_until.set(_epoch(now) + lockout),
                ],
                condition=LoginAttemptRecord.failures >= policy.threshold,
            )
        except UpdateError:
            return
        observability.logger(observability.API).warning(
            "login lockout", extra={"throttle": kind, "lockout_s": lockout, "lockouts": record.lockouts}
        )
        observability.metrics(observability.API).add("LoginLockouts", 1, throttle=kind)
