"""Route declaration shared by every blueprint: authentication, role check and error mapping in one place."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.core import wiring
from chalicelib.core.errors import ApiError
from chalicelib.core.http import bearer_principal, parse_json, require_role
from chalicelib.identity.tokens import Principal

logger = logging.getLogger(__name__)
View = Callable[..., Any]


def error_response(error: ApiError) -> Response:
    return Response(body=error.to_body(), status_code=error.status)


def json_body(request: Request) -> Any:
    return parse_json(request.raw_body)


def route(bp: Blueprint, path: str, *, methods: list[str], roles: tuple[str, ...] | None,
          content_types: list[str] | None = None) -> Callable[[View], View]:
    """Register `view(request, principal, **path_params)`; roles=None means a public route.

    The view returns a body (200) or a (body, status) pair; ApiError becomes its 4xx JSON answer and
    anything unexpected a logged 500 with a stable code, never a stack trace.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def handler(**params: str) -> Response:
            request = bp.current_request
            try:
                principal: Principal | None = None
                if roles is not None:
                    principal = require_role(bearer_principal(request.headers, wiring.tokens()), *roles)
                result = view(request, principal, **params)
            except ApiError as error:
                return error_response(error)
            except Exception:  # noqa: BLE001 - the one place that turns surprises into a clean 500
                logger.exception("unhandled error on %s %s", request.method, path)
                return Response(body={"error": {"code": "internal.error", "message": "Internal error."}},
                                status_code=500)
            body, status = result if isinstance(result, tuple) else (result, 200)
            return Response(body=body, status_code=status)

        bp.route(path, methods=methods, content_types=content_types or ["application/json"], cors=True)(handler)
        return view

    return decorator
