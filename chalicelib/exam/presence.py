"""One exam, one browser: a session is held by the client (tab or device) that heartbeats it.

A second client that heartbeats while the first is still alive is refused (the violations context records it); once the
first has been silent for STALE_AFTER (closed tab, crashed laptop), the next client takes over (resume on F5 or on
another computer keeps working).

Presence is its own small item per session (PresenceRecord, table `presence`): a heartbeat writes ~175 bytes there
and nothing else, so the session item and its index entries are not rewritten every 10 s by every candidate. The
proctor's lists read last-seen times for their page in one batch (last_seen).

The presence item also carries the channel's mark, `inbox_latest_id`: the newest message a proctor wrote for the
candidate (the proctor context sets it with note_message after each such message). The heartbeat's own write answers
the item as written (ReturnValues ALL_NEW, no extra capacity), so the heartbeat's answer tells the page whether its
inbox has something new (beat_marks, inbox_view) and the page fetches the inbox only then.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.core.clock import iso
from chalicelib.core.db import is_condition_failure
from chalicelib.exam.models import PresenceRecord, SessionRecord

logger = logging.getLogger(__name__)
INBOX_MARK = "inbox_latest_id"  # not a PresenceRecord attribute: written and read in raw form here only
_beat = threading.local()  # what the current heartbeat learnt, for its answer (beat_marks)

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
STALE_AFTER = timedelta(seconds=20)
KEEP_FOR = timedelta(days=30)  # as long as the session's media: the review and an appeal may ask when it was seen


def touch(session_id: str, now: datetime) -> None:
    """A heartbeat from a client that names no client id: only the last-seen time."""
    written = PresenceRecord(session_id).update(
        actions=[PresenceRecord.last_seen_at.set(now), PresenceRecord.expires_at.set(now + KEEP_FOR)]
    )
    _note(session_id, "inbox", _mark(written.get("Attributes")))


def claim(session_id: str, client_id: str, now: datetime) -> tuple[bool, str | None]:
    """Record the heartbeat for this client: (True, client_id), or (False, the live holder's id) when another live
    client holds the session (nothing is written then)."""
    try:
        written = PresenceRecord(session_id).update(
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
    _note(session_id, "inbox", _mark(written.get("Attributes")))
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


# The channel's mark on the presence item.


def note_message(session_id: str, message_id: str) -> None:
    """A proctor wrote a message for the candidate: raise the session's inbox mark to its id (never lower it). One
    conditional UpdateItem; a session whose page never heartbeated has no presence item and needs no mark (the page
    reads the whole inbox when it opens). A failure is logged, not raised: the message is already written, and the
    control actions also change the session's control_rev, which the heartbeat answers too."""
    request = {
        "TableName": PresenceRecord.Meta.table_name,
        "Key": {"session_id": {"S": session_id}},
        "UpdateExpression": "SET #mark = :id",
        "ConditionExpression": "attribute_exists(#seen) AND (attribute_not_exists(#mark) OR #mark < :id)",
        "ExpressionAttributeNames": {"#mark": INBOX_MARK, "#seen": "last_seen_at"},
        "ExpressionAttributeValues": {":id": {"S": message_id}},
    }
    try:
        PresenceRecord._get_connection().connection.dispatch("UpdateItem", request)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            logger.exception("the inbox mark of session %s was not raised to %s", session_id, message_id)


def _mark(attributes: dict[str, Any] | None) -> str | None:
    return ((attributes or {}).get(INBOX_MARK) or {}).get("S")


def _note(session_id: str, name: str, value: Any) -> None:
    marks = getattr(_beat, "marks", None)
    if marks is not None and marks.get("session_id") == session_id:
        marks[name] = value


@contextmanager
def beat_marks(session_id: str) -> Iterator[dict[str, Any]]:
    """Collects, for one heartbeat request of this session, what its own reads and writes learnt: the inbox mark
    (from the presence write) and the number of violations on the session (from the heartbeat hook)."""
    _beat.marks = {"session_id": session_id}
    try:
        yield _beat.marks
    finally:
        _beat.marks = None


def noting_violations(
    hook: Callable[[SessionRecord, datetime], None] | None,
) -> Callable[[SessionRecord, datetime], None]:
    """A heartbeat hook that notes how many violations the session read by the heartbeat has, then calls hook."""

    def on_heartbeat(session: SessionRecord, now: datetime) -> None:
        counts = session.violation_counts.as_dict() if session.violation_counts else {}
        _note(session.session_id, "violations", sum(int(n) for n in counts.values()))
        if hook is not None:
            hook(session, now)

    return on_heartbeat


def inbox_view(session_id: str, marks: dict[str, Any]) -> dict[str, Any]:
    """The heartbeat answer's `inbox`: the newest proctor message's id and time, and the session's violation count
    (None when this heartbeat did not read it: the session is no longer in progress). A heartbeat that wrote no
    presence item (the session is over) reads the mark: one GetItem, only then."""
    if "inbox" in marks:
        latest = marks["inbox"]
    else:
        try:
            item = PresenceRecord._get_connection().connection.dispatch(
                "GetItem",
                {
                    "TableName": PresenceRecord.Meta.table_name,
                    "Key": {"session_id": {"S": session_id}},
                    "ProjectionExpression": "#mark",
                    "ExpressionAttributeNames": {"#mark": INBOX_MARK},
                },
            )
            latest = _mark(item.get("Item"))
        except ClientError:
            logger.exception("the inbox mark of session %s could not be read", session_id)
            latest = None
    return {"latest_id": latest, "latest_at": message_time(latest), "violations": marks.get("violations")}


def message_time(message_id: str | None) -> str | None:
    """A channel message id starts with its creation time (proctor/channel.py: YYYYMMDDTHHMMSSffffffZ-…)."""
    if not message_id:
        return None
    try:
        return iso(datetime.strptime(message_id[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC))
    except ValueError:
        return None
