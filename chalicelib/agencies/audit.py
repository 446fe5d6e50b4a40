"""The audit log: who changed what, per agency. Every context records its account and configuration changes with
`record_audit(principal, action, target, details)`; agency admins page through their own agency's entries.

Entries are keyed `<agency>` + `<iso-time>#<random>`, so a page is one query, newest first. A change is audited
after it is made; if the audit write fails the request fails loudly (500, logged) rather than passing unrecorded.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from typing import Any

from chalicelib.agencies.models import AuditRecord
from chalicelib.core.clock import SystemClock, iso
from chalicelib.core.errors import InvalidInput
from chalicelib.core.principal import Principal

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR = 512
ACTION = re.compile(r"^[a-z][a-z_]{0,40}\.[a-z][a-z_]{0,40}$")
_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{12}$")
_clock = SystemClock()


def _login(user_id: str) -> str:
    return user_id.partition("~")[2] or user_id


def record_audit(
    principal: Principal, action: str, target: str, details: dict[str, Any] | None = None, agency_id: str | None = None
) -> dict[str, Any]:
    """Write one audit entry under `agency_id` (default: the caller's agency; an operator's change to an agency is
    recorded under that agency, so its admins see it). Returns the entry as the API shows it."""
    now = _clock.now()
    entry = AuditRecord(
        agency_id=agency_id or principal.agency_id,
        entry_key=f"{iso(now)}#{secrets.token_hex(6)}",
        at=now,
        actor=_login(principal.user_id),
        actor_role=principal.role,
        actor_agency=principal.agency_id,
        action=action,
        target=target,
        details=details or {},
    )
    entry.save()
    return entry_view(entry)


def entry_view(entry: AuditRecord) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_key,
        "at": iso(entry.at),
        "actor": {"login": entry.actor, "role": entry.actor_role, "agency_id": entry.actor_agency},
        "action": entry.action,
        "target": entry.target,
        "details": entry.details.as_dict() if hasattr(entry.details, "as_dict") else dict(entry.details or {}),
    }


def _invalid() -> InvalidInput:
    return InvalidInput("request.invalid_cursor", "The cursor is not valid for this list; start again without it.")


def _encode(agency_id: str, action: str | None, key: str) -> str:
    text = json.dumps({"a": agency_id, "f": action, "k": key}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, agency_id: str, action: str | None) -> str:
    """The last entry key of the previous page, from a cursor made for this agency and this filter."""
    if len(cursor) > MAX_CURSOR:
        raise _invalid()
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid() from None
    if not isinstance(payload, dict) or set(payload) != {"a", "f", "k"}:
        raise _invalid()
    if payload["a"] != agency_id or payload["f"] != action:
        raise _invalid()  # another agency's cursor, or one made for another filter
    key = payload["k"]
    if not isinstance(key, str) or not _KEY.match(key):
        raise _invalid()
    return key


def page(agency_id: str, action: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of the agency's entries, newest first; `next_cursor` is None on the last page. The partition read is
    always the caller's agency: a cursor only holds a position inside it."""
    position = _decode(cursor, agency_id, action) if cursor is not None else None
    entries: list[AuditRecord] = []
    while len(entries) < limit:  # a filter may leave a query page short: read on until the page is full
        results = AuditRecord.query(
            agency_id,
            scan_index_forward=False,
            filter_condition=(AuditRecord.action == action) if action else None,
            last_evaluated_key={"agency_id": {"S": agency_id}, "entry_key": {"S": position}} if position else None,
            limit=limit - len(entries),
        )
        entries.extend(results)
        evaluated = results.last_evaluated_key
        position = evaluated["entry_key"]["S"] if evaluated else None
        if position is None:
            break
    next_cursor = _encode(agency_id, action, position) if position else None
    return {"entries": [entry_view(e) for e in entries], "next_cursor": next_cursor}
