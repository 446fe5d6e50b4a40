"""The results files on their own: every column has a header in kk/ru/en, text that a spreadsheet would run as a
formula stays text, control characters never break a workbook, and the XLSX reads back as written."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from chalicelib.results import export
from chalicelib.results.report import COLUMNS, SEVERITIES, result_row


def row(full_name: str = "Айгүл", **overrides) -> dict:
    base = result_row("agency-x~cand-1", full_name, None)
    return {**base, **overrides}


def test_every_column_has_a_distinct_header_in_every_language():
    for language in export.LANGUAGES:
        headers = export.headers(language)
        assert len(headers) == len(COLUMNS) == len(set(headers)), language
        assert all(h.strip() for h in headers)
    assert export.headers("kk") != export.headers("ru") != export.headers("en")


def test_a_candidate_who_never_started_is_a_row_of_empty_outcomes():
    never = result_row("agency-x~cand-1", "Айгүл", None)
    assert never["status"] == "not_started" and never["login"] == "cand-1"
    assert never["violations"] == {s: 0 for s in SEVERITIES} and never["review_status"] == "not_applicable"
    assert export.cells(never)[:3] == ["cand-1", "Айгүл", "not_started"]


@pytest.mark.parametrize("name", ["=1+1", "+7 701", "-2", "@SUM(A1)", "\t=x", '=HYPERLINK("http://x","y")'])
def test_formula_looking_text_stays_text_in_the_csv(name):
    text = export.to_csv([row(name)], "en")
    assert text.startswith("\ufeff")
    [header, line] = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header[1] == "Full name" and line[1] == "'" + name


@pytest.mark.parametrize("name", ["=1+1", '=HYPERLINK("http://x","y")', "@cmd"])
def test_formula_looking_text_stays_text_in_the_xlsx(name):
    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx([row(name)], "ru", "Тест")))
    cell = book.active.cell(row=2, column=COLUMNS.index("full_name") + 1)
    assert cell.value == name and cell.data_type == "s"


def test_control_characters_do_not_break_the_workbook():
    data = export.to_xlsx([row("Ivan\x01\x02 Petrov\x0b")], "en", "Exam")
    assert openpyxl.load_workbook(io.BytesIO(data)).active.cell(row=2, column=2).value == "Ivan Petrov"


def test_the_workbook_reads_back_with_typed_cells_and_a_valid_sheet_title():
    scored = row(status="accepted", score=4, max_score=5, percent=80.0, credibility=81, terminated=True)
    scored["violations"] = {"low": 1, "medium": 0, "high": 2}
    data = export.to_xlsx([scored, row("Absent")], "kk", "Тест [2026/05]: қайта*тапсыру? с очень длинным названием")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert len(sheet.title) <= 31 and not set(sheet.title) & set("[]:*?/\\")
    assert [c.value for c in sheet[1]] == export.headers("kk")
    second = {column: cell for column, cell in zip(COLUMNS, sheet[2], strict=True)}
    assert (second["score"].value, second["max_score"].value, second["percent"].value) == (4, 5, 80.0)
    assert second["violations_high"].value == 2 and second["terminated"].value is True
    assert second["credibility"].data_type == "n"
    third = {column: cell.value for column, cell in zip(COLUMNS, sheet[3], strict=True)}
    assert third["full_name"] == "Absent" and third["score"] is None and third["status"] == "not_started"
