"""The sessions' status indexes: the key attributes every status write keeps in sync, and real pagination over them.

A session is listed under "<exam_id>#<status>#<shard>" (GSI by_exam_status) and "<agency_id>#<status>#<shard>"
(by_agency_status), both ranged by started_at, so a proctor's list per exam and status is a query, never a
read-then-filter. Only a status change rewrites those keys (heartbeats live on the presence item; answers, violation
counts and proctor actions change no key and no projected attribute: the indexes are KEYS_ONLY).

Shards: a national test puts 100,000 sessions of one agency and one exam through the same statuses within minutes
(start, submit, review, verdict), and each move writes the old and the new index entry. One partition takes
1,000 WCU/s; SHARDS spreads every (exam or agency, status) list over that many partitions by a stable hash of the
session id (benchmarks/cost.py works out the rates: ~83 WCU/s per shard at 100,000 starts in 5 minutes).

A page is newest first per requested status, exactly as with one partition: it reads each shard of the status
(keys only, at most a page's worth each, from where the cursor left that shard), merges them by started_at, then
batch-gets the page's sessions and keeps those still in the status they were listed under (a session that moved
meanwhile is listed under its new status). The cursor says which status it stopped in and where in each shard.

The cursor is opaque to clients: base64url of JSON naming the agency, the filter, the status's position and each
shard's position (not started, done, or after the entry [started_at, session_id]; the ExclusiveStartKey is rebuilt
from it and the shard's own key). It is checked before use: a cursor that does not decode, was made for another
filter or another agency, or whose positions are not of the stored form, is refused with 400
`request.invalid_cursor`; a cursor never names a partition, so it cannot open another tenant's. A session whose
status changes while a client is paging moves to another partition: it may be missed or seen twice (clients dedupe
by session_id, and the next refresh has it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import itertools
import json
import re
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import InvalidInput
from chalicelib.core.http import invalid_field
from chalicelib.exam import rules
from chalicelib.exam.models import ExamRecord, SessionRecord

STATUSES = (*rules.OPEN_STATUSES, *rules.FINAL_STATUSES)
# Fixed for the life of the data: changing it needs every session's keys rewritten (reindex below) first.
SHARDS = 8
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR = 2048
END = "end"  # a shard the cursor's list has read to its end
_SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
_STARTED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T[0-9:.]{8,20}[+-]\d{4}$")  # PynamoDB's UTCDateTimeAttribute form


def shard_of(session_id: str) -> int:
    """A stable, even spread of sessions over SHARDS (not Python's hash(): that differs per process)."""
    return int.from_bytes(hashlib.blake2b(session_id.encode(), digest_size=4).digest(), "big") % SHARDS


def exam_status(exam_id: str, status: str, shard: int) -> str:
    return f"{exam_id}#{status}#{shard}"


def agency_status(agency_id: str, status: str, shard: int) -> str:
    return f"{agency_id}#{status}#{shard}"


def index_keys(exam_id: str, agency_id: str, status: str, session_id: str) -> dict[str, str]:
    """The attributes a new session is written with, beside its status."""
    shard = shard_of(session_id)
    return {
        "exam_status": exam_status(exam_id, status, shard),
        "agency_status": agency_status(agency_id, status, shard),
    }


def status_actions(session: SessionRecord, status: str) -> list:
    """Every status write goes through here: the status and both index keys change in the same update.

    A session that leaves `in_progress` also drops its copy of the candidate's face template: it served the
    analyzer's re-identification during the exam, and results outlive the 30 days biometric data is kept.
    """
    keys = index_keys(session.exam_id, session.agency_id, status, session.session_id)
    actions = [
        SessionRecord.status.set(status),
        SessionRecord.exam_status.set(keys["exam_status"]),
        SessionRecord.agency_status.set(keys["agency_status"]),
    ]
    if status != rules.IN_PROGRESS:
        actions += [
            SessionRecord.reference_vector.remove(),
            SessionRecord.reference_regions.remove(),
            SessionRecord.reference_image_key.remove(),
        ]
    return actions


def _invalid() -> InvalidInput:
    return InvalidInput("request.invalid_cursor", "The cursor is not valid for this list; start again without it.")


def _lists(agency_id: str, exam_id: str | None, statuses: tuple[str, ...]) -> list[tuple[str, Any, str, list[str]]]:
    """(status, index, hash key attribute, [hash key value of each shard]) per requested status, in page order."""
    if exam_id:
        index, name, key, owner = SessionRecord.by_exam_status, "exam_status", exam_status, exam_id
    else:
        index, name, key, owner = SessionRecord.by_agency_status, "agency_status", agency_status, agency_id
    return [(status, index, name, [key(owner, status, n) for n in range(SHARDS)]) for status in statuses or STATUSES]


def _encode(agency_id: str, query: list, position: int, shards: list[Any]) -> str:
    payload = {"a": agency_id, "q": query, "p": position, "k": shards}
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, agency_id: str, query: list, lists: list) -> tuple[int, list[Any]]:
    """(status position, each shard's position) of a cursor this index made for this agency and filter."""
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR:
        raise _invalid()
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid() from None
    if not isinstance(payload, dict) or set(payload) != {"a", "q", "p", "k"}:
        raise _invalid()
    if payload["a"] != agency_id or payload["q"] != query:
        raise _invalid()  # another agency's cursor, or one made for another filter
    position, shards = payload["p"], payload["k"]
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position < len(lists):
        raise _invalid()
    if not isinstance(shards, list) or len(shards) != SHARDS or not all(map(_is_shard_position, shards)):
        raise _invalid()
    return position, shards


def _is_shard_position(value: Any) -> bool:
    """Not started (null), done ("end"), or after the entry [started_at, session_id], each of the stored form."""
    if value is None or value == END:
        return True
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, str) for v in value)
        and bool(_STARTED_AT.match(value[0]))
        and bool(_SESSION_ID.match(value[1]))
    )


def _start_key(hash_name: str, hash_value: str, position: Any) -> dict[str, Any] | None:
    """The ExclusiveStartKey after a listed entry: the index's keys and the table's, all known from the entry."""
    if position is None:
        return None
    started_at, session_id = position
    return {"session_id": {"S": session_id}, hash_name: {"S": hash_value}, "started_at": {"S": started_at}}


def _exam_in_agency(exam_id: str, agency_id: str) -> bool:
    try:
        return ExamRecord.get(exam_id, attributes_to_get=["agency_id"]).agency_id == agency_id
    except DoesNotExist:
        return False


def page(
    agency_id: str,
    exam_id: str | None = None,
    statuses: tuple[str, ...] = (),
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> tuple[list[SessionRecord], str | None]:
    """One page of the agency's sessions (of one exam, of some statuses), newest first per status; the cursor for
    the next page, or None when there is no more."""
    statuses = tuple(dict.fromkeys(statuses))
    if any(status not in STATUSES for status in statuses):
        raise invalid_field("status", f"must be one of {', '.join(STATUSES)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid_field("limit", f"must be between 1 and {MAX_LIMIT}")
    lists = _lists(agency_id, exam_id, statuses)
    query = [exam_id, list(statuses)]
    position, shards = _decode(cursor, agency_id, query, lists) if cursor is not None else (0, [None] * SHARDS)
    if exam_id and not _exam_in_agency(exam_id, agency_id):
        return [], None  # another agency's exam (or none): nothing, exactly as for an exam with no sessions
    listed: list[tuple[str, str]] = []  # (session_id, the status it is listed under), in page order
    while position < len(lists) and len(listed) < limit:
        status, index, hash_name, hashes = lists[position]
        shards = _merge_shards(index, hash_name, hashes, shards, limit - len(listed), status, listed)
        if all(shard == END for shard in shards):
            position, shards = position + 1, [None] * SHARDS
    records = _current(listed)
    if position >= len(lists):
        return records, None
    return records, _encode(agency_id, query, position, shards)


def _merge_shards(
    index: Any, hash_name: str, hashes: list[str], shards: list[Any], need: int, status: str, listed: list
) -> list[Any]:
    """Append up to `need` of one status's sessions, newest first across its shards, to `listed`; returns each
    shard's new position. Every shard not yet done is read (keys only, at most `need` entries) from where the
    cursor left it; the merge takes a prefix of each shard's answer, so DynamoDB's own order within a shard is
    kept and the next page resumes after the last entry taken."""
    heads: list[list[tuple[str, str]]] = []
    more: list[bool] = []
    for shard, at in enumerate(shards):
        if at == END:
            heads.append([])
            more.append(False)
            continue
        results = index.query(
            hashes[shard],
            scan_index_forward=False,
            limit=need,
            last_evaluated_key=_start_key(hash_name, hashes[shard], at),
        )
        heads.append([(SessionRecord.started_at.serialize(e.started_at), e.session_id) for e in results])
        more.append(results.last_evaluated_key is not None)
    taken = [0] * SHARDS
    tagged = [[(entry, shard) for entry in head] for shard, head in enumerate(heads)]
    for (_, session_id), shard in itertools.islice(
        heapq.merge(*tagged, key=lambda tagged_entry: tagged_entry[0][0], reverse=True), need
    ):
        listed.append((session_id, status))
        taken[shard] += 1
    positions: list[Any] = []
    for shard, at in enumerate(shards):
        head = heads[shard]
        if at == END or not head or (taken[shard] == len(head) and not more[shard]):
            positions.append(END)
        elif taken[shard] == 0:
            positions.append(at)
        else:
            positions.append(list(head[taken[shard] - 1]))
    return positions


def _current(listed: list[tuple[str, str]]) -> list[SessionRecord]:
    """The listed sessions as they are now (one batch read per 100), in list order; a session whose status changed
    since the index was read is left out here (it is listed under its new status)."""
    found = {s.session_id: s for s in SessionRecord.batch_get([session_id for session_id, _ in listed])}
    return [
        found[session_id] for session_id, status in listed if session_id in found and found[session_id].status == status
    ]


def reindex(sessions: Any) -> int:
    """Rewrite the index keys of sessions written before the keys were sharded (or with another SHARDS); returns how
    many changed. One conditional update per stale session, conditioned on its status being the one read."""
    changed = 0
    for session in sessions:
        keys = index_keys(session.exam_id, session.agency_id, session.status, session.session_id)
        if session.exam_status == keys["exam_status"] and session.agency_status == keys["agency_status"]:
            continue
        try:
            session.update(
                actions=[
                    SessionRecord.exam_status.set(keys["exam_status"]),
                    SessionRecord.agency_status.set(keys["agency_status"]),
                ],
                condition=SessionRecord.status == session.status,
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
            continue  # its status moved meanwhile: that write set keys of the current form
        changed += 1
    return changed
