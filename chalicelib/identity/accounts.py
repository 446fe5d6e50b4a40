"""Ending an account's sign-ins (logout, disabling) and an agency admin's hold on its own candidates' accounts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.core import observability
from chalicelib.core.errors import NotFound
from chalicelib.core.principal import Principal
from chalicelib.identity.logins import account_id
from chalicelib.identity.models import UserRecord


def candidate_of(admin: Principal, login: str) -> UserRecord:
    """The candidate account `login` of the admin's own agency; 404 for anything else (another agency's login is
    simply not found: the id is derived from the admin's agency, so no other agency's account is even read)."""
    try:
        user = UserRecord.find(account_id(admin.agency_id, login))
    except ValueError:  # not a login at all
        user = None
    if user is None or user.role != "candidate" or user.agency_id != admin.agency_id:
        raise NotFound("candidate.not_found", "No such candidate in your agency.")
    return user


def account_view(user: UserRecord) -> dict[str, Any]:
    return {
        "login": user.login_name,
        "candidate_id": user.user_id,
        "full_name": user.full_name,
        "disabled": bool(user.disabled),
    }


class Accounts:
    def __init__(self, forget_version: Callable[[str], None]) -> None:
        self._forget_version = forget_version  # the authenticator's cache in this process

    def logout(self, principal: Principal) -> None:
        """Every token of the caller stops working (they were all issued under the version this bumps)."""
        self._revoke(principal.user_id, [])

    def disable_account(self, user_id: str) -> None:
        """The account can no longer log in, and its tokens stop working."""
        self._revoke(user_id, [UserRecord.disabled.set(True)])

    def enable_account(self, user_id: str) -> None:
        """The account may log in again (tokens from before it was disabled stay refused: the version moved on)."""
        self._revoke(user_id, [UserRecord.disabled.set(False)])

    def set_candidate_disabled(self, admin: Principal, login: str, disabled: bool) -> dict[str, Any]:
        """An agency admin disables (all sign-ins end) or re-enables one of its own candidates."""
        user = candidate_of(admin, login)
        (self.disable_account if disabled else self.enable_account)(user.user_id)
        observability.logger(observability.API).info(
            "candidate account disabled" if disabled else "candidate account enabled",
            extra={"candidate_id": user.user_id, "by": admin.user_id},
        )
        user.refresh(consistent_read=True)
        return account_view(user)

    def forget(self, user_id: str) -> None:
        """The authenticator of this process reads the account again on its next request."""
        self._forget_version(user_id)

    def revoke(self, user_id: str, actions: list) -> None:
        """Apply `actions` to the account and end every sign-in of it."""
        self._revoke(user_id, actions)

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
