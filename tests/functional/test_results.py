"""An exam's results over real HTTP, checked against sessions this test drives through every outcome: accepted,
terminated by a proctor, annulled, still running and never started; paged JSON, a CSV and a real XLSX workbook."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

import openpyxl
import pytest

from chalicelib.proctor.credibility import DEFAULT_WEIGHTS
from chalicelib.results.export import HEADERS, XLSX_TYPE
from chalicelib.results.report import COLUMNS
from tests.helpers import PASSWORD, account_of, assert_error, ok, wait_for

XLSX_ACCEPT = {"Accept": XLSX_TYPE}


def enrol(api, ctx, full_name: str) -> tuple[str, str]:
    """Admit a candidate with this full name, who consents; (login, token)."""
    login = f"res-{uuid.uuid4().hex[:10]}"
    body = {"candidates": [{"user_id": login, "full_name": full_name, "password": PASSWORD}]}
    ok(api.call("POST", f"/admin/exams/{ctx['exam_id']}/roster", ctx["admin"], json=body))
    token = api.login(account_of(ctx["agency_id"], login), PASSWORD)
    ok(api.call("POST", f"/exams/{ctx['exam_id']}/consent", token, json={"accepted": True, "language": "ru"}))
    return login, token


def start(api, ctx, token: str) -> dict:
    return ok(api.call("POST", f"/exams/{ctx['exam_id']}/sessions", token, json={}))


def answer_right(api, token: str, session: dict, count: int) -> None:
    for item in session["items"][:count]:
        [choice] = [o["option_id"] for o in item["options"] if o["text"]["en"] == "Answer a"]
        path = f"/sessions/{session['session_id']}/answers/{item['item_id']}"
        ok(api.call("PUT", path, token, json={"option_id": choice}))


def status_of(api, token: str, session: dict) -> str:
    return ok(api.call("GET", f"/sessions/{session['session_id']}", token))["status"]


def submit_for_review(api, token: str, session: dict) -> None:
    ok(api.call("POST", f"/sessions/{session['session_id']}/submit", token))
    wait_for(lambda: status_of(api, token, session) == "awaiting_review", timeout_s=30)


def browser_events(api, token: str, session: dict, *types: str) -> None:
    now = datetime.now(UTC).isoformat()
    events = [{"event_id": f"ev-{uuid.uuid4().hex[:16]}", "type": t, "occurred_at": now} for t in types]
    ok(api.call("POST", f"/sessions/{session['session_id']}/events", token, json={"events": events}))


def verdict(api, ctx, session: dict, decision: str, reason: str | None = None) -> None:
    body = {"verdict": decision, **({"reason": reason} if reason else {})}
    ok(api.call("POST", f"/proctor/sessions/{session['session_id']}/verdict", ctx["proctor"], json=body))


@pytest.fixture(scope="module")
def sitting(api, agency):
    """One exam (law draws 3, ethics 2) and five candidates, one per outcome."""
    from local.seed import demo_bank
    from tests.helpers import exam_payload

    admin = api.login(agency["admin"], PASSWORD)
    exam = ok(api.call("POST", "/admin/exams", admin, json=exam_payload()))
    ok(api.call("POST", f"/admin/exams/{exam['exam_id']}/questions", admin, json=demo_bank(4)))
    ctx = {
        "exam_id": exam["exam_id"],
        "admin": admin,
        "proctor": api.login(agency["proctor"], PASSWORD),
        "agency_id": agency["agency_id"],
        "proctor_login": agency["proctor"],
    }
    people = {
        "accepted": enrol(api, ctx, "Айгүл Серікқызы"),
        "terminated": enrol(api, ctx, "Иван Петров"),
        "annulled": enrol(api, ctx, '=HYPERLINK("http://x","click")'),
        "running": enrol(api, ctx, "Running Candidate"),
        "absent": enrol(api, ctx, "Absent Candidate"),
    }
    sessions = {name: start(api, ctx, people[name][1]) for name in ("accepted", "terminated", "annulled", "running")}

    token, session = people["accepted"][1], sessions["accepted"]
    answer_right(api, token, session, 4)
    browser_events(api, token, session, "copy", "paste", "second_screen")
    submit_for_review(api, token, session)
    verdict(api, ctx, session, "accept")

    token, session = people["terminated"][1], sessions["terminated"]
    answer_right(api, token, session, 1)
    browser_events(api, token, session, "second_screen")
    rev = ok(api.call("GET", f"/proctor/sessions/{session['session_id']}/timeline", ctx["proctor"]))
    body = {"reason": "phone on the desk", "expected_rev": rev["session"]["control_rev"]}
    ok(api.call("POST", f"/proctor/sessions/{session['session_id']}/terminate", ctx["proctor"], json=body))
    wait_for(lambda: status_of(api, token, session) == "awaiting_review", timeout_s=30)

    token, session = people["annulled"][1], sessions["annulled"]
    answer_right(api, token, session, 5)
    submit_for_review(api, token, session)
    verdict(api, ctx, session, "annul", "someone else took it")

    ctx.update(people=people, sessions=sessions)
    return ctx


def results(api, ctx, query: str = "") -> dict:
    return ok(api.call("GET", f"/admin/exams/{ctx['exam_id']}/results{query}", ctx["admin"]))


def by_login(rows: list[dict]) -> dict[str, dict]:
    return {row["login"]: row for row in rows}


def test_results_show_every_candidate_with_the_outcome_of_their_sitting(api, sitting):
    rows = by_login(results(api, sitting)["results"])
    login = {name: person[0] for name, person in sitting["people"].items()}
    assert set(rows) == set(login.values())

    accepted = rows[login["accepted"]]
    assert accepted["full_name"] == "Айгүл Серікқызы"
    assert (accepted["status"], accepted["verdict"], accepted["review_status"]) == ("accepted", "accepted", "reviewed")
    assert (accepted["score"], accepted["max_score"], accepted["percent"]) == (4, 5, 80.0)
    assert accepted["violations"] == {"low": 1, "medium": 1, "high": 1}
    weights = DEFAULT_WEIGHTS["copy"] + DEFAULT_WEIGHTS["paste"] + DEFAULT_WEIGHTS["second_screen"]
    assert accepted["credibility"] == 100 - weights == 81
    assert accepted["reviewed_by"] == sitting["proctor_login"].lower() and accepted["reviewed_at"]
    assert accepted["terminated"] is False and accepted["submitted_at"]

    terminated = rows[login["terminated"]]
    assert (terminated["status"], terminated["review_status"], terminated["verdict"]) == (
        "awaiting_review",
        "pending",
        None,
    )
    assert terminated["terminated"] is True and terminated["termination_reason"] == "phone on the desk"
    assert (terminated["score"], terminated["max_score"]) == (1, 5)
    assert terminated["violations"] == {"low": 0, "medium": 0, "high": 1} and terminated["credibility"] == 88

    annulled = rows[login["annulled"]]
    assert (annulled["status"], annulled["verdict"], annulled["review_status"]) == ("annulled", "annulled", "reviewed")
    assert annulled["verdict_reason"] == "someone else took it"
    assert annulled["score"] is None and annulled["max_score"] is None  # an annulled sitting has no score
    assert annulled["credibility"] == 100 and annulled["violations"] == {"low": 0, "medium": 0, "high": 0}

    running = rows[login["running"]]
    assert (running["status"], running["review_status"], running["score"]) == ("in_progress", "not_applicable", None)
    assert running["credibility"] == 100 and running["started_at"] and running["submitted_at"] is None

    absent = rows[login["absent"]]
    assert absent["status"] == "not_started" and absent["session_id"] is None
    assert absent["credibility"] is None and absent["full_name"] == "Absent Candidate"

    # And the counts agree with what the proctor's timeline shows for each session
    for name in ("accepted", "terminated"):
        session_id = sitting["sessions"][name]["session_id"]
        timeline = ok(api.call("GET", f"/proctor/sessions/{session_id}/timeline", sitting["proctor"]))
        assert rows[login[name]]["violation_counts"] == timeline["session"]["violation_counts"]
        assert rows[login[name]]["credibility"] == timeline["session"]["credibility"]


def test_results_page_with_an_opaque_cursor_that_only_this_exam_and_agency_accept(api, sitting, make_exam):
    everything = [r["login"] for r in results(api, sitting)["results"]]
    seen, cursor = [], None
    while True:
        page = results(api, sitting, f"?limit=2&cursor={cursor}" if cursor else "?limit=2")
        assert len(page["results"]) <= 2
        seen += [r["login"] for r in page["results"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything and len(seen) == 5

    cursor = results(api, sitting, "?limit=2")["next_cursor"]
    other = make_exam()  # same agency, another exam
    for path, token in (
        (f"/admin/exams/{other['exam_id']}/results?cursor={cursor}", sitting["admin"]),
        (f"/admin/exams/{sitting['exam_id']}/results?cursor=bm90LWEtY3Vyc29y", sitting["admin"]),
        (f"/admin/exams/{sitting['exam_id']}/results?cursor={'x' * 1025}", sitting["admin"]),
    ):
        response = api.call("GET", path, token)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] in ("request.invalid_cursor", "request.invalid_field")


def test_the_csv_export_has_localized_headers_and_the_same_rows(api, sitting):
    response = api.call("GET", f"/admin/exams/{sitting['exam_id']}/results?format=csv&lang=kk", sitting["admin"])
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/csv")
    assert f"results-{sitting['exam_id']}-kk.csv" in response.headers["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheet programs then read UTF-8

    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0] == [HEADERS["kk"][c] for c in COLUMNS]
    assert table[0][:3] == ["Логин", "Аты-жөні", "Мәртебесі"]
    rows = by_login(results(api, sitting)["results"])
    assert len(table) == 1 + len(rows)
    for line in table[1:]:
        cells = dict(zip(COLUMNS, line, strict=True))
        row = rows[cells["login"]]
        expected_name = row["full_name"]
        if expected_name.startswith("="):
            expected_name = "'" + expected_name  # never run as a formula
        assert cells["full_name"] == expected_name
        assert cells["status"] == row["status"]
        assert cells["score"] == ("" if row["score"] is None else str(row["score"]))
        assert cells["violations_high"] == str(row["violations"]["high"])
        assert cells["credibility"] == ("" if row["credibility"] is None else str(row["credibility"]))


def test_the_xlsx_export_is_a_real_workbook_checked_cell_by_cell(api, sitting):
    path = f"/admin/exams/{sitting['exam_id']}/results?format=xlsx&lang=ru"
    response = api.call("GET", path, sitting["admin"], headers=XLSX_ACCEPT)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == XLSX_TYPE
    assert response.content[:2] == b"PK"  # a zip container, not CSV renamed

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet.title == "Экзамен"
    values = [[cell.value for cell in line] for line in sheet.iter_rows()]
    assert values[0] == [HEADERS["ru"][c] for c in COLUMNS] and values[0][1] == "ФИО"
    assert all(cell.font.bold for cell in sheet[1])
    rows = by_login(results(api, sitting)["results"])
    assert len(values) == 1 + len(rows)
    for line in sheet.iter_rows(min_row=2):
        cells = dict(zip(COLUMNS, line, strict=True))
        row = rows[cells["login"].value]
        for column in COLUMNS:
            expected = row["violations"][column.split("_")[1]] if column.startswith("violations_") else row[column]
            assert cells[column].value == expected, (row["login"], column)
        # numbers are numbers, the formula-looking name is text, never a formula
        if row["score"] is not None:
            assert cells["score"].data_type == "n" and isinstance(cells["score"].value, int)
        assert cells["full_name"].data_type == "s"
        assert cells["terminated"].data_type == "b"


def test_an_xlsx_comes_to_any_client_that_takes_it_but_not_to_one_that_takes_json_only(api, sitting):
    path = f"/admin/exams/{sitting['exam_id']}/results?format=xlsx"
    anything = api.call("GET", path, sitting["admin"], headers={"Accept": "*/*"})  # what a browser download sends
    assert anything.status_code == 200 and openpyxl.load_workbook(io.BytesIO(anything.content)).active.max_row == 6
    json_only = api.call("GET", path, sitting["admin"], headers={"Accept": "application/json"})
    assert_error(json_only, 400, "request.bad_request")


def test_results_of_another_agency_or_for_a_proctor_are_refused(api, sitting, other_agency):
    stranger = api.login(other_agency["admin"], PASSWORD)
    for query in ("", "?format=csv", "?format=xlsx"):
        path = f"/admin/exams/{sitting['exam_id']}/results{query}"
        assert_error(api.call("GET", path, stranger, headers=XLSX_ACCEPT), 404, "exam.not_found")
        assert_error(api.call("GET", path, sitting["proctor"], headers=XLSX_ACCEPT), 403, "auth.forbidden_role")
        candidate = sitting["people"]["running"][1]
        assert_error(api.call("GET", path, candidate, headers=XLSX_ACCEPT), 403, "auth.forbidden_role")
