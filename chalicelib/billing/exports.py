"""A statement as a file the agency's accountant can keep: CSV (UTF-8 with BOM, for Excel) and PDF (fonts embedded).

Labels come in kk/ru/en; amounts are printed exactly as the statement computed them (no re-rounding).
"""

from __future__ import annotations

import csv
import io
from functools import cache
from pathlib import Path

from chalicelib.billing.statements import Statement, StatementLine
from chalicelib.core.optional_imports import without

LABELS = {
    "en": {
        "title": "Statement",
        "agency": "Agency",
        "month": "Month",
        "exam": "Exam",
        "sittings": "Sittings",
        "hours": "Proctored hours",
        "units": "Units",
        "unit_price": "Unit price",
        "amount": "Amount",
        "total": "Total",
        "unit_exam": "proctored exam",
        "unit_exam_hour": "proctored exam-hour",
        "unit": "Billing unit",
    },
    "ru": {
        "title": "Счёт-выписка",
        "agency": "Организация",
        "month": "Месяц",
        "exam": "Экзамен",
        "sittings": "Сдач",
        "hours": "Часов под наблюдением",
        "units": "Единиц",
        "unit_price": "Цена за единицу",
        "amount": "Сумма",
        "total": "Итого",
        "unit_exam": "экзамен под наблюдением",
        "unit_exam_hour": "час экзамена под наблюдением",
        "unit": "Единица оплаты",
    },
    "kk": {
        "title": "Шот-үзінді",
        "agency": "Ұйым",
        "month": "Ай",
        "exam": "Емтихан",
        "sittings": "Тапсырулар",
        "hours": "Бақыланған сағаттар",
        "units": "Бірліктер",
        "unit_price": "Бірлік бағасы",
        "amount": "Сома",
        "total": "Барлығы",
        "unit_exam": "бақыланған емтихан",
        "unit_exam_hour": "бақыланған емтихан сағаты",
        "unit": "Төлем бірлігі",
    },
}
COLUMNS = ("exam", "sittings", "hours", "units", "unit_price", "amount")


def line_values(line: StatementLine) -> tuple[object, ...]:
    """A statement line's values in COLUMNS order, exactly as computed."""
    return (line.exam_title, line.sittings, line.proctored_hours, line.units, line.unit_price, line.amount)


def statement_csv(statement: Statement, agency_name: str, language: str = "en") -> bytes:
    labels = LABELS[language]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([labels["agency"], agency_name])
    writer.writerow([labels["month"], statement.month])
    writer.writerow([labels["unit"], labels[f"unit_{statement.plan.unit}"], statement.plan.currency])
    writer.writerow([])
    writer.writerow(["exam_id"] + [labels[c] for c in COLUMNS])
    for line in statement.lines:
        writer.writerow([line.exam_id, *line_values(line)])
    writer.writerow(["", labels["total"], "", "", statement.total_units, statement.unit_price, statement.total])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@cache
def _font_dir() -> Path:
    import font_roboto  # Apache-2.0 Roboto: covers Kazakh Cyrillic (ә ғ қ ң ө ұ ү һ і) and ₸

    return Path(font_roboto.__file__).resolve().parent / "files"


def statement_pdf(statement: Statement, agency_name: str, language: str = "en") -> bytes:
    with without("numpy"):  # fpdf2 needs Pillow (in the API package), numpy only optionally (not in it)
        from fpdf import FPDF

    labels = LABELS[language]
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_creator("Proctor")
    pdf.set_title(f"{labels['title']} {statement.month}")
    pdf.add_font("Roboto", "", str(_font_dir() / "Roboto-Regular.ttf"))
    pdf.add_font("Roboto", "B", str(_font_dir() / "Roboto-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("Roboto", "B", 16)
    pdf.cell(0, 10, f"{labels['title']} — {statement.month}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Roboto", "", 10)
    pdf.cell(0, 6, f"{labels['agency']}: {agency_name}", new_x="LMARGIN", new_y="NEXT")
    unit = f"{labels['unit']}: {labels['unit_' + statement.plan.unit]}, {statement.plan.currency}"
    pdf.cell(0, 6, unit, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (70, 20, 25, 20, 25, 30)
    with pdf.table(col_widths=widths, text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")) as table:
        header = table.row()
        for column in COLUMNS:
            header.cell(labels[column])
        for line in statement.lines:
            row = table.row()
            for value in line_values(line):
                row.cell(str(value))
        total = table.row()
        for value in (labels["total"], "", "", statement.total_units, statement.unit_price, statement.total):
            total.cell(str(value))
    return bytes(pdf.output())


def statements_csv(statements: list[Statement], language: str = "en") -> bytes:
    """Every agency's statement of a month in one sheet: one row per agency and exam, then the agency's total."""
    labels = LABELS[language]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["agency_id", labels["month"], labels["unit"], "currency", "exam_id"]
    writer.writerow(header + [labels[c] for c in COLUMNS])
    for statement in statements:
        head = [statement.agency_id, statement.month, labels[f"unit_{statement.plan.unit}"], statement.plan.currency]
        for line in statement.lines:
            writer.writerow([*head, line.exam_id, *line_values(line)])
        total_units, price = statement.total_units, statement.unit_price
        writer.writerow([*head, "", labels["total"], "", "", total_units, price, statement.total])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
