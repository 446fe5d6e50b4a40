"""Login for candidates, proctors and agency admins."""

from __future__ import annotations

from chalice import Blueprint
from pynamodb.exceptions import DoesNotExist

from chalicelib import wiring
from chalicelib.agencies.audit import record_audit
from chalicelib.core.api import json_body, route
from chalicelib.core.clock import iso
from chalicelib.core.errors import Unauthenticated
from chalicelib.core.http import ID_PATTERN, Fields
from chalicelib.core.principal import Principal
from chalicelib.identity.enrollment import STATUSES
from chalicelib.identity.logins import SEPARATOR, account_id, normalize
from chalicelib.identity.models import PHOTO_KINDS, ROLES, UserRecord
from chalicelib.identity.passwords import DUMMY_HASH, verify_password

bp = Blueprint(__name__)


@route(bp, "/auth/login", methods=["POST"], roles=None)
def login(request, _):
    """Log in to one agency's account: logins are the agency's own, so the agency is part of the request."""
    fields = Fields(json_body(request))
    login_name = normalize(str(fields.text("user_id", max_len=128)))
    password = str(fields.text("password", max_len=256))
    agency = normalize(str(fields.text("agency", max_len=128)))
    try:
        user_id = account_id(agency, login_name)
    except ValueError:  # no account can have this id; answered like a wrong password (same time, same counter)
        user_id = f"{agency}{SEPARATOR}{login_name}"
    client = ((request.context or {}).get("identity") or {}).get("sourceIp")
    throttle = wiring.login_throttle()
    throttle.check(user_id, client)  # a locked-out account or client is refused before any password is checked
    try:
        user = UserRecord.get(user_id)
    except DoesNotExist:
        verify_password(password, DUMMY_HASH)
        user = None
    if user is None or not verify_password(password, user.password_hash) or user.disabled:
        throttle.failed(user_id, client)
        raise Unauthenticated("auth.invalid_credentials", "Wrong organisation, login or password.")
    if not wiring.agency_may_log_in(user.agency_id):  # the password was right: saying why is no leak
        raise Unauthenticated("auth.agency_suspended", "Your organisation's access is suspended.")
    throttle.succeeded(user_id)
    principal = Principal(user_id=user.user_id, role=user.role, agency_id=user.agency_id)
    token, expires = wiring.tokens().issue(principal, wiring.clock().now(), user.current_token_version)
    return {
        "token": token,
        "expires_at": iso(expires),
        "user_id": user.login_name,
        "account_id": user.user_id,
        "role": user.role,
        "agency_id": user.agency_id,
        "full_name": user.full_name,
    }


@route(bp, "/auth/logout", methods=["POST"], roles=ROLES)
def logout(request, principal):
    """Ends every sign-in of the caller: all their tokens are refused from the next request on."""
    wiring.accounts().logout(principal)
    return {"logged_out": True}


@route(bp, "/exams/{exam_id}/enrollment/uploads", methods=["POST"], roles=("candidate",))
def presign_enrollment_photo(request, candidate, exam_id):
    kind = str(Fields(json_body(request)).text("kind", choices=PHOTO_KINDS))
    return wiring.enrollment().presign(candidate, exam_id, kind), 201


@route(bp, "/exams/{exam_id}/enrollment/verify", methods=["POST"], roles=("candidate",))
def verify_identity(request, candidate, exam_id):
    fields = Fields(json_body(request))
    selfie_key, document_key = (str(fields.text(f"{kind}_key", max_len=300)) for kind in PHOTO_KINDS)
    # 202 with the pending check (poll GET .../enrollment until it is decided); 200 when already passed.
    return wiring.enrollment().verify(candidate, exam_id, selfie_key, document_key)


@route(bp, "/exams/{exam_id}/enrollment", methods=["GET"], roles=("candidate",))
def identity_status(request, candidate, exam_id):
    return wiring.enrollment().status(candidate, exam_id)


@route(bp, "/proctor/enrollments", methods=["GET"], roles=("proctor", "admin"), query=("exam_id", "status"))
def enrollments_for_review(request, proctor):
    query = Fields(dict(request.query_params or {}))
    exam_id = str(query.text("exam_id", pattern=ID_PATTERN))
    status = query.text("status", required=False, choices=STATUSES)
    return {"enrollments": wiring.enrollment().for_exam(proctor, exam_id, status)}


@route(bp, "/proctor/enrollments/{exam_id}/{candidate_id}", methods=["GET"], roles=("proctor", "admin"))
def enrollment_for_proctor(request, proctor, exam_id, candidate_id):
    service = wiring.enrollment()
    record = service.for_proctor(proctor, exam_id, candidate_id)
    presigner = wiring.presigner()
    return {
        **service.view(record),
        "selfie_url": presigner.download_url(record.selfie_key),
        "id_document_url": presigner.download_url(record.document_key),
    }


@route(bp, "/proctor/enrollments/{exam_id}/{candidate_id}/override", methods=["POST"], roles=("proctor", "admin"))
def override_enrollment(request, proctor, exam_id, candidate_id):
    reason = str(Fields(json_body(request)).text("reason", max_len=1000))
    return wiring.enrollment().override(proctor, exam_id, candidate_id, reason)


@route(bp, "/admin/candidates/{login}/disable", methods=["POST"], roles=("admin",))
def disable_candidate(request, admin, login):
    """The candidate can no longer log in; every token it holds is refused from the next request on."""
    account = wiring.accounts().set_candidate_disabled(admin, login, disabled=True)
    record_audit(admin, "candidate.disabled", account["login"])
    return account


@route(bp, "/admin/candidates/{login}/enable", methods=["POST"], roles=("admin",))
def enable_candidate(request, admin, login):
    """The candidate may log in again (with a new sign-in: tokens from before stay refused)."""
    account = wiring.accounts().set_candidate_disabled(admin, login, disabled=False)
    record_audit(admin, "candidate.enabled", account["login"])
    return account


@route(bp, "/admin/candidates/{login}/biometrics", methods=["DELETE"], roles=("admin",))
def erase_biometrics(request, admin, login):
    """Erasure on request: the candidate's identity photos (every version), face templates and their copies."""
    erased = wiring.biometric_erasure().erase(admin, login)
    counts = ("enrollments_deleted", "photo_versions_deleted", "sessions_cleared")
    record_audit(admin, "candidate.biometrics_erased", erased["login"], {k: erased[k] for k in counts})
    return erased
