"""Shared fixtures: one real local stack (ministack endpoint + Chalice API + dispatcher) for the whole test run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import LocalStack
from tests.api_client import ApiClient, remember
from tests.helpers import PASSWORD, account_of, exam_payload


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    local = LocalStack(log_dir=tmp_path_factory.mktemp("stack-logs"))
    environment = pytest.MonkeyPatch()  # the endpoint's settings for this process, undone at the end
    try:
        local.start_endpoint(setenv=environment.setenv)
        from chalicelib import wiring

        wiring.reset()
        local.start_services()
        yield local
    finally:
        local.stop()
        environment.undo()


@pytest.fixture(scope="session")
def api(stack: LocalStack) -> ApiClient:
    return ApiClient(stack.api_url)


def _new_agency() -> dict[str, str]:
    from local.seed import create_agency

    agency = create_agency("agency", PASSWORD)
    remember(agency["agency_id"], agency["admin"], agency["proctor"])
    return agency


@pytest.fixture(scope="session")
def agency(stack: LocalStack) -> dict[str, str]:
    return _new_agency()


@pytest.fixture(scope="session")
def other_agency(stack: LocalStack) -> dict[str, str]:
    return _new_agency()


@pytest.fixture
def make_exam(api: ApiClient, agency: dict[str, str]):
    """Create an exam with a bank and one admitted candidate who has consented; returns ids and tokens.

    `candidate_id` is the candidate's account id (what the API stores and shows), `login` what the candidate types.
    """

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
        login = f"cand-{uuid.uuid4().hex[:10]}"
        api.call(
            "POST",
            f"/admin/exams/{exam['exam_id']}/roster",
            admin,
            json={"candidates": [{"user_id": login, "full_name": "Test Candidate", "password": PASSWORD}]},
        ).raise_for_status()
        candidate_id = account_of(agency["agency_id"], login)
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
            "login": login,
            "agency_id": agency["agency_id"],
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


@pytest.fixture
def new_candidate(api: ApiClient, agency: dict[str, str]):
    """Makes a fresh candidate of the agency (admitted to a fresh exam), so per-account state never leaks; returns
    its account id (`<agency>~<login>`), which ApiClient.login and login_response also take."""

    def make() -> str:
        admin = api.login(agency["admin"], PASSWORD)
        exam_id = api.call("POST", "/admin/exams", admin, json=exam_payload()).json()["exam_id"]
        login = f"cand-{uuid.uuid4().hex[:10]}"
        body = {"candidates": [{"user_id": login, "full_name": "Test Candidate", "password": PASSWORD}]}
        api.call("POST", f"/admin/exams/{exam_id}/roster", admin, json=body).raise_for_status()
        return account_of(agency["agency_id"], login)

    return make
