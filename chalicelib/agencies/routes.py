"""HTTP for platform operators (agencies) and agency admins (their agency, staff, audit log, candidates' data)."""

import re

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.agencies import audit, inputs
from chalicelib.agencies.directory import agency_view
from chalicelib.core.api import json_body, route
from chalicelib.core.http import Fields, invalid_field

bp = Blueprint(__name__)
OPERATOR = ("operator",)
ADMIN = ("admin",)
LIMIT = re.compile(r"^[0-9]{1,4}$")


def _agency_code(agency_id: str) -> str:
    """A path's agency code: anything that could not be one is simply not found."""
    from chalicelib.core.errors import NotFound

    if not inputs.AGENCY_CODE.match(agency_id):
        raise NotFound("agency.not_found", "No such agency.")
    return agency_id


@route(bp, "/operator/agencies", methods=["POST"], roles=OPERATOR)
def create_agency(request, operator):
    """A new agency with its first admin; the admin's generated password is shown once."""
    fields = Fields(json_body(request))
    inputs.only(fields, ("agency_id", "name", "contact", "retention_days", "admin"))
    agency_id = inputs.agency_code(fields)
    name = inputs.names(fields)
    contact = inputs.contact(fields)
    retention = inputs.retention(fields)
    admin = fields.nested("admin")
    assert admin is not None  # required
    inputs.only(admin, ("login", "full_name"))
    login, full_name = inputs.login(admin), inputs.full_name(admin)
    created = wiring.agencies().create(operator, agency_id, name, contact, retention, login, str(full_name))
    return created, 201


@route(bp, "/operator/agencies", methods=["GET"], roles=OPERATOR)
def list_agencies(request, operator):
    return {"agencies": wiring.agencies().list()}


@route(bp, "/operator/agencies/{agency_id}", methods=["GET"], roles=OPERATOR)
def get_agency(request, operator, agency_id):
    return agency_view(wiring.agencies().get(_agency_code(agency_id)))


@route(bp, "/operator/agencies/{agency_id}", methods=["PATCH"], roles=OPERATOR)
def update_agency(request, operator, agency_id):
    """Name, contact, retention or status; `suspended` stops every sign-in of the agency's accounts."""
    agency_id = _agency_code(agency_id)
    fields = Fields(json_body(request))
    inputs.at_least_one(fields, ("name", "contact", "retention_days", "status"))
    changes = {
        "name": inputs.names(fields, required=False),
        "contact": inputs.contact(fields, required=False),
        "retention_days": inputs.retention(fields),
        "status": inputs.status(fields),
    }
    return wiring.agencies().update(operator, agency_id, changes)


@route(bp, "/admin/agency", methods=["GET"], roles=ADMIN)
def own_agency(request, admin):
    return wiring.agencies().own(admin)


@route(bp, "/admin/agency", methods=["PATCH"], roles=ADMIN)
def set_own_retention(request, admin):
    fields = Fields(json_body(request))
    inputs.only(fields, ("retention_days",))
    return wiring.agencies().set_own_retention(admin, int(inputs.retention(fields, required=True) or 0))


@route(bp, "/admin/staff", methods=["POST"], roles=ADMIN)
def create_staff(request, admin):
    fields = Fields(json_body(request))
    inputs.only(fields, ("login", "full_name", "role", "exam_ids"))
    login, full_name = inputs.login(fields), str(inputs.full_name(fields))
    role = str(fields.text("role", choices=inputs.STAFF_ROLES))
    exam_ids = inputs.exam_ids(fields) or []
    return wiring.staff().create(admin, admin.agency_id, login, full_name, role, exam_ids), 201


@route(bp, "/admin/staff", methods=["GET"], roles=ADMIN)
def list_staff(request, admin):
    return {"staff": wiring.staff().list(admin)}


@route(bp, "/admin/staff/{login}", methods=["PATCH"], roles=ADMIN)
def update_staff(request, admin, login):
    fields = Fields(json_body(request))
    inputs.at_least_one(fields, ("full_name", "exam_ids", "disabled"))
    full_name = inputs.full_name(fields, required=False)
    exam_ids = inputs.exam_ids(fields)
    disabled = fields.boolean("disabled", required=False)
    return wiring.staff().update(admin, login, full_name, exam_ids, disabled)


@route(bp, "/admin/staff/{login}/password", methods=["POST"], roles=ADMIN)
def reset_staff_password(request, admin, login):
    """A new generated password, shown once; the member's sign-ins end."""
    return wiring.staff().reset_password(admin, login)


@route(bp, "/admin/audit", methods=["GET"], roles=ADMIN, query=("cursor", "limit", "action"))
def audit_log(request, admin):
    """The agency's audit log, newest first, paged with an opaque cursor."""
    query = Fields(dict(request.query_params or {}))
    cursor = query.text("cursor", required=False, max_len=audit.MAX_CURSOR)
    action = query.text("action", required=False, max_len=80, pattern=audit.ACTION)
    raw_limit = query.text("limit", required=False, max_len=4, pattern=LIMIT)
    limit = int(raw_limit) if raw_limit else audit.DEFAULT_LIMIT
    if not 1 <= limit <= audit.MAX_LIMIT:
        raise invalid_field("limit", f"must be between 1 and {audit.MAX_LIMIT}")
    return audit.page(admin.agency_id, action, cursor, limit)


@route(bp, "/admin/candidates/{login}/export", methods=["GET"], roles=ADMIN)
def export_candidate(request, admin, login):
    """Everything the platform holds about one of the agency's candidates, as JSON."""
    return wiring.candidate_privacy().export(admin, login)


@route(bp, "/admin/candidates/{login}", methods=["DELETE"], roles=ADMIN)
def delete_candidate(request, admin, login):
    """Deletion on request: personal data and media go, results and the audit log stay (see agencies/privacy.py)."""
    return wiring.candidate_privacy().delete(admin, login)
