"""Set-up steps for the agency tests: the platform operator, agencies onboarded through the API, staff."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api_client import ApiClient, remember
from tests.helpers import PASSWORD, ok

PLATFORM = "platform"
OPERATOR = "operator@platform"


def operator_token(api: ApiClient) -> str:
    from local.seed import ensure_operator

    ensure_operator(PASSWORD)  # what `make run` seeds (idempotent)
    return api.login(OPERATOR, PASSWORD, PLATFORM)


def agency_body(code: str | None = None, **extra: Any) -> dict[str, Any]:
    code = code or f"t-{uuid.uuid4().hex[:10]}"
    return {
        "agency_id": code,
        "name": {"kk": "Агенттік", "ru": "Агентство", "en": "Agency"},
        "contact": {"name": "Aigerim", "email": "aigerim@example.kz", "phone": "+7 701 000 00 00"},
        "admin": {"login": f"admin@{code}", "full_name": "First Admin"},
        **extra,
    }


def onboard(api: ApiClient, operator: str, **extra: Any) -> dict[str, Any]:
    """A new agency through POST /operator/agencies; its code, the admin's login, password and token."""
    body = agency_body(**extra)
    created = ok(api.call("POST", "/operator/agencies", operator, json=body))
    code, admin = created["agency"]["agency_id"], created["admin"]
    remember(code, admin["login"])
    return {
        "agency_id": code,
        "created": created,
        "admin_login": admin["login"],
        "admin_password": admin["password"],
        "admin": api.login(admin["login"], admin["password"], code),
    }


def add_staff(api: ApiClient, admin: str, agency_id: str, role: str = "proctor", **extra: Any) -> dict[str, Any]:
    login = f"{role}-{uuid.uuid4().hex[:8]}"
    body = {"login": login, "full_name": f"Test {role}", "role": role, **extra}
    member = ok(api.call("POST", "/admin/staff", admin, json=body))
    remember(agency_id, login)
    member["token"] = api.login(login, member["password"], agency_id)
    return member


def exam_with_session(api: ApiClient, admin: str) -> dict[str, Any]:
    """An exam with a bank and one admitted, consented candidate whose session is in progress."""
    from local.seed import demo_bank
    from tests.helpers import admit, exam_payload

    exam_id = ok(api.call("POST", "/admin/exams", admin, json=exam_payload()))["exam_id"]
    ok(api.call("POST", f"/admin/exams/{exam_id}/questions", admin, json=demo_bank(4)))
    candidate_id, candidate = admit(api, admin, exam_id)
    session = ok(api.call("POST", f"/exams/{exam_id}/sessions", candidate, json={"language": "ru"}))
    return {"exam_id": exam_id, "candidate_id": candidate_id, "candidate": candidate, "session": session}
