"""One exam, one browser: a session is held by the client (tab or device) that heartbeats it.

A second client that heartbeats while the first is still alive is refused (the violations context records it); once the
first has been silent for STALE_AFTER (closed tab, crashed laptop), the next client takes over (resume on F5 or on
another computer keeps working).

Presence is its own small item per session (PresenceRecord, table `presence`): a heartbeat writes ~175 bytes there
and nothing else, so the session item and its index entries are not rewritten at every beat of every candidate. The
proctor's lists read last-seen times for their page in one batch (last_seen).

The presence item also carries the channel's mark, `inbox_latest_id`: the newest message a proctor wrote for the
candidate (the proctor context sets it with note_message after each such message). The heartbeat's own write answers
the item as written (ReturnValues ALL_NEW, no extra capacity), so the heartbeat's answer tells the page whether its
inbox has something new (beat_marks, inbox_view) and the page fetches the inbox only then.

The heartbeat's cadence adapts to attention (next_heartbeat_s): every BEAT_IDLE_S normally, every BEAT_WATCHED_S
while a proctor pays attention to the session. `attention_until` (epoch seconds) on the same item is that mark: set
to now + ATTENTION by the proctor's reads of the session (its timeline poll) and by the proctor's writes to it (warn,
pause, resume, terminate, chat, notes), with a conditional UpdateItem that writes only when the mark would end
within ATTENTION - ATTENTION_REFRESH (so at most once per ATTENTION_REFRESH per session, however often the console
polls); a message's mark rides on its inbox-mark write (note_message). The heartbeat's own write returns it.
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
ATTENTION_MARK = "attention_until"  # epoch seconds (a number), raw like INBOX_MARK
_beat = threading.local()  # what the current heartbeat learnt, for its answer (beat_marks)

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# The heartbeat's cadence (the answer's next_heartbeat_s): benchmarks/cost.py and code_facts read these.
BEAT_IDLE_S = 20  # nobody watches: presence, the timer and the inbox signal within 20 s
BEAT_WATCHED_S = 5  # a proctor has the session open or acted on it: a warning or a pause arrives within ~5 s
ATTENTION = timedelta(seconds=120)  # how long a proctor's read or action keeps the session "watched"
ATTENTION_REFRESH = timedelta(seconds=30)  # the mark is rewritten at most this often per session
# A live client beats at least every BEAT_IDLE_S: it is taken over only after missing two beats (plus slack).
STALE_AFTER = timedelta(seconds=2 * BEAT_IDLE_S + 5)
KEEP_FOR = timedelta(days=30)  # as long as the session's media: the review and an appeal may ask when it was seen


def touch(session_id: str, now: datetime) -> None:
    """A heartbeat from a client that names no client id: only the last-seen time."""
    written = PresenceRecord(session_id).update(
        actions=[PresenceRecord.last_seen_at.set(now), PresenceRecord.expires_at.set(now + KEEP_FOR)]
    )
    _note_written(session_id, written.get("Attributes"))


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
    _note_written(session_id, written.get("Attributes"))
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


def note_message(session_id: str, message_id: str, now: datetime | None = None) -> None:
    """A proctor wrote a message for the candidate: raise the session's inbox mark to its id (never lower it), and,
    given `now`, mark the proctor's attention in the same write. One conditional UpdateItem; a session whose page
    never heartbeated has no presence item and needs no mark (the page reads the whole inbox when it opens). A
    failure is logged, not raised: the message is already written, and the control actions also change the
    session's control_rev, which the heartbeat answers too."""
    request = {
        "TableName": PresenceRecord.Meta.table_name,
        "Key": {"session_id": {"S": session_id}},
        "UpdateExpression": "SET #mark = :id",
        "ConditionExpression": "attribute_exists(#seen) AND (attribute_not_exists(#mark) OR #mark < :id)",
        "ExpressionAttributeNames": {"#mark": INBOX_MARK, "#seen": "last_seen_at"},
        "ExpressionAttributeValues": {":id": {"S": message_id}},
    }
    if now is not None:
        request["UpdateExpression"] += ", #attention = :until"
        request["ExpressionAttributeNames"]["#attention"] = ATTENTION_MARK
        request["ExpressionAttributeValues"][":until"] = {"N": str(_epoch(now + ATTENTION))}
    try:
        PresenceRecord._get_connection().connection.dispatch("UpdateItem", request)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            logger.exception("the inbox mark of session %s was not raised to %s", session_id, message_id)


def attend(session_id: str, now: datetime) -> bool:
    """A proctor looks at the session or acts on it: keep it watched until now + ATTENTION. Writes only when the
    mark is missing or ends before now + ATTENTION - ATTENTION_REFRESH (a console polling every few seconds writes
    once per ATTENTION_REFRESH), and only on a session whose page heartbeats (a presence item exists). True when it
    wrote. A failure is logged, not raised: attention only shortens the candidate's heartbeat."""
    request = {
        "TableName": PresenceRecord.Meta.table_name,
        "Key": {"session_id": {"S": session_id}},
        "UpdateExpression": "SET #attention = :until",
        "ConditionExpression": "attribute_exists(#seen) AND (attribute_not_exists(#attention) OR #attention < :soon)",
        "ExpressionAttributeNames": {"#attention": ATTENTION_MARK, "#seen": "last_seen_at"},
        "ExpressionAttributeValues": {
            ":until": {"N": str(_epoch(now + ATTENTION))},
            ":soon": {"N": str(_epoch(now + ATTENTION - ATTENTION_REFRESH))},
        },
    }
    try:
        PresenceRecord._get_connection().connection.dispatch("UpdateItem", request)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            logger.exception("the attention mark of session %s was not written", session_id)
        return False
    return True


def next_heartbeat_s(marks: dict[str, Any], now: datetime) -> int:
    """The heartbeat answer's next_heartbeat_s: BEAT_WATCHED_S while the attention mark the heartbeat learnt is in
    the future, BEAT_IDLE_S otherwise."""
    until = marks.get("attention")
    return BEAT_WATCHED_S if until is not None and until > now.timestamp() else BEAT_IDLE_S


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _attention(attributes: dict[str, Any] | None) -> float | None:
    value = ((attributes or {}).get(ATTENTION_MARK) or {}).get("N")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _note_written(session_id: str, attributes: dict[str, Any] | None) -> None:
    """What the heartbeat's presence write returned (ALL_NEW): the inbox mark and the attention mark."""
    _note(session_id, "inbox", _mark(attributes))
    _note(session_id, "attention", _attention(attributes))


def _mark(attributes: dict[str, Any] | None) -> str | None:
    return ((attributes or {}).get(INBOX_MARK) or {}).get("S")


def _note(session_id: str, name: str, value: Any) -> None:
    marks = getattr(_beat, "marks", None)
    if marks is not None and marks.get("session_id") == session_id:
        marks[name] = value


@contextmanager
def beat_marks(session_id: str) -> Iterator[dict[str, Any]]:
    """Collects, for one heartbeat request of this session, what its own reads and writes learnt: the inbox and
    attention marks (from the presence write) and the number of violations on the session (from the heartbeat hook)."""
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
                    "ProjectionExpression": "#mark, #attention",
                    "ExpressionAttributeNames": {"#mark": INBOX_MARK, "#attention": ATTENTION_MARK},
                },
            )
            latest = _mark(item.get("Item"))
            marks["attention"] = _attention(item.get("Item"))
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
