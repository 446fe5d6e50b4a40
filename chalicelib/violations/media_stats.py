"""What media each session delivered: counts of usable and rejected uploads and the newest times, on the session's
signal-state item (the analyzer already reads and writes it per frame), for the silence check and the proctor.

Updates outside the tracker's own write bump the item's version, so a tracker write racing them retries on fresh
state instead of putting back stale counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.core.clock import iso
from chalicelib.core.db import is_condition_failure
from chalicelib.violations.models import LEGACY_NAMES, SignalStatesRecord
from chalicelib.violations.recorder import Evidence

S = SignalStatesRecord
REJECTED = {"webcam": S.frames_rejected, "audio": S.audio_rejected, "screen": S.screens_rejected}
REJECTED_AT = {"webcam": S.frame_rejected_at, "audio": S.audio_rejected_at}
MEDIA_ATTRIBUTES = [
    S.frames_received,
    S.frames_rejected,
    S.audio_received,
    S.audio_rejected,
    S.screens_received,
    S.screens_rejected,
    S.last_frame_at,
    S.last_audio_at,
    S.last_screen_at,
    S.frame_rejected_at,
    S.audio_rejected_at,
    S.last_rejected_at,
    S.last_rejected_kind,
    S.last_rejected_reason,
    S.silence_json,
    # the newest frame and screen snapshot: the proctor's list projects these fields too (proctor/monitoring.py)
    S.last_frame_key,
    S.last_frame_version,
    S.last_screen_key,
    S.last_screen_version,
]
# Stored attribute names for a projection (attributes_to_get takes them as they are): the short names and the
# old code's long ones, so an item it wrote still reads in full (models.SignalStatesRecord merges them).
MEDIA_FIELDS = list(dict.fromkeys(["session_id", *(a.attr_name for a in MEDIA_ATTRIBUTES), *LEGACY_NAMES]))


def bumped(session_id: str) -> SignalStatesRecord:
    """An item handle whose update adds 1 to the version (no version condition): racing tracker writes retry."""
    record = SignalStatesRecord(session_id)
    record.version = 0
    return record


def note_rejected(session_id: str, kind: str, reason: str, at: datetime) -> None:
    """One upload of the session was rejected (empty, too large, not a JPEG, undecodable, …)."""
    actions = [
        REJECTED[kind].add(1),
        S.last_rejected_at.set(at),
        S.last_rejected_kind.set(kind),
        S.last_rejected_reason.set(reason),
    ]
    if kind in REJECTED_AT:
        actions.append(REJECTED_AT[kind].set(at))
    bumped(session_id).update(actions=actions, add_version_condition=False)


def note_screen(session_id: str, evidence: Evidence, at: datetime) -> None:
    """A readable screen snapshot: counted, and the session's latest unless a newer one is already there."""
    try:
        bumped(session_id).update(
            actions=[
                S.screens_received.add(1),
                S.last_screen_key.set(evidence.key),
                (
                    S.last_screen_version.set(evidence.version_id)
                    if evidence.version_id
                    else S.last_screen_version.remove()
                ),
                S.last_screen_at.set(at),
            ],
            condition=S.last_screen_at.does_not_exist() | (S.last_screen_at <= at),
            add_version_condition=False,
        )
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
        bumped(session_id).update(actions=[S.screens_received.add(1)], add_version_condition=False)


def media_view(record: SignalStatesRecord | None) -> dict[str, Any]:
    """The proctor's summary of a session's media (zeros and nulls before anything arrived)."""

    def count(name: str) -> int:
        return int(getattr(record, name) or 0) if record else 0

    def when(name: str) -> str | None:
        value = getattr(record, name) if record else None
        return iso(value) if value else None

    return {
        "frames_received": count("frames_received"),
        "frames_rejected": count("frames_rejected"),
        "audio_received": count("audio_received"),
        "audio_rejected": count("audio_rejected"),
        "screens_received": count("screens_received"),
        "screens_rejected": count("screens_rejected"),
        "last_frame_at": when("last_frame_at"),
        "last_audio_at": when("last_audio_at"),
        "last_screen_at": when("last_screen_at"),
        "last_rejected_at": when("last_rejected_at"),
        "last_rejected_reason": record.last_rejected_reason if record else None,
    }
