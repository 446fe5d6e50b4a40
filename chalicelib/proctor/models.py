"""The channel between proctors and a candidate, which is also the audit trail of every proctor action."""

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

KINDS = ("warning", "chat", "pause", "resume", "terminate", "note")


class SessionMessageRecord(Model):
    """One entry of a session's channel: who, when, what and why; ids sort by time (the polling cursor)."""

    TABLE_SUFFIX = "session-messages"

    class Meta:
        table_name = "session-messages"

    session_id = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)  # <UTC time to the microsecond>Z-<random>: sorts by time
    agency_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # one of KINDS
    author_role = UnicodeAttribute()  # candidate | proctor | admin
    author_id = UnicodeAttribute()
    text = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    for_candidate = BooleanAttribute(default=True)  # notes are for proctors only
    acknowledged_at = UTCDateTimeAttribute(null=True)  # a warning the candidate confirmed
