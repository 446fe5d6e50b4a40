"""Editing an exam after it was created: its content until the first candidate starts, its window always; opening
and closing the window now; duplicating it for a make-up sitting; previewing its live question bank."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any

from chalicelib.core.clock import Clock, iso
from chalicelib.core.errors import Conflict, InvalidInput
from chalicelib.exam import session_index
from chalicelib.exam.catalog import ExamCatalog, ExamDraft, exam_view
from chalicelib.exam.models import ExamRecord, QuestionRecord, SessionRecord

# What a draw depends on: frozen once any candidate has started. The window (opens_at, closes_at) may always move.
CONTENT_FIELDS = ("title", "languages", "duration_s", "blocks", "require_identity", "analysis")
WINDOW_FIELDS = ("opens_at", "closes_at")


def window_state(exam: ExamRecord, now: datetime) -> str:
    """scheduled (not open yet), open (candidates may start) or closed."""
    if now < exam.opens_at:
        return "scheduled"
    return "open" if now < exam.closes_at else "closed"


def has_started(exam: ExamRecord) -> bool:
    """Whether any candidate has a session of this exam, in whatever status (one keys-only read per list)."""
    for status in session_index.STATUSES:
        for shard in range(session_index.SHARDS):
            key = session_index.exam_status(exam.exam_id, status, shard)
            if next(iter(SessionRecord.by_exam_status.query(key, limit=1)), None) is not None:
                return True
    return False


class ExamEditor:
    """Editing an exam after creation: content until the first start, the window always; open/close; duplicates."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def view(self, exam: ExamRecord) -> dict[str, Any]:
        return {**exam_view(exam), "state": window_state(exam, self._clock.now())}

    def update(self, exam: ExamRecord, draft: ExamDraft, present: set[str]) -> dict[str, Any]:
        """Apply the fields the admin sent (`present`), already merged into a full, validated `draft`.

        A content field whose value differs from the stored one needs an exam no candidate has started (409
        exam.already_started): started sessions were drawn from the exam as it was. Sending an unchanged value is
        not a change, so a form can send everything it shows.
        """
        current = exam_view(exam)
        proposed = _stored_values(draft)
        changed = sorted(f for f in present if f in proposed and _comparable(proposed[f]) != _comparable(current[f]))
        if not changed:
            return self.view(exam)
        if draft.closes_at <= draft.opens_at:
            raise InvalidInput("exam.window_invalid", "closes_at must be after opens_at.")
        content = [f for f in changed if f in CONTENT_FIELDS]
        if content and has_started(exam):
            raise Conflict(
                "exam.already_started",
                "Candidates have started this exam; only its window can change.",
                details={"fields": content},
            )
        actions = [getattr(ExamRecord, f).set(_attribute_value(f, draft)) for f in changed]
        # the agency's exam as it was read: an edit never lands on a record that moved to another agency
        exam.update(actions=actions, condition=ExamRecord.agency_id == exam.agency_id)
        return self.view(exam)

    def open(self, exam: ExamRecord, closes_at: datetime | None) -> dict[str, Any]:
        """Open the window now; a window that has ended needs a new closes_at."""
        now = self._clock.now()
        opens_at = min(exam.opens_at, now)
        closes_at = closes_at or exam.closes_at
        if closes_at <= now:
            raise InvalidInput(
                "exam.window_invalid", "The window has ended: give a closes_at in the future to open it."
            )
        exam.update(actions=[ExamRecord.opens_at.set(opens_at), ExamRecord.closes_at.set(closes_at)])
        return self.view(exam)

    def close(self, exam: ExamRecord) -> dict[str, Any]:
        """End the window now: nobody may start from here on; running sessions keep their own deadline."""
        now = self._clock.now()
        if exam.closes_at > now:
            exam.update(actions=[ExamRecord.closes_at.set(now), ExamRecord.opens_at.set(min(exam.opens_at, now))])
        return self.view(exam)

    def preview(self, exam: ExamRecord, block_id: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
        """The live bank's items with every language's text and options (the key included: admins only), one page
        in item id order, and per block how many items the bank has against how many the exam draws."""
        after = _preview_position(cursor, exam, block_id) if cursor else None
        per_block = {
            b["block_id"]: {"title": b["title"], "items": 0, "draws": int(b["item_count"])} for b in exam.blocks
        }
        for item in bank_items(exam, attributes_to_get=["block_id"]):
            if item.block_id in per_block:
                per_block[item.block_id]["items"] += 1
        for counts in per_block.values():
            counts["enough"] = counts["items"] >= counts["draws"]
        query: dict[str, Any] = {"limit": limit + 1, "page_size": limit + 1}
        if block_id:
            query["filter_condition"] = QuestionRecord.block_id == block_id
            query.pop("limit")  # a filtered page is read until it has limit + 1 matches
        if after:
            query["last_evaluated_key"] = {"exam_id": {"S": exam.exam_id}, "item_key": {"S": after}}
        items = []
        for question in bank_items(exam, **query):
            items.append(question)
            if len(items) > limit:
                break
        more = len(items) > limit
        items = items[:limit]
        next_cursor = _preview_cursor(exam, block_id, items[-1].item_key) if more else None
        return {
            "exam_id": exam.exam_id,
            "bank_version": exam.bank_version,
            "bank_size": int(exam.bank_size),
            "languages": list(exam.languages),
            "per_block": per_block,
            "items": [
                {
                    "item_id": q.item_id,
                    "block_id": q.block_id,
                    "text": q.text.as_dict(),
                    "options": [{"option_id": o["option_id"], "text": o["text"]} for o in q.options],
                    "correct_option": q.correct_option,
                }
                for q in items
            ],
            "next_cursor": next_cursor,
        }

    def duplicate(
        self, exam: ExamRecord, title: dict[str, str] | None, opens_at: datetime, closes_at: datetime
    ) -> dict[str, Any]:
        """A make-up sitting: a new exam with the same content and the same bank version, in a new window.

        Items are stored per exam, so the live bank version's items are copied under the new exam with the same
        version id; the new exam points to it only once every item is written. No roster, no sessions are copied.
        """
        if closes_at <= opens_at:
            raise InvalidInput("exam.window_invalid", "closes_at must be after opens_at.")
        copy = ExamRecord(
            exam_id=f"ex-{uuid.uuid4().hex[:12]}",
            agency_id=exam.agency_id,
            created_at=self._clock.now(),
            title=title or exam.title.as_dict(),
            languages=list(exam.languages),
            duration_s=int(exam.duration_s),
            blocks=[dict(block) for block in exam.blocks],
            opens_at=opens_at,
            closes_at=closes_at,
            bank_size=0,
            require_identity=bool(exam.require_identity),
            analysis=exam.analysis.as_dict(),
        )
        if exam.bank_version:
            items = [
                QuestionRecord(
                    exam_id=copy.exam_id,
                    item_key=q.item_key,
                    bank_version=q.bank_version,
                    item_id=q.item_id,
                    block_id=q.block_id,
                    text=q.text.as_dict(),
                    options=list(q.options),
                    correct_option=q.correct_option,
                )
                for q in bank_items(exam)
            ]
            ExamCatalog._write_staged(items)
            copy.bank_version, copy.bank_size = exam.bank_version, len(items)
        copy.save(condition=ExamRecord.exam_id.does_not_exist())
        return {**self.view(copy), "source_exam_id": exam.exam_id}


def bank_items(exam: ExamRecord, **query: Any) -> Any:
    """The live bank version's items, in item id order (none before the first import)."""
    if not exam.bank_version:
        return iter(())
    prefix = QuestionRecord.key(exam.bank_version, "")
    return QuestionRecord.query(exam.exam_id, QuestionRecord.item_key.startswith(prefix), **query)


def _stored_values(draft: ExamDraft) -> dict[str, Any]:
    return {
        "title": dict(draft.title),
        "languages": list(draft.languages),
        "duration_s": draft.duration_s,
        "blocks": [dict(block) for block in draft.blocks],
        "opens_at": iso(draft.opens_at),
        "closes_at": iso(draft.closes_at),
        "require_identity": draft.require_identity,
        "analysis": draft.analysis.to_dict(),
    }


def _comparable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True, default=str)


def _attribute_value(field: str, draft: ExamDraft) -> Any:
    if field in WINDOW_FIELDS:
        return getattr(draft, field)
    return _stored_values(draft)[field]


def _preview_cursor(exam: ExamRecord, block_id: str | None, item_key: str) -> str:
    payload = {"a": exam.agency_id, "e": exam.exam_id, "b": block_id, "k": item_key}
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _preview_position(cursor: str, exam: ExamRecord, block_id: str | None) -> str:
    """The item key a preview cursor stopped at: made for this exam, filter and live bank version, or a 400."""
    invalid = InvalidInput("request.invalid_cursor", "The cursor is not valid for this list; start again without it.")
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(payload, dict) or set(payload) != {"a", "e", "b", "k"}:
        raise invalid
    if (payload["a"], payload["e"], payload["b"]) != (exam.agency_id, exam.exam_id, block_id):
        raise invalid
    key = payload["k"]
    # a cursor of an earlier bank version is stale: the bank was replaced since; start again
    if (
        not isinstance(key, str)
        or not exam.bank_version
        or not key.startswith(QuestionRecord.key(exam.bank_version, ""))
    ):
        raise invalid
    return key
