"""Platform operators create agencies with their first admin, change and suspend them; admins see their own.

A suspended agency's accounts cannot log in and their tokens stop working; lifting the suspension lets them log in
again, but the sign-ins from before it stay ended.
"""

from __future__ import annotations

import time

import pytest

from tests.functional.onboarding import PLATFORM, agency_body, onboard, operator_token
from tests.helpers import PASSWORD, assert_error, ok


@pytest.fixture(scope="module")
def operator(api):
    return operator_token(api)


def test_operator_token_belongs_to_the_platform_and_an_agency_is_created_with_its_first_admin(api, operator):
    from tests.api_client import token_agency

    assert token_agency(operator) == PLATFORM
    made = onboard(api, operator, retention_days=90)
    agency = made["created"]["agency"]
    assert agency["retention_days"] == 90 and agency["status"] == "active"
    assert agency["name"]["kk"] == "Агенттік" and agency["contact"]["email"] == "aigerim@example.kz"
    assert len(made["admin_password"]) >= 12
    # the first admin works: it sees its own agency, read-only, and can create exams
    own = ok(api.call("GET", "/admin/agency", made["admin"]))
    assert own["agency_id"] == made["agency_id"] and own["retention_days"] == 90
    listed = ok(api.call("GET", "/operator/agencies", operator))["agencies"]
    assert made["agency_id"] in {a["agency_id"] for a in listed}
    assert ok(api.call("GET", f"/operator/agencies/{made['agency_id']}", operator))["retention_days"] == 90


def test_agency_creation_refuses_bad_input_and_duplicates(api, operator):
    made = onboard(api, operator)
    again = agency_body(made["agency_id"])
    assert_error(api.call("POST", "/operator/agencies", operator, json=again), 409, "agency.exists")
    for code in ("platform", "AB", "Upper-Case", "-dash", "a" * 41, "has space", "x~y"):
        response = api.call("POST", "/operator/agencies", operator, json=agency_body(code))
        assert_error(response, 400, "request.invalid_field")
    for days in (29, 366, "60", 1.5, True):
        response = api.call("POST", "/operator/agencies", operator, json=agency_body(retention_days=days))
        assert_error(response, 400, "request.invalid_field")
    broken = [
        {**agency_body(), "name": {"kk": "a", "ru": "b"}},
        {**agency_body(), "contact": {"name": "x", "email": "not-an-email"}},
        {**agency_body(), "admin": {"login": "Bad Login!", "full_name": "x"}},
        {**agency_body(), "unknown": 1},
        {k: v for k, v in agency_body().items() if k != "admin"},
    ]
    for body in broken:
        assert_error(api.call("POST", "/operator/agencies", operator, json=body), 400, "request.invalid_field")
    assert_error(api.call("GET", "/operator/agencies/no-such-agency", operator), 404, "agency.not_found")
    assert_error(api.call("GET", "/operator/agencies/platform", operator), 404, "agency.not_found")
    assert_error(api.call("PATCH", "/operator/agencies/no-such-agency", operator, json={"status": "active"}), 404,
                 "agency.not_found")  # fmt: skip
    path = f"/operator/agencies/{made['agency_id']}"
    assert_error(api.call("PATCH", path, operator, json={}), 400, "request.invalid_field")
    assert_error(api.call("PATCH", path, operator, json={"status": "closed"}), 400, "request.invalid_field")
    assert_error(api.call("PATCH", path, operator, json={"retention_days": 10}), 400, "request.invalid_field")
    assert_error(api.call("GET", "/operator/agencies?x=1", operator), 400, "request.invalid_field")


def test_only_operators_use_operator_routes_and_operators_use_no_admin_route(api, operator, agency):
    admin = api.login(agency["admin"], PASSWORD, agency["agency_id"])
    proctor = api.login(agency["proctor"], PASSWORD, agency["agency_id"])
    for token in (admin, proctor):
        assert_error(api.call("GET", "/operator/agencies", token), 403, "auth.forbidden_role")
        assert_error(api.call("POST", "/operator/agencies", token, json=agency_body()), 403, "auth.forbidden_role")
        response = api.call("PATCH", f"/operator/agencies/{agency['agency_id']}", token, json={"status": "suspended"})
        assert_error(response, 403, "auth.forbidden_role")
    assert_error(api.call("GET", "/operator/agencies"), 401, "auth.missing_token")
    for method, path in [
        ("GET", "/admin/exams"),
        ("GET", "/admin/agency"),
        ("GET", "/admin/staff"),
        ("GET", "/admin/audit"),
        ("GET", "/proctor/sessions"),
        ("GET", "/proctor/exams"),
        ("GET", "/me/exams"),
        ("GET", "/admin/candidates/someone/export"),
        ("DELETE", "/admin/candidates/someone"),
    ]:
        assert_error(api.call(method, path, operator), 403, "auth.forbidden_role")


def test_admin_changes_its_own_retention_within_bounds_only(api, operator):
    made = onboard(api, operator)
    assert ok(api.call("PATCH", "/admin/agency", made["admin"], json={"retention_days": 120}))["retention_days"] == 120
    for body in ({"retention_days": 29}, {"retention_days": 366}, {}, {"retention_days": 60, "status": "active"}):
        assert_error(api.call("PATCH", "/admin/agency", made["admin"], json=body), 400, "request.invalid_field")
    # another field than retention is the operator's
    assert ok(api.call("GET", f"/operator/agencies/{made['agency_id']}", operator))["retention_days"] == 120


def test_a_suspended_agency_cannot_log_in_and_its_tokens_stop_until_reactivated(api, operator, other_agency):
    made = onboard(api, operator)
    code, admin = made["agency_id"], made["admin"]
    outsider = api.login(other_agency["admin"], PASSWORD, other_agency["agency_id"])
    ok(api.call("GET", "/admin/exams", admin))
    suspended = ok(api.call("PATCH", f"/operator/agencies/{code}", operator, json={"status": "suspended"}))
    suspended_at = int(time.time())
    assert suspended["status"] == "suspended"
    assert_error(api.call("GET", "/admin/exams", admin), 401, "auth.agency_suspended")
    login = {"agency": code, "user_id": made["admin_login"], "password": made["admin_password"]}
    assert_error(api.call("POST", "/auth/login", json=login), 401, "auth.agency_suspended")
    wrong = {**login, "password": "not-the-password"}
    assert_error(api.call("POST", "/auth/login", json=wrong), 401, "auth.invalid_credentials")  # no hint
    ok(api.call("GET", "/admin/exams", outsider))  # other agencies carry on
    ok(api.call("PATCH", f"/operator/agencies/{code}", operator, json={"status": "active"}))
    assert_error(api.call("GET", "/admin/exams", admin), 401, "auth.token_revoked")  # the old sign-in stays ended
    # Tokens carry whole seconds: a sign-in within the second the suspension began counts as before it
    time.sleep(max(0.0, suspended_at + 1.05 - time.time()))
    fresh = ok(api.call("POST", "/auth/login", json=login))["token"]
    ok(api.call("GET", "/admin/exams", fresh))


def test_operator_changes_are_audited_in_the_agency_log(api, operator):
    made = onboard(api, operator)
    path = f"/operator/agencies/{made['agency_id']}"
    ok(api.call("PATCH", path, operator, json={"retention_days": 200, "contact": {"name": "B", "email": "b@ex.kz"}}))
    entries = ok(api.call("GET", "/admin/audit", made["admin"]))["entries"]
    actions = [e["action"] for e in entries]
    assert actions[-2:] == ["staff.created", "agency.created"]  # newest first: the agency, then its admin
    assert {"retention.changed", "agency.updated"} <= set(actions[:2])
    retention = next(e for e in entries if e["action"] == "retention.changed")
    assert retention["actor"] == {"login": "operator@platform", "role": "operator", "agency_id": PLATFORM}
    assert retention["details"] == {"field": "retention_days", "from": 30, "to": 200}


def test_an_agency_that_a_script_made_cannot_be_taken_over_by_creating_it_again(api, operator, agency):
    body = agency_body(agency["agency_id"])
    assert_error(api.call("POST", "/operator/agencies", operator, json=body), 409, "agency.exists")
    # the script registered it (local/seed.py): the operator sees it as the script left it
    assert ok(api.call("GET", f"/operator/agencies/{agency['agency_id']}", operator))["created_by"] == "seed"
    body = {"agency": agency["agency_id"], "user_id": body["admin"]["login"], "password": "anything-at-all"}
    assert_error(api.call("POST", "/auth/login", json=body), 401, "auth.invalid_credentials")
