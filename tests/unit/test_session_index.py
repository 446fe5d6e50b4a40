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


def shards(**overrides) -> list:
    """Each shard's position: not started, done, or after an entry."""
    positions = [None, "end", [STARTED, SESSION]] + [None] * (SHARDS - 3)
    for n, value in overrides.items():
        positions[int(n[1:])] = value
    return positions


def valid(agency="ag-1", exam="ex-1", statuses=("in_progress",), p=0, k=None) -> dict:
    return {"a": agency, "q": [exam, list(statuses)], "p": p, "k": k if k is not None else shards()}


def decode(payload, agency="ag-1", exam="ex-1", statuses=("in_progress",)):
    lists = session_index._lists(agency, exam, statuses)
    return session_index._decode(
        payload if isinstance(payload, str) else cursor(payload), agency, [exam, list(statuses)], lists
    )


def test_a_cursor_made_by_the_index_decodes_to_its_position():
    lists = session_index._lists("ag-1", "ex-1", ("submitted", "awaiting_review"))
    made = session_index._encode("ag-1", ["ex-1", ["submitted", "awaiting_review"]], 1, shards())
    assert not made.endswith("=") and "ex-1" not in made  # opaque, URL-safe
    assert len(made) < session_index.MAX_CURSOR // 2
    query = ["ex-1", ["submitted", "awaiting_review"]]
    assert session_index._decode(made, "ag-1", query, lists) == (1, shards())
    # a full cursor (every shard after an entry) stays well within the limit the route accepts
    full = session_index._encode("ag-1", query, 1, [[STARTED, SESSION]] * SHARDS)
    assert len(full) < session_index.MAX_CURSOR


def test_the_start_key_is_rebuilt_from_the_shards_own_key_and_the_entry():
    key = session_index._start_key("exam_status", "ex-1#submitted#3", [STARTED, SESSION])
    assert key == {
        "session_id": {"S": SESSION},
        "exam_status": {"S": "ex-1#submitted#3"},
        "started_at": {"S": STARTED},
    }
    assert session_index._start_key("exam_status", "ex-1#submitted#3", None) is None


@pytest.mark.parametrize(
    "payload",
    [
        valid(agency="ag-2"),  # another agency's
        valid(exam="ex-2"),  # another exam's list
        valid(statuses=("submitted",)),  # another status filter
        valid(k=shards()[:-1]),  # not a position per shard
        valid(k=[*shards(), None]),
        valid(k=shards(s0=[STARTED])),
        valid(k=shards(s0=[STARTED, SESSION, "x"])),
        valid(k=shards(s0=[STARTED, "../../etc"])),
        valid(k=shards(s0=["yesterday", SESSION])),
        valid(k=shards(s0=[1, SESSION])),
        valid(k=shards(s0="done")),
        valid(k=shards(s0={"session_id": {"S": SESSION}})),  # an old-style key names a partition: never accepted
        valid(k={"session_id": {"S": SESSION}, "exam_status": {"S": "ex-1#in_progress#0"}}),
        valid(p=1),  # past the list's last status
        valid(p=-1),
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
    n = range(SHARDS)

    def keys(agency, exam, statuses):
        return [(status, name, hashes) for status, _, name, hashes in session_index._lists(agency, exam, statuses)]

    assert keys("ag", "ex", ("submitted",)) == [("submitted", "exam_status", [f"ex#submitted#{i}" for i in n])]
    assert keys("ag", "ex", ()) == [(s, "exam_status", [f"ex#{s}#{i}" for i in n]) for s in session_index.STATUSES]
    assert keys("ag", None, ("in_progress",)) == [("in_progress", "agency_status", [f"ag#in_progress#{i}" for i in n])]
    # the unfiltered agency list walks every status of the agency index (no index keyed by the agency alone)
    assert keys("ag", None, ()) == [(s, "agency_status", [f"ag#{s}#{i}" for i in n]) for s in session_index.STATUSES]


class FakeShard:
    """A shard's answer as PynamoDB gives it: entries newest first after the start key, at most `limit`."""

    def __init__(self, entries):
        self.entries = entries  # [(started_at, session_id)] newest first

    def query(self, start, limit):
        at = 0 if start is None else self.entries.index(start) + 1
        page = self.entries[at : at + limit]
        more = at + limit < len(self.entries)
        return page, more


class FakeIndex:
    def __init__(self, shards):
        self.shards = shards

    def query(self, hash_value, scan_index_forward, limit, last_evaluated_key):
        shard = self.shards[int(hash_value.rsplit("#", 1)[1])]
        start = None
        if last_evaluated_key:
            start = (last_evaluated_key["started_at"]["S"], last_evaluated_key["session_id"]["S"])
        page, more = shard.query(start, limit)

        class Results(list):
            pass

        results = Results(
            SessionRecord(session_id=sid, started_at=SessionRecord.started_at.deserialize(at)) for at, sid in page
        )
        results.last_evaluated_key = {"x": 1} if more else None
        return results


def test_a_status_is_merged_newest_first_across_its_shards_page_by_page():
    """Whatever the page size, paging a sharded status lists every session once, newest first overall."""
    entries = []
    for n in range(61):
        started = f"2026-05-01T10:{n // 60:02d}:{n % 60:02d}.000000+0000"
        entries.append((started, f"{n:032x}"))
    per_shard = {
        i: FakeShard(sorted([e for e in entries if session_index.shard_of(e[1]) == i], reverse=True))
        for i in range(SHARDS)
    }
    index = FakeIndex(per_shard)
    hashes = [f"ex#submitted#{i}" for i in range(SHARDS)]
    for page_size in (1, 7, 50, 100):
        listed, positions = [], [None] * SHARDS
        for _ in range(100):
            if all(p == session_index.END for p in positions):
                break
            positions = session_index._merge_shards(
                index, "exam_status", hashes, positions, page_size, "submitted", listed
            )
        assert [sid for sid, _ in listed] == [sid for _, sid in sorted(entries, reverse=True)], page_size
        assert {status for _, status in listed} == {"submitted"}


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
