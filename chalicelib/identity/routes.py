"""Login for candidates, proctors and agency admins."""

from __future__ import annotations

from chalice import Blueprint
from pynamodb.exceptions import DoesNotExist

from chalicelib.core import wiring
from chalicelib.core.api import json_body, route
from chalicelib.core.clock import iso
from chalicelib.core.errors import Unauthorized
from chalicelib.core.http import Fields
from chalicelib.identity.models import UserRecord
from chalicelib.identity.passwords import DUMMY_HASH, verify_password
from chalicelib.identity.tokens import Principal

bp = Blueprint(__name__)


@route(bp, "/auth/login", methods=["POST"], roles=None)
def login(request, _):
    fields = Fields(json_body(request))
    user_id = str(fields.text("user_id", max_len=128)).strip().lower()
    password = str(fields.text("password", max_len=256))
    try:
        user = UserRecord.get(user_id)
    except DoesNotExist:
        verify_password(password, DUMMY_HASH)
        user = None
    if user is None or not verify_password(password, user.password_hash):
        raise Unauthorized("auth.invalid_credentials", "Wrong login or password.")
    principal = Principal(user_id=user.user_id, role=user.role, agency_id=user.agency_id)
    token, expires = wiring.tokens().issue(principal, wiring.clock().now())
    return {"token": token, "expires_at": iso(expires), "user_id": user.user_id, "role": user.role,
            "agency_id": user.agency_id, "full_name": user.full_name}
