"""Metered usage (one item per ended session), price plans per agency and month, and the running meters a session
accumulates while it is open (analyzer time)."""

from pynamodb.attributes import MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class UsageByAgencyMonth(GlobalSecondaryIndex):
    """An agency's usage of one month (the admin's usage and statement), per exam by the range key."""

    class Meta:
        index_name = "by_agency_month"
        projection = AllProjection()

    agency_month = UnicodeAttribute(hash_key=True)  # "<agency_id>#<YYYY-MM>"
    exam_id = UnicodeAttribute(range_key=True)


class UsageByMonth(GlobalSecondaryIndex):
    """Every agency's usage of one month (the operator's statements of all agencies)."""

    class Meta:
        index_name = "by_month"
        projection = AllProjection()

    month = UnicodeAttribute(hash_key=True)  # "YYYY-MM" of the session's start, UTC
    agency_id = UnicodeAttribute(range_key=True)


class UsageRecord(Model):
    """What one session used, written once when it ended (put conditioned on the item not existing)."""

    TABLE_SUFFIX = "usage"

    class Meta:
        table_name = "usage"

    session_id = UnicodeAttribute(hash_key=True)
    agency_id = UnicodeAttribute()
    exam_id = UnicodeAttribute()
    month = UnicodeAttribute()
    agency_month = UnicodeAttribute()
    started_at = UTCDateTimeAttribute()
    ended_at = UTCDateTimeAttribute()  # submitted (by the candidate, the deadline or a proctor's termination)
    end_reason = UnicodeAttribute()  # submitted | expired | terminated
    proctored_minutes = NumberAttribute()  # from start to end, less the time a proctor held it paused
    paused_s = NumberAttribute(default=0)
    media_objects = NumberAttribute(default=0)
    media_bytes = NumberAttribute(default=0)
    media_by_kind = MapAttribute(default=dict)  # {"webcam": {"objects": n, "bytes": n}, "audio": …, "screen": …}
    analyzer_ms = NumberAttribute(default=0)
    identity_checks = NumberAttribute(default=0)
    closed_at = UTCDateTimeAttribute()  # when the lifecycle wrote this record
    by_agency_month = UsageByAgencyMonth()
    by_month = UsageByMonth()


class PlanRecord(Model):
    """An agency's price plan from a month on (until a later one takes over)."""

    TABLE_SUFFIX = "plans"

    class Meta:
        table_name = "plans"

    agency_id = UnicodeAttribute(hash_key=True)
    effective_month = UnicodeAttribute(range_key=True)  # "YYYY-MM"
    plan = MapAttribute()  # PricePlan.as_dict()
    changed_at = UTCDateTimeAttribute()
    changed_by = UnicodeAttribute()


class MeterRecord(Model):
    """Running meters of an open session that nothing else records: the analyzer's processing time."""

    TABLE_SUFFIX = "meters"

    class Meta:
        table_name = "meters"

    session_id = UnicodeAttribute(hash_key=True)
    analyzer_ms = NumberAttribute(default=0)
    analyzed_objects = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)  # the meter is read when the session ends; kept a while for audits
