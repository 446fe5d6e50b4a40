"""Over HTTP: a token signed with the server's own secret but naming another stage or another agency is refused."""

from __future__ import annotations

import jwt
import pytest

from tests.helpers import PASSWORD, assert_error, ok


def resigned(stack, token: str, **overrides) -> str:
    claims = {**jwt.decode(token, options={"verify_signature": False}), **overrides}
    return jwt.encode(claims, stack.env["PROCTOR_JWT_SECRET"], algorithm="HS256")


@pytest.fixture
def admin(api, agency) -> str:
    return api.login(agency["admin"], PASSWORD)


def test_the_servers_token_names_its_stage_and_agency_and_works(api, admin, agency):
    claims = jwt.decode(admin, options={"verify_signature": False})
    assert claims["iss"].startswith("proctor-") and claims["aud"] == f"proctor-api:{claims['agency']}"
    ok(api.call("GET", "/admin/exams", admin))


def test_a_token_with_another_stages_issuer_is_refused(api, stack, admin):
    token = resigned(stack, admin, iss="proctor-some-other-stage")
    assert_error(api.call("GET", "/admin/exams", token), 401, "auth.token_invalid")


def test_a_token_whose_agency_was_changed_to_another_is_refused(api, stack, admin, other_agency):
    # Given the admin's token edited to claim the other agency (as if the secret had leaked), audience untouched
    other = jwt.decode(api.login(other_agency["admin"], PASSWORD), options={"verify_signature": False})["agency"]
    token = resigned(stack, admin, agency=other)
    assert_error(api.call("GET", "/admin/exams", token), 401, "auth.token_invalid")
