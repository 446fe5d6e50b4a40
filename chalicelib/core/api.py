"""Route declaration shared by every blueprint: authentication, role check and error mapping in one place."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice import Blueprint, Chalice, Response
from chalice.app import Request

from chalicelib.core import errors, observability
from chalicelib.core.http import bearer_principal, parse_json, require_role
from chalicelib.core.principal import Principal

View = Callable[..., Any]
Authenticate = Callable[[str], Principal]


@dataclass(frozen=True)
class Declaration:
    """What `route` knows about one method of one path: who may call it and which bodies it takes."""

    path: str
    method: str
    roles: tuple[str, ...] | None  # None: public
    content_types: tuple[str, ...]


# Every (path, method) declared through `route`, for the contract tests (the OpenAPI document must match it).
DECLARED: dict[tuple[str, str], Declaration] = {}

# Each kind of domain error and the status it answers with; the first match along the class's MRO wins.
HTTP_STATUS: dict[type[errors.DomainError], int] = {
    errors.InvalidInput: 400,
    errors.Unauthenticated: 401,
    errors.NotPermitted: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Unprocessable: 422,
    errors.TooManyAttempts: 429,
    errors.Unavailable: 503,
}
_authenticator: list[Authenticate] = []  # set once by the composition root (app.py)
# Chalice answers some failures itself, before or after a view, in its own shape {"Code", "Message"}: the wrong
# method (405), a content type the route does not take (415), a binary answer nobody asked for (400) and an
# exception outside every view (500). Each becomes the API's shape with a stable code.
CHALICE_ERROR_CODES: dict[int, tuple[str, str]] = {
    400: ("request.bad_request", "The request cannot be answered as sent."),
    405: ("route.method_not_allowed", "This route does not take that method; see the Allow header."),
    415: ("request.unsupported_media_type", "This route does not take that Content-Type."),
    500: ("internal.error", "Internal error."),
}


def use_authenticator(authenticate: Authenticate) -> None:
    """Install how a bearer token becomes a Principal (the token service; a Cognito authorizer on AWS)."""
    _authenticator[:] = [authenticate]


def status_of(error: errors.DomainError) -> int:
    return next(HTTP_STATUS[kind] for kind in type(error).__mro__ if kind in HTTP_STATUS)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The one JSON shape of every failure: {"error": {"code", "message", "details"?}}."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def route_not_found() -> dict[str, Any]:
    """The answer to a path no route declares (API Gateway's MISSING_AUTHENTICATION_TOKEN on AWS, mapped to it)."""
    return error_body("route.not_found", "No such route.")


def error_response(error: errors.DomainError) -> Response:
    return Response(body=error_body(error.code, error.message, error.details), status_code=status_of(error))


def reject_unknown_parameters(given: dict[str, str] | None, known: tuple[str, ...]) -> None:
    unknown = sorted(set(given or {}) - set(known))
    if unknown:
        raise errors.InvalidInput(
            "request.invalid_field",
            f"Query parameter '{unknown[0][:40]}' is not one this route reads.",
            details={"field": unknown[0][:40], "problem": "unknown query parameter"},
        )


def json_body(request: Request) -> Any:
    return parse_json(request.raw_body)


def route(
    bp: Blueprint | Chalice,
    path: str,
    *,
    methods: list[str],
    roles: tuple[str, ...] | None,
    content_types: list[str] | None = None,
    query: tuple[str, ...] = (),
) -> Callable[[View], View]:
    """Register `view(request, principal, **path_params)`; roles=None means a public route.

    `query` names the query parameters the route reads; any other is refused with 400 (a misspelt filter must not
    silently list everything).

    The view returns a body (200), a (body, status) pair, or a whole chalice Response (a file with its own
    Content-Type and name: results exports, statements); a DomainError becomes its 4xx JSON answer and anything
    unexpected a logged 500 with a stable code, never a stack trace.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def handler(**params: str) -> Response:
            request = bp.current_request
            log = observability.logger(observability.API)
            try:
                principal: Principal | None = None
                if roles is not None:
                    principal = require_role(bearer_principal(request.headers, _authenticator[0]), *roles)
                    # Who is asking, on this request's log lines from here on; never the token itself.
                    log.thread_safe_append_keys(
                        user_id=principal.user_id, role=principal.role, agency_id=principal.agency_id
                    )
                reject_unknown_parameters(request.query_params, query)
                result = view(request, principal, **params)
            except errors.DomainError as error:
                return error_response(error)
            except Exception:  # noqa: BLE001 - the one place that turns surprises into a clean 500
                log.exception("unhandled error on %s %s", request.method, path)
                return Response(body=error_body("internal.error", "Internal error."), status_code=500)
            if isinstance(result, Response):
                return result
            body, status = result if isinstance(result, tuple) else (result, 200)
            return Response(body=body, status_code=status)

        accepted = content_types or ["application/json"]
        bp.route(path, methods=methods, content_types=accepted)(handler)
        for method in methods:
            DECLARED[(path, method)] = Declaration(path, method, roles, tuple(accepted))
        return view

    return decorator


def observe_request(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: the path's session id as correlation id, one access log line, API errors by status class.

    Only the method, route template, status and duration are logged: no headers, body or query string.
    """
    log = observability.logger(observability.API)
    session_id = (request.uri_params or {}).get("session_id")
    if session_id:
        log.thread_safe_append_keys(correlation_id=session_id)
    started, status = time.perf_counter(), 500
    try:
        response = get_response(request)
        status = response.status_code
        return response
    finally:
        if status >= 400:
            observability.metrics(observability.API).add("ApiErrors", 1, code_class=f"{status // 100}xx")
        log.info(
            "request handled",
            extra={
                "http_method": request.method,
                "route": request.context.get("resourcePath"),
                "status_code": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )


def is_chalice_error(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"Code", "Message"}


def uniform_errors(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware, innermost: Chalice's own error answers (and any exception that escaped a view) in our shape.

    Our views never answer {"Code", "Message"}: `route` turns every failure into `error_body` already.
    """
    try:
        response = get_response(request)
    except Exception:  # noqa: BLE001 - Chalice would answer it in its own shape
        observability.logger(observability.API).exception("unhandled error outside a view")
        response = Response(body={"Code": "InternalServerError", "Message": ""}, status_code=500)
    if response.status_code < 400 or not is_chalice_error(response.body):
        return response
    status = response.status_code
    code, message = CHALICE_ERROR_CODES.get(status, CHALICE_ERROR_CODES[400 if status < 500 else 500])
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}  # Allow is kept
    return Response(body=error_body(code, message), status_code=status, headers=headers)
