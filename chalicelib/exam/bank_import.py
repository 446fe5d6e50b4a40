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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.core.errors import InvalidInput, Unprocessable
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
    items: list[dict[str, Any]]

    def __init__(self, limit: int | None = 100) -> None:
        self.items = []
        self.limit = limit

    def add(self, row: int, field: str, problem: str, code: str) -> None:
        """One problem of one row (0: the whole bank); `code` is its stable, localizable key (ROW_CODES)."""
        if self.limit is None or len(self.items) < self.limit:
            self.items.append({"row": row, "field": field, "problem": problem, "code": code})


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
        problems.add(row, field, "must be an object with a text per language", "bank.row.text_missing")
        return {}
    out = {}
    for lang in languages:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            problems.add(row, f"{field}.{lang}", "needs a non-empty text", "bank.row.text_missing")
            continue
        size = utf8_size(text.strip())
        if size is None:
            problems.add(
                row, f"{field}.{lang}", "is not valid Unicode text (a lone surrogate)", "bank.row.text_invalid"
            )
        elif size > MAX_TEXT_BYTES:
            problem = f"is {size} bytes in UTF-8; a text holds at most {MAX_TEXT_BYTES}"
            problems.add(row, f"{field}.{lang}", problem, "bank.row.text_too_large")
        else:
            out[lang] = text.strip()
    return out


def _check(raw_items: list[Any], languages: list[str], block_ids: set[str], problems: _Problems) -> list[QuestionDraft]:
    """Every row's problems into `problems`; the drafts of the rows as read (valid or not)."""
    drafts: list[QuestionDraft] = []
    seen: set[str] = set()
    if not raw_items:
        problems.add(0, "items", "the bank is empty", "bank.empty")
    if len(raw_items) > MAX_ITEMS:
        raise Unprocessable("bank.too_large", f"A bank holds at most {MAX_ITEMS} items per import.")
    for row, raw in enumerate(raw_items, start=1):
        if not isinstance(raw, dict):
            problems.add(row, "item", "must be an object", "bank.row.not_object")
            continue
        item_id, block_id, correct = raw.get("id"), raw.get("block"), raw.get("correct")
        if not isinstance(item_id, str) or not ITEM_ID.match(item_id):
            problems.add(row, "id", "must be 1-64 letters, digits, '.', '_' or '-'", "bank.row.id_invalid")
        elif item_id in seen:
            problems.add(row, "id", "is duplicated", "bank.row.id_duplicate")
        seen.add(str(item_id))
        if not isinstance(block_id, str) or block_id not in block_ids:
            problem = f"must be one of the exam's blocks: {', '.join(sorted(block_ids))}"
            problems.add(row, "block", problem, "bank.row.block_unknown")
        text = _texts(raw.get("text"), languages, row, "text", problems)
        options: list[dict[str, Any]] = []
        raw_options = raw.get("options")
        if not isinstance(raw_options, list) or not 2 <= len(raw_options) <= 8:
            problems.add(row, "options", "needs 2 to 8 options", "bank.row.options_count")
            raw_options = []
        for position, option in enumerate(raw_options):
            option_id = option.get("id") if isinstance(option, dict) else None
            if not isinstance(option_id, str) or not ITEM_ID.match(option_id):
                problems.add(row, f"options[{position}].id", "is missing or malformed", "bank.row.option_id_invalid")
                continue
            texts = _texts(option.get("text"), languages, row, f"options[{position}].text", problems)
            options.append({"option_id": option_id, "text": texts})
        option_ids = [o["option_id"] for o in options]
        if len(set(option_ids)) != len(option_ids):
            problems.add(row, "options", "option ids must be unique", "bank.row.option_id_duplicate")
        if correct not in option_ids:
            problems.add(row, "correct", "must name one of the item's option ids", "bank.row.correct_unknown")
        draft = QuestionDraft(str(item_id), str(block_id), text, options, str(correct))
        size = stored_size(draft)
        if size > MAX_ITEM_BYTES:
            problem = f"is {size} bytes; an item holds at most {MAX_ITEM_BYTES}"
            problems.add(row, "item", problem, "bank.row.item_too_large")
        drafts.append(draft)
    total = sum(stored_size(d) for d in drafts)
    if total > MAX_BANK_BYTES:
        problem = f"the bank is {total} bytes; an import holds at most {MAX_BANK_BYTES}"
        problems.add(0, "items", problem, "bank.bytes_too_large")
    return drafts


def _validate(raw_items: list[Any], languages: list[str], block_ids: set[str]) -> list[QuestionDraft]:
    problems = _Problems()
    drafts = _check(raw_items, languages, block_ids, problems)
    if problems.items:
        message = "The question bank has errors; nothing was imported."
        raise Unprocessable("bank.invalid", message, details=problems.items)
    return drafts


def json_items(payload: Any) -> list[Any]:
    Fields(payload)  # the same 400 as every route for a body that is not an object
    if not isinstance(payload.get("items"), list):
        raise Unprocessable(
            "bank.invalid",
            "Expected a JSON object with an 'items' list.",
            details=[{"row": 0, "field": "items", "problem": "is not a list", "code": "bank.items_missing"}],
        )
    return payload["items"]


def parse_json_bank(payload: Any, languages: list[str], block_ids: set[str]) -> list[QuestionDraft]:
    """`{"items": [{"id", "block", "text": {lang}, "options": [{"id", "text": {lang}}], "correct"}]}`."""
    return _validate(json_items(payload), languages, block_ids)


def decode_csv(raw: bytes) -> str:
    """The CSV's text (UTF-8, a BOM allowed); 400 bank.not_utf8 naming the first line that is not UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            "bank.not_utf8",
            f"The CSV file must be UTF-8 encoded; line {line} is not.",
            details=[{"row": max(0, line - 1), "field": "csv", "problem": "is not UTF-8", "code": "bank.not_utf8"}],
        ) from None


def csv_items(text: str, languages: list[str]) -> list[dict[str, Any]]:
    """Columns: id, block, correct, text_<lang>..., option_<id>_<lang>... (one row per item; blank options skipped)."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in ("id", "block", "correct") if c not in header]
    if missing:
        problem = f"lacks columns: {', '.join(missing)}"
        raise Unprocessable(
            "bank.invalid",
            f"CSV header lacks columns: {', '.join(missing)}.",
            details=[{"row": 0, "field": "header", "problem": problem, "code": "bank.csv_missing_columns"}],
        )
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
            details=[{"row": reader.line_num, "field": "csv", "problem": str(exc), "code": "bank.csv_malformed"}],
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
    return items


def parse_csv_bank(text: str, languages: list[str], block_ids: set[str]) -> list[QuestionDraft]:
    return _validate(csv_items(text, languages), languages, block_ids)


def _entry(problem: dict[str, Any]) -> dict[str, Any]:
    code = problem["code"]
    return {"code": code, "message_key": f"errors.{code}", "field": problem["field"], "problem": problem["problem"]}


def dry_run_report(read_items: Callable[[], list[Any]], languages: list[str], blocks: list[dict]) -> dict[str, Any]:
    """What an import of this bank would do, row by row, without storing anything.

    `read_items` reads the file (json_items / csv_items); a file that cannot be read at all (not UTF-8, no header,
    malformed CSV, too many rows) is reported under `file_errors`. Rows are numbered as the import's 422 numbers
    them (the n-th item; for CSV the n-th data row after the header).
    """
    problems = _Problems(limit=None)
    raw_items: list[Any] = []
    file_errors: list[dict[str, Any]] = []
    try:
        raw_items = read_items()
        _check(raw_items, languages, {b["block_id"] for b in blocks}, problems)
    except (InvalidInput, Unprocessable) as error:
        raw_items = []  # a file that cannot be read has no rows to report on
        details = error.details if isinstance(error.details, list) else []
        file_errors = [{"row": d["row"], **_entry(d)} for d in details if "code" in d] or [
            {
                "row": 0,
                "code": error.code,
                "message_key": f"errors.{error.code}",
                "field": "file",
                "problem": error.message,
            }
        ]
    by_row: dict[int, list[dict[str, Any]]] = {}
    for problem in problems.items:
        if problem["row"] == 0:
            file_errors.append({"row": 0, **_entry(problem)})
        else:
            by_row.setdefault(problem["row"], []).append(_entry(problem))
    rows = []
    items: dict[str, int] = {}
    valid: dict[str, int] = {}
    for number, raw in enumerate(raw_items, start=1):
        fields = raw if isinstance(raw, dict) else {}
        item_id, block_id = fields.get("id"), fields.get("block")
        errors = by_row.get(number, [])
        rows.append({"row": number, "item_id": item_id if isinstance(item_id, str) else None, "errors": errors})
        if isinstance(block_id, str):
            items[block_id] = items.get(block_id, 0) + 1
            valid[block_id] = valid.get(block_id, 0) + (not errors)
    per_block = {
        block["block_id"]: {
            "items": items.get(block["block_id"], 0),
            "valid_items": valid.get(block["block_id"], 0),
            "draws": int(block["item_count"]),
            "enough": valid.get(block["block_id"], 0) >= int(block["item_count"]),
        }
        for block in blocks
    }
    ok = not file_errors and not by_row
    return {
        "ok": ok,
        "dry_run": True,
        "stored": False,
        "total_rows": len(raw_items),
        "rows": rows,
        "file_errors": file_errors,
        "per_block": per_block,
    }
