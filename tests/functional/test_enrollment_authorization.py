"""Who may touch identity checks: candidates only their own, proctors only their agency's, nobody without a token."""

from __future__ import annotations

import pytest

from tests.helpers import DOCUMENT, IMPOSTOR, PASSWORD, SELFIE, verify

CANDIDATE_ROUTES = [
    ("POST", "/exams/{exam_id}/enrollment/uploads", {"kind": "selfie"}),
    ("POST", "/exams/{exam_id}/enrollment/verify", {"selfie_key": "x", "id_document_key": "y"}),
    ("GET", "/exams/{exam_id}/enrollment", None),
]
PROCTOR_ROUTES = [
    ("GET", "/proctor/enrollments/{exam_id}/{candidate_id}", None),
    ("POST", "/proctor/enrollments/{exam_id}/{candidate_id}/override", {"reason": "checked by hand"}),
]


@pytest.fixture
def rejected(api, make_exam):
    """A candidate whose identity check was rejected (document of another person)."""
    ctx = make_exam(require_identity=True)
    assert verify(api, ctx, SELFIE.read_bytes(), IMPOSTOR.read_bytes()).json()["status"] == "rejected"
    return ctx


def call(api, ctx, method, path, body, token):
    return api.call(method, path.format(**ctx), token, json=body)


@pytest.mark.parametrize(("method", "path", "body"), CANDIDATE_ROUTES + PROCTOR_ROUTES)
def test_no_token_is_refused(api, rejected, method, path, body):
    response = call(api, rejected, method, path, body, None)
    assert response.status_code == 401 and response.json()["error"]["code"] == "auth.missing_token"


@pytest.mark.parametrize(("method", "path", "body"), CANDIDATE_ROUTES)
def test_staff_cannot_use_the_candidate_routes(api, rejected, method, path, body):
    response = call(api, rejected, method, path, body, rejected["proctor"])
    assert response.status_code == 403 and response.json()["error"]["code"] == "auth.forbidden_role"


@pytest.mark.parametrize(("method", "path", "body"), PROCTOR_ROUTES)
def test_a_candidate_cannot_use_the_proctor_routes_even_for_themselves(api, rejected, method, path, body):
    response = call(api, rejected, method, path, body, rejected["candidate"])
    assert response.status_code == 403 and response.json()["error"]["code"] == "auth.forbidden_role"


@pytest.mark.parametrize(("method", "path", "body"), PROCTOR_ROUTES)
def test_a_proctor_of_another_agency_sees_and_overrides_nothing(api, rejected, other_agency, method, path, body):
    outsider = api.login(other_agency["proctor"], PASSWORD)
    response = call(api, rejected, method, path, body, outsider)
    assert response.status_code == 404 and response.json()["error"]["code"] == "enrollment.not_found"
    own = api.call("GET", "/proctor/enrollments/{exam_id}/{candidate_id}".format(**rejected), rejected["proctor"])
    assert own.json()["status"] == "rejected"


def test_a_candidate_of_another_exam_cannot_verify_or_read_this_exams_check(api, rejected, make_exam):
    other = make_exam(require_identity=True)
    for method, path, body in CANDIDATE_ROUTES:
        response = api.call(method, path.format(**rejected), other["candidate"], json=body)
        assert response.status_code == 404 and response.json()["error"]["code"] == "exam.not_found"


def test_an_approved_check_is_not_redone_or_overridden(api, make_exam):
    ctx = make_exam(require_identity=True)
    first = verify(api, ctx, SELFIE.read_bytes(), DOCUMENT.read_bytes()).json()
    assert first["status"] == "approved"
    again = verify(api, ctx, SELFIE.read_bytes(), IMPOSTOR.read_bytes()).json()
    assert again["status"] == "approved" and again["attempts"] == first["attempts"]
    override = api.call(
        "POST",
        "/proctor/enrollments/{exam_id}/{candidate_id}/override".format(**ctx),
        ctx["proctor"],
        json={"reason": "x"},
    )
    assert override.status_code == 409 and override.json()["error"]["code"] == "enrollment.not_rejected"
