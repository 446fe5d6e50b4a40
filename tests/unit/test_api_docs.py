"""docs/API.md names every route the API declares and every error code it can answer with.

The OpenAPI document is kept true by tests/functional/test_openapi.py; this keeps the human-readable reference from
falling behind it: a new route or error code fails here until docs/API.md mentions it.
"""

from __future__ import annotations

import re

import app  # noqa: F401 - importing the app registers every route in DECLARED
from chalicelib.core.api import DECLARED
from chalicelib.openapi_spec import ERROR_CODES
from tests.paths import REPO_ROOT

API_DOC = REPO_ROOT / "docs" / "API.md"
PLACEHOLDER = re.compile(r"\{[^}/]*\}")


def normalized(path: str) -> str:
    """A path with its parameters unnamed: `/sessions/{session_id}` and `/sessions/{id}` are the same route."""
    return PLACEHOLDER.sub("{}", path)


def documented_routes(text: str) -> set[tuple[str, str]]:
    """Every `METHOD /path` written in code spans, query string dropped."""
    found = set()
    for method, path in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`?\s]*)", text):
        found.add((method, normalized(path)))
    return found


def test_every_declared_route_is_in_api_md():
    documented = documented_routes(API_DOC.read_text())
    declared = {(method, normalized(path)) for path, method in DECLARED}
    assert len(declared) > 40  # the app's routes did register
    missing = sorted(f"{method} {path}" for method, path in declared - documented)
    assert missing == [], f"docs/API.md does not document: {', '.join(missing)}"


def test_api_md_documents_no_route_that_does_not_exist():
    documented = documented_routes(API_DOC.read_text())
    declared = {(method, normalized(path)) for path, method in DECLARED}
    stale = sorted(f"{method} {path}" for method, path in documented - declared)
    assert stale == [], f"docs/API.md names routes the API does not have: {', '.join(stale)}"


def test_every_error_code_is_in_api_md():
    text = API_DOC.read_text()
    missing = sorted(code for code in ERROR_CODES if f"`{code}`" not in text)
    assert missing == [], f"docs/API.md does not list these error codes: {', '.join(missing)}"
