"""HTTP for the admin console's exam screens: edit (PATCH), open / close, duplicate for a make-up sitting, the
question bank's dry-run report and preview, and the analysis-policy defaults with their explanations."""

from __future__ import annotations

import re

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.agencies.audit import record_audit
from chalicelib.core.api import json_body, route
from chalicelib.core.http import Fields, invalid_field
from chalicelib.exam import requests
from chalicelib.exam.catalog import exam_view, load_exam
from chalicelib.exam.policy_defaults import policy_defaults
from chalicelib.proctor.credibility import DEFAULT_WEIGHTS

bp = Blueprint(__name__)
ADMIN = ("admin",)
LIMIT = re.compile(r"^[0-9]{1,4}$")
PREVIEW_LIMIT, PREVIEW_MAX = 100, 500


@route(bp, "/admin/exams/{exam_id}", methods=["PATCH"], roles=ADMIN)
def edit_exam(request, admin, exam_id):
    exam = load_exam(exam_id, admin.agency_id)
    draft, present = requests.exam_patch(json_body(request), exam_view(exam))
    updated = wiring.exam_editor().update(exam, draft, present)
    record_audit(admin, "exam.updated", exam_id, {"fields": sorted(present)})
    return updated


@route(bp, "/admin/exams/{exam_id}/open", methods=["POST"], roles=ADMIN)
def open_exam(request, admin, exam_id):
    exam = load_exam(exam_id, admin.agency_id)
    closes_at = requests.reopen(json_body(request) if request.raw_body else {})
    opened = wiring.exam_editor().open(exam, closes_at)
    record_audit(admin, "exam.updated", exam_id, {"change": "opened"})
    return opened


@route(bp, "/admin/exams/{exam_id}/close", methods=["POST"], roles=ADMIN)
def close_exam(request, admin, exam_id):
    exam = load_exam(exam_id, admin.agency_id)
    if request.raw_body:
        requests.reopen(json_body(request))  # no fields; an unknown one is a 400 like everywhere
    closed = wiring.exam_editor().close(exam)
    record_audit(admin, "exam.updated", exam_id, {"change": "closed"})
    return closed


@route(bp, "/admin/exams/{exam_id}/duplicate", methods=["POST"], roles=ADMIN)
def duplicate_exam(request, admin, exam_id):
    exam = load_exam(exam_id, admin.agency_id)
    title, opens_at, closes_at = requests.duplicate(json_body(request), list(exam.languages))
    copy = wiring.exam_editor().duplicate(exam, title, opens_at, closes_at)
    record_audit(admin, "exam.created", copy["exam_id"], {"duplicate_of": exam_id})
    return copy, 201


@route(bp, "/admin/exams/{exam_id}/questions", methods=["GET"], roles=ADMIN, query=("block_id", "cursor", "limit"))
def preview_questions(request, admin, exam_id):
    exam = load_exam(exam_id, admin.agency_id)
    query = Fields(dict(request.query_params or {}))
    block_id = query.text("block_id", required=False, max_len=32, pattern=requests.BLOCK_ID)
    cursor = query.text("cursor", required=False, max_len=1024)
    raw_limit = query.text("limit", required=False, max_len=4, pattern=LIMIT)
    limit = int(raw_limit) if raw_limit else PREVIEW_LIMIT
    if not 1 <= limit <= PREVIEW_MAX:
        raise invalid_field("limit", f"must be between 1 and {PREVIEW_MAX}")
    return wiring.exam_editor().preview(exam, block_id, cursor, limit)


@route(bp, "/admin/policy-defaults", methods=["GET"], roles=ADMIN)
def analysis_policy_defaults(request, admin):
    return {"parameters": policy_defaults(DEFAULT_WEIGHTS)}
