"""One exam, one browser: a session is held by the client (tab or device) that heartbeats it.

A second client that heartbeats while the first is still alive is refused (the violations context records it); once the
first has been silent for STALE_AFTER (closed tab, crashed laptop), the next client takes over (resume on F5 or on
another computer keeps working).

Presence is its own small item per session (PresenceRecord, table `presence`): a heartbeat writes ~175 bytes there
and nothing else, so the session item and its index entries are not rewritten every 10 s by every candidate. The
proctor's lists read last-seen times for their page in one batch (last_seen).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.core.db import is_condition_failure
from chalicelib.exam.models import PresenceRecord

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
STALE_AFTER = timedelta(seconds=20)
KEEP_FOR = timedelta(days=30)  # as long as the session's media: the review and an appeal may ask when it was seen


def touch(session_id: str, now: datetime) -> None:
    """A heartbeat from a client that names no client id: only the last-seen time."""
    PresenceRecord(session_id).update(
        actions=[PresenceRecord.last_seen_at.set(now), PresenceRecord.expires_at.set(now + KEEP_FOR)]
    )


def claim(session_id: str, client_id: str, now: datetime) -> tuple[bool, str | None]:
    """Record the heartbeat for this client: (True, client_id), or (False, the live holder's id) when another live
    client holds the session (nothing is written then)."""
    try:
        PresenceRecord(session_id).update(
            actions=[
                PresenceRecord.client_id.set(client_id),
                PresenceRecord.client_seen_at.set(now),
                PresenceRecord.last_seen_at.set(now),
                PresenceRecord.expires_at.set(now + KEEP_FOR),
            ],
            condition=PresenceRecord.client_id.does_not_exist()
            | (PresenceRecord.client_id == client_id)
            | (PresenceRecord.client_seen_at < now - STALE_AFTER),
        )
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
        return False, holder(session_id)
    return True, client_id


def holder(session_id: str) -> str | None:
    try:
        return PresenceRecord.get(session_id, consistent_read=True, attributes_to_get=["client_id"]).client_id
    except DoesNotExist:
        return None


def last_seen(session_ids: Iterable[str]) -> dict[str, datetime]:
    """The last heartbeat of each session that has one, in one batch read (100 keys per request)."""
    ids = list(dict.fromkeys(session_ids))
    if not ids:
        return {}
    records = PresenceRecord.batch_get(ids, attributes_to_get=["session_id", "last_seen_at"])
    return {r.session_id: r.last_seen_at for r in records if r.last_seen_at is not None}
