"""The question bank in the admin console over real HTTP: the dry run's row-by-row report (nothing stored, whatever
the file), and the preview of the live bank in every language with its size per block against the draw."""

from __future__ import annotations

import json

import pytest

from chalicelib import wiring
from chalicelib.exam.bank_import import MAX_TEXT_BYTES
from chalicelib.exam.models import ExamRecord, QuestionRecord
from local.seed import demo_bank
from tests.helpers import assert_error, ok
from tests.paths import REPO_ROOT

OPTIONS = ("a", "b", "c")
HEADER = ",".join(
    ["id", "block", "correct"]
    + [f"text_{lang}" for lang in ("kk", "ru", "en")]
    + [f"option_{o}_{lang}" for o in OPTIONS for lang in ("kk", "ru", "en")]
)
STRINGS = {
    lang: json.loads((REPO_ROOT / "web" / "src" / "shared" / "i18n" / f"{lang}.json").read_text())
    for lang in ("kk", "ru", "en")
}


def row(item_id: str, block: str = "law", correct: str = "a", label: str = "Q", option_text: str = "") -> str:
    cells = [item_id, block, correct, f"{label} kk", f"{label} ru", f"{label} en"]
    for option in OPTIONS:
        cells += [f"{option}{option_text} kk", f"{option}{option_text} ru", f"{option}{option_text} en"]
    return ",".join(cells)


def dry_run(api, ctx, data: str | bytes, content_type: str = "text/csv"):
    body = data.encode("utf-8") if isinstance(data, str) else data
    return api.call(
        "POST",
        f"/admin/exams/{ctx['exam_id']}/questions?dry_run=true",
        ctx["admin"],
        data=body,
        headers={"Content-Type": content_type},
    )


@pytest.fixture
def stored(stack):
    """What an import would change: the exam's bank pointer and size, and every question row of the exam."""
    wiring.settings()

    def read(exam_id: str) -> tuple:
        exam = ExamRecord.get(exam_id)
        rows = sorted(q.item_key for q in QuestionRecord.query(exam_id))
        return exam.bank_version, int(exam.bank_size), rows

    return read


def codes(report: dict, number: int) -> list[str]:
    [entry] = [r for r in report["rows"] if r["row"] == number]
    return [e["code"] for e in entry["errors"]]


def test_a_malformed_csv_gets_a_row_by_row_report_and_nothing_is_stored(api, make_exam, stored):
    # Given an exam (law draws 3, ethics 2) with the demo bank
    ctx = make_exam()
    before = stored(ctx["exam_id"])
    oversized = "x" * (MAX_TEXT_BYTES - 10)
    lines = [
        HEADER,
        row("q-1"),  # fine
        row("q-2", block="history"),  # unknown block
        row("q-1", block="ethics"),  # duplicate id
        row("q-4", option_text=oversized),  # every text fits, the item as a whole does not
        row("q 5", correct="z"),  # malformed id and a key that is not an option
        row("q-6", block="ethics"),  # fine
    ]

    # When the admin dry-runs it
    report = ok(dry_run(api, ctx, "\r\n".join(lines) + "\r\n"))

    # Then each row is reported with its item id and error codes; the good rows have none
    assert report["ok"] is False and report["stored"] is False and report["total_rows"] == 6
    assert [(r["row"], r["item_id"]) for r in report["rows"]] == [
        (1, "q-1"),
        (2, "q-2"),
        (3, "q-1"),
        (4, "q-4"),
        (5, "q 5"),
        (6, "q-6"),
    ]
    assert codes(report, 1) == [] and codes(report, 6) == []
    assert codes(report, 2) == ["bank.row.block_unknown"]
    assert codes(report, 3) == ["bank.row.id_duplicate"]
    assert codes(report, 4) == ["bank.row.item_too_large"]
    assert sorted(codes(report, 5)) == ["bank.row.correct_unknown", "bank.row.id_invalid"]
    # And every code comes with its message key, which has a text in kk, ru and en
    for entry in report["rows"]:
        for error in entry["errors"]:
            assert error["message_key"] == f"errors.{error['code']}"
            assert all(STRINGS[lang].get(error["message_key"]) for lang in STRINGS), error
    # And the bank size per block is set against what the exam draws
    assert report["per_block"] == {
        "law": {"items": 3, "valid_items": 1, "draws": 3, "enough": False},
        "ethics": {"items": 2, "valid_items": 1, "draws": 2, "enough": False},
    }
    assert report["file_errors"] == []
    # And nothing was stored
    assert stored(ctx["exam_id"]) == before


@pytest.mark.parametrize(
    ("data", "code", "row_number"),
    [
        ((HEADER + "\n" + row("q-1") + "\n" + row("q-2", label="Вопрос") + "\n").encode("cp1251"), "bank.not_utf8", 2),
        ("id,text_ru\nq-1,Вопрос\n", "bank.csv_missing_columns", 0),
        (HEADER + "\nq-1,law,a," + "x" * 200_000 + "\n", "bank.csv_malformed", None),
        (HEADER + "\n", "bank.empty", 0),
    ],
    ids=["bad-encoding", "missing-columns", "oversized-cell", "no-rows"],
)
def test_a_csv_that_cannot_be_read_is_reported_as_a_file_error(api, make_exam, stored, data, code, row_number):
    ctx = make_exam()
    before = stored(ctx["exam_id"])

    report = ok(dry_run(api, ctx, data))

    assert report["ok"] is False
    [error] = report["file_errors"]
    assert error["code"] == code and error["message_key"] == f"errors.{code}"
    assert all(STRINGS[lang].get(error["message_key"]) for lang in STRINGS)
    if row_number is not None:
        assert error["row"] == row_number
    assert stored(ctx["exam_id"]) == before


def test_a_valid_file_is_reported_ok_with_its_size_per_block_and_still_nothing_is_stored(api, make_exam, stored):
    ctx = make_exam()
    before = stored(ctx["exam_id"])
    lines = [HEADER] + [row(f"law-{n}") for n in range(5)] + [row(f"eth-{n}", block="ethics") for n in range(1)]

    report = ok(dry_run(api, ctx, "\n".join(lines)))

    assert report["ok"] is True and report["file_errors"] == []
    assert all(r["errors"] == [] for r in report["rows"]) and len(report["rows"]) == 6
    assert report["per_block"]["law"] == {"items": 5, "valid_items": 5, "draws": 3, "enough": True}
    assert report["per_block"]["ethics"] == {"items": 1, "valid_items": 1, "draws": 2, "enough": False}
    assert stored(ctx["exam_id"]) == before
    # The same file without dry_run imports (the report predicted it)
    imported = api.call(
        "POST",
        f"/admin/exams/{ctx['exam_id']}/questions?dry_run=false",
        ctx["admin"],
        data="\n".join(lines).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert ok(imported) == {"imported": 6, "bank_size": 6}


def test_a_json_bank_dry_run_reports_rows_too(api, make_exam, stored):
    ctx = make_exam()
    before = stored(ctx["exam_id"])
    bank = demo_bank(2)
    bank["items"][1]["options"] = bank["items"][1]["options"][:1]
    bank["items"].append("not an item")

    report = ok(dry_run(api, ctx, json.dumps(bank), "application/json"))

    assert codes(report, 2) == ["bank.row.options_count", "bank.row.correct_unknown"]
    assert codes(report, 5) == ["bank.row.not_object"] and report["rows"][4]["item_id"] is None
    assert report["per_block"]["law"]["items"] == 2 and report["per_block"]["law"]["valid_items"] == 1
    assert stored(ctx["exam_id"]) == before
    no_items = ok(dry_run(api, ctx, json.dumps({"questions": []}), "application/json"))
    assert [e["code"] for e in no_items["file_errors"]] == ["bank.items_missing"]
    assert_error(dry_run(api, ctx, "{not json", "application/json"), 400, "request.malformed_json")
    assert_error(dry_run(api, ctx, json.dumps([bank]), "application/json"), 400, "request.body_not_object")


def test_an_import_that_is_not_utf8_names_the_line(api, make_exam, stored):
    ctx = make_exam()
    data = (HEADER + "\n" + row("q-1") + "\n" + row("q-2", label="Вопрос") + "\n").encode("cp1251")
    response = api.call(
        "POST",
        f"/admin/exams/{ctx['exam_id']}/questions",
        ctx["admin"],
        data=data,
        headers={"Content-Type": "text/csv"},
    )
    error = assert_error(response, 400, "bank.not_utf8")
    assert "line 3" in error["message"] and error["details"][0]["row"] == 2


# --- Preview ---------------------------------------------------------------------------------------------------


def test_the_preview_shows_every_item_in_every_language_with_the_bank_size_per_block(api, make_exam):
    # Given the demo bank: 4 items per block, law draws 3 and ethics 2
    ctx = make_exam()
    bank = {item["id"]: item for item in demo_bank(4)["items"]}

    preview = ok(api.call("GET", f"/admin/exams/{ctx['exam_id']}/questions", ctx["admin"]))

    assert preview["bank_size"] == 8 and preview["next_cursor"] is None
    assert {b: (v["items"], v["draws"], v["enough"]) for b, v in preview["per_block"].items()} == {
        "law": (4, 3, True),
        "ethics": (4, 2, True),
    }
    assert preview["per_block"]["law"]["title"]["kk"]
    assert sorted(i["item_id"] for i in preview["items"]) == sorted(bank)
    for item in preview["items"]:
        source = bank[item["item_id"]]
        assert item["block_id"] == source["block"] and item["correct_option"] == source["correct"]
        assert item["text"] == source["text"] and set(item["text"]) == {"kk", "ru", "en"}
        assert item["options"] == [{"option_id": o["id"], "text": o["text"]} for o in source["options"]]


def test_the_preview_pages_with_an_opaque_cursor_and_filters_by_block(api, make_exam, other_agency):
    ctx = make_exam()
    path = f"/admin/exams/{ctx['exam_id']}/questions"
    seen, cursor = [], None
    while True:
        page = ok(api.call("GET", path + (f"?limit=3&cursor={cursor}" if cursor else "?limit=3"), ctx["admin"]))
        assert len(page["items"]) <= 3
        seen += [i["item_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 8

    ethics = ok(api.call("GET", path + "?block_id=ethics&limit=3", ctx["admin"]))
    assert [i["block_id"] for i in ethics["items"]] == ["ethics"] * 3
    rest = ok(api.call("GET", path + f"?block_id=ethics&limit=3&cursor={ethics['next_cursor']}", ctx["admin"]))
    assert [i["block_id"] for i in rest["items"]] == ["ethics"] and rest["next_cursor"] is None

    # A cursor of another filter, another exam, or garbage is refused
    other = make_exam()
    for bad in (
        f"{path}?limit=3&cursor={ethics['next_cursor']}",
        f"/admin/exams/{other['exam_id']}/questions?block_id=ethics&cursor={ethics['next_cursor']}",
        f"{path}?cursor=not-a-cursor",
    ):
        assert_error(api.call("GET", bad, ctx["admin"]), 400, "request.invalid_cursor")
    # And after a re-import a cursor of the old bank version is stale
    ok(api.call("POST", path, ctx["admin"], json=demo_bank(4)))
    stale = api.call("GET", path + f"?block_id=ethics&limit=3&cursor={ethics['next_cursor']}", ctx["admin"])
    assert_error(stale, 400, "request.invalid_cursor")


def test_the_preview_of_an_exam_without_a_bank_is_empty(api, make_exam):
    ctx = make_exam()
    payload = {k: v for k, v in ok(api.call("GET", f"/admin/exams/{ctx['exam_id']}", ctx["admin"])).items()}
    copy = api.call(
        "POST",
        "/admin/exams",
        ctx["admin"],
        json={k: payload[k] for k in ("title", "duration_s", "blocks", "opens_at", "closes_at")},
    )
    preview = ok(api.call("GET", f"/admin/exams/{ok(copy)['exam_id']}/questions", ctx["admin"]))
    assert preview["items"] == [] and preview["bank_size"] == 0 and preview["bank_version"] is None
    assert preview["per_block"]["law"]["items"] == 0 and preview["per_block"]["law"]["enough"] is False
