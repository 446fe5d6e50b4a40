"""HTTP for an exam's results: one paged JSON list per exam, or the whole list as a CSV or XLSX file with column
headers in the admin's language. Admins only, their own agency's exams only (another agency's exam is a 404)."""

from __future__ import annotations

import re
from typing import Any

from chalice import Blueprint, Response

from chalicelib.agencies.audit import record_audit
from chalicelib.core.api import route
from chalicelib.core.http import Fields, invalid_field
from chalicelib.exam.catalog import load_exam
from chalicelib.results import export, report

bp = Blueprint(__name__)
ADMIN = ("admin",)
LIMIT = re.compile(r"^[0-9]{1,4}$")
RESULTS_QUERY = ("cursor", "limit", "format", "lang")


@route(bp, "/admin/exams/{exam_id}/results", methods=["GET"], roles=ADMIN, query=RESULTS_QUERY)
def exam_results(request, admin, exam_id):
    exam = load_exam(exam_id, admin.agency_id)
    query = Fields(dict(request.query_params or {}))
    kind = query.text("format", required=False, choices=("json", *export.FORMATS)) or "json"
    language = query.text("lang", required=False, choices=export.LANGUAGES) or "ru"
    cursor = query.text("cursor", required=False, max_len=report.MAX_CURSOR)
    raw_limit = query.text("limit", required=False, max_len=4, pattern=LIMIT)
    if kind == "json":
        limit = int(raw_limit) if raw_limit else report.DEFAULT_LIMIT
        if not 1 <= limit <= report.MAX_LIMIT:
            raise invalid_field("limit", f"must be between 1 and {report.MAX_LIMIT}")
        return report.page(exam, cursor, limit)
    if cursor or raw_limit:
        raise invalid_field("cursor" if cursor else "limit", "is for the JSON list; a file holds every row")
    rows = list(report.every_row(exam))
    filename = f"results-{exam.exam_id}-{language}.{kind}"
    record_audit(admin, "results.exported", exam.exam_id, {"format": kind, "rows": len(rows)})
    if kind == "csv":
        body: Any = export.to_csv(rows, language)
        content_type = export.CSV_TYPE
    else:
        title = exam.title.as_dict().get(language) or exam.exam_id
        body, content_type = export.to_xlsx(rows, language, title), export.XLSX_TYPE
    headers = {"Content-Type": content_type, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body=body, status_code=200, headers=headers)
