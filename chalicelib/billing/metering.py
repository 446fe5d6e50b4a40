"""Metering: what one session used, measured when it ends and written once.

The lifecycle calls `Metering.close` for every session that has ended (submitted by the candidate, by the deadline
or by a proctor's termination): the state machine's review step is the one step every ended session passes through,
and its message may arrive more than once (SQS redelivery, a retried batch, an execution restarted by
reconciliation). The record is put on the condition that no record of the session exists, so the first write wins
and every later one — a duplicate, a retry, a racing worker — changes nothing.

Figures and their sources:
- proctored minutes: from the session's start to its end (capped at the deadline: the lifecycle's own delay in
  noticing a deadline is not the candidate's time), less the time a proctor held it paused (`paused_total_s`);
- media objects and bytes by kind: the session's objects in the media bucket (ListObjectsV2 under its prefix: what
  was uploaded and stored, analysed or not);
- analyzer milliseconds: the session's meter (analyzer_time.py), which the analyzer adds to per SQS batch;
- identity checks: the checks queued for the candidate and exam (the enrollment's `attempts`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.billing.models import MeterRecord, UsageRecord
from chalicelib.core.clock import Clock
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import InvalidInput
from chalicelib.exam import rules
from chalicelib.exam.models import SessionRecord
from chalicelib.identity.models import EnrollmentRecord
from chalicelib.media.uploads import parse_media_key

logger = logging.getLogger(__name__)
MEDIA_KINDS = ("webcam", "audio", "screen")
END_SUBMITTED, END_EXPIRED, END_TERMINATED = "submitted", "expired", "terminated"
MINUTE_PLACES = Decimal("0.01")
MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def month_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def parse_month(value: Any) -> str:
    """A `YYYY-MM` month or 400 billing.invalid_month."""
    if not isinstance(value, str) or not MONTH.fullmatch(value):
        raise InvalidInput(
            "billing.invalid_month", "A month is written YYYY-MM, e.g. 2026-11.", details={"month": str(value)[:20]}
        )
    return value


def end_reason(session: SessionRecord) -> str:
    if session.terminated_at is not None:
        return END_TERMINATED
    return END_EXPIRED if session.auto_submitted else END_SUBMITTED


def ended_at(session: SessionRecord) -> datetime:
    return session.submitted_at or session.terminated_at or session.deadline_at


def proctored_minutes(session: SessionRecord) -> Decimal:
    """Start to end, capped at the (pause-moved) deadline, less the paused time; never negative."""
    end = min(ended_at(session), session.deadline_at)
    seconds = (end - session.started_at).total_seconds() - float(session.paused_total_s or 0)
    return (Decimal(max(0.0, seconds)) / 60).quantize(MINUTE_PLACES, rounding=ROUND_HALF_UP)


def media_by_kind(keys_and_sizes: Iterable[tuple[str, int]], session_id: str) -> dict[str, dict[str, int]]:
    """Objects and bytes per kind of the session's own keys (anything else under the prefix is not its media)."""
    counts = {kind: {"objects": 0, "bytes": 0} for kind in MEDIA_KINDS}
    for key, size in keys_and_sizes:
        media_key = parse_media_key(key)
        if media_key is None or media_key.session_id != session_id:
            continue
        counts[media_key.kind]["objects"] += 1
        counts[media_key.kind]["bytes"] += int(size)
    return counts


class Metering:
    def __init__(self, clock: Clock, s3: Any, bucket: str) -> None:
        self._clock = clock
        self._s3 = s3
        self._bucket = bucket

    def _stored_media(self, session_id: str) -> Iterable[tuple[str, int]]:
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=f"sessions/{session_id}/"):
            for item in page.get("Contents", []):
                yield item["Key"], item["Size"]

    @staticmethod
    def _analyzer_ms(session_id: str) -> int:
        try:
            return int(MeterRecord.get(session_id, consistent_read=True).analyzer_ms or 0)
        except DoesNotExist:
            return 0

    @staticmethod
    def _identity_checks(session: SessionRecord) -> int:
        enrollment = EnrollmentRecord.find(session.candidate_id, session.exam_id)
        return int(enrollment.attempts or 0) if enrollment else 0

    def measure(self, session: SessionRecord) -> UsageRecord:
        """The session's usage as it stands now (the session must have ended)."""
        media = media_by_kind(self._stored_media(session.session_id), session.session_id)
        month = month_of(session.started_at)
        return UsageRecord(
            session.session_id,
            agency_id=session.agency_id,
            exam_id=session.exam_id,
            month=month,
            agency_month=f"{session.agency_id}#{month}",
            started_at=session.started_at,
            ended_at=min(ended_at(session), session.deadline_at),
            end_reason=end_reason(session),
            proctored_minutes=float(proctored_minutes(session)),  # 2 decimals: exact through a float
            paused_s=int(session.paused_total_s or 0),
            media_objects=sum(m["objects"] for m in media.values()),
            media_bytes=sum(m["bytes"] for m in media.values()),
            media_by_kind=media,
            analyzer_ms=self._analyzer_ms(session.session_id),
            identity_checks=self._identity_checks(session),
            closed_at=self._clock.now(),
        )

    def close(self, session: SessionRecord) -> bool:
        """Write the ended session's usage record once; False when it was written before (or the session is still
        in progress). Safe to call any number of times, from any number of workers at once."""
        if session.status == rules.IN_PROGRESS:
            return False
        try:  # the usual redelivery costs one read, not a listing of the session's media
            UsageRecord.get(session.session_id, consistent_read=True, attributes_to_get=["session_id"])
            return False
        except DoesNotExist:
            pass
        record = self.measure(session)
        try:
            record.save(condition=UsageRecord.session_id.does_not_exist())
        except PutError as exc:
            if not is_condition_failure(exc):
                raise
            logger.info("usage of session %s was already recorded", session.session_id)
            return False
        return True
