"""Shared fixtures: one real local stack (moto server + Chalice API + dispatcher) for the whole test run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from local.stack import LocalStack
from tests.api_client import ApiClient

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    local = LocalStack(log_dir=tmp_path_factory.mktemp("stack-logs"))
    try:
        local.start_endpoint()
        from chalicelib.core import wiring

        wiring.reset()
        local.start_services()
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def api(stack: LocalStack) -> ApiClient:
    return ApiClient(stack.api_url)


def _new_agency() -> dict[str, str]:
    from local.seed import create_agency

    return create_agency("agency", PASSWORD)


@pytest.fixture(scope="session")
def agency(stack: LocalStack) -> dict[str, str]:
    return _new_agency()


@pytest.fixture(scope="session")
def other_agency(stack: LocalStack) -> dict[str, str]:
    return _new_agency()


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


@pytest.fixture
def make_exam(api: ApiClient, agency: dict[str, str]):
    """Create an exam with a bank and one admitted candidate who has consented; returns ids and tokens."""

    def make(
        duration_s: int = 600,
        consent: bool = True,
        require_identity: bool = False,
        analysis: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        from local.seed import demo_bank

        admin = api.login(agency["admin"], PASSWORD)
        payload = exam_payload(duration_s, require_identity=require_identity, analysis=analysis)
        exam = api.call("POST", "/admin/exams", admin, json=payload).json()
        api.call("POST", f"/admin/exams/{exam['exam_id']}/questions", admin, json=demo_bank(4)).raise_for_status()
        candidate_id = f"cand-{uuid.uuid4().hex[:10]}"
        api.call(
            "POST",
            f"/admin/exams/{exam['exam_id']}/roster",
            admin,
            json={"candidates": [{"user_id": candidate_id, "full_name": "Test Candidate", "password": PASSWORD}]},
        ).raise_for_status()
        candidate = api.login(candidate_id, PASSWORD)
        if consent:
            api.call(
                "POST", f"/exams/{exam['exam_id']}/consent", candidate, json={"accepted": True, "language": "ru"}
            ).raise_for_status()
        return {
            "exam_id": exam["exam_id"],
            "admin": admin,
            "candidate": candidate,
            "candidate_id": candidate_id,
            "proctor": api.login(agency["proctor"], PASSWORD),
        }

    return make


@pytest.fixture
def started(api: ApiClient, make_exam) -> dict[str, Any]:
    """A consented candidate with a session in progress."""
    ctx = make_exam()
    response = api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={"language": "ru"})
    assert response.status_code == 201, response.text
    ctx["session"] = response.json()
    return ctx


def wait_for(check, timeout_s: float = 10.0, interval_s: float = 0.2):
    """Poll until check() returns something truthy; fail the test with the last value otherwise."""
    import time

    deadline = time.monotonic() + timeout_s
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval_s)
    pytest.fail(f"condition not met within {timeout_s}s; last value: {value!r}")


__all__ = ["requests", "wait_for", "exam_payload", "PASSWORD"]
