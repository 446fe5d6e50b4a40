"""Who may call what: tokens, roles, tenants and candidates, over real HTTP against the local stack.

Every rejected call is checked twice: the exact 4xx error code, and that nothing it could have changed has changed.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from tests.api_client import ApiClient
from tests.helpers import PASSWORD, admit, assert_error, exam_payload, login_response, ok, snapshot, wait_for

ADMIN, PROCTOR, CANDIDATE = "admin", "proctor", "candidate"
ROLES = (ADMIN, PROCTOR, CANDIDATE)
OTHER_SECRET = "not-the-server-secret-" + "x" * 40


def bank(items_per_block: int) -> dict[str, Any]:
    from local.seed import demo_bank

    return demo_bank(items_per_block)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def new_exam(api: ApiClient, admin: str) -> str:
    exam_id = ok(api.call("POST", "/admin/exams", admin, json=exam_payload()))["exam_id"]
    ok(api.call("POST", f"/admin/exams/{exam_id}/questions", admin, json=bank(4)))
    return exam_id


@pytest.fixture(scope="module")
def world(api: ApiClient, agency: dict[str, str], other_agency: dict[str, str]) -> dict[str, Any]:
    """One agency exam with a candidate writing it, rival candidates, and the staff of both agencies."""
    admin = api.login(agency["admin"], PASSWORD)
    exam_id = new_exam(api, admin)
    candidate_id, candidate = admit(api, admin, exam_id)
    session = ok(api.call("POST", f"/exams/{exam_id}/sessions", candidate, json={"language": "ru"}))

    # A second candidate of the same exam, and a candidate of another exam of the same agency, each writing.
    _, same_exam_rival = admit(api, admin, exam_id)
    rival_session = ok(api.call("POST", f"/exams/{exam_id}/sessions", same_exam_rival, json={}))
    neighbour_exam_id = new_exam(api, admin)
    _, same_agency_rival = admit(api, admin, neighbour_exam_id)
    ok(api.call("POST", f"/exams/{neighbour_exam_id}/sessions", same_agency_rival, json={}))

    item = session["items"][0]
    world = {
        "exam_id": exam_id,
        "session_id": session["session_id"],
        "item_id": item["item_id"],
        "option_id": item["options"][0]["option_id"],
        "candidate_id": candidate_id,
        "neighbour_exam_id": neighbour_exam_id,
        "rival_session_id": rival_session["session_id"],
        "tokens": {
            ADMIN: admin,
            PROCTOR: api.login(agency["proctor"], PASSWORD),
            CANDIDATE: candidate,
            "same_exam_rival": same_exam_rival,
            "same_agency_rival": same_agency_rival,
            "other_admin": api.login(other_agency["admin"], PASSWORD),
            "other_proctor": api.login(other_agency["proctor"], PASSWORD),
        },
    }
    world["baseline"] = snapshot(api, world)
    assert_pristine(world["baseline"], exam_id)
    return world


def assert_pristine(state: dict[str, Any], exam_id: str) -> None:
    """The world's session as it must stay all along: writing, nothing answered, nothing recorded."""
    assert state["session"] == {
        "status": "in_progress",
        "answers": {},
        "submitted_at": None,
        "score": None,
        "verdict": None,
    }
    assert state["monitoring"]["violation_counts"] == {} and state["monitoring"]["risk_score"] == 0
    assert state["monitoring"]["last_seen_at"] is None
    assert state["violations"] == []
    assert [e["bank_size"] for e in state["exams"] if e["exam_id"] == exam_id] == [8]


@pytest.fixture
def unchanged(api: ApiClient, world: dict[str, Any]):
    """Assert after the test that its rejected calls changed nothing: the world is as built, no exam was added.

    No test of this module creates exams in `agency` or changes the world's exam, roster or session.
    """
    yield
    assert snapshot(api, world) == world["baseline"]


Body = Callable[[dict[str, Any]], Any] | None


def _intruder_roster(_: dict[str, Any]) -> dict[str, Any]:
    return {"candidates": [{"user_id": f"intruder-{uuid.uuid4().hex[:8]}", "full_name": "X", "password": PASSWORD}]}


def _event(_: dict[str, Any]) -> dict[str, Any]:
    return {"events": [{"event_id": f"probe-{uuid.uuid4().hex[:12]}", "type": "paste", "occurred_at": now_iso()}]}


# (method, path template, body factory, roles allowed). Bodies are valid: only who calls decides the outcome.
ROUTES: list[tuple[str, str, Body, tuple[str, ...]]] = [
    ("POST", "/admin/exams", lambda w: exam_payload(), (ADMIN,)),
    ("GET", "/admin/exams", None, (ADMIN,)),
    ("GET", "/admin/exams/{exam_id}", None, (ADMIN,)),
    ("POST", "/admin/exams/{exam_id}/questions", lambda w: bank(5), (ADMIN,)),
    ("POST", "/admin/exams/{exam_id}/roster", _intruder_roster, (ADMIN,)),
    ("GET", "/admin/exams/{exam_id}/roster", None, (ADMIN,)),
    ("GET", "/me/exams", None, (CANDIDATE,)),
    ("POST", "/exams/{exam_id}/consent", lambda w: {"accepted": True, "language": "ru"}, (CANDIDATE,)),
    ("POST", "/exams/{exam_id}/sessions", lambda w: {"language": "ru"}, (CANDIDATE,)),
    ("GET", "/sessions/{session_id}", None, (CANDIDATE,)),
    ("PUT", "/sessions/{session_id}/answers/{item_id}", lambda w: {"option_id": w["option_id"]}, (CANDIDATE,)),
    ("POST", "/sessions/{session_id}/heartbeat", None, (CANDIDATE,)),
    ("POST", "/sessions/{session_id}/submit", None, (CANDIDATE,)),
    ("POST", "/sessions/{session_id}/media", lambda w: {"kind": "webcam"}, (CANDIDATE,)),
    ("POST", "/sessions/{session_id}/events", _event, (CANDIDATE,)),
    ("GET", "/proctor/sessions", None, (PROCTOR, ADMIN)),
    ("GET", "/proctor/sessions/{session_id}/timeline", None, (PROCTOR, ADMIN)),
    ("POST", "/proctor/sessions/{session_id}/verdict", lambda w: {"verdict": "annul", "reason": "x"}, (PROCTOR, ADMIN)),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _, _ in ROUTES]
WRONG_ROLES = [
    pytest.param(method, path, body, role, id=f"{role}->{method} {path}")
    for method, path, body, allowed in ROUTES
    for role in ROLES
    if role not in allowed
]
SESSION_ROUTES = [r for r in ROUTES if r[1].startswith("/sessions/")]


def send(api: ApiClient, world: dict[str, Any], method: str, path: str, body: Body, token: str | None, **kwargs: Any):
    url = path.format(**world)
    if body is None:
        return api.call(method, url, token, **kwargs)
    return api.call(method, url, token, json=body(world), **kwargs)


def forge(token: str, **overrides: Any) -> str:
    """The same claims (or tweaked ones) signed with a secret the server does not know."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode({**claims, **overrides}, OTHER_SECRET, algorithm="HS256")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def with_garbage_signature(token: str) -> str:
    header, payload, _ = token.split(".")
    return f"{header}.{payload}.{b64url(os.urandom(32))}"


def allowed_token(world: dict[str, Any], allowed: tuple[str, ...]) -> str:
    return world["tokens"][allowed[0]]


def test_control_with_the_right_role_every_call_of_the_table_is_accepted(api, other_agency):
    # Given a fresh exam and session of the other agency (so the world's agency stays as it was)
    admin = api.login(other_agency["admin"], PASSWORD)
    exam_id = new_exam(api, admin)
    _, candidate = admit(api, admin, exam_id)
    session = ok(api.call("POST", f"/exams/{exam_id}/sessions", candidate, json={"language": "ru"}))
    item = session["items"][0]
    ctx = {
        "exam_id": exam_id,
        "session_id": session["session_id"],
        "item_id": item["item_id"],
        "option_id": item["options"][0]["option_id"],
    }
    tokens = {ADMIN: admin, PROCTOR: api.login(other_agency["proctor"], PASSWORD), CANDIDATE: candidate}

    # When every call of the table is made with each role it admits (submit last)
    for method, path, body, allowed in sorted(ROUTES, key=lambda route: route[1].endswith("/submit")):
        for role in allowed:
            response = send(api, ctx, method, path, body, tokens[role])

            # Then none is refused: the refusals the tests below see come from the caller alone
            if path.endswith("/verdict"):
                assert_error(response, 409, "session.not_awaiting_review")  # the session is still being written
            else:
                assert response.status_code in (200, 201), f"{role} {method} {path}: {response.text}"


# --- No token, forged tokens -------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROUTES, ids=ROUTE_IDS)
def test_a_call_without_a_token_is_refused_with_missing_token(api, world, unchanged, method, path, body, allowed):
    response = send(api, world, method, path, body, None)

    assert_error(response, 401, "auth.missing_token")


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROUTES, ids=ROUTE_IDS)
def test_a_token_signed_with_another_secret_is_refused_as_invalid(api, world, unchanged, method, path, body, allowed):
    # Given a token with exactly the claims of a caller the route accepts, but signed with a foreign secret
    token = forge(allowed_token(world, allowed))

    # When it is presented, Then the server refuses it and does nothing
    assert_error(send(api, world, method, path, body, token), 401, "auth.token_invalid")


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROUTES, ids=ROUTE_IDS)
def test_a_token_with_a_garbage_signature_is_refused_as_invalid(api, world, unchanged, method, path, body, allowed):
    token = with_garbage_signature(allowed_token(world, allowed))

    assert_error(send(api, world, method, path, body, token), 401, "auth.token_invalid")


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("", id="empty"),
        pytest.param("Bearer", id="scheme-only"),
        pytest.param("Bearer    ", id="blank-token"),
        pytest.param("Basic YWRtaW46cGFzc3dvcmQ=", id="basic-auth"),
        pytest.param("{token}", id="token-without-scheme"),
    ],
)
def test_an_authorization_header_without_a_bearer_token_counts_as_missing(api, world, unchanged, header):
    value = header.format(token=world["tokens"][ADMIN])

    response = api.call("GET", f"/admin/exams/{world['exam_id']}", headers={"Authorization": value})

    assert_error(response, 401, "auth.missing_token")


def test_a_candidate_token_edited_to_claim_the_admin_role_is_refused(api, world, unchanged):
    # Given a candidate's real token whose payload was rewritten to say role=admin (signature kept)
    header, _, signature = world["tokens"][CANDIDATE].split(".")
    claims = jwt.decode(world["tokens"][CANDIDATE], options={"verify_signature": False})
    payload = b64url(json.dumps({**claims, "role": "admin"}, separators=(",", ":")).encode())
    escalated = f"{header}.{payload}.{signature}"

    # When it is used on an admin route, Then the signature no longer matches
    response = api.call("POST", f"/admin/exams/{world['exam_id']}/questions", escalated, json=bank(5))
    assert_error(response, 401, "auth.token_invalid")


def test_an_unsigned_alg_none_token_is_refused(api, world, unchanged):
    claims = jwt.decode(world["tokens"][ADMIN], options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")

    response = api.call("GET", f"/admin/exams/{world['exam_id']}", unsigned)

    assert_error(response, 401, "auth.token_invalid")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("not-a-jwt", id="not-a-jwt"),
        pytest.param("a.b.c", id="three-garbage-segments"),
        pytest.param("x" * 5000, id="very-long"),
    ],
)
def test_a_malformed_token_is_refused_as_invalid(api, world, unchanged, token):
    assert_error(api.call("GET", "/admin/exams", token), 401, "auth.token_invalid")


def _server_signed(stack, token: str, **overrides: Any) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    claims = {k: v for k, v in {**claims, **overrides}.items() if v is not None}
    return jwt.encode(claims, stack.env["PROCTOR_JWT_SECRET"], algorithm="HS256")


def test_an_expired_token_is_refused_as_expired(api, stack, world, unchanged):
    # The local stack's secret lives in this process (stack.env), so an honest-but-expired token can be minted.
    past = datetime.now(UTC) - timedelta(hours=9)
    expired = _server_signed(
        stack, world["tokens"][CANDIDATE], iat=int(past.timestamp()), exp=int((past + timedelta(hours=8)).timestamp())
    )

    response = api.call("POST", f"/sessions/{world['session_id']}/heartbeat", expired)

    assert_error(response, 401, "auth.token_expired")


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"aud": "some-other-api"}, id="wrong-audience"),
        pytest.param({"iss": "someone-else"}, id="wrong-issuer"),
        pytest.param({"agency": None}, id="no-agency-claim"),
        pytest.param({"sub": None}, id="no-subject-claim"),
        pytest.param({"exp": None}, id="no-expiry-claim"),
    ],
)
def test_a_correctly_signed_token_with_wrong_or_missing_claims_is_refused(api, stack, world, unchanged, overrides):
    token = _server_signed(stack, world["tokens"][ADMIN], **overrides)

    assert_error(api.call("GET", f"/admin/exams/{world['exam_id']}", token), 401, "auth.token_invalid")


def test_a_correctly_signed_token_with_an_unknown_role_is_forbidden(api, stack, world, unchanged):
    token = _server_signed(stack, world["tokens"][ADMIN], role="superuser")

    assert_error(api.call("GET", f"/admin/exams/{world['exam_id']}", token), 403, "auth.forbidden_role")


# --- Roles -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body", "role"), WRONG_ROLES)
def test_a_valid_token_of_the_wrong_role_is_forbidden(api, world, unchanged, method, path, body, role):
    # Given a genuine, valid token of a role the route does not admit
    response = send(api, world, method, path, body, world["tokens"][role])

    # Then 403 and no effect
    assert_error(response, 403, "auth.forbidden_role")


def test_an_admin_may_use_the_proctor_routes_of_the_own_agency(api, world, unchanged):
    listed = ok(api.call("GET", "/proctor/sessions", world["tokens"][ADMIN]))["sessions"]
    assert world["session_id"] in [s["session_id"] for s in listed]
    timeline = ok(api.call("GET", f"/proctor/sessions/{world['session_id']}/timeline", world["tokens"][ADMIN]))
    assert timeline["session"]["candidate_id"] == world["candidate_id"]


# --- Tenants -----------------------------------------------------------------------------------------------

OTHER_ADMIN_ROUTES = [
    ("GET", "/admin/exams/{exam_id}", None),
    ("POST", "/admin/exams/{exam_id}/questions", lambda w: bank(5)),
    ("POST", "/admin/exams/{exam_id}/roster", _intruder_roster),
    ("GET", "/admin/exams/{exam_id}/roster", None),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), OTHER_ADMIN_ROUTES, ids=[f"{m} {p}" for m, p, _ in OTHER_ADMIN_ROUTES]
)
def test_an_admin_of_another_agency_cannot_see_or_change_the_exam(api, world, unchanged, method, path, body):
    # Given the admin of another agency who knows the exam id
    # When they read or change it, Then it does not exist for them
    response = send(api, world, method, path, body, world["tokens"]["other_admin"])

    assert_error(response, 404, "exam.not_found")


def test_an_admin_of_another_agency_cannot_enrol_accounts_into_the_exam(api, world, unchanged):
    intruder = f"intruder-{uuid.uuid4().hex[:8]}"
    body = {"candidates": [{"user_id": intruder, "full_name": "X", "password": PASSWORD}]}

    response = api.call("POST", f"/admin/exams/{world['exam_id']}/roster", world["tokens"]["other_admin"], json=body)

    assert_error(response, 404, "exam.not_found")
    login = login_response(api, intruder, PASSWORD)
    assert_error(login, 401, "auth.invalid_credentials")


def test_an_admin_of_another_agency_does_not_see_the_exam_listed(api, world, unchanged):
    exams = ok(api.call("GET", "/admin/exams", world["tokens"]["other_admin"]))["exams"]

    assert world["exam_id"] not in [e["exam_id"] for e in exams]
    assert world["neighbour_exam_id"] not in [e["exam_id"] for e in exams]


@pytest.mark.parametrize("who", ["other_proctor", "other_admin"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/proctor/sessions/{session_id}/timeline", None),
        ("POST", "/proctor/sessions/{session_id}/verdict", lambda w: {"verdict": "annul", "reason": "x"}),
        ("POST", "/proctor/sessions/{session_id}/verdict", lambda w: {"verdict": "accept"}),
    ],
    ids=["timeline", "verdict-annul", "verdict-accept"],
)
def test_staff_of_another_agency_cannot_see_or_judge_the_session(api, world, unchanged, who, method, path, body):
    response = send(api, world, method, path, body, world["tokens"][who])

    assert_error(response, 404, "session.not_found")


@pytest.mark.parametrize("who", ["other_proctor", "other_admin"])
def test_staff_of_another_agency_do_not_see_the_session_listed(api, world, unchanged, who):
    token = world["tokens"][who]
    everything = ok(api.call("GET", "/proctor/sessions", token))["sessions"]
    by_exam = ok(api.call("GET", "/proctor/sessions", token, params={"exam_id": world["exam_id"]}))["sessions"]

    assert world["session_id"] not in [s["session_id"] for s in everything]
    assert by_exam == []


def test_staff_of_another_agency_cannot_judge_a_session_awaiting_review(api, world, unchanged):
    # Given the rival's session of the world exam, submitted and moved to review by the state machine
    session_id, candidate = world["rival_session_id"], world["tokens"]["same_exam_rival"]
    ok(api.call("POST", f"/sessions/{session_id}/submit", candidate))
    wait_for(lambda: ok(api.call("GET", f"/sessions/{session_id}", candidate))["status"] == "awaiting_review")

    # When the staff of another agency try to annul it, Then it does not exist for them
    for who in ("other_proctor", "other_admin"):
        response = api.call(
            "POST",
            f"/proctor/sessions/{session_id}/verdict",
            world["tokens"][who],
            json={"verdict": "annul", "reason": "cross-tenant"},
        )
        assert_error(response, 404, "session.not_found")

    # And it still awaits its own agency's review with its score, which still works
    view = ok(api.call("GET", f"/sessions/{session_id}", candidate))
    assert view["status"] == "awaiting_review" and view["verdict"] is None and view["score"] is not None
    accepted = api.call(
        "POST", f"/proctor/sessions/{session_id}/verdict", world["tokens"][PROCTOR], json={"verdict": "accept"}
    )
    assert ok(accepted)["status"] == "accepted"


# --- Candidates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rival", ["same_exam_rival", "same_agency_rival"])
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), SESSION_ROUTES, ids=[f"{m} {p}" for m, p, _, _ in SESSION_ROUTES]
)
def test_another_candidate_cannot_touch_the_session(api, world, unchanged, rival, method, path, body, allowed):
    # Given another candidate of the same agency (same exam, or another exam) who learned the session id
    # When they read, answer, ping, submit, upload to or report events on it
    response = send(api, world, method, path, body, world["tokens"][rival])

    # Then the session does not exist for them, and (fixture) it stays untouched
    assert_error(response, 404, "session.not_found")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/exams/{exam_id}/consent", lambda w: {"accepted": True, "language": "ru"}),
        ("POST", "/exams/{exam_id}/sessions", lambda w: {"language": "ru"}),
    ],
    ids=["consent", "start"],
)
def test_a_candidate_not_admitted_to_the_exam_cannot_consent_or_start_it(api, world, unchanged, method, path, body):
    rival = world["tokens"]["same_agency_rival"]

    assert_error(send(api, world, method, path, body, rival), 404, "exam.not_found")

    mine = ok(api.call("GET", "/me/exams", rival))["exams"]
    assert [e["exam_id"] for e in mine] == [world["neighbour_exam_id"]]


def test_a_candidate_lists_only_the_own_admissions_and_session(api, world, unchanged):
    mine = ok(api.call("GET", "/me/exams", world["tokens"][CANDIDATE]))["exams"]

    assert [e["exam_id"] for e in mine] == [world["exam_id"]]
    assert (mine[0]["session"]["session_id"], mine[0]["session"]["status"]) == (world["session_id"], "in_progress")


# --- Login -------------------------------------------------------------------------------------------------


def test_a_wrong_password_and_an_unknown_login_are_indistinguishable(api, agency):
    wrong_password = login_response(api, agency["admin"], PASSWORD + "-nope")
    unknown_user = login_response(api, f"nobody-{uuid.uuid4().hex[:8]}", PASSWORD)

    assert_error(wrong_password, 401, "auth.invalid_credentials")
    assert_error(unknown_user, 401, "auth.invalid_credentials")
    assert wrong_password.json() == unknown_user.json()
    assert "token" not in wrong_password.text


def test_a_login_with_the_right_password_issues_a_token_for_the_role(api, agency):
    response = login_response(api, agency["proctor"].upper(), PASSWORD)

    body = ok(response)
    assert body["role"] == "proctor" and body["agency_id"] == agency["agency_id"]
    assert body["user_id"] == agency["proctor"]


def test_the_health_check_needs_no_token(api):
    response = api.call("GET", "/health")

    assert response.status_code == 200, response.text
