"""The OpenAPI document (chalicelib/openapi_spec.py) stays true to the code: routes, roles, bodies and error codes.

When a test here fails, its message names exactly what to add to or remove from chalicelib/openapi_spec.py.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import requests
import schemathesis

from chalicelib.core import api as core_api
from chalicelib.core import errors
from chalicelib.openapi_spec import ERROR_CODES, document
from infra.edge import GATEWAY_RESPONSES
from tests.paths import REPO_ROOT


def registered_routes() -> dict[tuple[str, str], Any]:
    """(path, METHOD) -> Chalice's route entry, for every route app.py's Chalice app serves."""
    from app import app

    return {(path, method): entry for path, methods in app.routes.items() for method, entry in methods.items()}


def documented_operations() -> dict[tuple[str, str], dict[str, Any]]:
    paths = document()["paths"]
    return {(path, method.upper()): spec for path, methods in paths.items() for method, spec in methods.items()}


def describe(path: str, method: str) -> str:
    declared = core_api.DECLARED.get((path, method))
    if declared is None:
        return f"{method} {path}"
    roles = ", ".join(declared.roles) if declared.roles is not None else "public"
    return f"{method} {path} (roles: {roles}; content types: {', '.join(declared.content_types)})"


def test_the_document_is_served_without_a_token_and_is_valid_openapi_3_1(api):
    response = requests.get(f"{api.base_url}/openapi.json", timeout=10)

    assert response.status_code == 200, response.text
    served = response.json()
    assert served["openapi"] == "3.1.0"
    assert served == json.loads(json.dumps(document()))  # what the API serves is the source, nothing else
    schemathesis.openapi.from_dict(served).validate()  # OpenAPI 3.1's own meta-schema


def test_every_registered_route_is_documented_and_every_documented_one_exists():
    registered, documented = set(registered_routes()), set(documented_operations())

    missing = sorted(registered - documented)
    stale = sorted(documented - registered)

    problems = [f"  add to operations(): {describe(path, method)}" for path, method in missing]
    problems += [f"  remove from operations() (no such route): {method} {path}" for path, method in stale]
    assert not problems, "chalicelib/openapi_spec.py does not match the routes:\n" + "\n".join(problems)


def test_every_route_is_declared_through_core_api_route():
    """The contract (roles, error mapping, the error shape) holds only for views declared with `route`."""
    undeclared = sorted(set(registered_routes()) - set(core_api.DECLARED))

    assert undeclared == [], f"declare these with chalicelib.core.api.route: {undeclared}"


def test_each_operation_names_the_roles_security_and_path_parameters_its_route_has():
    documented = documented_operations()
    problems = []
    for key, declared in sorted(core_api.DECLARED.items()):
        spec = documented.get(key)
        if spec is None:
            continue  # reported by the coverage test
        roles = list(declared.roles) if declared.roles is not None else []
        if sorted(spec["x-roles"]) != sorted(roles):
            problems.append(f"{key}: x-roles {spec['x-roles']} but the route allows {roles}")
        if bool(spec["security"]) != (declared.roles is not None):
            problems.append(f"{key}: security {spec['security']} but the route is {'public' if not roles else 'auth'}")
        body = spec.get("requestBody", {}).get("content", {})
        if not set(body) <= set(declared.content_types):
            problems.append(f"{key}: body types {sorted(body)} but the route takes {declared.content_types}")
        in_path = sorted(p["name"] for p in spec["parameters"] if p["in"] == "path")
        in_template = sorted(registered_routes()[key].view_args)
        if in_path != in_template:
            problems.append(f"{key}: path parameters {in_path} but the route has {in_template}")
    assert problems == [], "\n".join(problems)


def test_every_failure_answer_uses_the_one_error_shape():
    components = document()["components"]
    for key, spec in documented_operations().items():
        for status, answer in spec["responses"].items():
            if status.startswith("4") or (status.startswith("5") and key != ("/health", "GET")):
                assert answer == {"$ref": "#/components/responses/Error"}, f"{key} {status}"
    schema = components["responses"]["Error"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Error"}
    assert components["schemas"]["ErrorCode"]["enum"] == sorted(ERROR_CODES)


# --- Error codes ---------------------------------------------------------------------------------------------


def domain_error_kinds() -> dict[str, type[errors.DomainError]]:
    kinds, pending = {}, [errors.DomainError]
    while pending:
        kind = pending.pop()
        kinds[kind.__name__] = kind
        pending.extend(kind.__subclasses__())
    return kinds


def raised_codes() -> tuple[dict[str, set[int]], list[str]]:
    """code -> the statuses it is raised with, from every DomainError constructor and error_body call in the code.

    Also returns the places whose code is not a string literal (they cannot be checked, so they are refused).
    """
    kinds = domain_error_kinds()
    found: dict[str, set[int]] = {}
    opaque = []
    files = sorted((REPO_ROOT / "chalicelib").rglob("*.py")) + [REPO_ROOT / "app.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in kinds and name != "error_body":
                continue
            where = f"{Path(path).relative_to(REPO_ROOT)}:{node.lineno}"
            first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "code"), None)
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                if name != "error_body" or Path(path).name != "api.py":  # api.py passes codes through
                    opaque.append(where)
                continue
            status = core_api.status_of(kinds[name]("x", "x")) if name in kinds else None
            found.setdefault(first.value, set()).update({status} if status else set())
    for status, (code, _) in core_api.CHALICE_ERROR_CODES.items():
        found.setdefault(code, set()).add(status)
    for status, code, _ in GATEWAY_RESPONSES.values():  # API Gateway's own answers on AWS (infra/edge.py)
        found.setdefault(code, set()).update({status} if status is not None else set())
    return found, opaque


def test_every_error_code_the_code_raises_is_documented_with_the_status_it_answers_with():
    raised, opaque = raised_codes()

    assert opaque == [], f"error codes must be string literals (so they can be documented): {opaque}"
    undocumented = sorted(code for code in raised if code not in ERROR_CODES)
    assert undocumented == [], "add to ERROR_CODES in chalicelib/openapi_spec.py (and to docs/API.md): " + ", ".join(
        f"{code} ({'/'.join(map(str, sorted(raised[code]))) or '?'})" for code in undocumented
    )
    wrong = sorted(
        f"{code}: documented {ERROR_CODES[code][0]}, raised as {sorted(statuses)}"
        for code, statuses in raised.items()
        if statuses and statuses != {ERROR_CODES[code][0]}
    )
    assert wrong == [], "\n".join(wrong)


def test_every_documented_error_code_is_still_raised_somewhere():
    raised, _ = raised_codes()

    stale = sorted(set(ERROR_CODES) - set(raised))

    assert stale == [], f"remove from ERROR_CODES in chalicelib/openapi_spec.py (nothing raises them): {stale}"
