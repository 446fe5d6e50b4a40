"""Keeps each session's analyzer signals as episodes: loads the state, applies one object's observations per signal
(one Step, or several: the frames of a two-frame webcam object), records what opened, grew or closed, and saves the
state in one write with optimistic locking (frames may race). The item's layout (packed states and digests, under
1 KB) is in models.py and packing.py (which also reads the JSON the old code stored)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.core.clock import iso
from chalicelib.core.db import is_condition_failure
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.violations.catalog import ANALYZER_TYPES
from chalicelib.violations.episodes import EpisodeChange, SignalState, observe
from chalicelib.violations.models import SignalStatesRecord
from chalicelib.violations.packing import pack_states, states_from_json, unpack_states
from chalicelib.violations.recorder import Evidence, Violation, ViolationRecorder, derived_violation_id

MAX_ATTEMPTS = 8
APPLIED_KEPT = 40  # objects remembered per session: a redelivery within this many is recognised and skipped
DIGEST_BYTES = 8  # per object: a false match among 40 has odds 40 / 2**64


@dataclass(frozen=True)
class Observation:
    flagged: bool
    score: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One moment of an object (a webcam object may carry two frames): its time, its observations per signal and
    what to add to the details of a violation it opens (e.g. {"part": 1}: which frame of the object)."""

    at: datetime
    observations: dict[str, Observation]
    details_extra: dict[str, Any] | None = None


def object_digest(evidence: Evidence) -> bytes:
    """A short name for one object version, to recognise it when it is applied again (the first DIGEST_BYTES of
    a sha256: the old code kept the same bytes as 16 hex digits)."""
    text = f"{evidence.key}\x1f{evidence.version_id or ''}\x1f{evidence.sha256 or ''}"
    return hashlib.sha256(text.encode("utf-8")).digest()[:DIGEST_BYTES]


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
        if record.packed_states:
            return unpack_states(record.packed_states)
        return states_from_json(record.signals_json or "{}")  # an item the old code wrote

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
        return self.apply_steps(session, [Step(at, observations)], policy, evidence, record=record, kind=kind)

    def apply_steps(
        self,
        session: Any,
        steps: Sequence[Step],
        policy: AnalysisPolicy,
        evidence: Evidence | None,
        record: SignalStatesRecord | None = None,
        kind: str | None = None,
    ) -> list[tuple[str, EpisodeChange]]:
        """Feed one object's steps in (e.g. the two frames of a webcam object), in order, and save the states once.

        Like `apply` for each step, but with one conditional write for them all: the object's digest is remembered
        once (a redelivery of the object changes nothing), each webcam step counts one frame received, and the
        newest step is the session's last frame time. Changes of one episode within the call are recorded as one
        violation write (opened, then grown); an episode opened by a step carries that step's `details_extra` in
        its details. Returns every change, in order.
        """
        max_gap = timedelta(seconds=policy.max_gap_s)
        digest = object_digest(evidence) if evidence else None
        for _ in range(MAX_ATTEMPTS):
            record = record or self.load(session.session_id)
            if digest and has_applied(record, digest):
                return []
            states = self.states(record)
            changes: list[tuple[str, EpisodeChange, Step, bool]] = []
            for step in steps:
                for signal, seen in step.observations.items():
                    before = states.get(signal, SignalState())
                    states[signal], new = observe(
                        before,
                        step.at,
                        seen.flagged,
                        seen.score,
                        persistence=policy.persistence[signal],
                        max_gap=max_gap,
                    )
                    # A frame becomes an episode's evidence only when it raises the peak: a constant score (no_face
                    # is 1.0 on every frame) keeps the first peak frame instead of retagging every frame as evidence.
                    rose = seen.score > before.episode_peak
                    changes.extend((signal, change, step, rose) for change in new)
            # Record first: episode ids are derived, so a retry after a lost race records nothing twice.
            for signal, change, step, peak_step in _merged(changes):
                self._record(session, signal, change, step, evidence, peak_step)
            store_states(record, states)
            if digest:
                remember_applied(record, digest)
            for step in steps:
                count_received(record, kind, step.at, evidence)
            try:
                record.save()
                return [(signal, change) for signal, change, _, _ in changes]
            except PutError as exc:
                if not is_condition_failure(exc):
                    raise
                record = None
        raise RuntimeError(f"signal state of {session.session_id} kept changing under us")

    def _record(
        self,
        session: Any,
        signal: str,
        change: _Recorded,
        step: Step,
        evidence: Evidence | None,
        peak_step: Step | None,
    ) -> None:
        violation_id = episode_id(session.session_id, signal, change.started_at)
        if change.kind == "opened":
            seen = step.observations[signal]
            details = {**seen.details, **step.details_extra} if step.details_extra else seen.details
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
                    details=details,
                    ended_at=change.ended_at,
                    peak_score=round(change.peak, 4),
                    frames=change.frames,
                    open=change.open,
                ),
            )
        else:
            self._recorder.extend(
                session.session_id,
                violation_id,
                ended_at=change.ended_at,
                peak_score=round(change.peak, 4),
                frames=change.frames,
                still_open=change.open,
                evidence=evidence if peak_step else None,
                # which frame of the object is the new evidence (part/frames of a two-frame object; none: single)
                evidence_details=(peak_step.details_extra or {}) if peak_step else None,
            )


@dataclass(frozen=True)
class _Recorded:
    kind: str  # opened (write the violation) | extended (move its end, peak, frames)
    started_at: datetime
    ended_at: datetime
    peak: float
    frames: int
    open: bool


def _merged(
    changes: list[tuple[str, EpisodeChange, Step, bool]],
) -> list[tuple[str, _Recorded, Step, Step | None]]:
    """One write per episode touched: its newest end, peak and frames; `opened` when a step opened it (with that
    step, for its details); the peak step is the step of this object that became the episode's peak frame (its
    details_extra say which frame of the object the new evidence is)."""
    out: dict[tuple[str, datetime], tuple[str, _Recorded, Step, Step | None]] = {}
    for signal, change, step, rose in changes:
        key = (signal, change.started_at)
        earlier = out.get(key)
        opened = change.kind == "opened" or (earlier is not None and earlier[1].kind == "opened")
        peak = step if change.kind == "extended" and rose else (earlier[3] if earlier is not None else None)
        merged = _Recorded(
            "opened" if opened else "extended",
            change.started_at,
            change.ended_at,
            change.peak,
            change.frames,
            change.kind != "closed",
        )
        opener = earlier[2] if earlier is not None and earlier[1].kind == "opened" else step  # its details count
        out[key] = (signal, merged, opener, peak)
    return list(out.values())


def applied_digests(record: SignalStatesRecord) -> list[bytes]:
    """The digests of the newest objects applied, oldest first (the old code's hex list read too)."""
    packed = record.applied_digests or b""
    digests = [packed[i : i + DIGEST_BYTES] for i in range(0, len(packed), DIGEST_BYTES)]
    legacy = [bytes.fromhex(hex_digest)[:DIGEST_BYTES] for hex_digest in record.applied or []]
    return [*legacy, *digests]


def has_applied(record: SignalStatesRecord, digest: bytes) -> bool:
    return digest in applied_digests(record)


def remember_applied(record: SignalStatesRecord, digest: bytes) -> None:
    record.applied_digests = b"".join([*applied_digests(record)[-(APPLIED_KEPT - 1) :], digest])
    record.applied = None


def store_states(record: SignalStatesRecord, states: dict[str, SignalState]) -> None:
    record.packed_states = pack_states(states)
    record.signals_json = None


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
