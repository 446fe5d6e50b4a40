"""Assertions and set-up steps shared by the functional suites."""

from __future__ import annotations

import uuid
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
    ok(api.call("POST", f"/admin/exams/{exam_id}/roster", admin, json={"candidates": [
        {"user_id": candidate_id, "full_name": "Test Candidate", "password": PASSWORD}]}))
    token = api.login(candidate_id, PASSWORD)
    if consent:
        ok(api.call("POST", f"/exams/{exam_id}/consent", token, json={"accepted": True, "language": "ru"}))
    return candidate_id, token


def login_response(api: ApiClient, user_id: str, password: str):
    """The raw login answer (for tests that expect it to fail)."""
    return api.call("POST", "/auth/login", json={"user_id": user_id, "password": password})
