"""Per-agency media retention: a daily purge deletes each session's media once its agency's `retention_days` have
passed since the session started (plus a day, so the last frames of a long session are never early).

Why a purge and not only the bucket's lifecycle rule: a lifecycle rule matches key prefixes and tags, and session
keys (`sessions/<session_id>/...`) do not name the agency, so a rule cannot tell one agency's 30 days from
another's 365. The purge knows the agency from the session record. It reads, per agency, the sessions started
between its watermark (`media_purged_through` on the agency record) and the cutoff — a query per status and shard on
the `by_agency_status` index, whose range key is `started_at` — deletes every version of their objects and moves
the watermark, so each day's run reads only that day's sessions. Shortening the retention is honoured on the next
run; lengthening it keeps what has not been purged yet (what was purged is gone).

On AWS the bucket's lifecycle rule stays as the backstop: deploy with `MediaRetentionDays` at least the longest
retention any agency may choose (365), so the rule never deletes what an agency keeps longer; the purge runs daily
(`purge_media` schedule in app.py). Locally (the endpoint runs no lifecycle rules) the purge is the only expiry;
`make run` runs it at start-up. Agencies without a record (written by a script) are left to the lifecycle rule.

Retention tiers (chalicelib/media/retention.py) and the agency's retention, as an agency expects them:
- Evidence (objects tagged retention=evidence: what a violation shows, for review and appeal) follows the agency's
  retention: this purge deletes it with the rest of the session's media once `retention_days` have passed, and not
  before (the MediaRetentionDays backstop must be at least the longest retention any agency may choose; with tiers
  that keeps only evidence and untagged objects that long, so raising it costs little).
- Transient media (tagged retention=transient: frames, chunks and screens that raised nothing) expire after
  TransientMediaRetentionDays (7) by the bucket's lifecycle rule, whatever the agency chose: never longer than the
  agency's retention, because an agency chooses 30–365 days and the template caps the parameter at 30
  (MEDIA_RETENTION_DAYS); and were it longer, this purge would still end them at the agency's retention, since it
  deletes every version under the session's prefix whatever its tag.
- Biometric erasure and a candidate's deletion delete every version of their objects, tags notwithstanding.
Locally the endpoint applies no lifecycle rule, so transient media stay until this purge (the agency's retention).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.agencies import objects
from chalicelib.agencies.models import DEFAULT_RETENTION_DAYS, AgencyRecord
from chalicelib.core import observability
from chalicelib.core.clock import Clock
from chalicelib.exam import session_index
from chalicelib.exam.models import SessionRecord

MARGIN = timedelta(days=1)  # a session's media are uploaded after its start, for at most its duration
EPOCH = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


def cutoff(now: datetime, retention_days: int) -> datetime:
    """Sessions started before this have outlived their agency's retention."""
    return now - timedelta(days=retention_days) - MARGIN


class MediaPurge:
    def __init__(self, s3: Any, bucket: str, clock: Clock) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._clock = clock

    def run(self) -> dict[str, Any]:
        """Purge every agency with a record; the counts per agency."""
        now = self._clock.now()
        return {record.agency_id: self.purge_agency(record, now) for record in AgencyRecord.scan()}

    def purge_agency(self, record: AgencyRecord, now: datetime) -> dict[str, int]:
        until = cutoff(now, int(record.retention_days or DEFAULT_RETENTION_DAYS))
        since = record.media_purged_through or EPOCH
        if until <= since:
            return {"sessions": 0, "versions": 0}
        sessions = versions = 0
        for session_id in self._started_between(record.agency_id, since, until):
            versions += objects.delete_versions(self._s3, self._bucket, f"sessions/{session_id}/")
            sessions += 1
        record.update(actions=[AgencyRecord.media_purged_through.set(until)])
        observability.logger(observability.API).info(
            "media purged",
            extra={
                "agency_id": record.agency_id,
                "sessions": sessions,
                "versions": versions,
                "until": until.isoformat(),
            },
        )
        return {"sessions": sessions, "versions": versions}

    def _started_between(self, agency_id: str, since: datetime, until: datetime) -> list[str]:
        found = []
        for status in session_index.STATUSES:
            for shard in range(session_index.SHARDS):
                found.extend(
                    entry.session_id
                    for entry in SessionRecord.by_agency_status.query(
                        session_index.agency_status(agency_id, status, shard),
                        SessionRecord.started_at.between(since, until),
                    )
                )
        return found
