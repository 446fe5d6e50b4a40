"""Agencies: created by platform operators with their first admin, suspended and re-activated, their retention.

An agency's code is its tenant id (`agency_id` on every record, the `<agency>~` of its account ids). Suspension
stops the agency at the door: its accounts cannot log in, and the authenticator refuses its tokens (the agency's
status is cached per process for 30 s like token versions; this process forgets it at once). Suspending also moves
`tokens_not_before` to now, so lifting the suspension does not bring back the sign-ins from before it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.agencies.audit import record_audit
from chalicelib.agencies.models import DEFAULT_RETENTION_DAYS, PLATFORM, AgencyRecord
from chalicelib.agencies.staff import Staff
from chalicelib.core.clock import Clock, iso
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.principal import Principal
from chalicelib.identity.authentication import AgencyGate


def agency_view(record: AgencyRecord) -> dict[str, Any]:
    return {
        "agency_id": record.agency_id,
        "name": _plain(record.name),
        "contact": _plain(record.contact),
        "retention_days": int(record.retention_days or DEFAULT_RETENTION_DAYS),
        "status": record.status or "active",
        "created_at": iso(record.created_at) if record.created_at else None,
        "created_by": record.created_by,
    }


def _plain(value: Any) -> Any:
    """A map attribute as a plain dict (PynamoDB wraps maps it read back, not those it was given)."""
    return value.as_dict() if hasattr(value, "as_dict") else value


def gate_of(agency_id: str) -> AgencyGate:
    """The authenticator's view of an agency. The platform, and agencies written by a script before agencies had
    records, are active."""
    if agency_id == PLATFORM:
        return AgencyGate()
    record = AgencyRecord.find(agency_id)
    if record is None:
        return AgencyGate()
    return AgencyGate(record.status != "suspended", int(record.tokens_not_before or 0))


def may_log_in(agency_id: str) -> bool:
    return gate_of(agency_id).active


def retention_days_of(agency_id: str) -> int:
    record = AgencyRecord.find(agency_id)
    return int(record.retention_days or DEFAULT_RETENTION_DAYS) if record else DEFAULT_RETENTION_DAYS


class Agencies:
    def __init__(self, clock: Clock, staff: Staff, forget_agency: Callable[[str], None]) -> None:
        self._clock = clock
        self._staff = staff
        self._forget_agency = forget_agency  # the authenticator's cache in this process

    def create(
        self,
        operator: Principal,
        agency_id: str,
        name: dict[str, str],
        contact: dict[str, Any],
        retention_days: int | None,
        admin_login: str,
        admin_name: str,
    ) -> dict[str, Any]:
        """The agency and its first admin (password generated, shown once); 409 agency.exists."""
        record = AgencyRecord(
            agency_id=agency_id,
            name=name,
            contact=contact,
            retention_days=retention_days or DEFAULT_RETENTION_DAYS,
            status="active",
            tokens_not_before=0,
            created_at=self._clock.now(),
            created_by=operator.user_id,
        )
        if self._staff.has_members(agency_id):  # an agency written by a script before agencies had records
            raise Conflict("agency.exists", "An agency with this code exists already.")
        try:
            record.save(condition=AgencyRecord.agency_id.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                raise Conflict("agency.exists", "An agency with this code exists already.") from None
            raise
        record_audit(operator, "agency.created", agency_id, {"retention_days": int(record.retention_days)}, agency_id)
        try:
            admin = self._staff.create(operator, agency_id, admin_login, admin_name, "admin", [])
        except Exception:
            record.delete()  # no agency without its first admin: the operator may simply try again
            raise
        return {"agency": agency_view(record), "admin": {"login": admin["login"], "password": admin["password"]}}

    def list(self) -> list[dict[str, Any]]:
        return sorted((agency_view(r) for r in AgencyRecord.scan()), key=lambda a: a["agency_id"])

    def get(self, agency_id: str) -> AgencyRecord:
        record = AgencyRecord.find(agency_id, consistent_read=True) if agency_id != PLATFORM else None
        if record is None:
            raise NotFound("agency.not_found", "No such agency.")
        return record

    def own(self, admin: Principal) -> dict[str, Any]:
        """The admin's own agency; one written before agencies had records shows its defaults."""
        record = AgencyRecord.find(admin.agency_id, consistent_read=True)
        return agency_view(record or AgencyRecord(agency_id=admin.agency_id))

    def update(self, operator: Principal, agency_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        record = self.get(agency_id)
        actions = [getattr(AgencyRecord, name).set(value) for name, value in changes.items() if value is not None]
        suspending = changes.get("status") == "suspended" and record.status != "suspended"
        if suspending:  # tokens issued up to this second stay refused after the suspension is lifted
            actions.append(AgencyRecord.tokens_not_before.set(int(self._clock.now().timestamp()) + 1))
        before = {name: _plain(getattr(record, name)) for name in changes if changes[name] is not None}
        self._apply(agency_id, actions)
        self._forget_agency(agency_id)
        for name in changes:
            if changes[name] is None or before.get(name) == changes[name]:
                continue
            if name == "status":
                action = "agency.suspended" if changes[name] == "suspended" else "agency.reactivated"
            elif name == "retention_days":
                action = "retention.changed"
            else:
                action = "agency.updated"
            record_audit(
                operator, action, agency_id, {"field": name, "from": before.get(name), "to": changes[name]}, agency_id
            )
        return agency_view(self.get(agency_id))

    def set_own_retention(self, admin: Principal, days: int) -> dict[str, Any]:
        """An admin chooses its agency's retention within the bounds (the record is made if a script made the
        agency)."""
        before = retention_days_of(admin.agency_id)
        self._apply(admin.agency_id, [AgencyRecord.retention_days.set(days)], must_exist=False)
        if before != days:
            record_audit(admin, "retention.changed", admin.agency_id, {"from": before, "to": days})
        return self.own(admin)

    def _apply(self, agency_id: str, actions: list, must_exist: bool = True) -> None:
        if not actions:
            return
        try:
            AgencyRecord(agency_id).update(
                actions=actions, condition=AgencyRecord.agency_id.exists() if must_exist else None
            )
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise NotFound("agency.not_found", "No such agency.") from None
            raise
