"""Request parsing and validation shared by every route: JSON bodies, typed fields, bearer tokens."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from chalicelib.core.clock import parse_iso
from chalicelib.core.errors import InvalidInput, NotPermitted, Unauthenticated
from chalicelib.core.principal import Principal

MAX_BODY_BYTES = 1_000_000
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")


def invalid_field(field: str, problem: str) -> InvalidInput:
    details = {"field": field, "problem": problem}
    return InvalidInput("request.invalid_field", f"Field '{field}' {problem}.", details=details)


def parse_json(raw: bytes | None) -> Any:
    """Decode a JSON request body; 400 with a stable code when it is missing, too large or malformed."""
    if not raw:
        raise InvalidInput("request.body_required", "A JSON body is required.")
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput("request.body_too_large", "The request body is too large.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput("request.malformed_json", "The request body is not valid JSON.") from exc
    try:  # JSON may escape lone surrogates ("\ud800"), which no store can keep as UTF-8 text
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput("request.invalid_text", "The request contains text that is not valid Unicode.") from exc
    return body


class Fields:
    """Typed access to a JSON object's fields; every accessor raises 400 naming the field."""

    def __init__(self, data: Any, prefix: str = "") -> None:
        if not isinstance(data, dict):
            if prefix:
                raise invalid_field(prefix.rstrip("."), "must be an object")
            raise InvalidInput("request.body_not_object", "The JSON body must be an object.")
        self.data = data
        self.prefix = prefix

    def _get(self, name: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None and required:
            raise invalid_field(self.prefix + name, "is required")
        return value

    def text(
        self,
        name: str,
        *,
        required: bool = True,
        max_len: int = 200,
        pattern: re.Pattern | None = None,
        choices: tuple[str, ...] | None = None,
    ) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise invalid_field(self.prefix + name, "must be a non-empty string")
        if len(value) > max_len:
            raise invalid_field(self.prefix + name, f"must be at most {max_len} characters")
        if pattern is not None and not pattern.match(value):
            raise invalid_field(self.prefix + name, "has an invalid format")
        if choices is not None and value not in choices:
            raise invalid_field(self.prefix + name, f"must be one of {', '.join(choices)}")
        return value

    def timestamp(self, name: str, *, required: bool = True) -> datetime | None:
        value = self.text(name, required=required, max_len=40)
        if value is None:
            return None
        try:
            return parse_iso(value)
        except ValueError:
            raise invalid_field(self.prefix + name, "must be an ISO-8601 timestamp with a time zone") from None

    def integer(
        self, name: str, *, required: bool = True, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise invalid_field(self.prefix + name, "must be an integer")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise invalid_field(self.prefix + name, f"must be between {minimum} and {maximum}")
        return value

    def boolean(self, name: str, *, required: bool = True) -> bool | None:
        value = self._get(name, required)
        if value is not None and not isinstance(value, bool):
            raise invalid_field(self.prefix + name, "must be true or false")
        return value

    def items(self, name: str, *, required: bool = True, min_len: int = 0, max_len: int = 1000) -> list[Any]:
        value = self._get(name, required)
        if value is None:
            return []
        if not isinstance(value, list) or not min_len <= len(value) <= max_len:
            raise invalid_field(self.prefix + name, f"must be a list of {min_len} to {max_len} entries")
        return value

    def nested(self, name: str, *, required: bool = True) -> Fields | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise invalid_field(self.prefix + name, "must be an object")
        return Fields(value, prefix=f"{self.prefix}{name}.")


def bearer_principal(headers: Mapping[str, str], authenticate: Callable[[str], Principal]) -> Principal:
    """The caller behind the Authorization header; 401 when absent or invalid."""
    header = headers.get("authorization") or headers.get("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("auth.missing_token", "An 'Authorization: Bearer <token>' header is required.")
    return authenticate(token.strip())


def require_role(principal: Principal, *roles: str) -> Principal:
    if principal.role not in roles:
        raise NotPermitted("auth.forbidden_role", "Your role may not perform this action.")
    return principal
