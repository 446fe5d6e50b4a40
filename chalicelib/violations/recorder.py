"""Records a violation and bumps its session's counters in one transaction, at most once per violation id.

A violation with evidence keeps its object: before the violation is written (recorded, or an episode's evidence
replaced), the evidence's version is retagged `retention=evidence` through the `keep_as_evidence` port (the
composition root binds chalicelib/media/retention.py's keep_as_evidence to the media bucket), so the transient tier's
lifecycle rule no longer expires it. A retag that fails raises before anything is written: the analyzer's SQS
message is delivered again and the retag is retried; a violation never exists while its evidence is still transient.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.core import observability
from chalicelib.core.clock import Clock, iso
from chalicelib.core.db import is_condition_failure
from chalicelib.exam.models import SessionRecord
from chalicelib.violations.catalog import SEVERITY_WEIGHT
from chalicelib.violations.models import ViolationRecord

# The details that say which frame of the evidence object a violation shows (a two-frame webcam object: `part` 0 or 1
# of `frames` 2); an episode whose evidence moves to another object takes them from that object's frame.
EVIDENCE_DETAIL_KEYS = ("part", "frames")


@dataclass(frozen=True)
class Evidence:
    """One object version exactly as analysed: the proctor's link serves these bytes, whatever came later."""

    key: str
    version_id: str | None = None  # None where the endpoint keeps no versions
    sha256: str | None = None
    bucket: str | None = None  # None: the media bucket (the only one the analyzer is notified of on AWS)


@dataclass(frozen=True)
class Violation:
    session_id: str
    violation_id: str
    type: str
    severity: str
    source: str
    occurred_at: datetime
    evidence: Evidence | None = None
    details: dict[str, Any] = field(default_factory=dict)
    ended_at: datetime | None = None  # episodes: last observation showing the signal
    peak_score: float | None = None
    frames: int | None = None
    open: bool | None = None


def derived_violation_id(*parts: str) -> str:
    """A stable id from what caused the violation (e.g. the S3 object and the type): redelivery maps to the same id."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def violation_view(record: ViolationRecord) -> dict[str, Any]:
    return {
        "violation_id": record.violation_id,
        "type": record.type,
        "severity": record.severity,
        "source": record.source,
        "occurred_at": iso(record.occurred_at),
        "evidence_key": record.evidence_key,
        "evidence_version": record.evidence_version,
        "evidence_sha256": record.evidence_sha256,
        "details": record.details.as_dict() if record.details else {},
        "ended_at": iso(record.ended_at) if record.ended_at else None,
        "peak_score": float(record.peak_score) if record.peak_score is not None else None,
        "frames": int(record.frames) if record.frames is not None else None,
        "open": record.open,
    }


# Tag exactly the evidence's version retention=evidence: True when tagged, False when no object exists under its
# key any more (nothing left to keep), raises on any other failure.
KeepAsEvidence = Callable[[Evidence], bool]


class ViolationRecorder:
    def __init__(self, clock: Clock, connection: Connection, keep_as_evidence: KeepAsEvidence | None = None) -> None:
        self._clock = clock
        self._connection = connection
        self.keep_as_evidence = keep_as_evidence  # None: no retention tiers (nothing is tagged transient)

    def _keep(self, violation_id: str, evidence: Evidence | None) -> None:
        """Retag the evidence's version before the violation that uses it is written; raises when that fails."""
        if evidence is None or self.keep_as_evidence is None:
            return
        kept = self.keep_as_evidence(evidence)
        about = {"violation_id": violation_id, "evidence_key": evidence.key, "evidence_version": evidence.version_id}
        if kept:
            observability.logger(observability.ANALYZER).info("evidence kept", extra=about)
            observability.metrics(observability.ANALYZER).add("EvidenceRetags", 1)
        else:
            observability.logger(observability.ANALYZER).warning("evidence object is gone", extra=about)
            observability.metrics(observability.ANALYZER).add("EvidenceMissing", 1)

    def record(self, agency_id: str, violation: Violation) -> bool:
        """Store the violation; False (and nothing changed) when the same violation id was stored before.

        Its evidence is retagged first (again on a redelivery: idempotent); a failed retag raises and nothing is
        stored."""
        self._keep(violation.violation_id, violation.evidence)
        record = ViolationRecord(
            session_id=violation.session_id,
            violation_id=violation.violation_id,
            agency_id=agency_id,
            type=violation.type,
            severity=violation.severity,
            source=violation.source,
            occurred_at=violation.occurred_at,
            recorded_at=self._clock.now(),
            evidence_key=violation.evidence.key if violation.evidence else None,
            evidence_version=violation.evidence.version_id if violation.evidence else None,
            evidence_sha256=violation.evidence.sha256 if violation.evidence else None,
            details=violation.details,
            ended_at=violation.ended_at,
            peak_score=violation.peak_score,
            frames=violation.frames,
            open=violation.open,
        )
        count = SessionRecord.violation_counts[violation.type]
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(record, condition=ViolationRecord.violation_id.does_not_exist())
                transaction.update(
                    SessionRecord(violation.session_id),
                    actions=[
                        count.set((count | 0) + 1),
                        SessionRecord.risk_score.add(SEVERITY_WEIGHT[violation.severity]),
                    ],
                    condition=SessionRecord.session_id.exists(),
                )
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                return False
            raise
        return True

    def extend(
        self,
        session_id: str,
        violation_id: str,
        *,
        ended_at: datetime,
        peak_score: float,
        frames: int,
        still_open: bool,
        evidence: Evidence | None,
        evidence_details: dict[str, Any] | None = None,
    ) -> None:
        """Move an episode's end forward (never backward) or add a late frame to it; a stale or repeated update
        changes nothing. New evidence (the episode's peak frame) is retagged before the update; a failed retag
        raises and the episode is not changed. The evidence it replaces keeps its tag: another violation may use the
        same object, and it stays within the agency's retention either way."""
        self._keep(violation_id, evidence)
        actions = [
            ViolationRecord.ended_at.set(ended_at),
            ViolationRecord.peak_score.set(peak_score),
            ViolationRecord.frames.set(frames),
            ViolationRecord.open.set(still_open),
        ]
        if evidence:
            actions.append(ViolationRecord.evidence_key.set(evidence.key))
            actions.append(
                ViolationRecord.evidence_version.set(evidence.version_id)
                if evidence.version_id
                else ViolationRecord.evidence_version.remove()
            )
            actions.append(
                ViolationRecord.evidence_sha256.set(evidence.sha256)
                if evidence.sha256
                else ViolationRecord.evidence_sha256.remove()
            )
            # Which frame of the new evidence the episode shows (`part` of a two-frame object): set from the frame's
            # details, or cleared when the new evidence is a single frame, so the console never shows a stale half.
            for name in EVIDENCE_DETAIL_KEYS:
                value = (evidence_details or {}).get(name)
                actions.append(
                    ViolationRecord.details[name].set(value)
                    if value is not None
                    else ViolationRecord.details[name].remove()
                )
        try:
            ViolationRecord(session_id, violation_id).update(
                actions=actions,
                condition=ViolationRecord.violation_id.exists()
                & (
                    (ViolationRecord.ended_at < ended_at)
                    | ((ViolationRecord.ended_at == ended_at) & ~(ViolationRecord.open == still_open))
                    # a late frame adds to the episode without moving its end
                    | ((ViolationRecord.ended_at == ended_at) & (ViolationRecord.frames < frames))
                ),
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
