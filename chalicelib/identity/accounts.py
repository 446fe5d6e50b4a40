"""Ending an account's sign-ins: logout (all of the user's tokens) and disabling the account."""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import UpdateError

from chalicelib.core.errors import NotFound
from chalicelib.core.principal import Principal
from chalicelib.identity.models import UserRecord


class Accounts:
    def __init__(self, forget_version: Callable[[str], None]) -> None:
        self._forget_version = forget_version  # the authenticator's cache in this process

    def logout(self, principal: Principal) -> None:
        """Every token of the caller stops working (they were all issued under the version this bumps)."""
        self._revoke(principal.user_id, [])

    def disable_account(self, user_id: str) -> None:
        """The account can no longer log in, and its tokens stop working."""
        self._revoke(user_id, [UserRecord.disabled.set(True)])

    def _revoke(self, user_id: str, actions: list) -> None:
        try:
            UserRecord(user_id).update(
                actions=[*actions, UserRecord.token_version.add(1)], condition=UserRecord.user_id.exists()
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise NotFound("user.not_found", "No such account.") from exc
            raise
        finally:
            self._forget_version(user_id)
