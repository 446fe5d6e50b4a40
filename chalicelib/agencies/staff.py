"""An agency's staff: admins and proctors, created by an admin of the agency (the first admin by an operator).

Passwords are generated here and shown once. A proctor may be limited to some exams (`exam_ids`; empty: all); the
limit travels with the account into every request (chalicelib/identity/authentication.py) and the proctor routes
filter by it. Every change is audited.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.agencies.audit import record_audit
from chalicelib.agencies.models import StaffRecord
from chalicelib.core.clock import Clock, iso
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.http import invalid_field
from chalicelib.core.principal import Principal
from chalicelib.identity.accounts import Accounts
from chalicelib.identity.logins import account_id
from chalicelib.identity.models import UserRecord
from chalicelib.identity.passwords import hash_password

UnknownExams = Callable[[str, list[str]], list[str]]  # (agency, exam ids) -> those that are not the agency's exams
STAFF_ROLES = ("proctor", "admin")


def new_password() -> str:
    return secrets.token_urlsafe(12)


def staff_view(user: UserRecord) -> dict[str, Any]:
    return {
        "login": user.login_name,
        "role": user.role,
        "full_name": user.full_name,
        "exam_ids": sorted(user.exam_ids or []),
        "disabled": bool(user.disabled),
        "created_at": iso(user.created_at),
    }


class Staff:
    def __init__(self, clock: Clock, accounts: Accounts, unknown_exams: UnknownExams) -> None:
        self._clock = clock
        self._accounts = accounts
        self._unknown_exams = unknown_exams

    def _check_exams(self, agency_id: str, role: str, exam_ids: list[str]) -> None:
        if exam_ids and role != "proctor":
            raise invalid_field("exam_ids", "limits proctors only")
        if exam_ids and self._unknown_exams(agency_id, exam_ids):
            raise invalid_field("exam_ids", "names an exam that is not your agency's")

    def create(
        self, actor: Principal, agency_id: str, login: str, full_name: str, role: str, exam_ids: list[str]
    ) -> dict[str, Any]:
        self._check_exams(agency_id, role, exam_ids)
        password = new_password()
        now = self._clock.now()
        user = UserRecord(
            user_id=account_id(agency_id, login),
            agency_id=agency_id,
            login=login,
            role=role,
            full_name=full_name,
            password_hash=hash_password(password),
            created_at=now,
            exam_ids=exam_ids or None,
        )
        if user.user_id == self._taken(agency_id, login):
            raise Conflict("staff.exists", "This login is taken in the agency.")
        # The directory entry first: an entry without an account is not listed, and a retry completes it.
        StaffRecord(agency_id=agency_id, login=login, created_at=now).save()
        try:
            user.save(condition=UserRecord.user_id.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                raise Conflict("staff.exists", "This login is taken in the agency.") from None
            raise
        record_audit(actor, "staff.created", login, {"role": role, "exam_ids": exam_ids}, agency_id)
        return {**staff_view(user), "password": password}

    @staticmethod
    def _taken(agency_id: str, login: str) -> str | None:
        """The account id if the login is in use in the agency (staff or candidate), so no directory entry is made
        for a login that belongs to someone else."""
        user = UserRecord.find(account_id(agency_id, login))
        return user.user_id if user is not None else None

    @staticmethod
    def has_members(agency_id: str) -> bool:
        return any(True for _ in StaffRecord.query(agency_id, limit=1))

    def list(self, admin: Principal) -> list[dict[str, Any]]:
        logins = [entry.login for entry in StaffRecord.query(admin.agency_id)]
        users = UserRecord.batch_get([account_id(admin.agency_id, login) for login in logins])
        found = [staff_view(u) for u in users if u.role in STAFF_ROLES and u.agency_id == admin.agency_id]
        return sorted(found, key=lambda s: s["login"])

    def member(self, admin: Principal, login: str) -> UserRecord:
        """A staff account of the admin's own agency; 404 for anything else (candidates, other agencies)."""
        try:
            user = UserRecord.find(account_id(admin.agency_id, login))
        except ValueError:
            user = None
        if user is None or user.role not in STAFF_ROLES or user.agency_id != admin.agency_id:
            raise NotFound("staff.not_found", "No such staff member in your agency.")
        return user

    def update(
        self,
        admin: Principal,
        login: str,
        full_name: str | None,
        exam_ids: list[str] | None,
        disabled: bool | None,
    ) -> dict[str, Any]:
        user = self.member(admin, login)
        if disabled and user.user_id == admin.user_id:
            raise Conflict("staff.self_disable", "You cannot disable your own account.")
        changes: dict[str, Any] = {}
        actions = []
        if full_name is not None and full_name != user.full_name:
            actions.append(UserRecord.full_name.set(full_name))
            changes["full_name"] = {"from": user.full_name, "to": full_name}
        if exam_ids is not None and exam_ids != sorted(user.exam_ids or []):
            self._check_exams(admin.agency_id, user.role, exam_ids)
            actions.append(UserRecord.exam_ids.set(exam_ids) if exam_ids else UserRecord.exam_ids.remove())
            changes["exam_ids"] = {"from": sorted(user.exam_ids or []), "to": exam_ids}
        if actions:
            user.update(actions=actions, condition=UserRecord.user_id.exists())
            self._accounts.forget(user.user_id)  # this process reads the new limit at once; others within 30 s
        if disabled is not None and disabled != bool(user.disabled):
            (self._accounts.disable_account if disabled else self._accounts.enable_account)(user.user_id)
            changes["disabled"] = {"from": bool(user.disabled), "to": disabled}
        if changes:
            record_audit(admin, "staff.updated", user.login_name, changes)
        user.refresh(consistent_read=True)
        return staff_view(user)

    def reset_password(self, admin: Principal, login: str) -> dict[str, Any]:
        """A new generated password (shown once); the member's sign-ins end."""
        user = self.member(admin, login)
        password = new_password()
        self._accounts.revoke(user.user_id, [UserRecord.password_hash.set(hash_password(password))])
        record_audit(admin, "staff.password_reset", user.login_name)
        return {"login": user.login_name, "password": password}


def unknown_exam_ids(exists: Callable[[str, str], bool]) -> UnknownExams:
    def unknown(agency_id: str, exam_ids: Iterable[str]) -> list[str]:
        return [exam_id for exam_id in exam_ids if not exists(exam_id, agency_id)]

    return unknown
