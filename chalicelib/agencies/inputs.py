"""Validation of the agency and staff bodies: every problem a 400 naming the field."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.agencies.models import DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS, PLATFORM, STATUSES
from chalicelib.core.http import Fields, invalid_field

AGENCY_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{2,39}$")
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,127}$")  # chalicelib.identity.logins.CODE
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{4,24}$")
LANGUAGES = ("kk", "ru", "en")
STAFF_ROLES = ("proctor", "admin")
MAX_EXAMS = 200


def only(fields: Fields, allowed: tuple[str, ...]) -> None:
    """A body field the route does not take is refused (a misspelt field must not be silently dropped)."""
    unknown = sorted(set(fields.data) - set(allowed))
    if unknown:
        raise invalid_field(fields.prefix + str(unknown[0])[:40], "is not a field this route takes")


def agency_code(fields: Fields) -> str:
    code = str(fields.text("agency_id", max_len=40))
    if not AGENCY_CODE.match(code):
        raise invalid_field("agency_id", "must be 3-40 of a-z, 0-9 and '-', starting with a letter or digit")
    if code == PLATFORM:
        raise invalid_field("agency_id", "is reserved")
    return code


def login(fields: Fields, name: str = "login") -> str:
    value = str(fields.text(name, max_len=128)).strip().lower()
    if not LOGIN.match(value):
        raise invalid_field(fields.prefix + name, "must be a-z, 0-9 and . _ @ -, starting with a letter or digit")
    return value


def names(fields: Fields, required: bool = True) -> dict[str, str] | None:
    nested = fields.nested("name", required=required)
    if nested is None:
        return None
    only(nested, LANGUAGES)
    return {lang: str(nested.text(lang, max_len=200)).strip() for lang in LANGUAGES}


def contact(fields: Fields, required: bool = True) -> dict[str, Any] | None:
    nested = fields.nested("contact", required=required)
    if nested is None:
        return None
    only(nested, ("name", "email", "phone"))
    phone = nested.text("phone", required=False, max_len=25, pattern=PHONE)
    given = {
        "name": str(nested.text("name", max_len=200)).strip(),
        "email": str(nested.text("email", max_len=254, pattern=EMAIL)).strip(),
        "phone": phone.strip() if phone else None,
    }
    return {k: v for k, v in given.items() if v is not None}


def retention(fields: Fields, required: bool = False) -> int | None:
    return fields.integer(
        "retention_days", required=required, minimum=DEFAULT_RETENTION_DAYS, maximum=MAX_RETENTION_DAYS
    )


def status(fields: Fields) -> str | None:
    return fields.text("status", required=False, choices=STATUSES)


def full_name(fields: Fields, required: bool = True) -> str | None:
    value = fields.text("full_name", required=required, max_len=200)
    return value.strip() if value is not None else None


def exam_ids(fields: Fields) -> list[str] | None:
    """A proctor's exam limit: None when absent; [] (every exam) when empty."""
    if fields.data.get("exam_ids") is None:
        return None
    values = fields.items("exam_ids", max_len=MAX_EXAMS)
    if not all(isinstance(v, str) and re.match(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$", v) for v in values):
        raise invalid_field("exam_ids", "must be a list of exam ids")
    return sorted(set(values))


def at_least_one(fields: Fields, allowed: tuple[str, ...]) -> None:
    only(fields, allowed)
    if not any(fields.data.get(name) is not None for name in allowed):
        raise invalid_field(allowed[0], f"or one of {', '.join(allowed[1:])} is required")
