"""HTTP for an exam's results: one paged JSON list per exam, or the whole list as a CSV or XLSX file with column
headers in the admin's language. Admins only, their own agency's exams only (another agency's exam is a 404)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.agencies.audit import record_audit
from chalicelib.core import errors, observability
from chalicelib.core.api import DECLARED, Declaration, error_body, error_response, reject_unknown_parameters
from chalicelib.core.http import Fields, bearer_principal, invalid_field, require_role
from chalicelib.exam.catalog import load_exam
from chalicelib.results import export, report

bp = Blueprint(__name__)
ADMIN = ("admin",)
LIMIT = re.compile(r"^[0-9]{1,4}$")
RESULTS_QUERY = ("cursor", "limit", "format", "lang")


def file_route(path: str, *, roles: tuple[str, ...], query: tuple[str, ...]) -> Callable:
    """core.api.route (authentication, role, unknown query parameters, domain errors as 4xx JSON) for a GET whose
    view may also answer a whole chalice Response: a file with its own Content-Type and file name. `route` always
    wraps a view's body in a JSON Response (proposed: let it pass a Response through; then this goes, here and in
    billing/routes.py)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def handler(**params: str) -> Response:
            request = bp.current_request
            try:
                principal = require_role(bearer_principal(request.headers, wiring.authenticator()), *roles)
                observability.logger(observability.API).thread_safe_append_keys(
                    user_id=principal.user_id, role=principal.role, agency_id=principal.agency_id
                )
                reject_unknown_parameters(request.query_params, query)
                result = view(request, principal, **params)
            except errors.DomainError as error:
                return error_response(error)
            except Exception:  # noqa: BLE001 - as core.api.route: a clean 500, never a stack trace
                observability.logger(observability.API).exception("unhandled error on GET %s", path)
                return Response(body=error_body("internal.error", "Internal error."), status_code=500)
            return result if isinstance(result, Response) else Response(body=result, status_code=200)

        bp.route(path, methods=["GET"], content_types=["application/json"])(handler)
        DECLARED[(path, "GET")] = Declaration(path, "GET", roles, ("application/json",))
        return view

    return decorator


@file_route("/admin/exams/{exam_id}/results", roles=ADMIN, query=RESULTS_QUERY)
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
