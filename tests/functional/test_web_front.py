"""The local stand-in for CloudFront: the web app and the API share one origin, /api is the API."""

from __future__ import annotations

import requests

from tests.helpers import PASSWORD, assert_error


def test_the_api_answers_under_api_on_the_web_origin(stack, agency):
    # Given the web front of the local stack
    # When a browser logs in through /api on the page's own origin
    response = requests.post(
        f"{stack.web_url}/api/auth/login",
        json={"agency": agency["agency_id"], "user_id": agency["proctor"], "password": PASSWORD},
        timeout=10,
    )
    # Then it reaches the API's /auth/login with body, status and JSON headers intact
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "proctor"
    assert response.headers["Content-Type"].startswith("application/json")


def test_api_errors_keep_their_status_and_json_shape_through_the_front(stack):
    response = requests.get(f"{stack.web_url}/api/me/exams", timeout=10)
    assert_error(response, 401, "auth.missing_token")


def test_the_root_and_app_routes_serve_the_single_page_app_not_a_403(stack):
    # Any path that is no file and not /api gets the app's page, so a reload on a deep link works
    pages = [requests.get(f"{stack.web_url}{path}", timeout=10) for path in ("/", "/exam/abc", "/../../etc/passwd")]
    for page in pages:
        assert page.status_code in (200, 503), page.status_code  # 503 only when web/dist was never built
        assert "root:" not in page.text
        assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert len({page.text for page in pages}) == 1


def test_a_method_other_than_get_outside_api_is_refused(stack):
    assert requests.post(f"{stack.web_url}/index.html", data=b"x", timeout=10).status_code == 405


def test_the_api_sends_no_wildcard_cors_header(stack, agency):
    # Browser and API share one origin (the web front here, CloudFront on AWS): no other origin is invited in
    response = requests.post(
        f"{stack.api_url}/auth/login",
        json={"agency": agency["agency_id"], "user_id": agency["proctor"], "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
        timeout=10,
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_body_over_the_fronts_limit_gets_the_apis_answer_for_a_too_large_body(stack):
    # The web front (CloudFront's stand-in) refuses bodies over 20 MB itself, in the API's shape and status
    response = requests.post(
        f"{stack.web_url}/api/auth/login",
        data=b"{" + b" " * (21 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "request.body_too_large"
