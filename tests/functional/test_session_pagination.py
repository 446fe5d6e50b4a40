"""The proctor's session lists page through every session of an exam (a query per exam and status, an opaque
cursor), far beyond the 500 newest the lists used to read; filters are exact and cursors stay in their agency."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chalicelib import wiring
from chalicelib.exam import session_index
from chalicelib.exam.models import SessionRecord
from local.seed import create_agency, demo_bank
from tests.helpers import PASSWORD, admit, assert_error, exam_payload, ok

BULK_IN_PROGRESS = 520
BULK_SUBMITTED = 40


def bulk_sessions(agency_id: str, exam_id: str, status: str, count: int, start: datetime) -> set[str]:
    """Sessions written straight to the table (the API would take minutes for this many), with the same index keys
    a started session gets. The n-th id is drawn until it lands in shard n mod SHARDS, so every shard holds some
    (random ids leave a shard empty in ~4 % of runs of 40)."""
    ids = set()
    with SessionRecord.batch_write() as batch:
        for n in range(count):
            session_id = uuid.uuid4().hex
            while session_index.shard_of(session_id) != n % session_index.SHARDS:
                session_id = uuid.uuid4().hex
            ids.add(session_id)
            started_at = start + timedelta(milliseconds=n)
            batch.save(
                SessionRecord(
                    session_id=session_id,
                    exam_id=exam_id,
                    candidate_id=f"bulk-{n}",
                    agency_id=agency_id,
                    status=status,
                    language="ru",
                    started_at=started_at,
                    deadline_at=started_at + timedelta(hours=1),
                    items=[],
                    full_name=f"Bulk {n}",
                    **session_index.index_keys(exam_id, agency_id, status, session_id),
                )
            )
    return ids


@pytest.fixture(scope="module")
def crowded(api, stack):
    """An agency of its own (so other suites' lists stay short) with an exam: 3 sessions started over the API and
    560 more written directly (520 of them in progress), plus a second exam with one session."""
    wiring.settings()
    agency = create_agency("paging", PASSWORD)
    admin = api.login(agency["admin"], PASSWORD)
    ctx = {"admin": admin, "proctor": api.login(agency["proctor"], PASSWORD)}
    ctx["proctor_agency"], ctx["endpoint_url"] = agency["agency_id"], stack.endpoint_url
    api_ids = set()
    for key in ("exam_id", "other_exam_id"):
        ctx[key] = ok(api.call("POST", "/admin/exams", admin, json=exam_payload()))["exam_id"]
        ok(api.call("POST", f"/admin/exams/{ctx[key]}/questions", admin, json=demo_bank(4)))
    other = admit(api, admin, ctx["other_exam_id"])[1]
    ctx["other_session"] = ok(api.call("POST", f"/exams/{ctx['other_exam_id']}/sessions", other, json={}))["session_id"]
    for _ in range(3):
        token = admit(api, admin, ctx["exam_id"])[1]
        api_ids.add(ok(api.call("POST", f"/exams/{ctx['exam_id']}/sessions", token, json={}))["session_id"])
    start = datetime.now(UTC) - timedelta(hours=2)
    ctx["in_progress"] = api_ids | bulk_sessions(
        agency["agency_id"], ctx["exam_id"], "in_progress", BULK_IN_PROGRESS, start
    )
    ctx["submitted"] = bulk_sessions(agency["agency_id"], ctx["exam_id"], "submitted", BULK_SUBMITTED, start)
    return ctx


def every_page(api, token: str, path: str, **params) -> list[dict]:
    """Follow next_cursor to the end; returns the pages' answers."""
    answers, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        answer = ok(api.call("GET", path, token, params=query))
        answers.append(answer)
        cursor = answer["next_cursor"]
        if cursor is None:
            return answers
        assert len(answers) < 100, "the cursor does not advance"


def ids_of(answers: list[dict]) -> list[str]:
    return [s["session_id"] for answer in answers for s in answer["sessions"]]


def test_every_session_of_a_crowded_exam_is_reachable_once(api, crowded):
    # When the proctor pages through the exam's sessions, 100 at a time
    pages = every_page(api, crowded["proctor"], "/proctor/sessions", exam_id=crowded["exam_id"], limit="100")

    # Then every one of the 563 sessions comes exactly once, and each page holds at most the limit
    ids = ids_of(pages)
    assert len(ids) == len(set(ids)) == BULK_IN_PROGRESS + 3 + BULK_SUBMITTED
    assert set(ids) == crowded["in_progress"] | crowded["submitted"]
    assert all(len(page["sessions"]) <= 100 for page in pages) and len(pages) >= 6


def test_filters_by_exam_and_status_are_exact(api, crowded):
    proctor, exam_id = crowded["proctor"], crowded["exam_id"]
    live = every_page(api, proctor, "/proctor/sessions", exam_id=exam_id, status="in_progress", limit="500")
    assert sorted(ids_of(live)) == sorted(crowded["in_progress"])
    assert {s["status"] for answer in live for s in answer["sessions"]} == {"in_progress"}
    submitted = every_page(api, proctor, "/proctor/sessions", exam_id=exam_id, status="submitted", limit="7")
    assert sorted(ids_of(submitted)) == sorted(crowded["submitted"])

    # The live grid pages too, and holds every in-progress session of the exam
    grid = every_page(api, proctor, "/proctor/live", exam_id=exam_id, limit="200")
    assert sorted(ids_of(grid)) == sorted(crowded["in_progress"])

    # Without an exam, the agency's in-progress list holds both exams' sessions and nothing of another status
    agency_live = every_page(api, proctor, "/proctor/sessions", status="in_progress", limit="500")
    assert sorted(ids_of(agency_live)) == sorted(crowded["in_progress"] | {crowded["other_session"]})
    # And the whole agency, unfiltered
    everything = every_page(api, proctor, "/proctor/sessions", limit="250")
    assert sorted(ids_of(everything)) == sorted(
        crowded["in_progress"] | crowded["submitted"] | {crowded["other_session"]}
    )


def test_cursors_are_checked_and_stay_in_their_agency(api, crowded, other_agency):
    proctor, exam_id = crowded["proctor"], crowded["exam_id"]
    first = ok(api.call("GET", "/proctor/sessions", proctor, params={"exam_id": exam_id, "limit": "10"}))
    cursor = first["next_cursor"]
    assert cursor and len(first["sessions"]) == 10

    # Another agency's proctor cannot use it (nor learn anything from it)
    stranger = api.login(other_agency["proctor"], PASSWORD)
    foreign = api.call("GET", "/proctor/sessions", stranger, params={"exam_id": exam_id, "cursor": cursor})
    assert_error(foreign, 400, "request.invalid_cursor")
    # And the stranger's own view of that exam is empty
    assert ok(api.call("GET", "/proctor/sessions", stranger, params={"exam_id": exam_id}))["sessions"] == []

    # A cursor made for another filter, a tampered one and garbage are refused; never a 500
    other_filter = api.call("GET", "/proctor/sessions", proctor, params={"status": "submitted", "cursor": cursor})
    assert_error(other_filter, 400, "request.invalid_cursor")
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["k"][0] = ["yesterday", "../../etc"]
    tampered = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    for bad in (tampered, "not-a-cursor", "e30", "A" * 3000):
        response = api.call("GET", "/proctor/sessions", proctor, params={"exam_id": exam_id, "cursor": bad})
        assert response.status_code == 400, (bad[:40], response.text)
    for limit in ("0", "501", "ten", "-1"):
        response = api.call("GET", "/proctor/sessions", proctor, params={"limit": limit})
        assert_error(response, 400, "request.invalid_field")

    # The cursor still works for its owner, and the next page does not repeat the first
    second = ok(
        api.call("GET", "/proctor/sessions", proctor, params={"exam_id": exam_id, "limit": "10", "cursor": cursor})
    )
    assert not {s["session_id"] for s in first["sessions"]} & {s["session_id"] for s in second["sessions"]}


def test_live_changes_reach_the_paged_lists(api, crowded):
    proctor, exam_id = crowded["proctor"], crowded["exam_id"]

    def in_progress() -> set[str]:
        return set(ids_of(every_page(api, proctor, "/proctor/live", exam_id=exam_id, limit="500")))

    # When a new candidate starts, Then the live grid has the session at once
    _, newcomer = admit(api, crowded["admin"], exam_id)
    started = ok(api.call("POST", f"/exams/{exam_id}/sessions", newcomer, json={}))["session_id"]
    assert started in in_progress()

    # When the candidate submits, Then the session leaves the in-progress lists for the review queue
    ok(api.call("POST", f"/sessions/{started}/submit", newcomer))
    assert started not in in_progress()
    queue = every_page(api, proctor, "/proctor/review", exam_id=exam_id, limit="500")
    assert set(ids_of(queue)) == crowded["submitted"] | {started}
    crowded["in_progress"].discard(started)


def test_the_lists_merge_every_shard_newest_first_and_the_cursor_carries_each_shard(api, crowded):
    """The exam's sessions are spread over every shard of the index; small pages still come newest first across the
    whole status (each page's sessions are older than the previous page's), none repeated or skipped."""
    shards = {session_index.shard_of(session_id) for session_id in crowded["submitted"]}
    assert shards == set(range(session_index.SHARDS))  # 40 sessions over 8 shards: every shard has some
    exam_id, proctor = crowded["exam_id"], crowded["proctor"]
    pages = every_page(api, proctor, "/proctor/sessions", exam_id=exam_id, status="submitted", limit="3")
    ids = ids_of(pages)
    assert len(ids) == len(set(ids)) and set(ids) == crowded["submitted"]
    assert all(len(answer["sessions"]) <= 3 for answer in pages)
    starts = [sorted(s["started_at"] for s in answer["sessions"]) for answer in pages if answer["sessions"]]
    assert all(newer[0] >= older[-1] for newer, older in zip(starts, starts[1:], strict=False))
    # the cursor holds a position per shard, and the walk moved through several of them
    moved = set()
    for answer in pages[:-1]:
        cursor = answer["next_cursor"]
        positions = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["k"]
        assert len(positions) == session_index.SHARDS
        moved |= {n for n, at in enumerate(positions) if at is not None}
    assert len(moved) == session_index.SHARDS


def test_the_live_grid_first_page_holds_the_newest_sessions(api, crowded):
    """A client that reads only the first page sees the newest sessions in progress, as before the shards."""
    exam_id, proctor = crowded["exam_id"], crowded["proctor"]
    _, newcomer = admit(api, crowded["admin"], exam_id)
    started = ok(api.call("POST", f"/exams/{exam_id}/sessions", newcomer, json={}))["session_id"]
    first = ok(api.call("GET", "/proctor/live", proctor, params={"exam_id": exam_id, "limit": "5"}))
    assert started in {s["session_id"] for s in first["sessions"]}
    agency_first = ok(api.call("GET", "/proctor/sessions", proctor, params={"status": "in_progress", "limit": "5"}))
    assert started in {s["session_id"] for s in agency_first["sessions"]}
    crowded["in_progress"].add(started)


def test_a_session_listed_under_an_old_status_is_not_shown_there(api, crowded):
    """The index is read first (keys only), then the page's items: a session whose status changed in between is
    shown under its new status only, so a filter stays exact."""
    exam_id, agency_id = crowded["exam_id"], crowded["proctor_agency"]
    (ghost,) = bulk_sessions(agency_id, exam_id, "submitted", 1, datetime.now(UTC))
    record = SessionRecord.get(ghost)
    stale = session_index.index_keys(exam_id, agency_id, "in_progress", ghost)
    # Given an item whose index keys still say in_progress while its status already says submitted
    record.update(actions=[SessionRecord.exam_status.set(stale["exam_status"])])
    live = ids_of(every_page(api, crowded["proctor"], "/proctor/live", exam_id=exam_id, limit="500"))
    assert ghost not in live
    record.update(
        actions=[
            SessionRecord.exam_status.set(
                session_index.index_keys(exam_id, agency_id, "submitted", ghost)["exam_status"]
            )
        ]
    )
    crowded["submitted"].add(ghost)


def test_the_indexes_hold_keys_only(api, crowded):
    """KEYS_ONLY: the index holds the keys and nothing an answer or a counter changes."""
    client = boto3.client("dynamodb", endpoint_url=crowded["endpoint_url"], region_name="us-east-1")
    table = wiring.settings().table_prefix + "sessions"
    description = client.describe_table(TableName=table)["Table"]
    assert {i["IndexName"]: i["Projection"]["ProjectionType"] for i in description["GlobalSecondaryIndexes"]} == {
        "by_exam_status": "KEYS_ONLY",
        "by_agency_status": "KEYS_ONLY",
    }


def test_sessions_written_before_the_shards_are_listed_once_reindexed(api, crowded):
    """A session with the old unsharded keys ("<id>#<status>") is in no partition the lists read; reindex moves it."""
    exam_id, agency_id = crowded["exam_id"], crowded["proctor_agency"]
    (old,) = bulk_sessions(agency_id, exam_id, "submitted", 1, datetime.now(UTC))
    record = SessionRecord.get(old)
    record.update(
        actions=[
            SessionRecord.exam_status.set(f"{exam_id}#submitted"),
            SessionRecord.agency_status.set(f"{agency_id}#submitted"),
        ]
    )

    def listed() -> set[str]:
        pages = every_page(
            api, crowded["proctor"], "/proctor/sessions", exam_id=exam_id, status="submitted", limit="500"
        )
        return set(ids_of(pages))

    assert old not in listed()
    assert (
        session_index.reindex([SessionRecord.get(old), *SessionRecord.batch_get(list(crowded["submitted"])[:5])]) == 1
    )
    assert old in listed()
    crowded["submitted"].add(old)
