"""Question bank import from JSON or CSV, validated whole: one bad row rejects the import with every problem listed.

Limits are in UTF-8 bytes (what DynamoDB counts), checked before anything is written: a text field at most
MAX_TEXT_BYTES, an item (as stored) at most MAX_ITEM_BYTES — far below DynamoDB's 400 KB item limit, so a valid
bank can always be stored — and a whole import at most MAX_BANK_BYTES.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.core.errors import Unprocessable
from chalicelib.core.http import Fields

MAX_ITEMS = 5000
MAX_TEXT_BYTES = 8 * 1024
MAX_ITEM_BYTES = 64 * 1024
MAX_BANK_BYTES = 8 * 1024 * 1024  # under API Gateway's 10 MB request limit
ITEM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
OPTION_COLUMN = re.compile(r"^option_([a-z0-9]{1,8})_([a-z]{2})$")


@dataclass(frozen=True)
class QuestionDraft:
    item_id: str
    block_id: str
    text: dict[str, str]
    options: list[dict[str, Any]]  # [{"option_id", "text": {lang: text}}]
    correct_option: str


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, row: int, field: str, problem: str) -> None:
        if len(self.items) < 100:
            self.items.append({"row": row, "field": field, "problem": problem})


def utf8_size(text: str) -> int | None:
    """Bytes of the text in UTF-8; None for text that has no UTF-8 form (a lone surrogate such as "\ud800")."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def stored_size(draft: QuestionDraft) -> int:
    """An upper bound of the item's DynamoDB size: its stored fields as compact JSON, in UTF-8 bytes."""
    stored = {
        "item_id": draft.item_id,
        "block_id": draft.block_id,
        "text": draft.text,
        "options": draft.options,
        "correct_option": draft.correct_option,
    }
    compact = json.dumps(stored, ensure_ascii=False, separators=(",", ":"))
    return len(compact.encode("utf-8", "surrogatepass")) + 128  # + the key and version attributes


def _texts(value: Any, languages: list[str], row: int, field: str, problems: _Problems) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.add(row, field, "must be an object with a text per language")
        return {}
    out = {}
    for lang in languages:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            problems.add(row, f"{field}.{lang}", "needs a non-empty text")
            continue
        size = utf8_size(text.strip())
        if size is None:
            problems.add(row, f"{field}.{lang}", "is not valid Unicode text (a lone surrogate)")
        elif size > MAX_TEXT_BYTES:
            problems.add(row, f"{field}.{lang}", f"is {size} bytes in UTF-8; a text holds at most {MAX_TEXT_BYTES}")
        else:
            out[lang] = text.strip()
    return out


def _validate(raw_items: list[Any], languages: list[str], block_ids: set[str]) -> list[QuestionDraft]:
    problems = _Problems()
    drafts: list[QuestionDraft] = []
    seen: set[str] = set()
    if not raw_items:
        problems.add(0, "items", "the bank is empty")
    if len(raw_items) > MAX_ITEMS:
        raise Unprocessable("bank.too_large", f"A bank holds at most {MAX_ITEMS} items per import.")
    for row, raw in enumerate(raw_items, start=1):
        if not isinstance(raw, dict):
            problems.add(row, "item", "must be an object")
            continue
        item_id, block_id, correct = raw.get("id"), raw.get("block"), raw.get("correct")
        if not isinstance(item_id, str) or not ITEM_ID.match(item_id):
            problems.add(row, "id", "must be 1-64 letters, digits, '.', '_' or '-'")
        elif item_id in seen:
            problems.add(row, "id", "is duplicated")
        seen.add(str(item_id))
        if not isinstance(block_id, str) or block_id not in block_ids:
            problems.add(row, "block", f"must be one of the exam's blocks: {', '.join(sorted(block_ids))}")
        text = _texts(raw.get("text"), languages, row, "text", problems)
        options: list[dict[str, Any]] = []
        raw_options = raw.get("options")
        if not isinstance(raw_options, list) or not 2 <= len(raw_options) <= 8:
            problems.add(row, "options", "needs 2 to 8 options")
            raw_options = []
        for position, option in enumerate(raw_options):
            option_id = option.get("id") if isinstance(option, dict) else None
            if not isinstance(option_id, str) or not ITEM_ID.match(option_id):
                problems.add(row, f"options[{position}].id", "is missing or malformed")
                continue
            texts = _texts(option.get("text"), languages, row, f"options[{position}].text", problems)
            options.append({"option_id": option_id, "text": texts})
        option_ids = [o["option_id"] for o in options]
        if len(set(option_ids)) != len(option_ids):
            problems.add(row, "options", "option ids must be unique")
        if correct not in option_ids:
            problems.add(row, "correct", "must name one of the item's option ids")
        draft = QuestionDraft(str(item_id), str(block_id), text, options, str(correct))
        size = stored_size(draft)
        if size > MAX_ITEM_BYTES:
            problems.add(row, "item", f"is {size} bytes; an item holds at most {MAX_ITEM_BYTES}")
        drafts.append(draft)
    total = sum(stored_size(d) for d in drafts)
    if total > MAX_BANK_BYTES:
        problems.add(0, "items", f"the bank is {total} bytes; an import holds at most {MAX_BANK_BYTES}")
    if problems.items:
        message = "The question bank has errors; nothing was imported."
        raise Unprocessable("bank.invalid", message, details=problems.items)
    return drafts


def parse_json_bank(payload: Any, languages: list[str], block_ids: set[str]) -> list[QuestionDraft]:
    """`{"items": [{"id", "block", "text": {lang}, "options": [{"id", "text": {lang}}], "correct"}]}`."""
    Fields(payload)  # the same 400 as every route for a body that is not an object
    if not isinstance(payload.get("items"), list):
        raise Unprocessable("bank.invalid", "Expected a JSON object with an 'items' list.")
    return _validate(payload["items"], languages, block_ids)


def parse_csv_bank(text: str, languages: list[str], block_ids: set[str]) -> list[QuestionDraft]:
    """Columns: id, block, correct, text_<lang>..., option_<id>_<lang>... (one row per item; blank options skipped)."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in ("id", "block", "correct") if c not in header]
    if missing:
        raise Unprocessable("bank.invalid", f"CSV header lacks columns: {', '.join(missing)}.")
    option_ids: list[str] = []
    for column in header:
        match = OPTION_COLUMN.match(column or "")
        if match and match.group(1) not in option_ids:
            option_ids.append(match.group(1))
    items = []
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise Unprocessable(
            "bank.invalid",
            f"The CSV file is malformed near line {reader.line_num}: {exc}.",
            details=[{"row": reader.line_num, "field": "csv", "problem": str(exc)}],
        ) from None
    for row in rows:
        options = []
        for option_id in option_ids:
            texts = {lang: row.get(f"option_{option_id}_{lang}") or "" for lang in languages}
            if any(texts.values()):
                options.append({"id": option_id, "text": texts})
        items.append(
            {
                "id": row.get("id"),
                "block": row.get("block"),
                "correct": row.get("correct"),
                "text": {lang: row.get(f"text_{lang}") or "" for lang in languages},
                "options": options,
            }
        )
    return _validate(items, languages, block_ids)
