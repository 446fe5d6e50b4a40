"""An exam's results as a file: CSV (UTF-8 with a BOM, so spreadsheet programs read Cyrillic right) or a real XLSX
workbook (openpyxl), with the column headers in the admin's language. Values stay the API's codes and numbers.

Cells that a spreadsheet would run as a formula (text starting with =, +, -, @, tab or CR: a candidate's name is
typed by people) are written as text: in the CSV with a leading apostrophe, in the XLSX as a string cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from chalicelib.core.optional_imports import without
from chalicelib.results.report import COLUMNS

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
LANGUAGES = ("kk", "ru", "en")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADERS: dict[str, dict[str, str]] = {
    "en": {
        "login": "Login",
        "full_name": "Full name",
        "status": "Status",
        "score": "Score",
        "max_score": "Max score",
        "percent": "Percent",
        "verdict": "Verdict",
        "violations_low": "Violations (low)",
        "violations_medium": "Violations (medium)",
        "violations_high": "Violations (high)",
        "credibility": "Credibility",
        "review_status": "Review status",
        "terminated": "Terminated by proctor",
        "started_at": "Started at (UTC)",
        "submitted_at": "Submitted at (UTC)",
    },
    "ru": {
        "login": "Логин",
        "full_name": "ФИО",
        "status": "Статус",
        "score": "Баллы",
        "max_score": "Максимум баллов",
        "percent": "Процент",
        "verdict": "Решение",
        "violations_low": "Нарушения (низкие)",
        "violations_medium": "Нарушения (средние)",
        "violations_high": "Нарушения (высокие)",
        "credibility": "Достоверность",
        "review_status": "Статус проверки",
        "terminated": "Прервано проктором",
        "started_at": "Начало (UTC)",
        "submitted_at": "Завершение (UTC)",
    },
    "kk": {
        "login": "Логин",
        "full_name": "Аты-жөні",
        "status": "Мәртебесі",
        "score": "Ұпай",
        "max_score": "Ең жоғары ұпай",
        "percent": "Пайыз",
        "verdict": "Шешім",
        "violations_low": "Бұзушылықтар (төмен)",
        "violations_medium": "Бұзушылықтар (орташа)",
        "violations_high": "Бұзушылықтар (жоғары)",
        "credibility": "Сенімділік",
        "review_status": "Тексеру мәртебесі",
        "terminated": "Проктор тоқтатты",
        "started_at": "Басталуы (UTC)",
        "submitted_at": "Аяқталуы (UTC)",
    },
}


def cells(row: dict[str, Any]) -> list[Any]:
    """A result row (report.result_row) as the export's cells, in COLUMNS order."""
    flat = {**row, **{f"violations_{severity}": n for severity, n in row["violations"].items()}}
    return [flat[column] for column in COLUMNS]


def headers(language: str) -> list[str]:
    return [HEADERS[language][column] for column in COLUMNS]


def _text_cell(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def to_csv(rows: Iterable[dict[str, Any]], language: str) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers(language))
    for row in rows:
        writer.writerow(["" if v is None else _text_cell(v) for v in cells(row)])
    return out.getvalue()


def to_xlsx(rows: Iterable[dict[str, Any]], language: str, sheet_title: str) -> bytes:
    with without("numpy", "PIL"):  # only the export route loads it; not its optional numpy/PIL (not in the package)
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(sheet_title))
    bold = Font(bold=True)
    header = []
    for text in headers(language):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        line = []
        for value in cells(row):
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters have no XLSX form
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            line.append(cell)
        sheet.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """A worksheet title Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip() or "Results"
    return cleaned[:31]
