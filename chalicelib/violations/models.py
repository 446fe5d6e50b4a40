"""Violations per session (ordered by time through a local index) and the ledger of analyzed media objects."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
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

from chalicelib.violations.packing import (
    EpochMsAttribute,
    PackedKeyAttribute,
    PackedSilenceAttribute,
    epoch_ms,
    pack_key,
    pack_silence,
)


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


# Attribute names the old code wrote (long names, ISO times, plain keys and JSON), per group of attributes written
# together: an item keeps them until its next full save by the tracker; reads merge them in (`_upgraded`).
_LEGACY_COUNTS = {
    "frames_received": "fr",
    "frames_rejected": "fx",
    "audio_received": "ar",
    "audio_rejected": "ax",
    "screens_received": "sr",
    "screens_rejected": "sx",
}
_LEGACY_TIMES = {"last_audio_at": "aa", "frame_rejected_at": "fxa", "audio_rejected_at": "axa"}
_LEGACY_GROUPS = (  # (old name, new name, encoding); the first member of each group is always set with the rest
    (("last_frame_at", "fa", "time"), ("last_frame_key", "fk", "key"), ("last_frame_version", "fv", "text")),
    (("last_screen_at", "sa", "time"), ("last_screen_key", "sk", "key"), ("last_screen_version", "sv", "text")),
    (("last_rejected_at", "xa", "time"), ("last_rejected_kind", "xk", "text"), ("last_rejected_reason", "xr", "text")),
    (("silence_json", "si", "silence"),),
)
LEGACY_NAMES = [*_LEGACY_COUNTS, *_LEGACY_TIMES, *(old for group in _LEGACY_GROUPS for old, _, _ in group)]


def _legacy_ms(value: dict[str, Any]) -> int:
    return epoch_ms(UTCDateTimeAttribute().deserialize(value["S"]))


def _legacy_value(value: dict[str, Any], encoding: str) -> dict[str, Any]:
    if encoding == "time":
        return {"N": str(_legacy_ms(value))}
    if encoding == "key":
        return {"B": pack_key(value["S"])}
    if encoding == "silence":
        return {"B": pack_silence(value["S"])}
    return value


def _upgraded(raw: dict[str, Any]) -> dict[str, Any]:
    """An item as the old code wrote it (or half-updated since: counters added under the new names) in the new
    attribute names: counters summed, single times the newest, a group from its new attributes when they exist."""
    if not any(name in raw for name in LEGACY_NAMES):
        return raw
    item = dict(raw)
    for old, new in _LEGACY_COUNTS.items():
        if old in item:
            item[new] = {"N": str(int(item.pop(old)["N"]) + int(item.get(new, {"N": "0"})["N"]))}
    for old, new in _LEGACY_TIMES.items():
        if old in item:
            ms = _legacy_ms(item.pop(old))
            item[new] = {"N": str(max(ms, int(item[new]["N"])) if new in item else ms)}
    for group in _LEGACY_GROUPS:
        olds = {old: item.pop(old) for old, _, _ in group if old in item}
        if olds and group[0][1] not in item:
            for old, new, encoding in group:
                if old in olds:
                    item[new] = _legacy_value(olds[old], encoding)
    return item


class SignalStatesRecord(Model):
    """Per-session episode state of every analyzer signal, one item so a frame costs one read and one write.

    Kept under 1 KB (one write unit) in the worst case: short attribute names, times as epoch milliseconds, the
    episode states, keys, applied digests and open silences packed (violations/packing.py). Items the old code
    wrote (long names, JSON) are read through `_upgraded` and rewritten in this layout by the tracker's next save.
    Attribute names for projections are the stored ones (media_stats.MEDIA_FIELDS lists new and old).
    """

    TABLE_SUFFIX = "signal-states"

    class Meta:
        table_name = "signal-states"

    session_id = UnicodeAttribute(hash_key=True)
    packed_states = BinaryAttribute(legacy_encoding=False, attr_name="st", null=True)  # packing.pack_states
    signals_json = UnicodeAttribute(null=True)  # the old code's states: read until the item's next save
    last_frame_key = PackedKeyAttribute(attr_name="fk", null=True)  # the newest analysed webcam frame: live tile
    last_frame_version = UnicodeAttribute(attr_name="fv", null=True)
    last_frame_at = EpochMsAttribute(attr_name="fa", null=True)
    # What media arrived, for the silence check and the proctor's list (media_stats.py).
    frames_received = NumberAttribute(attr_name="fr", default=0)  # usable webcam frames
    frames_rejected = NumberAttribute(attr_name="fx", default=0)
    audio_received = NumberAttribute(attr_name="ar", default=0)
    audio_rejected = NumberAttribute(attr_name="ax", default=0)
    screens_received = NumberAttribute(attr_name="sr", default=0)
    screens_rejected = NumberAttribute(attr_name="sx", default=0)
    last_audio_at = EpochMsAttribute(attr_name="aa", null=True)
    last_screen_key = PackedKeyAttribute(attr_name="sk", null=True)
    last_screen_version = UnicodeAttribute(attr_name="sv", null=True)
    last_screen_at = EpochMsAttribute(attr_name="sa", null=True)
    frame_rejected_at = EpochMsAttribute(attr_name="fxa", null=True)  # the newest rejected webcam frame
    audio_rejected_at = EpochMsAttribute(attr_name="axa", null=True)
    last_rejected_at = EpochMsAttribute(attr_name="xa", null=True)
    last_rejected_kind = UnicodeAttribute(attr_name="xk", null=True)
    last_rejected_reason = UnicodeAttribute(attr_name="xr", null=True)
    silence_json = PackedSilenceAttribute(attr_name="si", default="{}")  # open silence episodes: {type: started_at}
    applied_digests = BinaryAttribute(legacy_encoding=False, attr_name="ap", null=True)  # newest objects applied
    applied = ListAttribute(of=UnicodeAttribute, null=True)  # the old code's digests (hex): read until next save
    version = VersionAttribute()

    @classmethod
    def _instantiate(cls, attribute_values: dict[str, Any]) -> SignalStatesRecord:
        return super()._instantiate(_upgraded(attribute_values))

    def deserialize(self, attribute_values: dict[str, Any]) -> None:
        return super().deserialize(_upgraded(attribute_values))
