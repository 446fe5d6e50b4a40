"""Pure exam rules: drawing a candidate's items, scoring, and the session state names."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

IN_PROGRESS = "in_progress"
SUBMITTED = "submitted"
AWAITING_REVIEW = "awaiting_review"
ACCEPTED = "accepted"
ANNULLED = "annulled"
FINAL_STATUSES = (ACCEPTED, ANNULLED)
OPEN_STATUSES = (IN_PROGRESS, SUBMITTED, AWAITING_REVIEW)


class BankTooSmall(ValueError):
    def __init__(self, block_id: str, needed: int, available: int) -> None:
        super().__init__(f"block {block_id} needs {needed} items, bank has {available}")
        self.block_id, self.needed, self.available = block_id, needed, available


CHOICE_ID_BITS = 48  # 12 hex digits per option, drawn anew for every session and item


def _choice_ids(count: int, rng: random.Random) -> list[str]:
    ids: list[str] = []
    while len(ids) < count:
        candidate = f"{rng.getrandbits(CHOICE_ID_BITS):012x}"
        if candidate not in ids:
            ids.append(candidate)
    return ids


def draw_items(bank: Iterable[Mapping[str, Any]], blocks: list[Mapping[str, Any]], rng: random.Random) -> list[dict]:
    """Sample each block's item_count from the bank, shuffle items within a block and each item's options.

    Blocks keep the exam's order so a candidate always meets block 1 first. Each option gets an opaque id for this
    session only (`choice_ids`, parallel to the author's `option_ids`): the author's ids (`a` is often right) never
    reach the candidate.
    """
    by_block: dict[str, list[Mapping[str, Any]]] = {}
    for question in bank:
        by_block.setdefault(question["block_id"], []).append(question)
    drawn: list[dict] = []
    for block in blocks:
        pool = sorted(by_block.get(block["block_id"], []), key=lambda q: q["item_id"])
        needed = int(block["item_count"])
        if len(pool) < needed:
            raise BankTooSmall(block["block_id"], needed, len(pool))
        for question in rng.sample(pool, needed):
            option_ids = [o["option_id"] for o in question["options"]]
            rng.shuffle(option_ids)
            drawn.append(
                {
                    "item_id": question["item_id"],
                    "block_id": block["block_id"],
                    "option_ids": option_ids,
                    "choice_ids": _choice_ids(len(option_ids), rng),
                }
            )
    return drawn


def choices(item: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(the candidate's choice id, the author's option id) in the order shown."""
    option_ids = list(item["option_ids"])
    return list(zip(item.get("choice_ids") or option_ids, option_ids, strict=True))


def author_option(item: Mapping[str, Any], choice_id: str | None) -> str | None:
    """The author's option id behind a candidate's choice id (None for an unknown or missing choice)."""
    return next((option for choice, option in choices(item) if choice == choice_id), None)


def remaining_s(session: Any, now: datetime) -> int:
    """Seconds left on the server's timer: frozen while paused, 0 once the session is no longer in progress."""
    if session.status != IN_PROGRESS:
        return 0
    return max(0, int((session.deadline_at - (session.paused_at or now)).total_seconds()))


def score(items: list[Mapping[str, Any]], answers: Mapping[str, str], key: Mapping[str, str]) -> dict[str, Any]:
    """Count answers (the candidate's choice ids) whose author's option matches the key; unanswered count as wrong."""
    total = len(items)
    correct = 0
    for item in items:
        chosen = author_option(item, answers.get(item["item_id"]))
        correct += chosen is not None and chosen == key.get(item["item_id"])
    percent = round(100.0 * correct / total, 2) if total else 0.0
    return {"correct": correct, "total": total, "percent": percent}
