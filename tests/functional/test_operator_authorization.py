"""Every route of the agencies context admits exactly its role: operator routes only operators, the agency's admin
routes only its admins (never an operator, a proctor or a candidate); no token is 401."""

from __future__ import annotations

import pytest

from tests.functional.onboarding import agency_body, onboard, operator_token
from tests.helpers import PASSWORD, assert_error

OPERATOR_ROUTES = [
    ("POST", "/operator/agencies", agency_body()),
    ("GET", "/operator/agencies", None),
    ("GET", "/operator/agencies/{agency}", None),
    ("PATCH", "/operator/agencies/{agency}", {"status": "suspended"}),
]
ADMIN_ROUTES = [
    ("GET", "/admin/agency", None),
    ("PATCH", "/admin/agency", {"retention_days": 31}),
    ("POST", "/admin/staff", {"login": "sneaky", "full_name": "S", "role": "admin"}),
    ("GET", "/admin/staff", None),
    ("PATCH", "/admin/staff/{admin_login}", {"disabled": True}),
    ("POST", "/admin/staff/{admin_login}/password", None),
    ("GET", "/admin/audit", None),
    ("GET", "/admin/candidates/{candidate}/export", None),
    ("DELETE", "/admin/candidates/{candidate}", None),
]


@pytest.fixture(scope="module")
def world(api, agency):
    from tests.functional.onboarding import exam_with_session

    operator = operator_token(api)
    made = onboard(api, operator)
    sitting = exam_with_session(api, made["admin"])
    return {
        "agency": made["agency_id"],
        "admin_login": made["admin_login"],
        "candidate": sitting["candidate_id"].partition("~")[2],
        "tokens": {
            "operator": operator,
            "admin": made["admin"],
            "proctor": api.login(agency["proctor"], PASSWORD, agency["agency_id"]),
            "candidate": sitting["candidate"],
        },
    }


@pytest.mark.parametrize(("method", "path", "body"), OPERATOR_ROUTES + ADMIN_ROUTES)
def test_each_route_refuses_every_other_role_and_no_token(api, world, method, path, body):
    allowed = "operator" if path.startswith("/operator") else "admin"
    url = path.format(**world)
    for role, token in world["tokens"].items():
        if role != allowed:
            assert_error(api.call(method, url, token, json=body), 403, "auth.forbidden_role")
    assert_error(api.call(method, url, json=body), 401, "auth.missing_token")
    # nothing changed: the agency is active and its admin can still act
    assert api.call("GET", "/admin/agency", world["tokens"]["admin"]).json()["status"] == "active"


def test_unknown_query_parameters_are_refused_on_every_route(api, world):
    for method, path, body in OPERATOR_ROUTES + ADMIN_ROUTES:
        allowed = "operator" if path.startswith("/operator") else "admin"
        response = api.call(method, path.format(**world) + "?dry_run=1", world["tokens"][allowed], json=body)
        assert_error(response, 400, "request.invalid_field")
        assert response.json()["error"]["details"]["field"] == "dry_run"
