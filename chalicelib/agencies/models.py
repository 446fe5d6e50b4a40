"""Agencies (the platform's tenants) and their audit log."""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

PLATFORM = "platform"  # the operators' own agency: reserved, never a customer
STATUSES = ("active", "suspended")
DEFAULT_RETENTION_DAYS = 30  # what review and appeal need; the lowest an agency may choose
MAX_RETENTION_DAYS = 365


class AgencyRecord(Model):
    """One agency. Agencies written by a script before this record existed have none: they count as active, with
    the default retention."""

    TABLE_SUFFIX = "agencies"

    class Meta:
        table_name = "agencies"

    agency_id = UnicodeAttribute(hash_key=True)
    name = MapAttribute(null=True)  # {"kk", "ru", "en"}
    contact = MapAttribute(null=True)  # {"name", "email", "phone"}
    retention_days = NumberAttribute(default=DEFAULT_RETENTION_DAYS)
    status = UnicodeAttribute(default="active")
    # Tokens issued before this moment (epoch seconds) are refused: set when the agency is suspended, so lifting a
    # suspension does not bring the old sign-ins back.
    tokens_not_before = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    media_purged_through = UTCDateTimeAttribute(null=True)  # sessions started before this had their media purged

    @classmethod
    def find(cls, agency_id: str, consistent_read: bool = False) -> AgencyRecord | None:
        try:
            return cls.get(agency_id, consistent_read=consistent_read)
        except DoesNotExist:
            return None


class AuditRecord(Model):
    """One audited change, kept per agency, newest last by key (`<iso-time>#<id>`)."""

    TABLE_SUFFIX = "audit"

    class Meta:
        table_name = "audit"

    agency_id = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()  # the login of who did it
    actor_role = UnicodeAttribute()
    actor_agency = UnicodeAttribute()  # "platform" for an operator acting on an agency
    action = UnicodeAttribute()
    target = UnicodeAttribute()
    details = MapAttribute(default=dict)


class StaffRecord(Model):
    """The agency's staff directory (admins and proctors), so the staff list is one query, not a scan of every
    account; the account itself (name, role, limit, disabled) stays in `users`."""

    TABLE_SUFFIX = "staff"

    class Meta:
        table_name = "staff"

    agency_id = UnicodeAttribute(hash_key=True)
    login = UnicodeAttribute(range_key=True)
    created_at = UTCDateTimeAttribute()
