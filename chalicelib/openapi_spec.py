"""The OpenAPI 3.1 description of the whole HTTP API, served at `GET /openapi.json` (chalicelib/openapi_route.py).

Hand-maintained: one `operation(...)` per route and method, and every error code in `ERROR_CODES`. Python rather than
YAML so the Lambda needs no YAML parser and the repetitive parts (the error answers, bearer security, path
parameters) are written once. tests/functional/test_openapi.py keeps it true: every route Chalice registers is here
and nothing else, with the roles `route` declares, and every error code the code can raise is in `ERROR_CODES` with
the status it answers with. tests/functional/test_fuzz.py fuzzes every operation from it.

Schemas describe what the API accepts and answers; answers may carry more fields than listed (additions are not
breaking), request bodies are checked by the API itself (400 `request.invalid_field` naming the field).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

Json = dict[str, Any]

VERSION = "1.0.0"
LANGUAGES = ("kk", "ru", "en")
ANY_ROLE = ("candidate", "proctor", "admin", "operator")
ADMIN = ("admin",)
PROCTOR = ("proctor", "admin")  # an agency admin may do everything a proctor does
CANDIDATE = ("candidate",)
OPERATOR = ("operator",)  # platform staff (agency "platform"): agencies, plans, every agency's statements
SESSION_STATUSES = ("in_progress", "submitted", "awaiting_review", "accepted", "annulled")
BROWSER_EVENT_TYPES = (
    "tab_hidden",
    "window_blur",
    "fullscreen_exit",
    "copy",
    "cut",
    "paste",
    "context_menu",
    "second_screen",
    "screen_share_ended",
    "camera_ended",
    "microphone_ended",
    "microphone_muted",
)
ID = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$"  # chalicelib.core.http.ID_PATTERN
CURSOR = r"^[0-9]{8}T[0-9]{12}Z-[0-9a-f]{8}$"  # a message id (chalicelib.proctor.channel.CURSOR)
CLIENT_ID = r"^[A-Za-z0-9_-]{8,64}$"
AGENCY_CODE = r"^[a-z0-9][a-z0-9-]{2,39}$"  # chalicelib.agencies.inputs.AGENCY_CODE ("platform" is reserved)
LOGIN = r"^[a-z0-9][a-z0-9._@-]{0,127}$"  # chalicelib.identity.logins.CODE, lower-case

# Every error code the API answers with: code -> (HTTP status, when). The code doubles as the localization key.
ERROR_CODES: dict[str, tuple[int, str]] = {
    # Requests in general (chalicelib/core/http.py, the `uniform_errors` middleware, API Gateway's answers)
    "request.body_required": (400, "The route needs a JSON body and none came."),
    "request.malformed_json": (400, "The body is not JSON (or not UTF-8, or nested too deeply)."),
    "request.body_not_object": (400, "The JSON body is not an object."),
    "request.body_too_large": (400, "The body is over 1 MB."),
    "request.invalid_text": (400, "Text that is not valid Unicode (a lone surrogate such as \\ud800)."),
    "request.invalid_field": (400, "A field is missing or wrong; details.field names it, details.problem says why."),
    "request.invalid_cursor": (400, "A list cursor that was not made for this list, agency or filter; start again."),
    "request.bad_request": (400, "A binary answer the request's Accept header does not take (Chalice's check)."),
    "request.unsupported_media_type": (415, "The Content-Type is not one the route takes."),
    "route.not_found": (404, "No route has this path (on AWS also: the path exists but not with this method)."),
    "route.method_not_allowed": (405, "The path exists but not with this method; the Allow header lists them."),
    "request.throttled": (429, "The edge's rate limit for this route was reached (AWS: stage throttling, WAF)."),
    "request.blocked": (403, "The edge's firewall (AWS WAF) refused the request."),
    "request.rejected": (400, "API Gateway refused the request itself, with its own status (e.g. 413 over 10 MB)."),
    "internal.error": (500, "An unexpected failure; it is logged. Never a stack trace."),
    # Accounts and tokens
    "auth.missing_token": (401, "No 'Authorization: Bearer <token>' header."),
    "auth.token_invalid": (401, "The token is not one this stage issued for this agency."),
    "auth.token_expired": (401, "The token has expired; log in again."),
    "auth.token_revoked": (401, "The token was ended by a logout, or the account was disabled or deleted."),
    "auth.invalid_credentials": (401, "Wrong login or password (or a disabled account)."),
    "auth.forbidden_role": (403, "The caller's role may not use the route."),
    "auth.too_many_attempts": (429, "Login refused during a lockout; details.retry_after_s."),
    "user.not_found": (404, "No such account in the caller's agency."),
    "candidate.not_found": (404, "No such candidate in the admin's agency."),
    "erasure.incomplete": (503, "Some of a candidate's photos could not be deleted; retrying is safe."),
    # Exams, banks and rosters
    "exam.not_found": (404, "Unknown exam id, or one of another agency."),
    "exam.window_invalid": (400, "closes_at is not after opens_at."),
    "exam.not_open": (409, "The exam's window has not opened yet."),
    "exam.closed": (409, "The exam's window has closed."),
    "exam.bank_insufficient": (409, "The bank has fewer items than a block draws."),
    "exam.language_unavailable": (409, "The exam is not offered in that language."),
    "exam.already_started": (409, "A candidate has started the exam: only its window may change (details.fields)."),
    "slot.not_booked": (409, "The exam has slots and the candidate booked none."),
    "slot.not_started": (409, "The booked slot has not started."),
    "slot.missed": (409, "The booked slot's start window has passed."),
    "bank.invalid": (422, "Bank rows with problems; details lists every {row, field, problem}."),
    "bank.too_large": (422, "The bank has more items than an import may hold."),
    "bank.not_utf8": (400, "A CSV bank that is not UTF-8."),
    "bank.import_conflict": (409, "Another import of the exam's bank finished first; this one changed nothing."),
    "bank.import_failed": (503, "The import could not be stored; nothing was changed, retrying is safe."),
    "roster.login_taken": (409, "The login belongs to a staff account of the agency; details lists them."),
    "roster.invalid_rows": (400, "Roster rows with problems; details lists up to 100 {row, field, problem}."),
    "roster.invalid_header": (400, "The CSV header lacks or misnames a column."),
    "roster.too_many_rows": (400, "More than 1,000 CSV rows in one request; send parts."),
    "roster.not_utf8": (400, "A CSV roster that is not UTF-8."),
    "roster.empty": (400, "A CSV roster without rows."),
    "roster.part_mismatch": (409, "The batch holds a different part under this number."),
    "slot.outside_window": (400, "The slot does not start inside the exam's window."),
    "slot.too_many": (409, "The exam already has the most slots allowed."),
    "slot.not_found": (404, "No such slot in the exam."),
    "slot.not_empty": (409, "The slot has bookings."),
    "slot.full": (409, "No free seat in the slot."),
    "slot.closed": (409, "The slot's start window has ended."),
    "booking.not_found": (404, "The candidate has no booking for the exam."),
    "booking.changed": (409, "The booking changed meanwhile."),
    "booking.session_started": (409, "The exam has started; the booking is fixed."),
    "billing.invalid_plan": (400, "A price plan field is not valid; details names it."),
    "billing.invalid_month": (400, "A month that is not written YYYY-MM (01-12)."),
    # Candidates' sessions
    "consent.required": (403, "Starting before consenting."),
    "consent.declined": (403, "Consent was not accepted."),
    "identity.not_verified": (403, "The exam requires the identity check and it has not passed."),
    "session.not_found": (404, "Unknown session id, or one of another candidate or agency."),
    "item.not_found": (404, "The item is not part of the session."),
    "answer.invalid_option": (422, "The option is not one of the item's."),
    "session.deadline_passed": (409, "Time is up; the answer was not saved."),
    "session.not_in_progress": (409, "The session is no longer in progress."),
    "session.not_awaiting_review": (409, "A verdict on a session that does not await one."),
    "session.closed": (409, "The session takes no more events or messages."),
    "session.busy": (409, "Another request is changing the session; retry."),
    "session.paused": (409, "A proctor holds the session."),
    "session.not_paused": (409, "Resuming a session that is not paused."),
    "session.terminated": (409, "A proctor ended the session."),
    "session.changed": (409, "Another proctor acted since the console last looked (expected_rev is stale)."),
    "session.other_client_active": (409, "The exam is open in another live tab or device."),
    "message.not_found": (404, "Not a warning of this session."),
    "session.content_unavailable": (503, "The session's questions cannot be loaded."),
    "media.too_many_uploads": (429, "The same upload form asked for too often this minute; details.retry_after_s."),
    "lifecycle.unavailable": (503, "The session's state machine could not be started; retrying is safe."),
    # Identity check
    "enrollment.foreign_key": (400, "A photo key that was not issued to this candidate for this exam."),
    "enrollment.photo_missing": (409, "A photo was not uploaded yet."),
    "enrollment.photo_rejected": (422, "A photo is not a JPEG of the accepted size."),
    "enrollment.photo_unreadable": (422, "A photo cannot be decoded."),
    "enrollment.not_found": (404, "No identity check for this candidate and exam."),
    "enrollment.not_rejected": (409, "Only a rejected identity check can be overridden."),
    "enrollment.too_many_attempts": (429, "More than 10 verification attempts."),
    # Agencies, staff, audit, privacy (chalicelib/agencies/)
    "auth.agency_suspended": (401, "The caller's agency is suspended: no login, and its tokens are refused."),
    "agency.exists": (409, "An agency with this code exists already."),
    "agency.not_found": (404, "No such agency (or the reserved 'platform')."),
    "staff.exists": (409, "The login is taken in the agency (by staff or a candidate)."),
    "staff.not_found": (404, "No such admin or proctor in the caller's agency."),
    "staff.self_disable": (409, "An admin cannot disable its own account."),
}


def error_statuses() -> list[int]:
    return sorted({status for status, _ in ERROR_CODES.values()})


# --- Schema helpers ----------------------------------------------------------------------------------------


def string(
    max_len: int = 200, *, pattern: str | None = None, enum: tuple[str, ...] | None = None, **extra: Any
) -> Json:
    if enum is not None:
        return {"type": "string", "enum": list(enum), **extra}
    schema: Json = {"type": "string", "minLength": 1, "maxLength": max_len, **extra}
    if pattern is not None:
        schema["pattern"] = pattern
    return schema


def integer(minimum: int | None = None, maximum: int | None = None) -> Json:
    schema: Json = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def nullable(schema: Json) -> Json:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Json, min_items: int = 0, max_items: int | None = None) -> Json:
    schema: Json = {"type": "array", "items": items, "minItems": min_items}
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


def obj(required: tuple[str, ...] = (), /, **properties: Json) -> Json:
    """An object with these properties; `required` names those that must be there. Others may come too."""
    schema: Json = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


TIMESTAMP = {"type": "string", "format": "date-time", "description": "ISO-8601 with a time zone"}
TEXTS = obj(LANGUAGES, **{lang: string(300) for lang in LANGUAGES})  # one text per language
ANY_OBJECT: Json = {"type": "object"}
# The results exports (chalicelib/results/export.py): ?format=csv|xlsx answers the list as one of these files.
RESULT_FILES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
NEXT = {"type": ["string", "null"], "description": "Pass as cursor for the next page; null on the last"}


# --- Components --------------------------------------------------------------------------------------------


def schemas() -> dict[str, Json]:
    presigned_post = obj(
        ("url", "fields", "key", "content_type", "max_bytes", "expires_in_s"),
        url={"type": "string"},
        fields={"type": "object", "additionalProperties": {"type": "string"}},
        key={"type": "string"},
        content_type={"type": "string"},
        max_bytes={"type": "integer"},
        expires_in_s={"type": "integer"},
        key_prefix={
            "type": "string",
            "description": "Monitoring forms: any key under this prefix (sessions/<id>/<kind>/<minute>-<nonce>/) is "
            "allowed until the form expires; one form per session, kind and minute. Webcam objects named "
            "<name>.f2.jpg hold two frames stacked vertically (earlier on top); max_bytes is then the pair's",
        },
        expires_at=TIMESTAMP,
        max_objects={"type": "integer", "description": "Objects (not frames) the analyzer accepts under the prefix"},
    )
    message = obj(
        ("message_id", "kind", "author_role", "text", "created_at", "for_candidate"),
        message_id={"type": "string"},
        kind=string(enum=("warning", "chat", "pause", "resume", "terminate", "note")),
        author_role={"type": "string"},
        author_id={"type": ["string", "null"], "description": "The author's account id (<agency>~<login>)"},
        author_login={"type": ["string", "null"], "description": "The author's login, for display"},
        text={"type": "string"},
        created_at=TIMESTAMP,
        for_candidate={"type": "boolean"},
        acknowledged_at={"type": ["string", "null"]},
    )
    control = obj(
        ("session_id", "status", "paused", "terminated", "control_rev"),
        session_id={"type": "string"},
        status=string(enum=SESSION_STATUSES),
        paused={"type": "boolean"},
        terminated={"type": "boolean"},
        remaining_s={"type": "integer"},
        control_rev={"type": "integer"},
        violation_counts={"type": "object"},
    )
    summary = obj(
        ("session_id", "candidate_id", "login", "exam_id", "status", "violation_counts", "risk_score"),
        session_id={"type": "string"},
        candidate_id={"type": "string", "description": "The account id: <agency>~<login>"},
        login={"type": "string"},
        full_name={"type": ["string", "null"]},
        exam_id={"type": "string"},
        status=string(enum=SESSION_STATUSES),
        paused={"type": "boolean"},
        terminated={"type": "boolean"},
        control_rev={"type": "integer"},
        violation_counts={"type": "object", "additionalProperties": {"type": "integer"}},
        risk_score={"type": "number"},
        credibility={"type": "number"},
    )
    session_status = obj(
        ("session_id", "exam_id", "status", "remaining_s", "deadline_at", "server_time", "paused", "control_rev"),
        session_id={"type": "string"},
        exam_id={"type": "string"},
        status=string(enum=SESSION_STATUSES),
        language=string(enum=LANGUAGES),
        remaining_s={"type": "integer"},
        deadline_at=TIMESTAMP,
        server_time=TIMESTAMP,
        paused={"type": "boolean"},
        control_rev={"type": "integer"},
        score={"type": ["number", "null"]},
    )
    heartbeat_status = {
        "allOf": [
            session_status,
            obj(
                ("inbox", "next_heartbeat_s"),
                next_heartbeat_s={
                    "type": "integer",
                    "minimum": 1,
                    "description": "Seconds until the next heartbeat: 5 while a proctor has the session open or "
                    "acted on it within the last 2 minutes, 20 otherwise (exam/presence.py)",
                },
                inbox=obj(
                    ("latest_id", "latest_at", "violations"),
                    latest_id={
                        "type": ["string", "null"],
                        "description": "The newest message a proctor wrote for the candidate; fetch the inbox when "
                        "it is newer than what the page has (or control_rev or violations changed)",
                    },
                    latest_at={"type": ["string", "null"]},
                    violations={
                        "type": ["integer", "null"],
                        "description": "Violations on the session (null once the session is over)",
                    },
                ),
            ),
        ]
    }
    return {
        "ErrorCode": {
            "type": "string",
            "enum": sorted(ERROR_CODES),
            "description": "\n".join(f"- `{c}` ({s}): {w}" for c, (s, w) in sorted(ERROR_CODES.items())),
        },
        "Error": obj(
            ("error",),
            error={
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {
                    "code": ref("ErrorCode"),
                    "message": {"type": "string", "minLength": 1},
                    "details": {"description": "What exactly was wrong, e.g. {field, problem}; absent or null"},
                },
            },
        ),
        "Exam": obj(
            ("exam_id", "title", "languages", "duration_s", "blocks", "opens_at", "closes_at"),
            exam_id={"type": "string"},
            title=ANY_OBJECT,
            languages=array(string(enum=LANGUAGES)),
            duration_s={"type": "integer"},
            blocks=array(ANY_OBJECT),
            opens_at=TIMESTAMP,
            closes_at=TIMESTAMP,
            bank_size={"type": "integer"},
            require_identity={"type": "boolean"},
            analysis=ANY_OBJECT,
        ),
        "PresignedPost": presigned_post,
        "Message": message,
        "Control": control,
        "SessionSummary": summary,
        "SessionStatus": session_status,
        "HeartbeatStatus": heartbeat_status,
        "Session": {
            "allOf": [
                ref("SessionStatus"),
                obj(("items", "answers", "blocks", "monitoring"), items=array(ANY_OBJECT), answers=ANY_OBJECT),
            ]
        },
        "Channel": obj(
            ("messages", "cursor", "session"),
            messages=array(ref("Message")),
            cursor={"type": ["string", "null"]},
            session=ref("Control"),
        ),
        "MessageAnswer": obj(("message",), message=ref("Message"), control_rev={"type": "integer"}),
        "Agency": obj(
            ("agency_id", "retention_days", "status"),
            agency_id={"type": "string"},
            name=nullable(TEXTS),
            contact=nullable(ANY_OBJECT),
            retention_days=integer(30, 365),
            status=string(enum=("active", "suspended")),
            created_at={"type": ["string", "null"]},
            created_by={"type": ["string", "null"]},
        ),
        "AuditEntry": obj(
            ("entry_id", "at", "actor", "action", "target"),
            entry_id={"type": "string"},
            at=TIMESTAMP,
            actor=obj(
                ("login", "role", "agency_id"),
                login={"type": "string"},
                role={"type": "string"},
                agency_id={"type": "string"},
            ),
            action={"type": "string"},
            target={"type": "string"},
            details=ANY_OBJECT,
        ),
        "Account": obj(
            ("login", "candidate_id", "disabled"),
            login={"type": "string"},
            candidate_id={"type": "string"},
            full_name={"type": ["string", "null"]},
            disabled={"type": "boolean"},
        ),
        "Enrollment": obj(
            ("status",), status={"type": "string"}, reasons=array(ANY_OBJECT), attempts={"type": "integer"}
        ),
    }


def error_response() -> Json:
    return {"description": "A failure: see ErrorCode", "content": {"application/json": {"schema": ref("Error")}}}


# --- Operations --------------------------------------------------------------------------------------------

PATH_PARAMS = re.compile(r"{(\w+)}")
DESCRIPTIONS = {
    "exam_id": "An exam's id (404 exam.not_found when unknown or another agency's)",
    "session_id": "A session's id (404 session.not_found when unknown or someone else's)",
    "item_id": "An item of the session",
    "candidate_id": "A candidate's account id (<agency>~<login>), as the lists give it",
    "message_id": "A warning's message id",
    "login": "A candidate's (or, under /admin/staff, a staff member's) login in the admin's agency (404 otherwise)",
    "month": "A month, YYYY-MM (400 billing.invalid_month otherwise)",
    "agency_id": "An agency's code (404 agency.not_found when unknown)",
    "slot_id": "A slot of the exam (404 slot.not_found otherwise)",
}


def query(name: str, schema: Json, *, required: bool = False, description: str = "") -> Json:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def operation(
    method: str,
    path: str,
    summary: str,
    *,
    roles: tuple[str, ...] | None,
    body: Json | None = None,
    body_required: bool = True,
    answer: Json | None = None,
    status: int = 200,
    params: tuple[Json, ...] = (),
    content_types: tuple[str, ...] = ("application/json",),
    extra_answers: dict[str, Json] | None = None,
    files: tuple[str, ...] = (),
) -> tuple[str, str, Json]:
    tag = path.strip("/").split("/")[0].removesuffix(".json")
    spec: Json = {
        "operationId": f"{method.lower()}_{re.sub(r'[^A-Za-z0-9]+', '_', path).strip('_')}",
        "summary": summary,
        "tags": [tag],
        "x-roles": list(roles) if roles is not None else [],
        "security": [{"bearer": []}] if roles is not None else [],
        "parameters": [
            {"name": n, "in": "path", "required": True, "schema": string(128), "description": DESCRIPTIONS.get(n, n)}
            for n in PATH_PARAMS.findall(path)
        ]
        + list(params),
        "responses": {
            str(status): {
                "description": "Success",
                "content": {
                    "application/json": {"schema": answer or ANY_OBJECT},
                    **{kind: {"schema": {"type": "string"}} for kind in files},  # the same answer as a file
                },
            },
            "4XX": {"$ref": "#/components/responses/Error"},
            **(extra_answers or {}),
        },
    }
    if body is not None:
        spec["requestBody"] = {
            "required": body_required,
            "content": {
                ct: {"schema": body if ct == "application/json" else {"type": "string"}} for ct in content_types
            },
        }
    return path, method.lower(), spec


def any_bank(op: tuple[str, str, Json]) -> tuple[str, str, Json]:
    """A bank is whatever the admin's file holds: the dry run answers a report on any CSV bytes or JSON object (200,
    with `rows[].errors` and `file_errors`), so only a JSON body that is not an object is invalid by schema. The
    bank's form (bank_item) is the import's: it answers 422 bank.invalid for anything else."""
    content = op[2]["requestBody"]["content"]
    content["application/json"]["schema"] = {**ANY_OBJECT, "description": "{items: [bank item]} (docs/API.md)"}
    content["text/csv"]["schema"] = {"description": "CSV text (UTF-8); any bytes are taken"}
    return op


def operations() -> list[tuple[str, str, Json]]:
    lang = string(enum=LANGUAGES)
    action = obj(("text", "expected_rev"), text=string(2000), expected_rev=integer(0, 10**9))
    text_body = obj(("text",), text=string(2000))
    exam_filter = query("exam_id", string(128, pattern=ID), description="Only this exam's sessions")
    since = query("since", string(64, pattern=CURSOR), description="The cursor of the previous answer")
    lists = lambda name, item: obj((name,), **{name: array(item)})  # noqa: E731 - a one-line schema shorthand
    paged = lambda name, item: {**lists(name, item), "properties": {name: array(item), "next_cursor": NEXT}}  # noqa: E731
    page = (
        query("cursor", string(2048), description="The previous page's next_cursor (opaque)"),
        query("limit", string(4, pattern=r"^[0-9]{1,4}$"), description="Sessions per page, 1..500 (default 50)"),
    )
    block = obj(("block_id", "title", "item_count"), block_id=string(32, pattern=r"^[A-Za-z0-9_-]{1,32}$"))
    block["properties"].update(title=TEXTS, item_count=integer(1, 500))
    exam_draft = obj(
        ("title", "duration_s", "blocks", "opens_at", "closes_at"),
        title=TEXTS,
        languages=array(lang, 1, 3),
        duration_s=integer(5, 43200),
        blocks=array(block, 1, 20),
        opens_at=TIMESTAMP,
        closes_at=TIMESTAMP,
        require_identity={"type": "boolean"},
        analysis=nullable(ANY_OBJECT),
    )
    bank_item = obj(
        ("id", "block", "text", "options", "correct"),
        id=string(64),
        block=string(32),
        text=TEXTS,
        options=array(obj(("id", "text"), id=string(64), text=TEXTS), 2, 10),
        correct=string(64),
    )
    roster_entry = obj(
        ("user_id", "full_name"),
        user_id=string(128, pattern=ID),
        full_name=string(200),
        password=string(128, minLength=8),
    )
    event = obj(
        ("event_id", "type", "occurred_at"),
        event_id=string(64, pattern=CLIENT_ID),
        type=string(enum=BROWSER_EVENT_TYPES),
        occurred_at=TIMESTAMP,
        details={"type": "object", "maxProperties": 20},
    )
    login = obj(
        ("token", "expires_at", "user_id", "account_id", "role", "agency_id"),
        token={"type": "string"},
        expires_at=TIMESTAMP,
        user_id={"type": "string", "description": "The login, as typed"},
        account_id={"type": "string", "description": "<agency>~<login>: the token's subject"},
        role=string(enum=ANY_ROLE),
        agency_id={"type": "string"},
    )
    retention = integer(30, 365)
    contact = obj(
        ("name", "email"),
        name=string(200),
        email=string(254, pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$"),
        phone=string(25, pattern=r"^\+?[0-9][0-9 ()-]{4,24}$"),
    )
    staff_member = obj(
        ("login", "role", "full_name", "exam_ids", "disabled"),
        login={"type": "string"},
        role=string(enum=("proctor", "admin")),
        full_name={"type": "string"},
        exam_ids=array({"type": "string"}),
        disabled={"type": "boolean"},
    )
    health = obj(("status", "checks"), status=string(enum=("ok", "degraded")), checks=ANY_OBJECT)
    unavailable = {"503": {"$ref": "#/components/responses/Error"}}
    return [
        # Public
        operation("GET", "/health", "Readiness of the table, bucket, queues and state machine", roles=None,
                  answer=health, extra_answers={"503": {"description": "A dependency is down (names it)",
                                                        "content": {"application/json": {"schema": health}}}}),
        operation("GET", "/openapi.json", "This document", roles=None),
        operation("POST", "/auth/login", "Log in to one agency's account (throttled after failures)", roles=None,
                  answer=login, body=obj(("agency", "user_id", "password"), agency=string(128), user_id=string(128),
                                         password=string(256))),
        operation("POST", "/auth/logout", "End every token of the caller", roles=ANY_ROLE,
                  answer=obj(("logged_out",), logged_out={"const": True})),
        # Agency admin
        operation("POST", "/admin/exams", "Create an exam", roles=ADMIN, body=exam_draft, answer=ref("Exam"),
                  status=201),
        operation("GET", "/admin/exams", "The agency's exams, newest first", roles=ADMIN,
                  answer=lists("exams", ref("Exam"))),
        operation("GET", "/admin/exams/{exam_id}", "One exam", roles=ADMIN, answer=ref("Exam")),
        any_bank(operation("POST", "/admin/exams/{exam_id}/questions", "Import questions (all or nothing), or "
                          "?dry_run=true: a row-by-row validation report, nothing stored", roles=ADMIN,
                          body=obj(("items",), items=array(bank_item, 1)),
                          content_types=("application/json", "text/csv"),
                          params=(query("dry_run", string(5, enum=("true", "false")),
                                        description="true: validate only and answer the report"),),
                          answer=ANY_OBJECT)),
        operation("GET", "/admin/exams/{exam_id}/questions", "Preview the live bank (every language, per-block size "
                  "against the draw)", roles=ADMIN,
                  params=(query("block_id", string(32, pattern=r"^[A-Za-z0-9_-]{1,32}$"), description="One block"),
                          query("cursor", string(1024), description="The previous page's next_cursor (opaque)"),
                          query("limit", string(4, pattern=r"^[0-9]{1,4}$"), description="Items per page, 1..500")),
                  answer=obj(("items", "per_block", "next_cursor"), items=array(ANY_OBJECT), per_block=ANY_OBJECT,
                             next_cursor=NEXT)),
        operation("PATCH", "/admin/exams/{exam_id}", "Edit an exam (content until a candidate starts; the window "
                  "always)", roles=ADMIN, body={k: v for k, v in exam_draft.items() if k != "required"},
                  answer=ref("Exam")),
        operation("POST", "/admin/exams/{exam_id}/open", "Open the window now", roles=ADMIN,
                  body=obj((), closes_at=TIMESTAMP), body_required=False, answer=ref("Exam")),
        operation("POST", "/admin/exams/{exam_id}/close", "Close the window now (running sessions keep their time)",
                  roles=ADMIN, body=obj(()), body_required=False, answer=ref("Exam")),
        operation("POST", "/admin/exams/{exam_id}/duplicate", "A make-up sitting: same content and bank, new window",
                  roles=ADMIN, body=obj(("opens_at", "closes_at"), title=TEXTS, opens_at=TIMESTAMP,
                                        closes_at=TIMESTAMP), answer=ref("Exam"), status=201),
        operation("GET", "/admin/policy-defaults", "Each analysis-policy parameter: default, unit, bounds, "
                  "explanation key", roles=ADMIN, answer=lists("parameters", ANY_OBJECT)),
        operation("GET", "/admin/exams/{exam_id}/results", "Results per candidate (paged JSON), or the whole list as "
                  "?format=csv|xlsx with headers in ?lang", roles=ADMIN,
                  params=(query("cursor", string(1024), description="The previous page's next_cursor (opaque)"),
                          query("limit", string(4, pattern=r"^[0-9]{1,4}$"), description="Rows per page, 1..500"),
                          query("format", string(4, enum=("json", "csv", "xlsx")), description="json (default)"),
                          query("lang", lang, description="The file's column headers (default ru)")),
                  answer=paged("results", ANY_OBJECT), files=RESULT_FILES),
        operation("POST", "/admin/exams/{exam_id}/roster", "Admit candidates (creates their accounts); JSON or CSV, "
                  "resumable per ?batch=&part=", roles=ADMIN,
                  body=obj(("candidates",), candidates=array(roster_entry, 1, 100)),
                  content_types=("application/json", "text/csv"),
                  params=(query("batch", string(36, pattern=r"^[0-9a-fA-F-]{32,36}$"),
                                description="A UUID naming the file sent in parts (with part)"),
                          query("part", string(5, pattern=r"^[0-9]{1,5}$"), description="1..10000 (with batch)")),
                  answer=obj(("admitted", "already_admitted", "errors", "passwords"), admitted={"type": "integer"},
                             already_admitted={"type": "integer"}, errors=array(ANY_OBJECT),
                             passwords=array(ANY_OBJECT), created_accounts=array(ANY_OBJECT))),
        operation("GET", "/admin/exams/{exam_id}/roster", "The exam's candidates, paged", roles=ADMIN,
                  params=(query("cursor", string(128, pattern=ID), description="The previous page's next_cursor"),
                          query("limit", string(4, pattern=r"^[0-9]{1,4}$"), description="1..1000 (default 500)"),
                          query("include", string(enum=("sessions",)), description="Add each session_status")),
                  answer=lists("candidates", ANY_OBJECT)),
        operation("POST", "/admin/exams/{exam_id}/slots", "Add a time slot with a capacity", roles=ADMIN,
                  body=obj(("starts_at", "capacity"), starts_at=TIMESTAMP, capacity=integer(1, 100000),
                           grace_s=integer(60, 14400)),
                  answer=ANY_OBJECT, status=201),
        operation("GET", "/admin/exams/{exam_id}/slots", "The exam's slots with booked counts", roles=ADMIN,
                  answer=lists("slots", ANY_OBJECT)),
        operation("DELETE", "/admin/exams/{exam_id}/slots/{slot_id}", "Delete an empty slot", roles=ADMIN),
        operation("POST", "/admin/candidates/{login}/disable", "The candidate can no longer log in (tokens end)",
                  roles=ADMIN, answer=ref("Account")),
        operation("POST", "/admin/candidates/{login}/enable", "The candidate may log in again", roles=ADMIN,
                  answer=ref("Account")),
        operation("DELETE", "/admin/candidates/{login}/biometrics", "Erase the candidate's photos and face templates",
                  roles=ADMIN),
        # Platform operator
        operation("POST", "/operator/agencies", "Create an agency and its first admin (password shown once)",
                  roles=OPERATOR, body=obj(("agency_id", "name", "contact", "admin"),
                                           agency_id=string(40, pattern=AGENCY_CODE), name=TEXTS, contact=contact,
                                           retention_days=retention, admin=obj(("login", "full_name"),
                                                                               login=string(128, pattern=LOGIN),
                                                                               full_name=string(200))),
                  answer=obj(("agency", "admin"), agency=ref("Agency"),
                             admin=obj(("login", "password"), login={"type": "string"},
                                       password={"type": "string"})), status=201),
        operation("GET", "/operator/agencies", "Every agency", roles=OPERATOR, answer=lists("agencies", ref("Agency"))),
        operation("GET", "/operator/agencies/{agency_id}", "One agency", roles=OPERATOR, answer=ref("Agency")),
        operation("PATCH", "/operator/agencies/{agency_id}", "Change name, contact, retention or status (suspend)",
                  roles=OPERATOR, body=obj((), name=TEXTS, contact=contact, retention_days=retention,
                                           status=string(enum=("active", "suspended"))), answer=ref("Agency")),
        # Agency admin: the agency, staff, audit, candidates' data
        operation("GET", "/admin/agency", "The caller's own agency", roles=ADMIN, answer=ref("Agency")),
        operation("PATCH", "/admin/agency", "Change the agency's retention", roles=ADMIN,
                  body=obj(("retention_days",), retention_days=retention), answer=ref("Agency")),
        operation("POST", "/admin/staff", "Create an admin or a proctor (password shown once)", roles=ADMIN,
                  body=obj(("login", "full_name", "role"), login=string(128, pattern=LOGIN), full_name=string(200),
                           role=string(enum=("proctor", "admin")), exam_ids=array(string(128, pattern=ID), 0, 200)),
                  answer=staff_member, status=201),
        operation("GET", "/admin/staff", "The agency's admins and proctors", roles=ADMIN,
                  answer=lists("staff", staff_member)),
        operation("PATCH", "/admin/staff/{login}", "Rename, limit to exams, disable or enable a staff member",
                  roles=ADMIN, body=obj((), full_name=string(200), exam_ids=array(string(128, pattern=ID), 0, 200),
                                        disabled={"type": "boolean"}), answer=staff_member),
        operation("POST", "/admin/staff/{login}/password", "A new generated password (sign-ins end)", roles=ADMIN,
                  answer=obj(("login", "password"), login={"type": "string"}, password={"type": "string"})),
        operation("GET", "/admin/audit", "A page of the agency's audit log, newest first", roles=ADMIN,
                  params=(query("cursor", string(512), description="The previous page's next_cursor (opaque)"),
                          query("limit", string(4, pattern=r"^[0-9]{1,4}$"), description="Entries, 1..200 (50)"),
                          query("action", string(80, pattern=r"^[a-z][a-z_]{0,40}\.[a-z][a-z_]{0,40}$"),
                                description="Only this action, e.g. staff.created")),
                  answer=paged("entries", ref("AuditEntry"))),
        operation("GET", "/admin/candidates/{login}/export", "Everything held about one candidate", roles=ADMIN,
                  answer=obj(("account", "admissions", "sessions", "enrollments", "media"), account=ANY_OBJECT,
                             admissions=array(ANY_OBJECT), sessions=array(ANY_OBJECT),
                             enrollments=array(ANY_OBJECT), media=array({"type": "string"}))),
        operation("DELETE", "/admin/candidates/{login}", "Delete the candidate's personal data (results are kept)",
                  roles=ADMIN, answer=ANY_OBJECT, extra_answers=unavailable),
        # Candidate
        operation("GET", "/me/exams", "The exams the candidate is admitted to", roles=CANDIDATE,
                  answer=lists("exams", ANY_OBJECT)),
        operation("GET", "/exams/{exam_id}/slots", "The exam's slots and the candidate's booking", roles=CANDIDATE,
                  answer=ANY_OBJECT),
        operation("POST", "/exams/{exam_id}/booking", "Book (or move to) a slot", roles=CANDIDATE,
                  body=obj(("slot_id",), slot_id=string(15, pattern=r"^sl-[0-9a-f]{12}$")), answer=ANY_OBJECT),
        operation("DELETE", "/exams/{exam_id}/booking", "Cancel the booking", roles=CANDIDATE, answer=ANY_OBJECT),
        operation("POST", "/exams/{exam_id}/consent", "Consent to monitoring", roles=CANDIDATE,
                  body=obj(("accepted",), accepted={"type": "boolean"}, language=lang)),
        operation("POST", "/exams/{exam_id}/sessions", "Start (or get back) the session", roles=CANDIDATE,
                  body=obj((), language=lang), body_required=False, answer=ref("Session"), status=201,
                  extra_answers={"200": {"description": "The session that already exists",
                                         "content": {"application/json": {"schema": ref("Session")}}},
                                 **unavailable}),
        operation("POST", "/exams/{exam_id}/system-check/uploads", "Presigned POST for an upload-speed probe",
                  roles=CANDIDATE, answer=ref("PresignedPost"), status=201),
        operation("GET", "/sessions/{session_id}", "The session: items, answers, timer", roles=CANDIDATE,
                  answer=ref("Session")),
        operation("PUT", "/sessions/{session_id}/answers/{item_id}", "Answer an item", roles=CANDIDATE,
                  body=obj(("option_id",), option_id=string(64))),
        operation("POST", "/sessions/{session_id}/heartbeat", "I am here (one client per session)",
                  roles=CANDIDATE, body=obj((), client_id=string(64, pattern=CLIENT_ID)), body_required=False,
                  answer=ref("HeartbeatStatus")),
        operation("POST", "/sessions/{session_id}/submit", "Submit", roles=CANDIDATE, answer=ref("SessionStatus")),
        operation("POST", "/sessions/{session_id}/media", "The minute's upload form (a key prefix) for one kind",
                  roles=CANDIDATE,
                  body=obj(("kind",), kind=string(enum=("webcam", "audio", "screen"))), answer=ref("PresignedPost"),
                  status=201),
        operation("POST", "/sessions/{session_id}/events", "Report browser events (a batch, all or nothing)",
                  roles=CANDIDATE, body=obj(("events",), events=array(event, 1, 100)),
                  answer=lists("results", obj(("event_id", "outcome"), event_id={"type": "string"},
                                              outcome=string(enum=("recorded", "duplicate", "out_of_window"))))),
        operation("GET", "/sessions/{session_id}/violations", "The candidate's own violation log", roles=CANDIDATE,
                  answer=lists("violations", ANY_OBJECT)),
        operation("GET", "/sessions/{session_id}/inbox", "The candidate's side of the channel", roles=CANDIDATE,
                  params=(since,), answer=ref("Channel")),
        operation("POST", "/sessions/{session_id}/chat", "Write to the proctors", roles=CANDIDATE, body=text_body,
                  answer=ref("MessageAnswer"), status=201),
        operation("POST", "/sessions/{session_id}/inbox/{message_id}/ack", "Acknowledge a warning",
                  roles=CANDIDATE, answer=ref("MessageAnswer")),
        # Identity check
        operation("POST", "/exams/{exam_id}/enrollment/uploads", "Presigned POST for a selfie or an ID document",
                  roles=CANDIDATE, body=obj(("kind",), kind=string(enum=("selfie", "id_document"))),
                  answer=ref("PresignedPost"), status=201),
        operation("POST", "/exams/{exam_id}/enrollment/verify",
                  "Queue the check of the selfie against the document (202 pending; 200 when already passed)",
                  roles=CANDIDATE, body=obj(("selfie_key", "id_document_key"), selfie_key=string(300),
                                            id_document_key=string(300)), answer=ref("Enrollment"), status=202,
                  extra_answers={"200": {"description": "The check already passed: nothing queued",
                                         "content": {"application/json": {"schema": ref("Enrollment")}}}}),
        operation("GET", "/exams/{exam_id}/enrollment", "The identity check's state", roles=CANDIDATE,
                  answer=ref("Enrollment")),
        # Proctor
        operation("GET", "/proctor/sessions", "A page of sessions, riskiest first within the page", roles=PROCTOR,
                  params=(exam_filter, query("status", string(enum=SESSION_STATUSES)), *page),
                  answer=paged("sessions", ref("SessionSummary"))),
        operation("GET", "/proctor/exams", "The agency's exams", roles=PROCTOR, answer=lists("exams", ref("Exam"))),
        operation("GET", "/proctor/live", "A page of the live grid", roles=PROCTOR, params=(exam_filter, *page),
                  answer=paged("sessions", ref("SessionSummary"))),
        operation("GET", "/proctor/review", "A page of sessions awaiting a verdict", roles=PROCTOR,
                  params=(exam_filter, *page), answer=paged("sessions", ref("SessionSummary"))),
        operation("GET", "/proctor/sessions/{session_id}/timeline", "A session's violations and evidence links",
                  roles=PROCTOR, answer=obj(("session", "violations"), session=ref("SessionSummary"),
                                            violations=array(ANY_OBJECT))),
        operation("GET", "/proctor/sessions/{session_id}/messages", "The whole channel, notes included",
                  roles=PROCTOR, params=(since,), answer=ref("Channel")),
        operation("POST", "/proctor/sessions/{session_id}/warn", "Warn the candidate", roles=PROCTOR, body=action,
                  answer=ref("MessageAnswer"), status=201),
        operation("POST", "/proctor/sessions/{session_id}/pause", "Pause the session", roles=PROCTOR, body=action,
                  answer=ref("MessageAnswer"), status=201),
        operation("POST", "/proctor/sessions/{session_id}/resume", "Resume the session", roles=PROCTOR,
                  body=obj(("expected_rev",), text=string(2000), expected_rev=integer(0, 10**9)),
                  answer=ref("MessageAnswer"), status=201),
        operation("POST", "/proctor/sessions/{session_id}/terminate", "End the session", roles=PROCTOR,
                  body=obj(("reason", "expected_rev"), reason=string(2000), expected_rev=integer(0, 10**9)),
                  answer=ref("MessageAnswer"), status=201),
        operation("POST", "/proctor/sessions/{session_id}/chat", "Write to the candidate", roles=PROCTOR,
                  body=text_body, answer=ref("MessageAnswer"), status=201),
        operation("POST", "/proctor/sessions/{session_id}/notes", "A note only proctors see", roles=PROCTOR,
                  body=text_body, answer=ref("MessageAnswer"), status=201),
        operation("POST", "/proctor/sessions/{session_id}/verdict", "Accept or annul a session awaiting review",
                  roles=PROCTOR, body=obj(("verdict",), verdict=string(enum=("accept", "annul")),
                                          reason=string(1000)),
                  answer=obj(("status", "reviewed_at"), status=string(enum=SESSION_STATUSES))),
        operation("GET", "/proctor/enrollments", "An exam's identity checks", roles=PROCTOR,
                  params=(query("exam_id", string(128, pattern=ID), required=True),
                          query("status", string(enum=("pending", "approved", "rejected", "overridden")))),
                  answer=lists("enrollments", ANY_OBJECT)),
        operation("GET", "/proctor/enrollments/{exam_id}/{candidate_id}", "One identity check with photo links",
                  roles=PROCTOR, answer=ref("Enrollment")),
        operation("POST", "/proctor/enrollments/{exam_id}/{candidate_id}/override",
                  "Override a rejected identity check", roles=PROCTOR, body=obj(("reason",), reason=string(1000)),
                  answer=ref("Enrollment")),
        *billing_operations(lang),
    ]  # fmt: skip


def with_files(op: tuple[str, str, Json], *types: str) -> tuple[str, str, Json]:
    """The operation's 200 answer may also be a file of these types (asked for with ?format=)."""
    content = op[2]["responses"]["200"]["content"]
    for content_type in types:
        content[content_type] = {"schema": {"type": "string", "format": "binary"}}
    return op


def billing_operations(lang: Json) -> list[tuple[str, str, Json]]:
    month = string(7, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")
    language = query("language", lang, description="Exam titles and file labels in this language (default en)")
    formats = query("format", string(enum=("json", "csv", "pdf")), description="json (default), csv or pdf")
    tier = obj(
        ("up_to", "unit_price"), up_to=nullable(integer(1)), unit_price=string(16, pattern=r"^[0-9]+(\.[0-9]{1,2})?$")
    )
    plan = obj(
        ("unit", "tiers"),
        unit=string(enum=("exam", "exam_hour")),
        currency=string(enum=("KZT", "USD", "EUR", "RUB")),
        tiers=array(tier, 1, 10),
        effective_month=month,
    )
    statement = obj(
        ("agency_id", "month", "plan", "lines", "total"),
        agency_id=string(64),
        month=month,
        plan=ANY_OBJECT,
        lines=array(ANY_OBJECT),
        total=string(32),
    )
    return [
        operation("GET", "/admin/usage", "The agency's metered usage of a month, per exam", roles=ADMIN,
                  params=(query("month", month, description="YYYY-MM (default: this month)"),
                          query("exam_id", string(128, pattern=ID), description="Only this exam"), language),
                  answer=obj(("agency_id", "month", "exams", "totals"), exams=array(ANY_OBJECT))),
        with_files(operation("GET", "/admin/statements/{month}", "The agency's statement of a month", roles=ADMIN,
                             params=(formats, language), answer=statement), "text/csv", "application/pdf"),
        operation("GET", "/operator/agencies/{agency_id}/plan", "An agency's price plan and its history",
                  roles=OPERATOR, answer=obj(("agency_id", "plan", "history"), plan=ANY_OBJECT,
                                             history=array(ANY_OBJECT))),
        operation("PUT", "/operator/agencies/{agency_id}/plan", "Set an agency's price plan from a month on",
                  roles=OPERATOR, body=plan, answer=obj(("agency_id", "effective_month", "plan"))),
        with_files(operation("GET", "/operator/agencies/{agency_id}/statements/{month}", "One agency's statement",
                             roles=OPERATOR, params=(formats, language), answer=statement),
                   "text/csv", "application/pdf"),
        with_files(operation("GET", "/operator/statements/{month}", "Every agency's statement of a month",
                             roles=OPERATOR, params=(query("format", string(enum=("json", "csv"))), language),
                             answer=obj(("month", "statements", "totals"), statements=array(statement))),
                   "text/csv"),
    ]  # fmt: skip


@cache
def document() -> Json:
    paths: dict[str, Json] = {}
    for path, method, spec in operations():
        paths.setdefault(path, {})[method] = spec
    tags = sorted({tag for methods in paths.values() for spec in methods.values() for tag in spec["tags"]})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Online exam proctoring API",
            "version": VERSION,
            "description": (
                "JSON over HTTPS. Every failure is "
                '`{"error": {"code", "message", "details"?}}` with a stable code that doubles as the localization '
                "key (see ErrorCode). The web app calls it under /api on its own origin."
            ),
        },
        "servers": [{"url": "/api", "description": "The web app's origin (CloudFront on AWS, local/web_server.py)"}],
        "security": [],
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "The token from POST /auth/login; x-roles on each operation names who may call it",
                }
            },
            "schemas": schemas(),
            "responses": {"Error": error_response()},
        },
    }
