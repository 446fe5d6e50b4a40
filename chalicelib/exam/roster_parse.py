"""Roster requests, JSON or CSV, parsed into rows; any malformed row refuses the whole request (400 naming rows).

CSV: a header row naming the columns (any order, case-insensitive): `login` or `national_id` (one of them),
`full_name`, `language` (kk|ru|en), optional `slot_id`. Comma- or semicolon-separated (Excel in a Russian or
Kazakh locale writes semicolons), UTF-8 with or without a BOM. `row` in every report is the 1-based position of
the data row in the request (the header is not counted, blank lines are).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from chalicelib.core.errors import InvalidInput
from chalicelib.core.http import ID_PATTERN, Fields, invalid_field
from chalicelib.identity.logins import CODE

LANGUAGES = ("kk", "ru", "en")
MAX_CSV_ROWS = 1000
MAX_JSON_ROWS = 100  # as before (the JSON route is for small, hand-made rosters; files go as CSV)
NATIONAL_ID = re.compile(r"^[0-9]{12}$")  # Kazakhstan's IIN
SLOT_ID = re.compile(r"^sl-[0-9a-f]{12}$")
BATCH_ID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
MAX_PART = 10_000
MAX_REPORTED = 100  # problems listed in one 400


@dataclass(frozen=True)
class RosterRow:
    row: int
    login: str  # lower-cased
    full_name: str
    language: str | None
    slot_id: str | None
    password: str | None = None  # only the JSON form may carry an admin-chosen password


def digest(rows: list[RosterRow]) -> str:
    """What a re-sent part must match (rows as parsed, so line endings or a BOM do not matter)."""
    return hashlib.sha256(json.dumps([asdict(r) for r in rows], sort_keys=True).encode()).hexdigest()


def batch_part(query: dict[str, str] | None) -> tuple[str | None, int | None]:
    """(batch, part) from `?batch=<uuid>&part=<n>`: both or neither."""
    query = query or {}
    batch, part = query.get("batch"), query.get("part")
    if batch is None and part is None:
        return None, None
    if batch is None or not BATCH_ID.match(batch):
        raise invalid_field("batch", "must be a UUID (sent with part)")
    if part is None or not part.isdigit() or not 1 <= int(part) <= MAX_PART:
        raise invalid_field("part", f"must be a number from 1 to {MAX_PART} (sent with batch)")
    return batch.lower().replace("-", ""), int(part)


def _problem(row: int, field: str, problem: str) -> dict[str, Any]:
    return {"row": row, "field": field, "problem": problem}


def _refuse(problems: list[dict[str, Any]]) -> InvalidInput:
    first = problems[0]
    return InvalidInput(
        "roster.invalid_rows",
        f"Row {first['row']}: {first['field']} {first['problem']} ({len(problems)} problem(s) in all).",
        details=problems[:MAX_REPORTED],
    )


def parse_csv(raw: bytes | None) -> list[RosterRow]:
    try:
        text = (raw or b"").decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("roster.not_utf8", "The CSV file must be UTF-8 encoded.") from None
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    if not header_line:
        raise InvalidInput("roster.empty", "The CSV file has no header and no rows.")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise InvalidInput(
            "roster.invalid_rows", f"The CSV cannot be read: {exc}.", details=[_problem(0, "file", str(exc))]
        ) from None
    while records and not any(cell.strip() for cell in records[0]):
        records.pop(0)
    header = [cell.strip().lower() for cell in records[0]]
    body = records[1:]
    while body and not any(cell.strip() for cell in body[-1]):
        body.pop()  # trailing blank lines
    known = {"login", "national_id", "full_name", "language", "slot_id"}
    unknown = [name for name in header if name not in known]
    id_columns = [name for name in ("login", "national_id") if name in header]
    missing = [name for name in ("full_name", "language") if name not in header]
    if unknown or missing or len(id_columns) != 1 or len(set(header)) != len(header):
        problem = (
            f"unknown column {unknown[0]!r}"
            if unknown
            else f"missing column {missing[0]!r}"
            if missing
            else "needs exactly one of login, national_id"
            if len(id_columns) != 1
            else "names a column twice"
        )
        raise InvalidInput(
            "roster.invalid_header",
            f"Header: {problem}. Columns: login or national_id, full_name, language, slot_id (optional).",
            details=[_problem(0, "header", problem)],
        )
    if len(body) > MAX_CSV_ROWS:
        raise InvalidInput(
            "roster.too_many_rows",
            f"At most {MAX_CSV_ROWS} rows per request; send the file in parts (?batch=&part=).",
            details={"rows": len(body), "max_rows": MAX_CSV_ROWS},
        )
    if not body:
        raise InvalidInput("roster.empty", "The CSV file has a header but no rows.")
    id_column = id_columns[0]
    rows, problems = [], []
    for number, cells in enumerate(body, start=1):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line inside the file: skipped, still counted
        if len(cells) != len(header):
            problems.append(_problem(number, "row", f"has {len(cells)} columns, the header {len(header)}"))
            continue
        values = dict(zip(header, (cell.strip() for cell in cells), strict=True))
        row = _row(number, values, id_column, problems)
        if row is not None:
            rows.append(row)
    if problems:
        raise _refuse(problems)
    return rows


def _row(number: int, values: dict[str, str], id_column: str, problems: list[dict[str, Any]]) -> RosterRow | None:
    before = len(problems)
    login = values[id_column].lower()
    pattern = NATIONAL_ID if id_column == "national_id" else CODE
    if not login:
        problems.append(_problem(number, id_column, "is empty"))
    elif not pattern.match(login):
        problems.append(_problem(number, id_column, "has an invalid format"))
    full_name = values["full_name"]
    if not full_name:
        problems.append(_problem(number, "full_name", "is empty"))
    elif len(full_name) > 200:
        problems.append(_problem(number, "full_name", "is longer than 200 characters"))
    language = values["language"].lower()
    if language not in LANGUAGES:
        problems.append(_problem(number, "language", "must be one of kk, ru, en"))
    slot_id = values.get("slot_id") or None
    if slot_id is not None and not SLOT_ID.match(slot_id):
        problems.append(_problem(number, "slot_id", "is not a slot id"))
    if len(problems) > before:
        return None
    return RosterRow(number, login, full_name, language, slot_id)


def parse_json(body: Any) -> list[RosterRow]:
    """The JSON form (as before): {"candidates": [{user_id, full_name, password?, language?, slot_id?}]}."""
    rows = []
    for position, raw in enumerate(Fields(body).items("candidates", min_len=1, max_len=MAX_JSON_ROWS)):
        entry = Fields(raw, prefix=f"candidates[{position}].")
        login = str(entry.text("user_id", pattern=ID_PATTERN)).lower()
        password = entry.text("password", required=False, max_len=128)
        if password is not None and len(password) < 8:
            raise invalid_field(f"candidates[{position}].password", "must have at least 8 characters")
        rows.append(
            RosterRow(
                row=position + 1,
                login=login,
                full_name=str(entry.text("full_name", max_len=200)),
                language=entry.text("language", required=False, choices=LANGUAGES),
                slot_id=entry.text("slot_id", required=False, pattern=SLOT_ID),
                password=password,
            )
        )
    return rows


def check_against_exam(rows: list[RosterRow], languages: list[str], slot_ids: set[str]) -> None:
    """Rows naming a language the exam is not offered in, or a slot it does not have: 400 with the rows."""
    problems = []
    for row in rows:
        if row.language is not None and row.language not in languages:
            problems.append(_problem(row.row, "language", f"is not one of the exam's ({', '.join(languages)})"))
        if row.slot_id is not None and row.slot_id not in slot_ids:
            problems.append(_problem(row.row, "slot_id", "is not a slot of this exam"))
    if problems:
        raise _refuse(problems)
