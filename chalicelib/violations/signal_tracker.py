"""Keeps each session's analyzer signals as episodes: loads the state, applies one observation per signal,
records what opened, grew or closed, and saves the state with optimistic locking (frames may race)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.core.clock import iso, parse_iso
from chalicelib.core.db import is_condition_failure
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.violations.catalog import ANALYZER_TYPES
from chalicelib.violations.episodes import EpisodeChange, SignalState, observe
from chalicelib.violations.models import SignalStatesRecord
from chalicelib.violations.recorder import Evidence, Violation, ViolationRecorder, derived_violation_id

_TIME_FIELDS = ("last_at", "streak_started_at", "episode_started_at", "episode_last_at", "last_clear_at")
_FIELDS = tuple(f.name for f in fields(SignalState))
MAX_ATTEMPTS = 8
APPLIED_KEPT = 40  # objects remembered per session: a redelivery within this many is recognised and skipped


@dataclass(frozen=True)
class Observation:
    flagged: bool
    score: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


def _encode(states: dict[str, SignalState]) -> str:
    out = {}
    for signal, state in states.items():
        raw = {name: getattr(state, name) for name in _FIELDS}  # shallow: asdict() deep-copies every datetime
        for name in _TIME_FIELDS:
            raw[name] = iso(raw[name]) if raw[name] else None
        out[signal] = raw
    return json.dumps(out, sort_keys=True)


def _decode(text: str) -> dict[str, SignalState]:
    states = {}
    for signal, raw in json.loads(text or "{}").items():
        for name in _TIME_FIELDS:
            raw[name] = parse_iso(raw[name]) if raw.get(name) else None
        states[signal] = SignalState(**raw)
    return states


def object_digest(evidence: Evidence) -> str:
    """A short name for one object version, to recognise it when it is applied again."""
    text = f"{evidence.key}\x1f{evidence.version_id or ''}\x1f{evidence.sha256 or ''}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def episode_id(session_id: str, signal: str, started_at: datetime) -> str:
    return derived_violation_id("episode", session_id, signal, iso(started_at))


class SignalTracker:
    def __init__(self, recorder: ViolationRecorder) -> None:
        self._recorder = recorder

    def load(self, session_id: str) -> SignalStatesRecord:
        """The session's signal-state item (a new, unsaved one before the first observation)."""
        try:
            return SignalStatesRecord.get(session_id)
        except DoesNotExist:
            return SignalStatesRecord(session_id)

    @staticmethod
    def states(record: SignalStatesRecord) -> dict[str, SignalState]:
        return _decode(record.signals_json)

    def apply(
        self,
        session: Any,
        at: datetime,
        observations: dict[str, Observation],
        policy: AnalysisPolicy,
        evidence: Evidence | None,
        record: SignalStatesRecord | None = None,
        kind: str | None = None,
    ) -> list[tuple[str, EpisodeChange]]:
        """Feed one object's observations in; returns the episode changes it caused (already recorded).

        `record` is the item as the caller already read it; after a lost race the item is read again. The same
        write counts the object as received (`kind`: webcam or audio) and makes a webcam frame the session's
        latest unless a newer one is already there. An object applied before (a redelivery) changes nothing.
        """
        max_gap = timedelta(seconds=policy.max_gap_s)
        digest = object_digest(evidence) if evidence else None
        for _ in range(MAX_ATTEMPTS):
            record = record or self.load(session.session_id)
            if digest and digest in (record.applied or []):
                return []
            states = _decode(record.signals_json)
            changes: list[tuple[str, EpisodeChange]] = []
            for signal, seen in observations.items():
                states[signal], new = observe(
                    states.get(signal, SignalState()),
                    at,
                    seen.flagged,
                    seen.score,
                    persistence=policy.persistence[signal],
                    max_gap=max_gap,
                )
                changes.extend((signal, change) for change in new)
            # Record first: episode ids are derived, so a retry after a lost race records nothing twice.
            for signal, change in changes:
                self._record(session, signal, change, observations[signal], evidence)
            record.signals_json = _encode(states)
            if digest:
                record.applied = [*(record.applied or [])[-(APPLIED_KEPT - 1) :], digest]
            count_received(record, kind, at, evidence)
            try:
                record.save()
                return changes
            except PutError as exc:
                if not is_condition_failure(exc):
                    raise
                record = None
        raise RuntimeError(f"signal state of {session.session_id} kept changing under us")

    def _record(
        self, session: Any, signal: str, change: EpisodeChange, seen: Observation, evidence: Evidence | None
    ) -> None:
        violation_id = episode_id(session.session_id, signal, change.started_at)
        if change.kind == "opened":
            self._recorder.record(
                session.agency_id,
                Violation(
                    session_id=session.session_id,
                    violation_id=violation_id,
                    type=signal,
                    severity=ANALYZER_TYPES[signal],
                    source="analyzer",
                    occurred_at=change.started_at,
                    evidence=evidence,
                    details=seen.details,
                    ended_at=change.ended_at,
                    peak_score=round(change.peak, 4),
                    frames=change.frames,
                    open=True,
                ),
            )
        else:
            peak_frame = change.kind == "extended" and seen.score >= change.peak
            self._recorder.extend(
                session.session_id,
                violation_id,
                ended_at=change.ended_at,
                peak_score=round(change.peak, 4),
                frames=change.frames,
                still_open=change.kind == "extended",
                evidence=evidence if peak_frame else None,
            )


def count_received(record: SignalStatesRecord, kind: str | None, at: datetime, evidence: Evidence | None) -> None:
    """A usable webcam frame or audio chunk arrived: count it and remember the newest one's time (and frame)."""
    if kind == "webcam":
        record.frames_received = int(record.frames_received or 0) + 1
        if evidence and (record.last_frame_at is None or record.last_frame_at <= at):
            record.last_frame_key, record.last_frame_version = evidence.key, evidence.version_id
            record.last_frame_at = at  # same write: the live tile is free
    elif kind == "audio":
        record.audio_received = int(record.audio_received or 0) + 1
        if record.last_audio_at is None or record.last_audio_at < at:
            record.last_audio_at = at
