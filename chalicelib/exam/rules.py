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


def draw_items(bank: Iterable[Mapping[str, Any]], blocks: list[Mapping[str, Any]], rng: random.Random) -> list[dict]:
    """Sample each block's item_count from the bank, shuffle items within a block and each item's options.

    Blocks keep the exam's order so a candidate always meets block 1 first.
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
            drawn.append({"item_id": question["item_id"], "block_id": block["block_id"], "option_ids": option_ids})
    return drawn


def remaining_s(session: Any, now: datetime) -> int:
    """Seconds left on the server's timer: frozen while paused, 0 once the session is no longer in progress."""
    if session.status != IN_PROGRESS:
        return 0
    return max(0, int((session.deadline_at - (session.paused_at or now)).total_seconds()))


def score(items: list[Mapping[str, Any]], answers: Mapping[str, str], key: Mapping[str, str]) -> dict[str, Any]:
    """Count answers that match the key; unanswered items count as wrong."""
    total = len(items)
    correct = sum(1 for item in items if answers.get(item["item_id"]) == key.get(item["item_id"]))
    percent = round(100.0 * correct / total, 2) if total else 0.0
    return {"correct": correct, "total": total, "percent": percent}
