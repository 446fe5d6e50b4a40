"""One exam, one browser: a session is held by the client (tab or device) that heartbeats it.

A second client that heartbeats while the first is still alive is refused (the violations context records it); once the
first has been silent for STALE_AFTER (closed tab, crashed laptop), the next client takes over (resume on F5 or on
another computer keeps working).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib.core.db import is_condition_failure
from chalicelib.exam.models import SessionRecord

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
STALE_AFTER = timedelta(seconds=20)


def claim(session: SessionRecord, client_id: str, now: datetime) -> bool:
    """Record the heartbeat for this client; False when another live client holds the session."""
    try:
        session.update(
            actions=[
                SessionRecord.client_id.set(client_id),
                SessionRecord.client_seen_at.set(now),
                SessionRecord.last_seen_at.set(now),
            ],
            condition=SessionRecord.client_id.does_not_exist()
            | (SessionRecord.client_id == client_id)
            | (SessionRecord.client_seen_at < now - STALE_AFTER),
        )
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
        return False
    return True
