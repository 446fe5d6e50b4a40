"""The exam routes' request bodies, parsed into the typed values the services take (400 naming the field)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from chalicelib.core.errors import InvalidInput
from chalicelib.core.http import ID_PATTERN, Fields, invalid_field
from chalicelib.exam.catalog import LANGUAGES, ExamDraft, RosterEntry
from chalicelib.exam.editor import CONTENT_FIELDS, WINDOW_FIELDS
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.exam.presence import CLIENT_ID

BLOCK_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
FIRST_YEAR, LAST_YEAR = 2000, 9999  # an exam's window: no dates the API could not write back in its own format
MAX_ROSTER_BATCH = 100


def _titles(fields: Fields, name: str, languages: list[str]) -> dict[str, str]:
    titles = fields.nested(name)
    assert titles is not None  # required: nested() raised otherwise
    return {lang: str(titles.text(lang, max_len=300)) for lang in languages}


def exam_draft(body: Any) -> ExamDraft:
    fields = Fields(body)
    languages = fields.items("languages", required=False, min_len=1, max_len=3) or list(LANGUAGES)
    if any(lang not in LANGUAGES for lang in languages) or len(set(languages)) != len(languages):
        raise InvalidInput(
            "request.invalid_field",
            "Field 'languages' must list distinct codes of kk, ru, en.",
            details={"field": "languages", "problem": "invalid language"},
        )
    blocks = []
    for position, raw in enumerate(fields.items("blocks", min_len=1, max_len=20)):
        block = Fields(raw, prefix=f"blocks[{position}].")
        blocks.append(
            {
                "block_id": block.text("block_id", pattern=BLOCK_ID),
                "title": _titles(block, "title", languages),
                "item_count": block.integer("item_count", minimum=1, maximum=500),
            }
        )
    if len({b["block_id"] for b in blocks}) != len(blocks):
        raise InvalidInput(
            "request.invalid_field",
            "Block ids must be unique.",
            details={"field": "blocks", "problem": "duplicate block_id"},
        )
    opens_at, closes_at = window_time(fields, "opens_at"), window_time(fields, "closes_at")
    duration_s = fields.integer("duration_s", minimum=5, maximum=12 * 3600)
    assert opens_at is not None and closes_at is not None and duration_s is not None  # required fields
    return ExamDraft(
        title=_titles(fields, "title", languages),
        languages=tuple(languages),
        duration_s=duration_s,
        blocks=tuple(blocks),
        opens_at=opens_at,
        closes_at=closes_at,
        require_identity=fields.boolean("require_identity", required=False) is not False,
        analysis=AnalysisPolicy.from_dict(fields.data.get("analysis")),
    )


def window_time(fields: Fields, name: str, *, required: bool = True) -> datetime | None:
    moment = fields.timestamp(name, required=required)
    if moment is not None and not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise invalid_field(name, f"must be a time in the years {FIRST_YEAR} to {LAST_YEAR}")
    return moment


def roster(body: Any) -> list[RosterEntry]:
    """Every line is checked before anything is written: a bad batch creates nothing."""
    entries = []
    for position, raw in enumerate(Fields(body).items("candidates", min_len=1, max_len=MAX_ROSTER_BATCH)):
        entry = Fields(raw, prefix=f"candidates[{position}].")
        user_id = str(entry.text("user_id", pattern=ID_PATTERN)).lower()
        password = entry.text("password", required=False, max_len=128)
        if password is not None and len(password) < 8:
            raise invalid_field(f"candidates[{position}].password", "must have at least 8 characters")
        entries.append(RosterEntry(user_id, str(entry.text("full_name", max_len=200)), password))
    return entries


def consent(body: Any) -> tuple[bool, str | None]:
    """(accepted, language); the language is required only to accept."""
    fields = Fields(body)
    accepted = fields.boolean("accepted") is True
    return accepted, fields.text("language", required=accepted, choices=LANGUAGES)


def language(body: Any) -> str | None:
    return Fields(body).text("language", required=False, choices=LANGUAGES)


def option_id(body: Any) -> str:
    return str(Fields(body).text("option_id", max_len=64))


def client_id(body: Any) -> str | None:
    return Fields(body).text("client_id", required=False, pattern=CLIENT_ID)


def exam_patch(body: Any, current: dict[str, Any]) -> tuple[ExamDraft, set[str]]:
    """(the exam as it would be, the fields sent): any subset of what creation takes, each replacing the stored
    value whole, validated together with the rest exactly as a new exam would be. Unknown fields are a 400."""
    fields = Fields(body)
    editable = (*CONTENT_FIELDS, *WINDOW_FIELDS)
    unknown = sorted(set(fields.data) - set(editable))
    if unknown:
        raise invalid_field(unknown[0][:40], f"is not editable; send any of {', '.join(editable)}")
    if not fields.data:
        raise InvalidInput("request.invalid_field", "Send at least one field to change.", details={"field": "body"})
    merged = {name: current[name] for name in editable}
    merged.update(fields.data)
    return exam_draft(merged), set(fields.data)


def duplicate(body: Any, languages: list[str]) -> tuple[dict[str, str] | None, datetime, datetime]:
    """(title or None to keep the original's, opens_at, closes_at) of a make-up sitting."""
    fields = Fields(body)
    unknown = sorted(set(fields.data) - {"title", "opens_at", "closes_at"})
    if unknown:
        raise invalid_field(unknown[0][:40], "is not a field of a duplicate; send title?, opens_at, closes_at")
    title = _titles(fields, "title", languages) if fields.data.get("title") is not None else None
    opens_at, closes_at = window_time(fields, "opens_at"), window_time(fields, "closes_at")
    assert opens_at is not None and closes_at is not None  # required fields
    return title, opens_at, closes_at


def reopen(body: Any) -> datetime | None:
    """The new closes_at of an exam being opened (needed only when its window has ended)."""
    fields = Fields(body)
    unknown = sorted(set(fields.data) - {"closes_at"})
    if unknown:
        raise invalid_field(unknown[0][:40], "is not a field of open; send closes_at?")
    return window_time(fields, "closes_at", required=False)
