"""The session list's cursor is checked before it is used, and every status write keeps the index keys in sync."""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path

import pytest

from chalicelib.core.errors import InvalidInput
from chalicelib.exam import session_index
from chalicelib.exam.models import SessionRecord

ROOT = Path(__file__).resolve().parents[2]
SHARDS = session_index.SHARDS
SESSION = "0123456789abcdef0123456789abcdef"
STARTED = "2026-05-01T10:00:00.123456+0000"


def cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def position(hash_name: str, hash_value: str, **overrides) -> dict:
    key = {"session_id": {"S": SESSION}, hash_name: {"S": hash_value}, "started_at": {"S": STARTED}}
    return {**key, **overrides}


def valid(agency="ag-1", exam="ex-1", statuses=("in_progress",), p=0, k=None) -> dict:
    k = k if k is not None else position("exam_status", f"{exam}#{statuses[p // SHARDS]}#{p % SHARDS}")
    return {"a": agency, "q": [exam, list(statuses)], "p": p, "k": k}


def decode(payload, agency="ag-1", exam="ex-1", statuses=("in_progress",)):
    partitions = session_index._partitions(agency, exam, statuses)
    return session_index._decode(
        payload if isinstance(payload, str) else cursor(payload), agency, [exam, list(statuses)], partitions
    )


def test_a_cursor_made_by_the_index_decodes_to_its_position():
    partitions = session_index._partitions("ag-1", "ex-1", ("submitted", "awaiting_review"))
    at = SHARDS + 3  # awaiting_review, shard 3
    key = position("exam_status", "ex-1#awaiting_review#3")
    made = session_index._encode("ag-1", ["ex-1", ["submitted", "awaiting_review"]], at, key)
    assert not made.endswith("=") and "ex-1" not in made  # opaque, URL-safe
    query = ["ex-1", ["submitted", "awaiting_review"]]
    assert session_index._decode(made, "ag-1", query, partitions) == (at, key)


@pytest.mark.parametrize(
    "payload",
    [
        valid(agency="ag-2"),  # another agency's
        valid(exam="ex-2", k=position("exam_status", "ex-2#in_progress#0")),  # another exam's list
        valid(statuses=("submitted",), k=position("exam_status", "ex-1#submitted#0")),  # another status filter
        valid(k=position("exam_status", "ex-9#in_progress#0")),  # a key from outside its partition
        valid(k=position("exam_status", "ex-1#in_progress#1")),  # a key of another shard than the position's
        valid(k=position("exam_status", "ex-1#in_progress")),  # an unsharded key (before the shards)
        valid(k=position("agency_status", "ag-1#in_progress#0")),  # a key of another index
        valid(k={**position("exam_status", "ex-1#in_progress#0"), "extra": {"S": "x"}}),
        valid(k=position("exam_status", "ex-1#in_progress#0", session_id={"S": "../../etc"})),
        valid(k=position("exam_status", "ex-1#in_progress#0", started_at={"N": "1"})),
        valid(k=position("exam_status", "ex-1#in_progress#0", started_at={"S": "yesterday"})),
        valid(p=SHARDS, k=position("exam_status", "ex-1#in_progress#0")),  # past the list's last partition
        valid(p=-1, k={}),
        {**valid(), "p": True},
        {**valid(), "p": "0"},
        {**valid(), "more": 1},
        [1, 2],
        "not base64 !",
        "e30",  # {}
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "A" * 3000,
    ],
)
def test_a_cursor_that_is_not_one_of_ours_for_this_list_is_refused(payload):
    with pytest.raises(InvalidInput) as refused:
        decode(payload)
    assert refused.value.code == "request.invalid_cursor"


def test_unknown_statuses_and_limits_out_of_range_are_refused_before_any_read():
    for kwargs in ({"statuses": ("paused",)}, {"limit": 0}, {"limit": session_index.MAX_LIMIT + 1}):
        with pytest.raises(InvalidInput) as refused:
            session_index.page("ag-1", **kwargs)
        assert refused.value.code == "request.invalid_field"


def test_each_filter_reads_its_own_partitions_shard_by_shard():
    shards = range(SHARDS)
    assert [p[2] for p in session_index._partitions("ag", "ex", ("submitted",))] == [
        f"ex#submitted#{n}" for n in shards
    ]
    assert [p[2] for p in session_index._partitions("ag", "ex", ())] == [
        f"ex#{s}#{n}" for s in session_index.STATUSES for n in shards
    ]
    assert [p[2] for p in session_index._partitions("ag", None, ("in_progress",))] == [
        f"ag#in_progress#{n}" for n in shards
    ]
    # the unfiltered agency list walks every status of the agency index (no index keyed by the agency alone)
    everything = session_index._partitions("ag", None, ())
    assert {p[1] for p in everything} == {"agency_status"} and len(everything) == len(session_index.STATUSES) * SHARDS
    assert [p[3] for p in everything[:SHARDS]] == ["in_progress"] * SHARDS


def test_shards_are_stable_and_spread_sessions_evenly():
    assert 4 <= SHARDS <= 32
    # stable across processes and releases: a fixed id always lands in the same shard
    assert session_index.shard_of(SESSION) == session_index.shard_of(str(SESSION))
    known = {session_index.shard_of(f"{n:032x}") for n in range(64)}
    assert known == set(range(SHARDS))
    counts = [0] * SHARDS
    for n in range(80_000):
        counts[session_index.shard_of(uuid.uuid5(uuid.NAMESPACE_OID, str(n)).hex)] += 1
    expected = 80_000 / SHARDS
    assert max(counts) < expected * 1.05 and min(counts) > expected * 0.95


def test_a_status_write_sets_both_index_keys_in_the_sessions_shard():
    session = SessionRecord(session_id=SESSION, exam_id="ex-1", agency_id="ag-1")
    shard = session_index.shard_of(SESSION)
    actions = session_index.status_actions(session, "submitted")
    written = {str(a.values[0]): a.values[1].value["S"] for a in actions if len(a.values) == 2}
    assert written == {
        "status": "submitted",
        "exam_status": f"ex-1#submitted#{shard}",
        "agency_status": f"ag-1#submitted#{shard}",
    }
    assert session_index.index_keys("ex-1", "ag-1", "submitted", SESSION) == {
        "exam_status": f"ex-1#submitted#{shard}",
        "agency_status": f"ag-1#submitted#{shard}",
    }
    # leaving in_progress drops the session's copy of the face template (biometric data outlives no exam)
    removed = {str(a.values[0]) for a in actions if len(a.values) == 1}
    assert removed == {"reference_vector", "reference_regions", "reference_image_key"}


def test_no_code_sets_a_session_status_without_its_index_keys():
    """A status set anywhere but session_index.status_actions would leave the session under its old status."""
    offenders = []
    for path in [*ROOT.glob("chalicelib/**/*.py"), *ROOT.glob("functions/**/*.py")]:
        if path.name == "session_index.py":
            continue
        if re.search(r"SessionRecord\.status\.set\(|\bstatus\s*=\s*rules\.(?!IN_PROGRESS)", path.read_text()):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
