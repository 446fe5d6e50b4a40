"""Accounts: candidates, proctors and agency admins, each bound to one agency (tenant)."""

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

ROLES = ("candidate", "proctor", "admin")


class UserRecord(Model):
    TABLE_SUFFIX = "users"

    class Meta:
        table_name = "users"

    user_id = UnicodeAttribute(hash_key=True)  # the login, lower-cased
    agency_id = UnicodeAttribute()
    role = UnicodeAttribute()
    full_name = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
