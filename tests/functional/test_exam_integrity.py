"""Exam integrity over real HTTP: opaque per-session option ids, sessions that keep the bank version they drew
from while the bank is re-imported, and bank imports that are all or nothing."""

from __future__ import annotations

import re

import pytest

from chalicelib import wiring
from chalicelib.core.errors import Conflict, Unavailable
from chalicelib.exam.bank_import import MAX_ITEM_BYTES, MAX_TEXT_BYTES, QuestionDraft
from chalicelib.exam.catalog import ExamCatalog
from chalicelib.exam.models import ExamRecord, QuestionRecord
from local.seed import demo_bank
from tests.helpers import admit, assert_error, ok

CHOICE_ID = re.compile(r"^[0-9a-f]{12}$")


@pytest.fixture
def models(stack):
    wiring.settings()  # binds the models of this process to the stack's tables


def start(api, ctx, candidate: str | None = None) -> dict:
    response = api.call("POST", f"/exams/{ctx['exam_id']}/sessions", candidate or ctx["candidate"], json={})
    assert response.status_code in (200, 201), response.text
    return response.json()


def correct_choice(item: dict) -> str:
    """The demo bank's right answer is its option `a`, whose English text is "Answer a"."""
    [choice] = [o["option_id"] for o in item["options"] if o["text"]["en"] == "Answer a"]
    return choice


def answer(api, token: str, session: dict, item_id: str, option_id: str):
    return api.call("PUT", f"/sessions/{session['session_id']}/answers/{item_id}", token, json={"option_id": option_id})


def import_bank(api, ctx, body):
    return api.call("POST", f"/admin/exams/{ctx['exam_id']}/questions", ctx["admin"], json=body)


def bank_item(item_id: str, block: str = "law", label: str = "Q", options: int = 4, size: int = 0) -> dict:
    text = label + "x" * size
    return {
        "id": item_id,
        "block": block,
        "correct": "a",
        "text": {"kk": text, "ru": text, "en": text},
        "options": [{"id": o, "text": {"kk": o, "ru": o, "en": o}} for o in "abcdefgh"[:options]],
    }


# --- Option ids ----------------------------------------------------------------------------------------------


def test_the_candidate_sees_opaque_option_ids_that_differ_per_session(api, make_exam):
    # Given an exam whose author named the options a-d (and a is always right)
    ctx = make_exam()
    _, second_candidate = admit(api, ctx["admin"], ctx["exam_id"])

    # When two candidates start it
    first, second = start(api, ctx), start(api, ctx, second_candidate)

    # Then neither sees the author's ids: every option id is an opaque id of that session alone
    for session in (first, second):
        ids = [o["option_id"] for item in session["items"] for o in item["options"]]
        assert all(CHOICE_ID.match(i) for i in ids), ids
        assert len(set(ids)) == len(ids)
    assert not {o["option_id"] for i in first["items"] for o in i["options"]} & {
        o["option_id"] for i in second["items"] for o in i["options"]
    }
    # And the author's id is not an answer
    item = first["items"][0]
    assert_error(answer(api, ctx["candidate"], first, item["item_id"], "a"), 422, "answer.invalid_option")


def test_answers_keep_the_sessions_ids_across_a_reload_and_score_correctly(api, make_exam):
    ctx = make_exam()
    session = start(api, ctx)
    right = {item["item_id"]: correct_choice(item) for item in session["items"][:3]}
    wrong = {
        item["item_id"]: next(o["option_id"] for o in item["options"] if o["text"]["en"] == "Answer b")
        for item in session["items"][3:]
    }
    for item_id, choice in {**right, **wrong}.items():
        ok(answer(api, ctx["candidate"], session, item_id, choice))

    # When the page is reloaded (F5), Then the same items, option ids and answers come back
    reloaded = ok(api.call("GET", f"/sessions/{session['session_id']}", ctx["candidate"]))
    assert reloaded["items"] == session["items"]
    assert reloaded["answers"] == {**right, **wrong}
    # And a second start (another tab) sees the same ids too
    assert start(api, ctx)["items"] == session["items"]

    # And the score maps the candidate's ids back to the author's key
    submitted = ok(api.call("POST", f"/sessions/{session['session_id']}/submit", ctx["candidate"]))
    assert submitted["score"] == {"correct": 3, "total": 5, "percent": 60.0}


# --- A session keeps its bank version --------------------------------------------------------------------------


def test_reimporting_the_bank_during_a_live_exam_leaves_running_sessions_as_they_started(api, make_exam):
    # Given a session in progress on the demo bank
    ctx = make_exam()
    session = start(api, ctx)
    shown = {item["item_id"]: item for item in session["items"]}

    # When the admin re-imports a bank that drops every one of those items and reuses two ids with new content
    reused = list(shown)[:2]
    replacement = [bank_item(f"new-law-{n}", "law", "New") for n in range(3)]
    replacement += [bank_item(f"new-ethics-{n}", "ethics", "New") for n in range(2)]
    replacement += [{**bank_item(item_id, shown[item_id]["block_id"], "Changed", options=2)} for item_id in reused]
    assert ok(import_bank(api, ctx, {"items": replacement})) == {"imported": 7, "bank_size": 7}

    # Then the running session still reads its own items, unchanged (no 500)
    again = ok(api.call("GET", f"/sessions/{session['session_id']}", ctx["candidate"]))
    assert again["items"] == session["items"]

    # And answers and the score follow the version it started with
    for item in session["items"]:
        ok(answer(api, ctx["candidate"], session, item["item_id"], correct_choice(item)))
    submitted = ok(api.call("POST", f"/sessions/{session['session_id']}/submit", ctx["candidate"]))
    assert submitted["score"] == {"correct": 5, "total": 5, "percent": 100.0}

    # While a session started now draws from the new bank only
    _, newcomer = admit(api, ctx["admin"], ctx["exam_id"])
    fresh = start(api, ctx, newcomer)
    assert all(item["text"]["en"].startswith(("New", "Changed")) for item in fresh["items"])


# --- Imports are validated in bytes and all or nothing -----------------------------------------------------------


def test_an_item_over_the_limits_is_refused_before_anything_is_written(api, make_exam):
    # Given an exam with a live bank and a session on it
    ctx = make_exam()
    session = start(api, ctx)
    size_before = ok(api.call("GET", f"/admin/exams/{ctx['exam_id']}", ctx["admin"]))["bank_size"]

    # When an import holds good rows and a row whose text is over DynamoDB's 400 KB item limit (which made a 500
    # after writing the rows before it) and one whose 8 options together pass the item limit
    items = [bank_item(f"ok-{n}") for n in range(30)]
    items.insert(10, bank_item("huge", size=450_000 // 3))
    items.insert(
        20,
        {
            **bank_item("wide", options=8),
            "options": [
                {"id": o, "text": {lang: o * (MAX_TEXT_BYTES - 10) for lang in ("kk", "ru", "en")}} for o in "abcdefgh"
            ],
        },
    )
    response = import_bank(api, ctx, {"items": items})

    # Then it is refused with every problem named by row and field
    error = assert_error(response, 422, "bank.invalid")
    problems = {(p["row"], p["field"]) for p in error["details"]}
    assert {(11, "text.kk"), (11, "text.ru"), (11, "text.en"), (21, "item")} <= problems
    assert all(p["row"] in (11, 21) for p in error["details"])
    assert any(str(MAX_ITEM_BYTES) in p["problem"] for p in error["details"] if p["row"] == 21)

    # And nothing changed: the same bank size, and the running session and new sessions see the old bank
    assert ok(api.call("GET", f"/admin/exams/{ctx['exam_id']}", ctx["admin"]))["bank_size"] == size_before
    assert ok(api.call("GET", f"/sessions/{session['session_id']}", ctx["candidate"]))["items"] == session["items"]
    _, newcomer = admit(api, ctx["admin"], ctx["exam_id"])
    assert all(not item["item_id"].startswith("ok-") for item in start(api, ctx, newcomer)["items"])


def staged_rows(exam_id: str) -> set[str]:
    return {q.bank_version for q in QuestionRecord.query(exam_id, attributes_to_get=["bank_version"])}


def test_an_import_that_fails_while_writing_changes_nothing(api, make_exam, models):
    # Given an exam with a live bank
    ctx = make_exam()
    exam = ExamRecord.get(ctx["exam_id"])
    live_version, versions_before = exam.bank_version, staged_rows(ctx["exam_id"])

    # When an import (past validation, as a bug or a DynamoDB limit could let through) fails after 30 writes
    def draft(n: int, text: str = "ok") -> QuestionDraft:
        texts = {"kk": text, "ru": text, "en": text}
        options = [{"option_id": o, "text": texts} for o in "ab"]
        return QuestionDraft(f"w-{n}", "law", texts, options, "a")

    drafts = [draft(n) for n in range(30)] + [draft(30, "x" * 450_000)] + [draft(n) for n in range(31, 40)]
    with pytest.raises(Unavailable) as failure:
        ExamCatalog(wiring.clock()).import_bank(exam, drafts)
    assert failure.value.code == "bank.import_failed"

    # Then the exam still points at the old version with its size, and no staged row is left behind
    exam.refresh()
    assert exam.bank_version == live_version and int(exam.bank_size) == 8
    assert staged_rows(ctx["exam_id"]) == versions_before
    session = start(api, ctx)
    assert not any(item["item_id"].startswith("w-") for item in session["items"])


def test_an_import_that_lost_a_race_to_another_changes_nothing(api, make_exam, models):
    # Given two admins who loaded the exam at the same version
    ctx = make_exam()
    stale = ExamRecord.get(ctx["exam_id"])
    ok(import_bank(api, ctx, demo_bank(3)))  # the first import wins
    winner = ExamRecord.get(ctx["exam_id"]).bank_version

    # When the second import finishes after it, Then it is refused and the first import's bank stays live
    texts = {"kk": "late", "ru": "late", "en": "late"}
    late = [
        QuestionDraft(f"late-{n}", "law", texts, [{"option_id": o, "text": texts} for o in "ab"], "a") for n in range(3)
    ]
    with pytest.raises(Conflict) as refused:
        ExamCatalog(wiring.clock()).import_bank(stale, late)
    assert refused.value.code == "bank.import_conflict"
    assert ExamRecord.get(ctx["exam_id"]).bank_version == winner
    assert ok(api.call("GET", f"/admin/exams/{ctx['exam_id']}", ctx["admin"]))["bank_size"] == 6
    assert not [q for q in QuestionRecord.query(ctx["exam_id"]) if q.item_id.startswith("late-")]
