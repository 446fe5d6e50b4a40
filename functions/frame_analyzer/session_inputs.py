"""What the analyzer reads per object before its analysis: the session and its signal states, in one request.

A frame needs the session's analysis inputs (policy, face template, pose baseline, agency), its status (a submitted
or terminated session stops taking media), and the session's signal-state item (frame count, episode states, the
digests of recently applied objects). They are two items in two tables; one BatchGetItem reads both, the session
projected to the attributes the analyzer uses (not the drawn items and answers that make up most of it). The
status is therefore as fresh as the item on every object: no per-process cache to go stale (a cache would also hit
rarely on Lambda, where a session's frames, 5 s apart, land on any of many instances).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from chalicelib.exam.models import SessionRecord
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.violations.models import SignalStatesRecord

FIELDS = (
    "session_id",
    "agency_id",
    "status",
    "deadline_at",
    "submitted_at",
    "analysis",
    "reference_engine",
    "reference_vector",
    "reference_image_key",
    "reference_regions",
    "baseline_yaw",
    "baseline_pitch",
)
MAX_ATTEMPTS = 5  # for keys the endpoint leaves unprocessed (throttling)


@dataclass(frozen=True)
class SessionInputs:
    """The projected session item, its analysis policy (parsed once) and its signal-state item as read."""

    session: Any  # SessionRecord with FIELDS only
    policy: AnalysisPolicy
    states: SignalStatesRecord  # a new, unsaved item before the session's first observation


def policy_overrides(session: Any) -> dict[str, Any] | None:
    analysis = session.analysis
    raw = analysis.as_dict() if hasattr(analysis, "as_dict") else analysis
    return raw or None


def read_inputs(session_id: str) -> SessionInputs | None:
    """The session and its signal states in one BatchGetItem (eventually consistent, as the GetItems it replaces);
    None when there is no such session."""
    sessions_table, states_table = SessionRecord.Meta.table_name, SignalStatesRecord.Meta.table_name
    names = {f"#a{i}": name for i, name in enumerate(FIELDS)}
    request: dict[str, Any] = {
        sessions_table: {
            "Keys": [{"session_id": {"S": session_id}}],
            "ProjectionExpression": ", ".join(names),
            "ExpressionAttributeNames": names,
        },
        states_table: {"Keys": [{"session_id": {"S": session_id}}]},
    }
    found: dict[str, dict[str, Any]] = {}
    connection = SignalStatesRecord._get_connection().connection
    for attempt in range(MAX_ATTEMPTS):
        answer = connection.dispatch("BatchGetItem", {"RequestItems": request})
        for table, items in (answer.get("Responses") or {}).items():
            for item in items:
                found[table] = item
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            break
        time.sleep(0.05 * 2**attempt)
    else:
        raise RuntimeError(f"the session {session_id} and its signal states stayed unprocessed")
    if sessions_table not in found:
        return None
    session = SessionRecord.from_raw_data(found[sessions_table])
    states = (
        SignalStatesRecord.from_raw_data(found[states_table])
        if states_table in found
        else SignalStatesRecord(session_id)
    )
    return SessionInputs(session, AnalysisPolicy.from_dict(policy_overrides(session)), states)
