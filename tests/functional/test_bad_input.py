"""Bad input on every route that takes some, over real HTTP against the local stack.

Each case asserts the exact 4xx error code (never a 5xx) and, where a rejected request could have written
something, that nothing changed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.api_client import ApiClient
from tests.helpers import PASSWORD, SESSION_KEYS, admit, assert_error, exam_payload, login_response, ok, wait_for
from tests.helpers import snapshot as owners_view

ADMIN, PROCTOR, CANDIDATE = "admin", "proctor", "candidate"
MISSING_EXAM = "ex-000000000000"
MISSING_SESSION = "0" * 32
LANGS = ("kk", "ru", "en")


# --- Helpers -----------------------------------------------------------------------------------------------


def bank(items_per_block: int) -> dict[str, Any]:
    from local.seed import demo_bank

    return demo_bank(items_per_block)


def texts(label: str) -> dict[str, str]:
    return {lang: f"{label} ({lang})" for lang in LANGS}


def bank_item(item_id: str, block: Any = "law", **overrides: Any) -> dict[str, Any]:
    item = {
        "id": item_id,
        "block": block,
        "correct": "a",
        "text": texts(f"Question {item_id}"),
        "options": [{"id": oid, "text": texts(f"Answer {oid}")} for oid in ("a", "b", "c")],
    }
    return {**item, **overrides}


def now_iso(delta: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def event(**overrides: Any) -> dict[str, Any]:
    return {"event_id": f"ev-{uuid.uuid4().hex[:16]}", "type": "tab_hidden", "occurred_at": now_iso(), **overrides}


def without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


@pytest.fixture(scope="module")
def world_agency(stack) -> dict[str, str]:
    """An agency of its own, so that exams other tests create (in `agency`) do not show in its lists."""
    from local.seed import create_user

    agency_id = f"agency-{uuid.uuid4().hex[:8]}"
    users = {"agency_id": agency_id, "admin": f"admin-{agency_id}", "proctor": f"proctor-{agency_id}"}
    create_user(users["admin"], "admin", "Admin", PASSWORD, agency_id=agency_id)
    create_user(users["proctor"], "proctor", "Proctor", PASSWORD, agency_id=agency_id)
    return users


@pytest.fixture(scope="module")
def world(api: ApiClient, world_agency: dict[str, str]) -> dict[str, Any]:
    """An exam with a bank of 8 and one candidate writing it. Tests here may only send it rejected requests."""
    agency = world_agency
    admin = api.login(agency["admin"], PASSWORD)
    exam_id = ok(api.call("POST", "/admin/exams", admin, json=exam_payload()))["exam_id"]
    ok(api.call("POST", f"/admin/exams/{exam_id}/questions", admin, json=bank(4)))
    candidate_id, candidate = admit(api, admin, exam_id)
    session = ok(api.call("POST", f"/exams/{exam_id}/sessions", candidate, json={"language": "ru"}))
    world = {
        "exam_id": exam_id,
        "session_id": session["session_id"],
        "item_id": session["items"][0]["item_id"],
        "candidate_id": candidate_id,
        "session": session,
        "tokens": {ADMIN: admin, PROCTOR: api.login(agency["proctor"], PASSWORD), CANDIDATE: candidate},
    }
    world["baseline"] = snapshot(api, world)
    assert world["baseline"]["session"]["status"] == "in_progress"
    assert world["baseline"]["session"]["answers"] == {}
    assert world["baseline"]["violations"] == []
    assert [e["bank_size"] for e in world["baseline"]["exams"]] == [8]
    return world


@pytest.fixture
def unchanged(api: ApiClient, world: dict[str, Any]):
    """Assert after the test that its rejected calls changed nothing: the world (and its agency) is as built."""
    yield
    assert snapshot(api, world) == world["baseline"]


@pytest.fixture(scope="module")
def admin(api: ApiClient, agency: dict[str, str]) -> str:
    """An admin of the shared agency, for tests that build exams of their own."""
    return api.login(agency["admin"], PASSWORD)


def send(api: ApiClient, world: dict[str, Any], method: str, path: str, role: str | None, **kwargs: Any):
    token = world["tokens"][role] if role else None
    return api.call(method, path.format(**world), token, **kwargs)


def raw(data: str | bytes, content_type: str = "application/json") -> dict[str, Any]:
    return {"data": data, "headers": {"Content-Type": content_type}}


# --- Request bodies ----------------------------------------------------------------------------------------

# (method, path template, role) of every route that reads a JSON body; None = public.
BODY_ROUTES = [
    ("POST", "/auth/login", None),
    ("POST", "/admin/exams", ADMIN),
    ("POST", "/admin/exams/{exam_id}/questions", ADMIN),
    ("POST", "/admin/exams/{exam_id}/roster", ADMIN),
    ("POST", "/exams/{exam_id}/consent", CANDIDATE),
    ("POST", "/exams/{exam_id}/sessions", CANDIDATE),
    ("PUT", "/sessions/{session_id}/answers/{item_id}", CANDIDATE),
    ("POST", "/sessions/{session_id}/media", CANDIDATE),
    ("POST", "/sessions/{session_id}/events", CANDIDATE),
    ("POST", "/proctor/sessions/{session_id}/verdict", PROCTOR),
]
BODY_ROUTE_IDS = [f"{m} {p}" for m, p, _ in BODY_ROUTES]
BODY_REQUIRED_ROUTES = [r for r in BODY_ROUTES if r[1] != "/exams/{exam_id}/sessions"]


@pytest.mark.parametrize(("method", "path", "role"), BODY_ROUTES, ids=BODY_ROUTE_IDS)
def test_malformed_json_is_rejected(api, world, unchanged, method, path, role):
    response = send(api, world, method, path, role, **raw('{"user_id": "a", "events": ['))

    assert_error(response, 400, "request.malformed_json")


@pytest.mark.parametrize(
    "body",
    ["{'single': 'quotes'}", "not json at all", "{} trailing", '{"a": NaN,}'],
    ids=["single-quotes", "plain-text", "trailing-garbage", "trailing-comma"],
)
def test_every_kind_of_malformed_json_is_rejected(api, world, unchanged, body):
    response = send(api, world, "POST", "/sessions/{session_id}/events", CANDIDATE, **raw(body))

    assert_error(response, 400, "request.malformed_json")


@pytest.mark.parametrize(("method", "path", "role"), BODY_ROUTES, ids=BODY_ROUTE_IDS)
def test_a_json_array_instead_of_an_object_is_rejected(api, world, unchanged, method, path, role):
    response = send(api, world, method, path, role, json=[{"user_id": "x", "items": []}])

    assert_error(response, 400, "request.body_not_object")


@pytest.mark.parametrize("body", ["null", "42", '"events"', "true"])
def test_a_json_scalar_instead_of_an_object_is_rejected(api, world, unchanged, body):
    response = send(api, world, "POST", "/sessions/{session_id}/events", CANDIDATE, **raw(body))

    assert_error(response, 400, "request.body_not_object")


@pytest.mark.parametrize(
    ("method", "path", "role"), BODY_REQUIRED_ROUTES, ids=[f"{m} {p}" for m, p, _ in BODY_REQUIRED_ROUTES]
)
def test_a_missing_body_is_rejected_where_one_is_required(api, world, unchanged, method, path, role):
    response = send(api, world, method, path, role, headers={"Content-Type": "application/json"})

    assert_error(response, 400, "request.body_required")


def test_a_body_that_is_not_utf8_is_rejected_as_malformed(api, world, unchanged):
    response = send(api, world, "POST", "/sessions/{session_id}/events", CANDIDATE, **raw(b'{"events": "\xff\xfe"}'))

    assert_error(response, 400, "request.malformed_json")


def test_a_body_over_one_megabyte_is_rejected(api, world, unchanged):
    oversized = {"events": [event(details={"pad": "x" * 1_100_000})]}

    response = send(api, world, "POST", "/sessions/{session_id}/events", CANDIDATE, json=oversized)

    assert_error(response, 400, "request.body_too_large")


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("POST", "/auth/login", None),
        ("POST", "/sessions/{session_id}/events", CANDIDATE),
    ],
    ids=["public login", "events"],
)
def test_deeply_nested_json_is_rejected_as_malformed_not_a_server_error(api, world, unchanged, method, path, role):
    # Given a small (40 kB) body nesting arrays 20,000 deep, which exhausts the JSON decoder's recursion
    nested = "[" * 20_000 + "]" * 20_000

    response = send(api, world, method, path, role, **raw(nested))

    assert_error(response, 400, "request.malformed_json")


# --- Field validation --------------------------------------------------------------------------------------

EXAM = exam_payload()
VALID_EVENT = event()
# (id, method, path template, role, body, details.field)
INVALID_FIELDS: list[tuple[str, str, str, str | None, Any, str]] = [
    ("login-empty", "POST", "/auth/login", None, {}, "user_id"),
    ("login-user-int", "POST", "/auth/login", None, {"user_id": 5, "password": "x"}, "user_id"),
    ("login-user-blank", "POST", "/auth/login", None, {"user_id": "   ", "password": "x"}, "user_id"),
    ("login-user-long", "POST", "/auth/login", None, {"user_id": "u" * 129, "password": "x"}, "user_id"),
    ("login-no-password", "POST", "/auth/login", None, {"user_id": "someone"}, "password"),
    ("login-password-list", "POST", "/auth/login", None, {"user_id": "someone", "password": ["x"]}, "password"),
    ("exam-no-title", "POST", "/admin/exams", ADMIN, without(EXAM, "title"), "title"),
    ("exam-title-string", "POST", "/admin/exams", ADMIN, {**EXAM, "title": "Exam"}, "title"),
    ("exam-title-no-en", "POST", "/admin/exams", ADMIN, {**EXAM, "title": {"kk": "a", "ru": "b"}}, "title.en"),
    ("exam-duration-string", "POST", "/admin/exams", ADMIN, {**EXAM, "duration_s": "600"}, "duration_s"),
    ("exam-duration-float", "POST", "/admin/exams", ADMIN, {**EXAM, "duration_s": 600.5}, "duration_s"),
    ("exam-duration-bool", "POST", "/admin/exams", ADMIN, {**EXAM, "duration_s": True}, "duration_s"),
    ("exam-duration-too-short", "POST", "/admin/exams", ADMIN, {**EXAM, "duration_s": 4}, "duration_s"),
    ("exam-duration-too-long", "POST", "/admin/exams", ADMIN, {**EXAM, "duration_s": 12 * 3600 + 1}, "duration_s"),
    ("exam-no-blocks", "POST", "/admin/exams", ADMIN, without(EXAM, "blocks"), "blocks"),
    ("exam-blocks-empty", "POST", "/admin/exams", ADMIN, {**EXAM, "blocks": []}, "blocks"),
    (
        "exam-block-id-space",
        "POST",
        "/admin/exams",
        ADMIN,
        {**EXAM, "blocks": [{**EXAM["blocks"][0], "block_id": "law school"}]},
        "blocks[0].block_id",
    ),
    (
        "exam-block-count-zero",
        "POST",
        "/admin/exams",
        ADMIN,
        {**EXAM, "blocks": [EXAM["blocks"][0], {**EXAM["blocks"][1], "item_count": 0}]},
        "blocks[1].item_count",
    ),
    (
        "exam-block-title-no-kk",
        "POST",
        "/admin/exams",
        ADMIN,
        {**EXAM, "blocks": [{**EXAM["blocks"][0], "title": {"ru": "a", "en": "b"}}]},
        "blocks[0].title.kk",
    ),
    ("exam-block-duplicate", "POST", "/admin/exams", ADMIN, {**EXAM, "blocks": [EXAM["blocks"][0]] * 2}, "blocks"),
    ("exam-no-opens-at", "POST", "/admin/exams", ADMIN, without(EXAM, "opens_at"), "opens_at"),
    ("exam-opens-at-words", "POST", "/admin/exams", ADMIN, {**EXAM, "opens_at": "tomorrow"}, "opens_at"),
    ("exam-opens-at-no-zone", "POST", "/admin/exams", ADMIN, {**EXAM, "opens_at": "2026-01-01T09:00:00"}, "opens_at"),
    ("exam-closes-at-epoch", "POST", "/admin/exams", ADMIN, {**EXAM, "closes_at": 1_900_000_000}, "closes_at"),
    ("exam-language-unknown", "POST", "/admin/exams", ADMIN, {**EXAM, "languages": ["ru", "de"]}, "languages"),
    ("exam-language-twice", "POST", "/admin/exams", ADMIN, {**EXAM, "languages": ["ru", "ru"]}, "languages"),
    ("exam-languages-empty", "POST", "/admin/exams", ADMIN, {**EXAM, "languages": []}, "languages"),
    ("exam-languages-string", "POST", "/admin/exams", ADMIN, {**EXAM, "languages": "ru"}, "languages"),
    (
        "exam-title-lacks-declared-language",
        "POST",
        "/admin/exams",
        ADMIN,
        {**EXAM, "languages": ["kk"], "title": {"ru": "Экзамен"}},
        "title.kk",
    ),
    ("roster-empty-body", "POST", "/admin/exams/{exam_id}/roster", ADMIN, {}, "candidates"),
    ("roster-empty-list", "POST", "/admin/exams/{exam_id}/roster", ADMIN, {"candidates": []}, "candidates"),
    (
        "roster-not-a-list",
        "POST",
        "/admin/exams/{exam_id}/roster",
        ADMIN,
        {"candidates": {"user_id": "new-person", "full_name": "N"}},
        "candidates",
    ),
    (
        "roster-too-many",
        "POST",
        "/admin/exams/{exam_id}/roster",
        ADMIN,
        {"candidates": [{"user_id": f"bulk-{n}", "full_name": "N"} for n in range(101)]},
        "candidates",
    ),
    (
        "roster-user-id-space",
        "POST",
        "/admin/exams/{exam_id}/roster",
        ADMIN,
        {"candidates": [{"user_id": "new person", "full_name": "N"}]},
        "candidates[0].user_id",
    ),
    (
        "roster-no-user-id",
        "POST",
        "/admin/exams/{exam_id}/roster",
        ADMIN,
        {"candidates": [{"full_name": "N"}]},
        "candidates[0].user_id",
    ),
    (
        "roster-no-full-name",
        "POST",
        "/admin/exams/{exam_id}/roster",
        ADMIN,
        {"candidates": [{"user_id": "new-person-1"}, {"user_id": "new-person-2"}]},
        "candidates[0].full_name",
    ),
    (
        "roster-password-int",
        "POST",
        "/admin/exams/{exam_id}/roster",
        ADMIN,
        {"candidates": [{"user_id": "new-person", "full_name": "N", "password": 12345678}]},
        "candidates[0].password",
    ),
    (
        "roster-password-short",
        "POST",
        "/admin/exams/{exam_id}/roster",
        ADMIN,
        {"candidates": [{"user_id": "new-person", "full_name": "N", "password": "short"}]},
        "candidates[0].password",
    ),
    ("consent-empty", "POST", "/exams/{exam_id}/consent", CANDIDATE, {}, "accepted"),
    ("consent-accepted-string", "POST", "/exams/{exam_id}/consent", CANDIDATE, {"accepted": "yes"}, "accepted"),
    ("consent-accepted-int", "POST", "/exams/{exam_id}/consent", CANDIDATE, {"accepted": 1}, "accepted"),
    ("consent-no-language", "POST", "/exams/{exam_id}/consent", CANDIDATE, {"accepted": True}, "language"),
    (
        "consent-language-unknown",
        "POST",
        "/exams/{exam_id}/consent",
        CANDIDATE,
        {"accepted": True, "language": "de"},
        "language",
    ),
    ("start-language-unknown", "POST", "/exams/{exam_id}/sessions", CANDIDATE, {"language": "de"}, "language"),
    ("start-language-int", "POST", "/exams/{exam_id}/sessions", CANDIDATE, {"language": 7}, "language"),
    ("answer-empty", "PUT", "/sessions/{session_id}/answers/{item_id}", CANDIDATE, {}, "option_id"),
    ("answer-wrong-name", "PUT", "/sessions/{session_id}/answers/{item_id}", CANDIDATE, {"answer": "a"}, "option_id"),
    ("answer-int", "PUT", "/sessions/{session_id}/answers/{item_id}", CANDIDATE, {"option_id": 1}, "option_id"),
    ("answer-blank", "PUT", "/sessions/{session_id}/answers/{item_id}", CANDIDATE, {"option_id": ""}, "option_id"),
    ("answer-long", "PUT", "/sessions/{session_id}/answers/{item_id}", CANDIDATE, {"option_id": "a" * 65}, "option_id"),
    ("media-empty", "POST", "/sessions/{session_id}/media", CANDIDATE, {}, "kind"),
    ("media-video", "POST", "/sessions/{session_id}/media", CANDIDATE, {"kind": "video"}, "kind"),
    ("media-upper-case", "POST", "/sessions/{session_id}/media", CANDIDATE, {"kind": "WEBCAM"}, "kind"),
    ("media-kind-int", "POST", "/sessions/{session_id}/media", CANDIDATE, {"kind": 1}, "kind"),
    ("events-empty", "POST", "/sessions/{session_id}/events", CANDIDATE, {}, "events"),
    ("events-empty-list", "POST", "/sessions/{session_id}/events", CANDIDATE, {"events": []}, "events"),
    ("events-string", "POST", "/sessions/{session_id}/events", CANDIDATE, {"events": "tab_hidden"}, "events"),
    (
        "events-too-many",
        "POST",
        "/sessions/{session_id}/events",
        CANDIDATE,
        {"events": [event() for _ in range(101)]},
        "events",
    ),
    (
        "event-no-id",
        "POST",
        "/sessions/{session_id}/events",
        CANDIDATE,
        {"events": [without(VALID_EVENT, "event_id")]},
        "events[0].event_id",
    ),
    (
        "event-id-short",
        "POST",
        "/sessions/{session_id}/events",
        CANDIDATE,
        {"events": [{**VALID_EVENT, "event_id": "short"}]},
        "events[0].event_id",
    ),
    (
        "event-id-spaces",
        "POST",
        "/sessions/{session_id}/events",
        CANDIDATE,
        {"events": [{**VALID_EVENT, "event_id": "has spaces in it"}]},
        "events[0].event_id",
    ),
    (
        "event-id-int",
        "POST",
        "/sessions/{session_id}/events",
        CANDIDATE,
        {"events": [{**VALID_EVENT, "event_id": 12345678}]},
        "events[0].event_id",
    ),
    (
        "event-type-unknown",
        "POST",
        "/sessions/{session_id}/events",
        CANDIDATE,
        {"events": [{**VALID_EVENT, "type": "mouse_move"}]},
        "events[0].type",
    ),
    (
        "event-no-type",
        "POST",
        "/sessions/{session_id}/events",
        CANDIDATE,
        {"events": [without(VALID_EVENT, "type")]},
        "events[0].type",
    ),
    (
        "event-time-words",
        "POST",
        "/sessions/{session_id}/events",
        CANDIDATE,
        {"events": [{**VALID_EVENT, "occurred_at": "just now"}]},
        "events[0].occurred_at",
    ),
    (
        "event-time-no-zone",
        "POST",
        "/sessions/{session_id}/events",
        CANDIDATE,
        {"events": [{**VALID_EVENT, "occurred_at": datetime.now().isoformat()}]},
        "events[0].occurred_at",
    ),
    (
        "event-time-epoch",
        "POST",
        "/sessions/{session_id}/events",
        CANDIDATE,
        {"events": [{**VALID_EVENT, "occurred_at": 1_900_000_000}]},
        "events[0].occurred_at",
    ),
    (
        "event-details-string",
        "POST",
        "/sessions/{session_id}/events",
        CANDIDATE,
        {"events": [{**VALID_EVENT, "details": "x"}]},
        "events[0].details",
    ),
    (
        "event-second-of-batch-bad",
        "POST",
        "/sessions/{session_id}/events",
        CANDIDATE,
        {"events": [event(), event(type="mouse_move")]},
        "events[1].type",
    ),
    ("verdict-empty", "POST", "/proctor/sessions/{session_id}/verdict", PROCTOR, {}, "verdict"),
    ("verdict-unknown", "POST", "/proctor/sessions/{session_id}/verdict", PROCTOR, {"verdict": "maybe"}, "verdict"),
    ("annul-without-reason", "POST", "/proctor/sessions/{session_id}/verdict", PROCTOR, {"verdict": "annul"}, "reason"),
    (
        "annul-blank-reason",
        "POST",
        "/proctor/sessions/{session_id}/verdict",
        PROCTOR,
        {"verdict": "annul", "reason": "   "},
        "reason",
    ),
    (
        "annul-long-reason",
        "POST",
        "/proctor/sessions/{session_id}/verdict",
        PROCTOR,
        {"verdict": "annul", "reason": "x" * 1001},
        "reason",
    ),
    (
        "accept-reason-int",
        "POST",
        "/proctor/sessions/{session_id}/verdict",
        PROCTOR,
        {"verdict": "accept", "reason": 5},
        "reason",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "role", "body", "field"), [pytest.param(*case[1:], id=case[0]) for case in INVALID_FIELDS]
)
def test_a_wrong_type_or_missing_field_is_rejected_naming_the_field(
    api, world, unchanged, method, path, role, body, field
):
    response = send(api, world, method, path, role, json=body)

    error = assert_error(response, 400, "request.invalid_field")
    assert error["details"]["field"] == field, error


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"status": "IN_PROGRESS"}, "status"),
        ({"exam_id": "bad id!"}, "exam_id"),
    ],
    ids=["status-bogus", "status-upper-case", "exam-id-malformed"],
)
def test_a_bad_filter_of_the_proctor_session_list_is_rejected(api, world, query, field):
    response = api.call("GET", "/proctor/sessions", world["tokens"][PROCTOR], params=query)

    error = assert_error(response, 400, "request.invalid_field")
    assert error["details"]["field"] == field


def test_the_proctor_session_list_filters_by_status_and_exam(api, world):
    sessions = ok(
        api.call(
            "GET",
            "/proctor/sessions",
            world["tokens"][PROCTOR],
            params={"status": "in_progress", "exam_id": world["exam_id"]},
        )
    )["sessions"]
    assert [s["session_id"] for s in sessions] == [world["session_id"]]
    submitted = ok(
        api.call(
            "GET",
            "/proctor/sessions",
            world["tokens"][PROCTOR],
            params={"status": "submitted", "exam_id": world["exam_id"]},
        )
    )["sessions"]
    assert submitted == []


@pytest.mark.parametrize(
    ("method", "path", "role", "body", "field"),
    [
        ("POST", "/admin/exams", ADMIN, {**EXAM, "blocks": ["law"]}, "blocks[0]"),
        ("POST", "/admin/exams/{exam_id}/roster", ADMIN, {"candidates": ["new-person"]}, "candidates[0]"),
        ("POST", "/sessions/{session_id}/events", CANDIDATE, {"events": [VALID_EVENT, "tab_hidden"]}, "events[1]"),
    ],
    ids=["exam-block", "roster-entry", "event"],
)
def test_a_list_entry_that_is_not_an_object_is_rejected_naming_the_entry(
    api, world, unchanged, method, path, role, body, field
):
    # A nested entry of the wrong type is a field problem, not "the JSON body must be an object"
    response = send(api, world, method, path, role, json=body)

    error = assert_error(response, 400, "request.invalid_field")
    assert error["details"]["field"] == field


@pytest.mark.parametrize(
    ("method", "path", "role", "body", "field"),
    [
        ("POST", "/admin/exams", ADMIN, {**EXAM, "closes_at": "9999-12-31T23:59:59-01:00"}, "closes_at"),
        ("POST", "/admin/exams", ADMIN, {**EXAM, "opens_at": "0001-01-01T00:00:00+01:00"}, "opens_at"),
        (
            "POST",
            "/sessions/{session_id}/events",
            CANDIDATE,
            {"events": [{**VALID_EVENT, "occurred_at": "9999-12-31T23:59:59-01:00"}]},
            "events[0].occurred_at",
        ),
    ],
    ids=["exam-closes-after-year-9999-utc", "exam-opens-before-year-1-utc", "event-after-year-9999-utc"],
)
def test_a_timestamp_that_leaves_the_calendar_in_utc_is_rejected_not_a_server_error(
    api, world, unchanged, method, path, role, body, field
):
    response = send(api, world, method, path, role, json=body)

    error = assert_error(response, 400, "request.invalid_field")
    assert error["details"]["field"] == field


# --- Unknown ids -------------------------------------------------------------------------------------------

UNKNOWN_IDS: list[tuple[str, str, str, Any, str]] = [
    ("GET", f"/admin/exams/{MISSING_EXAM}", ADMIN, None, "exam.not_found"),
    ("POST", f"/admin/exams/{MISSING_EXAM}/questions", ADMIN, {"items": [bank_item("x-1")]}, "exam.not_found"),
    (
        "POST",
        f"/admin/exams/{MISSING_EXAM}/roster",
        ADMIN,
        {"candidates": [{"user_id": "ghost-candidate", "full_name": "G", "password": PASSWORD}]},
        "exam.not_found",
    ),
    ("GET", f"/admin/exams/{MISSING_EXAM}/roster", ADMIN, None, "exam.not_found"),
    ("POST", f"/exams/{MISSING_EXAM}/consent", CANDIDATE, {"accepted": True, "language": "ru"}, "exam.not_found"),
    ("POST", f"/exams/{MISSING_EXAM}/sessions", CANDIDATE, {"language": "ru"}, "exam.not_found"),
    ("GET", f"/sessions/{MISSING_SESSION}", CANDIDATE, None, "session.not_found"),
    ("PUT", f"/sessions/{MISSING_SESSION}/answers/{{item_id}}", CANDIDATE, {"option_id": "a"}, "session.not_found"),
    ("POST", f"/sessions/{MISSING_SESSION}/heartbeat", CANDIDATE, None, "session.not_found"),
    ("POST", f"/sessions/{MISSING_SESSION}/submit", CANDIDATE, None, "session.not_found"),
    ("POST", f"/sessions/{MISSING_SESSION}/media", CANDIDATE, {"kind": "webcam"}, "session.not_found"),
    ("POST", f"/sessions/{MISSING_SESSION}/events", CANDIDATE, {"events": [VALID_EVENT]}, "session.not_found"),
    ("PUT", "/sessions/{session_id}/answers/no-such-item", CANDIDATE, {"option_id": "a"}, "item.not_found"),
    ("GET", f"/proctor/sessions/{MISSING_SESSION}/timeline", PROCTOR, None, "session.not_found"),
    ("POST", f"/proctor/sessions/{MISSING_SESSION}/verdict", PROCTOR, {"verdict": "accept"}, "session.not_found"),
]


@pytest.mark.parametrize(
    ("method", "path", "role", "body", "code"), UNKNOWN_IDS, ids=[f"{m} {p}" for m, p, _, _, _ in UNKNOWN_IDS]
)
def test_an_unknown_id_is_not_found(api, world, unchanged, method, path, role, body, code):
    kwargs = {} if body is None else {"json": body}

    assert_error(send(api, world, method, path, role, **kwargs), 404, code)


def test_admitting_to_an_unknown_exam_creates_no_account(api, world):
    user_id = f"ghost-{uuid.uuid4().hex[:8]}"
    body = {"candidates": [{"user_id": user_id, "full_name": "Ghost", "password": PASSWORD}]}

    assert_error(
        api.call("POST", f"/admin/exams/{MISSING_EXAM}/roster", world["tokens"][ADMIN], json=body),
        404,
        "exam.not_found",
    )

    assert_error(login_response(api, user_id, PASSWORD), 401, "auth.invalid_credentials")


# --- Exams -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("closes_delta", [timedelta(hours=-1), timedelta(0)], ids=["before", "same-instant"])
def test_an_exam_that_closes_before_it_opens_is_rejected(api, world, unchanged, closes_delta):
    opens = datetime.now(UTC) + timedelta(days=1)
    body = {**EXAM, "opens_at": opens.isoformat(), "closes_at": (opens + closes_delta).isoformat()}

    response = api.call("POST", "/admin/exams", world["tokens"][ADMIN], json=body)

    assert_error(response, 400, "exam.window_invalid")


def test_an_exam_offered_in_one_language_cannot_be_started_in_another(api, admin):
    # Given an exam offered in Russian only, with a bank and a consenting candidate
    created = ok(api.call("POST", "/admin/exams", admin, json={**EXAM, "languages": ["ru"]}))
    assert created["languages"] == ["ru"]
    ok(api.call("POST", f"/admin/exams/{created['exam_id']}/questions", admin, json=bank(3)))
    _, candidate = admit(api, admin, created["exam_id"])

    # When the candidate asks for English, Then it is refused and no session exists
    refused = api.call("POST", f"/exams/{created['exam_id']}/sessions", candidate, json={"language": "en"})
    assert_error(refused, 409, "exam.language_unavailable")
    assert ok(api.call("GET", "/me/exams", candidate))["exams"][0]["session"] is None

    # And Russian works
    started = api.call("POST", f"/exams/{created['exam_id']}/sessions", candidate, json={"language": "ru"})
    assert started.status_code == 201 and started.json()["language"] == "ru"


def test_an_exam_with_too_small_a_bank_cannot_be_started(api, admin):
    exam_id = ok(api.call("POST", "/admin/exams", admin, json=EXAM))["exam_id"]
    ok(api.call("POST", f"/admin/exams/{exam_id}/questions", admin, json={"items": [bank_item("only-one")]}))
    _, candidate = admit(api, admin, exam_id)

    response = api.call("POST", f"/exams/{exam_id}/sessions", candidate, json={})

    error = assert_error(response, 409, "exam.bank_insufficient")
    assert error["details"] == {"block_id": "law"}
    assert ok(api.call("GET", "/me/exams", candidate))["exams"][0]["session"] is None


def test_an_exam_cannot_be_started_before_its_window_opens(api, admin):
    opens = datetime.now(UTC) + timedelta(hours=1)
    body = {**EXAM, "opens_at": opens.isoformat(), "closes_at": (opens + timedelta(hours=2)).isoformat()}
    exam_id = ok(api.call("POST", "/admin/exams", admin, json=body))["exam_id"]
    ok(api.call("POST", f"/admin/exams/{exam_id}/questions", admin, json=bank(3)))
    _, candidate = admit(api, admin, exam_id)

    assert_error(api.call("POST", f"/exams/{exam_id}/sessions", candidate, json={}), 409, "exam.not_open")


# --- Question banks ----------------------------------------------------------------------------------------

CSV_HEADER = (
    "id,block,correct,text_kk,text_ru,text_en,option_a_kk,option_a_ru,option_a_en,"
    "option_b_kk,option_b_ru,option_b_en,option_c_kk,option_c_ru,option_c_en"
)


def csv_row(item_id: str, block: str = "law", correct: str = "a", label: str = "Q") -> str:
    cells = [item_id, block, correct, f"{label} kk", f"{label} ru", f"{label} en"]
    for option in ("a", "b", "c"):
        cells += [f"{option} kk", f"{option} ru", f"{option} en"]
    return ",".join(cells)


def post_csv(api: ApiClient, admin: str, exam_id: str, text: str | bytes) -> requests.Response:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return api.call("POST", f"/admin/exams/{exam_id}/questions", admin, data=data, headers={"Content-Type": "text/csv"})


def bank_size(api: ApiClient, world: dict[str, Any]) -> int:
    return ok(api.call("GET", f"/admin/exams/{world['exam_id']}", world["tokens"][ADMIN]))["bank_size"]


def test_a_json_bank_with_one_bad_row_imports_nothing_and_names_the_row(api, world, unchanged):
    # Given a bank of three new items where only the second names a block the exam does not have
    body = {"items": [bank_item("new-1"), bank_item("new-2", block="history"), bank_item("new-3")]}

    response = api.call("POST", f"/admin/exams/{world['exam_id']}/questions", world["tokens"][ADMIN], json=body)

    # Then the import is refused naming row 2, and the good rows were not imported either
    error = assert_error(response, 422, "bank.invalid")
    assert [(p["row"], p["field"]) for p in error["details"]] == [(2, "block")]
    assert bank_size(api, world) == 8


def test_a_json_bank_lists_every_problem_of_every_row(api, world, unchanged):
    no_english = bank_item("new-1", text={"kk": "a", "ru": "b"})
    wrong_key = bank_item("new-2", correct="z")
    one_option = bank_item("new-3", options=[{"id": "a", "text": texts("A")}])
    duplicate = bank_item("new-1")
    body = {"items": [no_english, wrong_key, one_option, duplicate, "not an item"]}

    response = api.call("POST", f"/admin/exams/{world['exam_id']}/questions", world["tokens"][ADMIN], json=body)

    error = assert_error(response, 422, "bank.invalid")
    found = {(p["row"], p["field"]) for p in error["details"]}
    assert {(1, "text.en"), (2, "correct"), (3, "options"), (4, "id"), (5, "item")} <= found


@pytest.mark.parametrize(
    "body",
    [{"items": "law-001"}, {"questions": []}, {"items": []}],
    ids=["items-not-a-list", "no-items-key", "items-empty"],
)
def test_a_json_bank_without_items_is_refused(api, world, unchanged, body):
    response = api.call("POST", f"/admin/exams/{world['exam_id']}/questions", world["tokens"][ADMIN], json=body)

    assert_error(response, 422, "bank.invalid")


@pytest.mark.parametrize("block", [["law"], {"id": "law"}, 7, None], ids=["list", "object", "number", "null"])
def test_a_json_bank_row_whose_block_is_not_a_string_is_refused_not_a_server_error(api, world, unchanged, block):
    body = {"items": [bank_item("new-1"), bank_item("new-2", block=block)]}

    response = api.call("POST", f"/admin/exams/{world['exam_id']}/questions", world["tokens"][ADMIN], json=body)

    error = assert_error(response, 422, "bank.invalid")
    assert (2, "block") in {(p["row"], p["field"]) for p in error["details"]}


def test_a_csv_bank_with_one_bad_row_imports_nothing_and_names_the_row(api, world, unchanged):
    # Given a CSV whose third row's correct answer is not one of its options
    text = "\n".join([CSV_HEADER, csv_row("csv-1"), csv_row("csv-2", block="ethics"), csv_row("csv-3", correct="d")])

    response = post_csv(api, world["tokens"][ADMIN], world["exam_id"], text + "\n")

    error = assert_error(response, 422, "bank.invalid")
    assert [(p["row"], p["field"]) for p in error["details"]] == [(3, "correct")]
    assert bank_size(api, world) == 8


def test_a_csv_bank_missing_required_columns_is_refused(api, world, unchanged):
    response = post_csv(api, world["tokens"][ADMIN], world["exam_id"], "id,text_ru\ncsv-1,Вопрос\n")

    error = assert_error(response, 422, "bank.invalid")
    assert "block" in error["message"] and "correct" in error["message"]


def test_a_csv_bank_that_is_not_utf8_is_refused(api, world, unchanged):
    text = "\n".join([CSV_HEADER, csv_row("csv-1", label="Вопрос")]) + "\n"

    response = post_csv(api, world["tokens"][ADMIN], world["exam_id"], text.encode("cp1251"))

    assert_error(response, 400, "bank.not_utf8")


def test_a_csv_bank_with_an_oversized_cell_is_refused_not_a_server_error(api, world, unchanged):
    # Given a 200 kB question text: under the 1 MB body limit, over the csv module's 128 kB field limit
    text = "\n".join([CSV_HEADER, csv_row("csv-1", label="x" * 200_000)]) + "\n"

    response = post_csv(api, world["tokens"][ADMIN], world["exam_id"], text)

    assert_error(response, 422, "bank.invalid")


def test_a_csv_bank_imports_and_its_items_reach_the_candidate(api, admin):
    # Given a fresh exam (one item per block) and an Excel-style CSV (BOM, CRLF, a blank option c on one row)
    blocks = [{**b, "item_count": 1} for b in EXAM["blocks"]]
    exam_id = ok(api.call("POST", "/admin/exams", admin, json={**EXAM, "blocks": blocks}))["exam_id"]
    two_options = csv_row("csv-ethics-1", block="ethics", label="Этика").rsplit(",", 3)[0] + ",,,"
    text = "\ufeff" + "\r\n".join([CSV_HEADER, csv_row("csv-law-1", label="Право"), two_options]) + "\r\n"

    # When it is imported
    imported = ok(post_csv(api, admin, exam_id, text))

    # Then both items are in the bank
    assert imported == {"imported": 2, "bank_size": 2}
    assert ok(api.call("GET", f"/admin/exams/{exam_id}", admin))["bank_size"] == 2

    # And re-importing the same ids replaces them instead of adding
    again = ok(post_csv(api, admin, exam_id, text.replace("Право", "Право v2")))
    assert again == {"imported": 2, "bank_size": 2}

    # And a candidate gets exactly those items, texts and options
    _, candidate = admit(api, admin, exam_id)
    session = ok(api.call("POST", f"/exams/{exam_id}/sessions", candidate, json={"language": "ru"}))
    by_id = {item["item_id"]: item for item in session["items"]}
    assert set(by_id) == {"csv-law-1", "csv-ethics-1"}
    assert by_id["csv-law-1"]["text"] == {"kk": "Право v2 kk", "ru": "Право v2 ru", "en": "Право v2 en"}
    assert sorted(o["text"]["en"] for o in by_id["csv-law-1"]["options"]) == ["a en", "b en", "c en"]
    assert sorted(o["text"]["en"] for o in by_id["csv-ethics-1"]["options"]) == ["a en", "b en"]


# --- Rosters -----------------------------------------------------------------------------------------------


def test_a_roster_batch_rejected_for_a_bad_entry_creates_no_account(api, make_exam):
    # Given a batch whose first new candidate is fine (server-generated password) and whose second is not
    ctx = make_exam()
    first = f"batch-{uuid.uuid4().hex[:8]}"
    body = {
        "candidates": [
            {"user_id": first, "full_name": "First"},
            {"user_id": f"batch-{uuid.uuid4().hex[:8]}", "full_name": "Second", "password": "short"},
        ]
    }

    # When it is rejected
    response = api.call("POST", f"/admin/exams/{ctx['exam_id']}/roster", ctx["admin"], json=body)
    assert_error(response, 400, "request.invalid_field")

    # Then neither candidate is admitted, and admitting the first alone later creates its account afresh,
    # with the password given now (a half-created account would keep a generated password nobody ever saw)
    roster = ok(api.call("GET", f"/admin/exams/{ctx['exam_id']}/roster", ctx["admin"]))["candidates"]
    assert first not in [c["user_id"] for c in roster]
    retry = ok(
        api.call(
            "POST",
            f"/admin/exams/{ctx['exam_id']}/roster",
            ctx["admin"],
            json={"candidates": [{"user_id": first, "full_name": "First", "password": PASSWORD}]},
        )
    )
    assert retry["created_accounts"] == [{"user_id": first, "password": None}]
    assert login_response(api, first, PASSWORD).status_code == 200


def test_a_staff_login_cannot_be_admitted_as_a_candidate(api, world, unchanged, world_agency):
    # (another agency's logins are other accounts: agency-scoped, tests/functional/test_agency_accounts.py)
    for taken in (world_agency["proctor"], world_agency["admin"]):
        body = {"candidates": [{"user_id": taken, "full_name": "Impostor", "password": PASSWORD}]}

        response = api.call("POST", f"/admin/exams/{world['exam_id']}/roster", world["tokens"][ADMIN], json=body)

        error = assert_error(response, 409, "roster.login_taken")
        assert error["details"] == [taken]


# --- Consent and start -------------------------------------------------------------------------------------


def test_starting_without_consent_is_forbidden_and_creates_no_session(api, make_exam):
    ctx = make_exam(consent=False)

    response = api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={"language": "ru"})

    assert_error(response, 403, "consent.required")
    mine = ok(api.call("GET", "/me/exams", ctx["candidate"]))["exams"]
    assert mine[0]["consent_recorded"] is False and mine[0]["session"] is None


def test_declining_consent_is_recorded_as_nothing_and_still_blocks_the_start(api, make_exam):
    # Given a candidate who has not consented
    ctx = make_exam(consent=False)

    # When they decline
    declined = api.call(
        "POST", f"/exams/{ctx['exam_id']}/consent", ctx["candidate"], json={"accepted": False, "language": "ru"}
    )

    # Then 403, no consent stored anywhere, and they still cannot start
    assert_error(declined, 403, "consent.declined")
    roster = ok(api.call("GET", f"/admin/exams/{ctx['exam_id']}/roster", ctx["admin"]))["candidates"]
    assert [c["consent_at"] for c in roster] == [None]
    assert ok(api.call("GET", "/me/exams", ctx["candidate"]))["exams"][0]["consent_recorded"] is False
    start = api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={})
    assert_error(start, 403, "consent.required")

    # And accepting afterwards lets them in
    consent = {"accepted": True, "language": "kk"}
    ok(api.call("POST", f"/exams/{ctx['exam_id']}/consent", ctx["candidate"], json=consent))
    assert api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={}).status_code == 201


@pytest.mark.parametrize(
    "kwargs",
    [{"json": {"language": "ru"}}, {"json": {"language": "kk"}}, {}],
    ids=["same-language", "other-language", "no-body"],
)
def test_starting_again_returns_the_same_session_with_200(api, world, unchanged, kwargs):
    response = api.call("POST", f"/exams/{world['exam_id']}/sessions", world["tokens"][CANDIDATE], **kwargs)

    assert response.status_code == 200, response.text
    again = response.json()
    assert again["session_id"] == world["session_id"]
    assert again["items"] == world["session"]["items"]
    assert again["language"] == "ru" and again["status"] == "in_progress"


# --- Answers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("option_id", ["z", "A", "law-001"])
def test_an_answer_with_an_option_not_in_the_item_is_unprocessable(api, world, unchanged, option_id):
    path = f"/sessions/{world['session_id']}/answers/{world['item_id']}"

    response = api.call("PUT", path, world["tokens"][CANDIDATE], json={"option_id": option_id})

    assert_error(response, 422, "answer.invalid_option")


def test_answers_and_uploads_after_submitting_are_refused_and_change_nothing(api, started):
    session_id, candidate = started["session"]["session_id"], started["candidate"]
    first = started["session"]["items"][0]
    chosen, other = first["options"][0]["option_id"], first["options"][1]["option_id"]
    ok(api.call("PUT", f"/sessions/{session_id}/answers/{first['item_id']}", candidate, json={"option_id": chosen}))
    submitted = ok(api.call("POST", f"/sessions/{session_id}/submit", candidate))

    late = api.call("PUT", f"/sessions/{session_id}/answers/{first['item_id']}", candidate, json={"option_id": other})
    upload = api.call("POST", f"/sessions/{session_id}/media", candidate, json={"kind": "webcam"})

    assert_error(late, 409, "session.not_in_progress")
    assert_error(upload, 409, "session.not_in_progress")
    view = ok(api.call("GET", f"/sessions/{session_id}", candidate))
    assert view["answers"] == {first["item_id"]: chosen}
    assert view["score"] == submitted["score"]


# --- Browser events ----------------------------------------------------------------------------------------


def timeline(api: ApiClient, ctx: dict[str, Any]) -> dict[str, Any]:
    return ok(api.call("GET", f"/proctor/sessions/{ctx['session']['session_id']}/timeline", ctx["proctor"]))


def test_a_repeated_event_id_is_a_duplicate_and_counted_once(api, started):
    # Given a browser that reports the same tab switch twice in a batch, then retries the batch
    path = f"/sessions/{started['session']['session_id']}/events"
    tab = event(type="tab_hidden")

    first = ok(api.call("POST", path, started["candidate"], json={"events": [tab, dict(tab)]}))
    retry = ok(api.call("POST", path, started["candidate"], json={"events": [tab]}))

    # Then it is recorded once and the proctor counts it once
    assert [r["outcome"] for r in first["results"]] == ["recorded", "duplicate"]
    assert retry["results"] == [{"event_id": tab["event_id"], "outcome": "duplicate"}]
    seen = timeline(api, started)
    assert [v["type"] for v in seen["violations"]] == ["tab_hidden"]
    assert seen["session"]["violation_counts"] == {"tab_hidden": 1}
    listed = ok(api.call("GET", "/proctor/sessions", started["proctor"], params={"exam_id": started["exam_id"]}))[
        "sessions"
    ]
    assert [s["violation_counts"] for s in listed] == [{"tab_hidden": 1}]


def test_an_event_id_reused_with_another_type_is_still_a_duplicate(api, started):
    path = f"/sessions/{started['session']['session_id']}/events"
    copy = event(type="copy")

    ok(api.call("POST", path, started["candidate"], json={"events": [copy]}))
    again = ok(api.call("POST", path, started["candidate"], json={"events": [{**copy, "type": "paste"}]}))

    assert again["results"][0]["outcome"] == "duplicate"
    assert timeline(api, started)["session"]["violation_counts"] == {"copy": 1}


@pytest.mark.parametrize(
    "occurred_at",
    ["2000-01-01T00:00:00Z", "2100-01-01T00:00:00+05:00", now_iso(timedelta(hours=-2)), now_iso(timedelta(days=2))],
    ids=["year-2000", "year-2100", "two-hours-before-start", "after-the-deadline"],
)
def test_an_event_dated_far_outside_the_session_is_out_of_window_and_not_recorded(api, world, unchanged, occurred_at):
    late = event(occurred_at=occurred_at)

    response = api.call(
        "POST", f"/sessions/{world['session_id']}/events", world["tokens"][CANDIDATE], json={"events": [late]}
    )

    assert ok(response)["results"] == [{"event_id": late["event_id"], "outcome": "out_of_window"}]


# --- Verdicts ----------------------------------------------------------------------------------------------


def test_a_verdict_on_a_session_still_in_progress_is_a_conflict(api, world, unchanged):
    for body in ({"verdict": "accept"}, {"verdict": "annul", "reason": "seen on camera"}):
        response = api.call(
            "POST", f"/proctor/sessions/{world['session_id']}/verdict", world["tokens"][PROCTOR], json=body
        )

        assert_error(response, 409, "session.not_awaiting_review")


def test_verdict_rules_on_a_session_awaiting_review(api, started):
    # Given a submitted session that the state machine moved to review
    session_id, candidate = started["session"]["session_id"], started["candidate"]
    verdict_path = f"/proctor/sessions/{session_id}/verdict"
    ok(api.call("POST", f"/sessions/{session_id}/submit", candidate))
    wait_for(lambda: ok(api.call("GET", f"/sessions/{session_id}", candidate))["status"] == "awaiting_review")

    # When a proctor annuls without a reason, Then 400 and the session still awaits review
    error = assert_error(
        api.call("POST", verdict_path, started["proctor"], json={"verdict": "annul"}), 400, "request.invalid_field"
    )
    assert error["details"]["field"] == "reason"
    view = ok(api.call("GET", f"/sessions/{session_id}", candidate))
    assert view["status"] == "awaiting_review" and view["verdict"] is None and view["score"] is not None

    # When the proctor annuls with a reason, Then it is final: a second verdict conflicts
    annulled = ok(api.call("POST", verdict_path, started["proctor"], json={"verdict": "annul", "reason": "phone"}))
    assert annulled["status"] == "annulled"
    second = api.call("POST", verdict_path, started["proctor"], json={"verdict": "accept"})
    assert_error(second, 409, "session.not_awaiting_review")
    final = ok(api.call("GET", f"/sessions/{session_id}", candidate))
    assert final["status"] == "annulled" and final["verdict_reason"] == "phone"

    # And the closed session takes no more events
    closed = api.call("POST", f"/sessions/{session_id}/events", candidate, json={"events": [event()]})
    assert_error(closed, 409, "session.closed")
    assert timeline(api, started)["violations"] == []


def snapshot(api: ApiClient, world: dict[str, Any]) -> dict[str, Any]:
    """The owners' view, including the drawn items (bad input must not redraw them)."""
    return owners_view(api, world, (*SESSION_KEYS, "items"))


def test_lone_surrogates_in_any_text_are_refused_with_400_and_store_nothing(api, started):
    # JSON can escape a lone surrogate; as a login, an answer, an event or a chat line it would be a 500 downstream
    session_id = started["session"]["session_id"]
    raw = b'{"events": [{"event_id": "surrogate-1", "type": "copy", "occurred_at": "%s", "details": {"k": "\\ud800"}}]}'
    body = raw % started["session"]["started_at"].encode()
    headers = {"Content-Type": "application/json"}
    response = api.call("POST", f"/sessions/{session_id}/events", started["candidate"], data=body, headers=headers)
    assert_error(response, 400, "request.invalid_text")
    login = api.call("POST", "/auth/login", data=b'{"user_id": "x\\udfff", "password": "p"}', headers=headers)
    assert_error(login, 400, "request.invalid_text")
    chat = api.call(
        "POST", f"/sessions/{session_id}/chat", started["candidate"], data=b'{"text": "\\ud83d"}', headers=headers
    )
    assert_error(chat, 400, "request.invalid_text")
    timeline = api.call("GET", f"/proctor/sessions/{session_id}/timeline", started["proctor"]).json()
    assert timeline["violations"] == []


def test_event_details_with_oversized_or_too_many_keys_are_refused(api, started):
    session_id = started["session"]["session_id"]
    for details in ({"k" * 65: "v"}, {f"k{n}": "v" for n in range(21)}, {"bad key!": "v"}):
        event = {
            "event_id": "details-1",
            "type": "copy",
            "occurred_at": started["session"]["started_at"],
            "details": details,
        }
        response = api.call("POST", f"/sessions/{session_id}/events", started["candidate"], json={"events": [event]})
        error = assert_error(response, 400, "request.invalid_field")
        assert error["details"]["field"] == "events[0].details"


@pytest.mark.parametrize(
    ("path", "role"),
    [("/sessions/{session_id}/inbox", CANDIDATE), ("/proctor/sessions/{session_id}/messages", PROCTOR)],
)
@pytest.mark.parametrize(
    "since",
    ["20261399T000000000000Z-00000000", "20260230T120000000000Z-0000abcd", "20260101T250000000000Z-0000abcd"],
    ids=["month-99", "february-30", "hour-25"],
)
def test_a_channel_cursor_of_the_right_form_but_no_real_time_is_rejected_not_a_server_error(
    api, world, unchanged, path, role, since
):
    # Found by the fuzz (tests/functional/test_fuzz.py): the cursor's pattern holds, its date does not exist
    response = send(api, world, "GET", path, role, params={"since": since})

    error = assert_error(response, 400, "request.invalid_field")
    assert error["details"]["field"] == "since"


@pytest.mark.parametrize(
    "path, role, params",
    [
        ("/sessions/{session_id}/inbox", "candidate", {"sincе": "x"}),  # a Cyrillic "е": a misspelt cursor
        ("/proctor/sessions/{session_id}/messages", "proctor", {"after": "1"}),
        ("/proctor/sessions", "proctor", {"exam": "ex-1"}),  # not exam_id: must not silently list every exam
        ("/proctor/live", "proctor", {"limit": "5", "page": "2"}),
        ("/proctor/enrollments", "proctor", {"exam_id": "ex-1", "state": "approved"}),
    ],
    ids=["inbox", "messages", "sessions", "live", "enrollments"],
)
def test_a_query_parameter_the_route_does_not_read_is_refused(api, world, unchanged, path, role, params):
    # Found by the fuzz: unknown parameters were ignored, so a misspelt filter answered as if there were none
    response = send(api, world, "GET", path, role, params=params)

    error = assert_error(response, 400, "request.invalid_field")
    assert error["details"]["problem"] == "unknown query parameter"
