"""Assertions, set-up steps and test data shared by every suite: test modules import from here, not from each other."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote_plus

import pytest
import requests

from local.dispatcher import sqs_event
from tests.api_client import ApiClient, login_body, token_agency
from tests.paths import FACES_DIR


def assert_error(response, status: int, code: str) -> dict[str, Any]:
    """A 4xx with the stable error code and a message; never a 5xx."""
    assert response.status_code < 500, f"server error: {response.status_code} {response.text}"
    assert response.status_code == status, f"{response.status_code} {response.text}"
    error = response.json()["error"]
    assert error["code"] == code, response.text
    assert isinstance(error["message"], str) and error["message"]
    return error


def ok(response) -> dict[str, Any]:
    assert response.status_code in (200, 201), f"{response.status_code} {response.text}"
    return response.json()


def account_of(agency_id: str, login: str) -> str:
    """The candidate_id the API stores and shows for a login of an agency (accounts are per agency)."""
    from chalicelib.identity.logins import account_id

    return account_id(agency_id, login)


def admit(api: ApiClient, admin: str, exam_id: str, *, consent: bool = True) -> tuple[str, str]:
    """Admit a fresh candidate to the exam; returns (candidate_id, token): the candidate_id is the account id."""
    login = f"cand-{uuid.uuid4().hex[:10]}"
    ok(
        api.call(
            "POST",
            f"/admin/exams/{exam_id}/roster",
            admin,
            json={"candidates": [{"user_id": login, "full_name": "Test Candidate", "password": PASSWORD}]},
        )
    )
    candidate_id = account_of(token_agency(admin), login)
    token = api.login(candidate_id, PASSWORD)
    if consent:
        ok(api.call("POST", f"/exams/{exam_id}/consent", token, json={"accepted": True, "language": "ru"}))
    return candidate_id, token


def login_response(api: ApiClient, user_id: str, password: str, agency: str | None = None):
    """The raw login answer (for tests that expect it to fail); the agency as ApiClient.login finds it."""
    return api.call("POST", "/auth/login", json=login_body(user_id, password, agency))


SESSION_KEYS = ("status", "answers", "submitted_at", "score", "verdict")


def snapshot(api: ApiClient, world: dict[str, Any], session_keys: tuple[str, ...] = SESSION_KEYS) -> dict[str, Any]:
    """Everything a wrongly accepted call on the world's exam or session could change, as its owners see it."""
    tokens, exam_id, session_id = world["tokens"], world["exam_id"], world["session_id"]
    reads = [
        (f"/sessions/{session_id}", tokens["candidate"]),
        (f"/proctor/sessions/{session_id}/timeline", tokens["proctor"]),
        (f"/admin/exams/{exam_id}/roster", tokens["admin"]),
        ("/admin/exams", tokens["admin"]),
    ]  # each exam as GET /admin/exams/{id} shows it, bank_size included
    with ThreadPoolExecutor(len(reads)) as pool:  # both local servers are threaded
        session, timeline, roster, exams = pool.map(lambda read: ok(api.call("GET", *read)), reads)
    return {
        "session": {k: session[k] for k in session_keys},
        "monitoring": {k: timeline["session"][k] for k in ("status", "last_seen_at", "violation_counts", "risk_score")},
        "violations": timeline["violations"],
        "exams": sorted(exams["exams"], key=lambda e: e["exam_id"]),
        "roster": roster["candidates"],
    }


PASSWORD = "correct-horse-battery"
SELFIE = FACES_DIR / "alex_lacamoire__img1.jpg"
DOCUMENT = FACES_DIR / "alex_lacamoire__alex_lacamoire.jpg"
WEBCAM = FACES_DIR / "alex_lacamoire__alex_lacamoire1.jpg"
IMPOSTOR = FACES_DIR / "obama__obama.jpg"


def exam_payload(
    duration_s: int = 600,
    item_counts: tuple[int, int] = (3, 2),
    require_identity: bool = False,
    analysis: dict[str, Any] | None = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    title = {"kk": "Сынақ", "ru": "Экзамен", "en": "Exam"}
    return {
        "title": title,
        "duration_s": duration_s,
        "blocks": [
            {"block_id": "law", "title": title, "item_count": item_counts[0]},
            {"block_id": "ethics", "title": title, "item_count": item_counts[1]},
        ],
        "opens_at": (now - timedelta(minutes=5)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat(),
        "require_identity": require_identity,
        "analysis": analysis,
    }


def wait_for(check, timeout_s: float = 10.0, interval_s: float = 0.2, message=None):
    """Poll until check() returns something truthy; fail the test with the last value (and message()) otherwise."""
    deadline = time.monotonic() + timeout_s
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval_s)
    pytest.fail(f"condition not met within {timeout_s}s; last value: {value!r} {message() if message else ''}")


def upload(presigned: dict, data: bytes, content_type: str = "image/jpeg") -> requests.Response:
    fields = dict(presigned["fields"])
    fields["Content-Type"] = content_type
    return requests.post(presigned["url"], data=fields, files={"file": ("upload", data, content_type)}, timeout=10)


def presign(api, ctx, kind: str = "webcam") -> dict:
    session_id = ctx["session"]["session_id"]
    response = api.call("POST", f"/sessions/{session_id}/media", ctx["candidate"], json={"kind": kind})
    assert response.status_code == 201, response.text
    return response.json()


def analyzed(ctx) -> int:
    from chalicelib.violations.models import MediaObjectRecord

    prefix = f"sessions/{ctx['session']['session_id']}/"
    return sum(1 for r in MediaObjectRecord.scan() if prefix in r.object_id)


def timeline(api, ctx) -> dict:
    response = api.call("GET", f"/proctor/sessions/{ctx['session']['session_id']}/timeline", ctx["proctor"])
    assert response.status_code == 200, response.text
    return response.json()


def notification(bucket: str, key: str, etag: str) -> str:
    """An S3 event notification as S3 sends it to SQS (URL-encoded key, unquoted eTag)."""
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventTime": "2026-01-01T00:00:00.000Z",
                    "eventName": "ObjectCreated:Post",
                    "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key), "eTag": etag, "size": 1}},
                }
            ]
        }
    )


def as_batch(*bodies: str) -> tuple[dict, list[str]]:
    ids = [str(uuid.uuid4()) for _ in bodies]
    messages = [{"MessageId": i, "ReceiptHandle": i, "Body": b} for i, b in zip(ids, bodies, strict=True)]
    return sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:media", "us-east-1"), ids


def put_photo(api, ctx, kind: str, data: bytes) -> str:
    response = api.call("POST", f"/exams/{ctx['exam_id']}/enrollment/uploads", ctx["candidate"], json={"kind": kind})
    assert response.status_code == 201, response.text
    upload(response.json(), data).raise_for_status()
    return response.json()["key"]


def request_verification(api, ctx, selfie: bytes, document: bytes):
    """Upload both photos and ask for the identity check: the raw answer (202 pending, 200 passed, or a 4xx)."""
    keys = {
        "selfie_key": put_photo(api, ctx, "selfie", selfie),
        "id_document_key": put_photo(api, ctx, "id_document", document),
    }
    return api.call("POST", f"/exams/{ctx['exam_id']}/enrollment/verify", ctx["candidate"], json=keys)


def decision(api, ctx, timeout_s: float = 60.0):
    """Poll the candidate's identity check until the checker decided it; the 200 answer of GET .../enrollment."""

    def decided():
        response = api.call("GET", f"/exams/{ctx['exam_id']}/enrollment", ctx["candidate"])
        return response if response.status_code != 200 or response.json()["status"] != "pending" else None

    return wait_for(decided, timeout_s=timeout_s, interval_s=0.25)


def verify(api, ctx, selfie: bytes, document: bytes):
    """Ask for the identity check and wait for its decision (the checker runs asynchronously): the decided check,
    or the refusal when the request itself was refused (4xx)."""
    response = request_verification(api, ctx, selfie, document)
    return decision(api, ctx) if response.status_code == 202 else response


def count_dynamodb_requests(monkeypatch, by_table: bool = False) -> Counter:
    """DynamoDB requests this process sends from now on, by operation (and table, with by_table)."""
    from pynamodb.connection.base import Connection

    sent: Counter = Counter()
    original = Connection.dispatch

    def dispatch(self, operation_name, operation_kwargs):
        sent[(operation_name, operation_kwargs.get("TableName")) if by_table else operation_name] += 1
        return original(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", dispatch)
    return sent
