"""Violations per session (ordered by time through a local index) and the ledger of analyzed media objects."""

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, LocalSecondaryIndex
from pynamodb.models import Model


class ViolationsByTime(LocalSecondaryIndex):
    class Meta:
        index_name = "by_time"
        projection = AllProjection()

    session_id = UnicodeAttribute(hash_key=True)
    occurred_at = UTCDateTimeAttribute(range_key=True)


class ViolationRecord(Model):
    TABLE_SUFFIX = "violations"

    class Meta:
        table_name = "violations"

    session_id = UnicodeAttribute(hash_key=True)
    violation_id = UnicodeAttribute(range_key=True)  # deterministic per source, so redelivery cannot duplicate
    agency_id = UnicodeAttribute()
    type = UnicodeAttribute()
    severity = UnicodeAttribute()  # low | medium | high
    source = UnicodeAttribute()  # analyzer | browser
    occurred_at = UTCDateTimeAttribute()  # when the episode started
    ended_at = UTCDateTimeAttribute(null=True)  # last observation still showing it
    peak_score = NumberAttribute(null=True)
    frames = NumberAttribute(null=True)
    open = BooleanAttribute(null=True)  # the signal is still present
    recorded_at = UTCDateTimeAttribute()
    evidence_key = UnicodeAttribute(null=True)
    evidence_version = UnicodeAttribute(null=True)  # the object version analysed: the proctor's link pins it
    evidence_sha256 = UnicodeAttribute(null=True)  # of exactly those bytes
    details = MapAttribute(default=dict)
    by_time = ViolationsByTime()


class MediaObjectRecord(Model):
    """One row per analyzed (or rejected) upload: the analyzer's idempotency ledger and audit trail."""

    TABLE_SUFFIX = "media-objects"

    class Meta:
        table_name = "media-objects"

    object_id = UnicodeAttribute(hash_key=True)  # bucket/key#etag
    session_id = UnicodeAttribute(null=True)  # only once the key is known to be the session's (issued to it)
    kind = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute()  # analyzed | rejected
    reason = UnicodeAttribute(null=True)
    faces = NumberAttribute(null=True)
    version_id = UnicodeAttribute(null=True)
    sha256 = UnicodeAttribute(null=True)
    analyzed_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()  # the ledger follows the media's 30-day retention


class SignalStatesRecord(Model):
    """Per-session episode state of every analyzer signal, one item so a frame costs one read and one write."""

    TABLE_SUFFIX = "signal-states"

    class Meta:
        table_name = "signal-states"

    session_id = UnicodeAttribute(hash_key=True)
    signals_json = UnicodeAttribute(default="{}")
    last_frame_key = UnicodeAttribute(null=True)  # the newest analysed webcam frame: the proctor's live tile
    last_frame_version = UnicodeAttribute(null=True)
    last_frame_at = UTCDateTimeAttribute(null=True)
    # What media arrived, for the silence check and the proctor's list (media_stats.py).
    frames_received = NumberAttribute(default=0)  # usable webcam frames
    frames_rejected = NumberAttribute(default=0)
    audio_received = NumberAttribute(default=0)
    audio_rejected = NumberAttribute(default=0)
    screens_received = NumberAttribute(default=0)
    screens_rejected = NumberAttribute(default=0)
    last_audio_at = UTCDateTimeAttribute(null=True)
    last_screen_key = UnicodeAttribute(null=True)
    last_screen_version = UnicodeAttribute(null=True)
    last_screen_at = UTCDateTimeAttribute(null=True)
    frame_rejected_at = UTCDateTimeAttribute(null=True)  # the newest rejected webcam frame
    audio_rejected_at = UTCDateTimeAttribute(null=True)
    last_rejected_at = UTCDateTimeAttribute(null=True)
    last_rejected_kind = UnicodeAttribute(null=True)
    last_rejected_reason = UnicodeAttribute(null=True)
    silence_json = UnicodeAttribute(default="{}")  # open silence episodes: {type: started_at}
    applied = ListAttribute(of=UnicodeAttribute, default=list)  # digests of the newest objects applied
    version = VersionAttribute()
