"""Assertions and set-up steps shared by the functional suites."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.api_client import ApiClient
from tests.conftest import PASSWORD


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


def admit(api: ApiClient, admin: str, exam_id: str, *, consent: bool = True) -> tuple[str, str]:
    """Admit a fresh candidate to the exam; returns (candidate_id, token)."""
    candidate_id = f"cand-{uuid.uuid4().hex[:10]}"
    ok(
        api.call(
            "POST",
            f"/admin/exams/{exam_id}/roster",
            admin,
            json={"candidates": [{"user_id": candidate_id, "full_name": "Test Candidate", "password": PASSWORD}]},
        )
    )
    token = api.login(candidate_id, PASSWORD)
    if consent:
        ok(api.call("POST", f"/exams/{exam_id}/consent", token, json={"accepted": True, "language": "ru"}))
    return candidate_id, token


def login_response(api: ApiClient, user_id: str, password: str):
    """The raw login answer (for tests that expect it to fail)."""
    return api.call("POST", "/auth/login", json={"user_id": user_id, "password": password})


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
