"""HTTP for billing: an agency admin's usage and statements; the platform operator's plans and statements of every
agency. Statements come as JSON, CSV (text/csv, UTF-8 with BOM) or PDF (application/pdf, a binary answer)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.agencies.audit import record_audit
from chalicelib.billing.exports import statement_csv, statement_pdf, statements_csv
from chalicelib.billing.metering import parse_month
from chalicelib.billing.statements import Statement
from chalicelib.core import errors
from chalicelib.core.api import json_body, route
from chalicelib.core.http import ID_PATTERN, invalid_field
from chalicelib.core.principal import Principal

bp = Blueprint(__name__)
ADMIN = ("admin",)
OPERATOR = ("operator",)
PLATFORM = "platform"  # the operator's reserved agency
LANGUAGES = ("kk", "ru", "en")
FORMATS = ("json", "csv", "pdf")
AGENCY_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,39}")
CSV_TYPE, PDF_TYPE = "text/csv; charset=utf-8", "application/pdf"


def operator_of(principal: Principal) -> Principal:
    """Operators are platform staff: the role is only honoured in the platform's reserved agency."""
    if principal.agency_id != PLATFORM:
        raise errors.NotPermitted("auth.forbidden_role", "Your role may not perform this action.")
    return principal


def known_agency(agency_id: str) -> str:
    if not AGENCY_ID.fullmatch(agency_id) or agency_id == PLATFORM or not wiring.agency_exists(agency_id):
        raise errors.NotFound("agency.not_found", "No such agency.")
    return agency_id


def choice(request, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (request.query_params or {}).get(name, default)
    if value not in allowed:
        raise invalid_field(name, f"one of {', '.join(allowed)}")
    return value


def statement_answer(request, statement: Statement) -> Any:
    """The statement in the asked format: JSON, or a CSV/PDF file named after the agency and month."""
    fmt, language = choice(request, "format", FORMATS, "json"), choice(request, "language", LANGUAGES, "en")
    if fmt == "json":
        return statement.as_dict()
    name = wiring.agency_name(statement.agency_id, language)
    filename = f"statement-{statement.agency_id}-{statement.month}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        body = statement_csv(statement, name, language).decode("utf-8")
        return Response(body=body, status_code=200, headers={"Content-Type": CSV_TYPE, **disposition})
    body = statement_pdf(statement, name, language)
    return Response(body=body, status_code=200, headers={"Content-Type": PDF_TYPE, **disposition})


@route(bp, "/admin/usage", methods=["GET"], roles=ADMIN, query=("month", "exam_id", "language"))
def admin_usage(request, admin):
    params = request.query_params or {}
    month = parse_month(params["month"]) if "month" in params else wiring.billing_month()
    exam_id = params.get("exam_id")
    if exam_id is not None and not ID_PATTERN.fullmatch(exam_id):
        raise invalid_field("exam_id", "an exam id")
    language = choice(request, "language", LANGUAGES, "en")
    return wiring.billing_reports().usage(admin.agency_id, month, exam_id, language)


@route(bp, "/admin/statements/{month}", methods=["GET"], roles=ADMIN, query=("format", "language"))
def admin_statement(request, admin, month):
    language = choice(request, "language", LANGUAGES, "en")
    return statement_answer(request, wiring.billing_reports().statement(admin.agency_id, parse_month(month), language))


@route(bp, "/operator/agencies/{agency_id}/plan", methods=["GET"], roles=OPERATOR)
def get_plan(request, operator, agency_id):
    operator_of(operator)
    return wiring.plan_book().view(known_agency(agency_id))


@route(bp, "/operator/agencies/{agency_id}/plan", methods=["PUT"], roles=OPERATOR)
def put_plan(request, operator, agency_id):
    operator_of(operator)
    stored = wiring.plan_book().set(operator, known_agency(agency_id), json_body(request))
    record_audit(operator, "plan.changed", agency_id, {"plan": stored}, agency_id=agency_id)  # the agency sees it
    return stored


@route(
    bp,
    "/operator/agencies/{agency_id}/statements/{month}",
    methods=["GET"],
    roles=OPERATOR,
    query=("format", "language"),
)
def operator_agency_statement(request, operator, agency_id, month):
    operator_of(operator)
    agency_id, month = known_agency(agency_id), parse_month(month)
    language = choice(request, "language", LANGUAGES, "en")
    return statement_answer(request, wiring.billing_reports().statement(agency_id, month, language))


@route(bp, "/operator/statements/{month}", methods=["GET"], roles=OPERATOR, query=("format", "language"))
def operator_statements(request, operator, month):
    operator_of(operator)
    month = parse_month(month)
    fmt = choice(request, "format", ("json", "csv"), "json")
    language = choice(request, "language", LANGUAGES, "en")
    statements = wiring.billing_reports().all_statements(month, language)
    if fmt == "csv":
        body = statements_csv(statements, language).decode("utf-8")
        headers = {"Content-Type": CSV_TYPE, "Content-Disposition": f'attachment; filename="statements-{month}.csv"'}
        return Response(body=body, status_code=200, headers=headers)
    totals: dict[str, Decimal] = {}
    for statement in statements:
        totals[statement.plan.currency] = totals.get(statement.plan.currency, Decimal(0)) + statement.total
    answer = [s.as_dict() for s in statements]
    return {"month": month, "statements": answer, "totals": {c: str(t) for c, t in totals.items()}}
