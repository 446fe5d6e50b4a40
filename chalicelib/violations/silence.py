"""Silence is a violation too: a session whose camera (or microphone) delivers no usable media for a policy window
gets `camera_missing` / `audio_missing`, or `media_rejected` when uploads did arrive but every one was refused.

Checked from the session's heartbeat (ExamSessions' on_heartbeat hook): the heartbeat proves the page is alive, so
no media while it beats is the candidate's camera or uploads failing, not a closed tab. The window is three
uploads' worth of the exam's cadence, at least the policy's max_gap_s (default 30 s). The browser uploads audio only
when it hears speech-like sound, and one chunk every audio_keepalive_s anyway (web/src/shared/media/voice_gate.ts):
so a quiet candidate is not `audio_missing`, the audio window is at least the keep-alive plus two chunks (one being
recorded, one on its way and being analysed): 80 s with the defaults. Each check reads the
session's media counters (one eventually consistent GetItem, at most every few seconds per session per process);
it writes only when an episode opens, grows or closes. The episode starts at the last usable media (or the
session's start), so its id is derived and two API instances checking at once record it once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.core.clock import iso
from chalicelib.exam import rules
from chalicelib.exam.models import SessionRecord
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.violations.catalog import SERVER_TYPES
from chalicelib.violations.media_stats import MEDIA_FIELDS, S, bumped
from chalicelib.violations.models import SignalStatesRecord
from chalicelib.violations.recorder import Violation, ViolationRecorder, derived_violation_id

MIN_CHECK_INTERVAL_S = 2.0
MAX_CHECK_INTERVAL_S = 10.0
SILENCE_FIELDS = [*MEDIA_FIELDS, "version"]


@dataclass(frozen=True)
class Channel:
    name: str  # camera | audio
    kind: str  # the upload kind that feeds it
    missing: str  # the violation type when nothing usable arrived


CHANNELS = (Channel("camera", "webcam", "camera_missing"), Channel("audio", "audio", "audio_missing"))


KEEPALIVE_SLACK_CHUNKS = 2  # one chunk being recorded, one being uploaded and analysed


def window(policy: AnalysisPolicy, channel: Channel) -> timedelta:
    if channel.kind == "webcam":
        return timedelta(seconds=max(3 * policy.webcam_every_s, policy.max_gap_s))
    keepalive = policy.audio_keepalive_s + KEEPALIVE_SLACK_CHUNKS * policy.audio_chunk_s
    return timedelta(seconds=max(3 * policy.audio_chunk_s, policy.max_gap_s, keepalive))


class SilenceCheck:
    def __init__(self, recorder: ViolationRecorder) -> None:
        self._recorder = recorder
        self._next_check: dict[str, datetime] = {}  # per process: heartbeats come every few seconds

    def __call__(self, session: SessionRecord, now: datetime) -> None:
        if session.status != rules.IN_PROGRESS or session.paused_at is not None:
            return
        due = self._next_check.get(session.session_id)
        if due is not None and now < due:
            return
        policy = AnalysisPolicy.from_dict(session.analysis.as_dict() or None)
        shortest = min(window(policy, channel) for channel in CHANNELS).total_seconds()
        interval = min(max(shortest / 3, MIN_CHECK_INTERVAL_S), MAX_CHECK_INTERVAL_S)
        self._next_check[session.session_id] = now + timedelta(seconds=interval)
        if len(self._next_check) > 50_000:  # a long-lived process forgets finished sessions
            self._next_check.clear()
        self.check(session, now, policy)

    def check(self, session: SessionRecord, now: datetime, policy: AnalysisPolicy) -> dict[str, Any]:
        """Open, extend or close the session's silence episodes; returns the open ones {channel: {type, started_at}}."""
        try:
            record = SignalStatesRecord.get(session.session_id, attributes_to_get=SILENCE_FIELDS)
        except DoesNotExist:
            record = None
        opened: dict[str, Any] = json.loads(record.silence_json or "{}") if record else {}
        state = dict(opened)
        for channel in CHANNELS:
            last_ok = _last_usable(record, channel) or session.started_at
            last_ok = max(last_ok, session.started_at)
            silent = now - last_ok > window(policy, channel)
            current = state.get(channel.name)
            if silent and current is None:
                rejected_at = getattr(record, f"{'frame' if channel.kind == 'webcam' else 'audio'}_rejected_at", None)
                kind = "media_rejected" if rejected_at and rejected_at > last_ok else channel.missing
                violation_id = derived_violation_id("silence", session.session_id, channel.name, kind, iso(last_ok))
                self._recorder.record(
                    session.agency_id,
                    Violation(
                        session_id=session.session_id,
                        violation_id=violation_id,
                        type=kind,
                        severity=SERVER_TYPES[kind],
                        source="server",
                        occurred_at=last_ok,
                        ended_at=now,
                        open=True,
                        details=_details(record, channel, window(policy, channel)),
                    ),
                )
                state[channel.name] = {"type": kind, "started_at": iso(last_ok), "violation_id": violation_id}
            elif current is not None:
                self._recorder.extend(
                    session.session_id,
                    current["violation_id"],
                    ended_at=now,
                    peak_score=0,
                    frames=0,
                    still_open=silent,
                    evidence=None,
                )
                if not silent:
                    del state[channel.name]
        if state != opened:
            bumped(session.session_id).update(
                actions=[S.silence_json.set(json.dumps(state, sort_keys=True))], add_version_condition=False
            )
        return state


def _last_usable(record: SignalStatesRecord | None, channel: Channel) -> datetime | None:
    if record is None:
        return None
    return record.last_frame_at if channel.kind == "webcam" else record.last_audio_at


def _details(record: SignalStatesRecord | None, channel: Channel, span: timedelta) -> dict[str, Any]:
    prefix = "frames" if channel.kind == "webcam" else "audio"
    return {
        "kind": channel.kind,
        "window_s": int(span.total_seconds()),
        "received": int(getattr(record, f"{prefix}_received") or 0) if record else 0,
        "rejected": int(getattr(record, f"{prefix}_rejected") or 0) if record else 0,
        "last_rejected_reason": (record.last_rejected_reason if record else None) or "",
    }


def open_silences(record: SignalStatesRecord | None) -> list[str]:
    """The silence violation types open on a session (for the proctor's list)."""
    if record is None:
        return []
    return sorted({entry["type"] for entry in json.loads(record.silence_json or "{}").values()})
