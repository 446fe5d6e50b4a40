"""Every failure has the one documented shape, also those Chalice and the gateway answer before any view runs.

`{"error": {"code", "message", "details"?}}` with a code from the OpenAPI document's ErrorCode list, over real HTTP
(directly and through the web front's /api proxy, as the browser calls it).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from chalice.app import Request

from chalicelib.core.api import uniform_errors
from chalicelib.openapi_spec import ERROR_CODES

UNKNOWN_ROUTES = [
    ("GET", "/nothing-here"),
    ("GET", "/admin/exams/ex-1/nothing"),
    ("POST", "/sessions/0/answers/1/2"),
    ("DELETE", "/"),
]


def assert_shaped(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code} {response.text}"
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "details"} and {"code", "message"} <= set(error), body
    assert error["code"] == code and isinstance(error["message"], str) and error["message"], body
    assert ERROR_CODES[code][0] == status, f"{code} is documented with another status"
    return error


@pytest.fixture(params=["api", "web"])
def base_url(request, stack) -> str:
    """The API as tests call it, and as the browser does: through the web front's /api proxy."""
    return stack.api_url if request.param == "api" else f"{stack.web_url}/api"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/auth/login"), ("DELETE", "/admin/exams"), ("PATCH", "/sessions/s-1"), ("PUT", "/health")],
)
def test_a_wrong_method_is_405_in_the_error_shape_with_the_allowed_methods(base_url, method, path):
    response = requests.request(method, f"{base_url}{path}", json={}, timeout=10)

    assert_shaped(response, 405, "route.method_not_allowed")
    assert response.headers["Allow"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/auth/login", "text/plain"),
        ("/auth/login", "application/x-www-form-urlencoded"),
        ("/admin/exams/ex-1/questions", "application/xml"),
    ],
)
def test_a_content_type_the_route_does_not_take_is_415_in_the_error_shape(base_url, path, content_type):
    response = requests.post(f"{base_url}{path}", data=b"user_id=a", headers={"Content-Type": content_type}, timeout=10)

    assert_shaped(response, 415, "request.unsupported_media_type")


def test_the_same_body_with_a_json_content_type_reaches_the_route(base_url):
    response = requests.post(f"{base_url}/auth/login", data=b"user_id=a", headers={"Content-Type": "application/json"})

    assert_shaped(response, 400, "request.malformed_json")


@pytest.mark.parametrize(("method", "path"), UNKNOWN_ROUTES)
def test_an_unknown_route_is_404_route_not_found_in_the_error_shape(base_url, method, path):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):  # API Gateway answers both the same way
        response = requests.request(method, f"{base_url}{path}", headers=headers, timeout=10)

        assert_shaped(response, 404, "route.not_found")


def test_an_exception_outside_every_view_is_a_500_in_the_error_shape_not_chalices():
    def broken(_request):
        raise RuntimeError("boom")

    event = {
        "requestContext": {"httpMethod": "GET", "resourcePath": "/x"},
        "headers": {},
        "pathParameters": {},
        "multiValueQueryStringParameters": None,
        "stageVariables": None,
        "body": None,
    }
    response = uniform_errors(Request(event), broken)

    assert response.status_code == 500
    assert response.body == {"error": {"code": "internal.error", "message": "Internal error."}}
