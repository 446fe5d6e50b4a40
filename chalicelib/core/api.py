"""Route declaration shared by every blueprint: authentication, role check and error mapping in one place."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.core import errors, observability
from chalicelib.core.http import bearer_principal, parse_json, require_role
from chalicelib.core.principal import Principal

View = Callable[..., Any]
Authenticate = Callable[[str], Principal]

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


def error_response(error: errors.DomainError) -> Response:
    return Response(body=error_body(error.code, error.message, error.details), status_code=status_of(error))


def json_body(request: Request) -> Any:
    return parse_json(request.raw_body)


def route(
    bp: Blueprint,
    path: str,
    *,
    methods: list[str],
    roles: tuple[str, ...] | None,
    content_types: list[str] | None = None,
) -> Callable[[View], View]:
    """Register `view(request, principal, **path_params)`; roles=None means a public route.

    The view returns a body (200) or a (body, status) pair; a DomainError becomes its 4xx JSON answer and
    anything unexpected a logged 500 with a stable code, never a stack trace.
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
                result = view(request, principal, **params)
            except errors.DomainError as error:
                return error_response(error)
            except Exception:  # noqa: BLE001 - the one place that turns surprises into a clean 500
                log.exception("unhandled error on %s %s", request.method, path)
                return Response(body=error_body("internal.error", "Internal error."), status_code=500)
            body, status = result if isinstance(result, tuple) else (result, 200)
            return Response(body=body, status_code=status)

        bp.route(path, methods=methods, content_types=content_types or ["application/json"])(handler)
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
