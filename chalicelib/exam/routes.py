"""HTTP for exams: agency admins manage exams, banks and rosters; candidates consent, start and answer."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.agencies.audit import record_audit
from chalicelib.core.api import json_body, route
from chalicelib.core.http import Fields
from chalicelib.exam import requests
from chalicelib.exam.bank_import import (
    csv_items,
    decode_csv,
    dry_run_report,
    json_items,
    parse_csv_bank,
    parse_json_bank,
)
from chalicelib.exam.catalog import exam_view, load_exam
from chalicelib.exam.sessions import own_session

bp = Blueprint(__name__)
ADMIN = ("admin",)
CANDIDATE = ("candidate",)


@route(bp, "/admin/exams", methods=["POST"], roles=ADMIN)
def create_exam(request, admin):
    exam = wiring.exam_catalog().create_exam(admin, requests.exam_draft(json_body(request)))
    record_audit(admin, "exam.created", exam["exam_id"])
    return exam, 201


@route(bp, "/admin/exams", methods=["GET"], roles=ADMIN)
def list_exams(request, admin):
    return {"exams": wiring.exam_catalog().list_exams(admin)}


@route(bp, "/admin/exams/{exam_id}", methods=["GET"], roles=ADMIN)
def get_exam(request, admin, exam_id):
    return exam_view(load_exam(exam_id, admin.agency_id))


@route(
    bp,
    "/admin/exams/{exam_id}/questions",
    methods=["POST"],
    roles=ADMIN,
    content_types=["application/json", "text/csv"],
    query=("dry_run",),
)
def import_questions(request, admin, exam_id):
    exam = load_exam(exam_id, admin.agency_id)
    languages, blocks = list(exam.languages), list(exam.blocks)
    is_csv = request.headers.get("content-type", "").startswith("text/csv")
    dry_run = Fields(dict(request.query_params or {})).text("dry_run", required=False, choices=("true", "false"))
    if dry_run == "true":  # a row-by-row report of what the import would do; nothing is stored
        raw = request.raw_body or b""
        body = None if is_csv else Fields(json_body(request)).data  # a JSON body that is no object is a 400
        read = (lambda: csv_items(decode_csv(raw), languages)) if is_csv else (lambda: json_items(body))
        return dry_run_report(read, languages, blocks)
    block_ids = {b["block_id"] for b in blocks}
    if is_csv:
        drafts = parse_csv_bank(decode_csv(request.raw_body or b""), languages, block_ids)
    else:
        drafts = parse_json_bank(json_body(request), languages, block_ids)
    imported = wiring.exam_catalog().import_bank(exam, drafts)
    record_audit(admin, "bank.imported", exam_id, {"items": len(drafts), "format": "csv" if is_csv else "json"})
    return imported


@route(
    bp,
    "/admin/exams/{exam_id}/roster",
    methods=["POST"],
    roles=ADMIN,
    content_types=["application/json", "text/csv"],
    query=("batch", "part"),
)
def admit_candidates(request, admin, exam_id):
    from chalicelib.exam import roster_parse

    exam = load_exam(exam_id, admin.agency_id)
    batch, part = roster_parse.batch_part(request.query_params)
    if request.headers.get("content-type", "").startswith("text/csv"):
        rows = roster_parse.parse_csv(request.raw_body)
    else:
        rows = roster_parse.parse_json(json_body(request))
    return wiring.roster_import().run(admin, exam, rows, batch, part)


@route(bp, "/admin/exams/{exam_id}/roster", methods=["GET"], roles=ADMIN, query=("cursor", "limit", "include"))
def list_roster(request, admin, exam_id):
    from chalicelib.exam import roster_listing

    exam = load_exam(exam_id, admin.agency_id)
    cursor, limit, with_sessions = roster_listing.page_params(request.query_params)
    return roster_listing.roster_page(exam, cursor, limit, with_sessions)


@route(bp, "/me/exams", methods=["GET"], roles=CANDIDATE)
def my_exams(request, candidate):
    return {"exams": wiring.exam_sessions().admitted_exams(candidate)}


@route(bp, "/exams/{exam_id}/consent", methods=["POST"], roles=CANDIDATE)
def record_consent(request, candidate, exam_id):
    accepted, language = requests.consent(json_body(request))
    return wiring.exam_sessions().record_consent(candidate, exam_id, accepted, language)


@route(bp, "/exams/{exam_id}/sessions", methods=["POST"], roles=CANDIDATE)
def start_session(request, candidate, exam_id):
    body = json_body(request) if request.raw_body else {}
    view, created = wiring.exam_sessions().start(candidate, exam_id, requests.language(body))
    return view, 201 if created else 200


@route(bp, "/sessions/{session_id}", methods=["GET"], roles=CANDIDATE)
def get_session(request, candidate, session_id):
    return wiring.exam_sessions().view(own_session(candidate, session_id))


@route(bp, "/sessions/{session_id}/answers/{item_id}", methods=["PUT"], roles=CANDIDATE)
def save_answer(request, candidate, session_id, item_id):
    option_id = requests.option_id(json_body(request))
    return wiring.exam_sessions().save_answer(candidate, session_id, item_id, option_id)


@route(bp, "/sessions/{session_id}/heartbeat", methods=["POST"], roles=CANDIDATE)
def heartbeat(request, candidate, session_id):
    from chalicelib.exam import presence  # here, so this route's change stays in this route

    body = json_body(request) if request.raw_body else {}
    with presence.beat_marks(session_id) as marks:
        answer = wiring.exam_sessions().heartbeat(candidate, session_id, requests.client_id(body))
    # Whether the inbox has something new, and when to beat next (a proctor watching: sooner), from what the
    # heartbeat read and wrote anyway (exam/presence.py).
    inbox = presence.inbox_view(session_id, marks)
    return {**answer, "inbox": inbox, "next_heartbeat_s": presence.next_heartbeat_s(marks, wiring.clock().now())}


@route(bp, "/sessions/{session_id}/submit", methods=["POST"], roles=CANDIDATE)
def submit(request, candidate, session_id):
    return wiring.exam_sessions().submit(candidate, session_id)
