"""The sessions' status indexes: the key attributes every status write keeps in sync, and real pagination over them.

A session is listed under "<exam_id>#<status>" (GSI by_exam_status) and "<agency_id>#<status>" (by_agency_status),
both ranged by started_at, so a proctor's list per exam and status is a query, never a read-then-filter. Only a
status change rewrites those keys (heartbeats, answers and violation counts do not touch them). A page is read
newest first from one partition after another (one per requested status); the cursor says where it stopped.

The cursor is opaque to clients: base64url of JSON naming the agency, the filter and DynamoDB's LastEvaluatedKey.
It is checked before use: a cursor that does not decode, was made for another filter or another agency, or whose
key is not a position in the partition it claims, is refused with 400 `request.invalid_cursor`. A session whose
status changes while a client is paging moves to another partition: it may be missed or seen twice (clients dedupe
by session_id, and the next refresh has it).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.core.errors import InvalidInput
from chalicelib.core.http import invalid_field
from chalicelib.exam import rules
from chalicelib.exam.models import ExamRecord, SessionRecord

STATUSES = (*rules.OPEN_STATUSES, *rules.FINAL_STATUSES)
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR = 2048
_SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
_STARTED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T[0-9:.]{8,20}[+-]\d{4}$")  # PynamoDB's UTCDateTimeAttribute form


def exam_status(exam_id: str, status: str) -> str:
    return f"{exam_id}#{status}"


def agency_status(agency_id: str, status: str) -> str:
    return f"{agency_id}#{status}"


def index_keys(exam_id: str, agency_id: str, status: str) -> dict[str, str]:
    """The attributes a new session is written with, beside its status."""
    return {"exam_status": exam_status(exam_id, status), "agency_status": agency_status(agency_id, status)}


def status_actions(session: SessionRecord, status: str) -> list:
    """Every status write goes through here: the status and both index keys change in the same update.

    A session that leaves `in_progress` also drops its copy of the candidate's face template: it served the
    analyzer's re-identification during the exam, and results outlive the 30 days biometric data is kept.
    """
    actions = [
        SessionRecord.status.set(status),
        SessionRecord.exam_status.set(exam_status(session.exam_id, status)),
        SessionRecord.agency_status.set(agency_status(session.agency_id, status)),
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


def _partitions(agency_id: str, exam_id: str | None, statuses: tuple[str, ...]) -> list[tuple[Any, str, str]]:
    """(index, hash key attribute, hash key value) per partition, in page order."""
    if exam_id:
        return [(SessionRecord.by_exam_status, "exam_status", exam_status(exam_id, s)) for s in (statuses or STATUSES)]
    if statuses:
        return [(SessionRecord.by_agency_status, "agency_status", agency_status(agency_id, s)) for s in statuses]
    return [(SessionRecord.by_agency, "agency_id", agency_id)]


def _encode(agency_id: str, query: list, position: int, start_key: dict | None) -> str:
    payload = {"a": agency_id, "q": query, "p": position, "k": start_key}
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, agency_id: str, query: list, partitions: list[tuple[Any, str, str]]) -> tuple[int, Any]:
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
    position, start_key = payload["p"], payload["k"]
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position < len(partitions):
        raise _invalid()
    if start_key is not None and not _is_position_in(start_key, partitions[position]):
        raise _invalid()
    return position, start_key


def _is_position_in(start_key: Any, partition: tuple[Any, str, str]) -> bool:
    """A LastEvaluatedKey of this very partition: exactly its keys, each a short string of the right form."""
    _, hash_name, hash_value = partition
    if not isinstance(start_key, dict) or set(start_key) != {"session_id", hash_name, "started_at"}:
        return False
    values = {}
    for name, typed in start_key.items():
        if not isinstance(typed, dict) or set(typed) != {"S"} or not isinstance(typed["S"], str):
            return False
        values[name] = typed["S"]
    return (
        values[hash_name] == hash_value
        and bool(_SESSION_ID.match(values["session_id"]))
        and bool(_STARTED_AT.match(values["started_at"]))
    )


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
    partitions = _partitions(agency_id, exam_id, statuses)
    query = [exam_id, list(statuses)]
    position, start_key = _decode(cursor, agency_id, query, partitions) if cursor is not None else (0, None)
    if exam_id and not _exam_in_agency(exam_id, agency_id):
        return [], None  # another agency's exam (or none): nothing, exactly as for an exam with no sessions
    records: list[SessionRecord] = []
    while position < len(partitions) and len(records) < limit:
        index, _, hash_value = partitions[position]
        results = index.query(
            hash_value, scan_index_forward=False, limit=limit - len(records), last_evaluated_key=start_key
        )
        records.extend(results)
        start_key = results.last_evaluated_key
        if start_key is None:
            position += 1
    if position >= len(partitions):
        return records, None
    return records, _encode(agency_id, query, position, start_key)
