"""HTTP for exam slots: admins create, list and delete them; candidates see, book and cancel theirs."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.core.api import json_body, route
from chalicelib.core.http import Fields
from chalicelib.exam.catalog import load_exam
from chalicelib.exam.roster_parse import SLOT_ID
from chalicelib.exam.slots import SlotBook

bp = Blueprint(__name__)
ADMIN = ("admin",)
CANDIDATE = ("candidate",)


def slots() -> SlotBook:
    return wiring.slot_book()


@route(bp, "/admin/exams/{exam_id}/slots", methods=["POST"], roles=ADMIN)
def create_slot(request, admin, exam_id):
    exam = load_exam(exam_id, admin.agency_id)
    fields = Fields(json_body(request))
    starts_at = fields.timestamp("starts_at")
    capacity = fields.integer("capacity", minimum=1, maximum=100_000)
    grace_s = fields.integer("grace_s", required=False, minimum=60, maximum=4 * 3600)
    return slots().create(admin, exam, starts_at, capacity, grace_s), 201


@route(bp, "/admin/exams/{exam_id}/slots", methods=["GET"], roles=ADMIN)
def list_slots(request, admin, exam_id):
    return {"slots": slots().list(load_exam(exam_id, admin.agency_id))}


@route(bp, "/admin/exams/{exam_id}/slots/{slot_id}", methods=["DELETE"], roles=ADMIN)
def delete_slot(request, admin, exam_id, slot_id):
    exam = load_exam(exam_id, admin.agency_id)
    slots().delete(admin, exam, slot_id)
    return {"deleted": slot_id}


@route(bp, "/exams/{exam_id}/slots", methods=["GET"], roles=CANDIDATE)
def my_slots(request, candidate, exam_id):
    return slots().candidate_view(candidate, exam_id)


@route(bp, "/exams/{exam_id}/booking", methods=["POST"], roles=CANDIDATE)
def book_slot(request, candidate, exam_id):
    slot_id = str(Fields(json_body(request)).text("slot_id", pattern=SLOT_ID))
    return slots().book(candidate, exam_id, slot_id)


@route(bp, "/exams/{exam_id}/booking", methods=["DELETE"], roles=CANDIDATE)
def cancel_booking(request, candidate, exam_id):
    return slots().cancel(candidate, exam_id)
