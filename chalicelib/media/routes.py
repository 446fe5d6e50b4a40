"""HTTP for presigned media uploads."""

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.core.api import json_body, route
from chalicelib.core.http import Fields
from chalicelib.exam.sessions import own_session

bp = Blueprint(__name__)


@route(bp, "/sessions/{session_id}/media", methods=["POST"], roles=("candidate",))
def presign_upload(request, candidate, session_id):
    uploads = wiring.media_uploads()
    kind = str(Fields(json_body(request)).text("kind", choices=tuple(uploads.kinds)))
    return uploads.presign(own_session(candidate, session_id), kind), 201


@route(bp, "/exams/{exam_id}/system-check/uploads", methods=["POST"], roles=("candidate",))
def presign_speed_probe(request, candidate, exam_id):
    wiring.exam_sessions().require_consent(candidate, exam_id)
    return wiring.media_uploads().probe(exam_id, candidate.user_id), 201
