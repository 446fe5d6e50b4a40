"""Exams for the browser tests and the screenshot script, created through the admin API as an agency would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from local.seed import demo_bank
from tests.api_client import ApiClient
from tests.helpers import account_of

# A webcam frame a second, audio in 2 s chunks, the screen every 2 s: monitoring shows up within seconds.
FAST_ANALYSIS = {"webcam_every_s": 1, "screen_every_s": 2, "audio_chunk_s": 2}
TITLE = {
    "kk": "Мемлекеттік қызметке кандидаттарды тестілеу",
    "ru": "Тестирование кандидатов на государственную службу",
    "en": "Civil service candidate test",
}
BLOCKS = [
    {
        "block_id": "law",
        "title": {
            "kk": "Қазақстан Республикасының заңнамасы",
            "ru": "Законодательство Республики Казахстан",
            "en": "Legislation of the Republic of Kazakhstan",
        },
        "item_count": 3,
    },
    {"block_id": "ethics", "title": {"kk": "Әдеп", "ru": "Этика", "en": "Ethics"}, "item_count": 2},
]


def new_candidate_exam(
    api: ApiClient, agency: dict[str, str], password: str, *, duration_s: int = 900, require_identity: bool = False
) -> dict[str, Any]:
    """A two-block exam open now, with fast monitoring and one admitted candidate who has not consented yet."""
    admin = api.login(agency["admin"], password)
    now = datetime.now(UTC)
    payload = {
        "title": TITLE,
        "duration_s": duration_s,
        "blocks": BLOCKS,
        "opens_at": (now - timedelta(minutes=5)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat(),
        "require_identity": require_identity,
        "analysis": FAST_ANALYSIS,
    }
    created = api.call("POST", "/admin/exams", admin, json=payload)
    assert created.status_code == 201, created.text
    exam_id = created.json()["exam_id"]
    api.call("POST", f"/admin/exams/{exam_id}/questions", admin, json=demo_bank(4)).raise_for_status()
    login = f"cand-{uuid.uuid4().hex[:10]}"
    api.call(
        "POST",
        f"/admin/exams/{exam_id}/roster",
        admin,
        json={"candidates": [{"user_id": login, "full_name": "Айгүл Серікқызы", "password": password}]},
    ).raise_for_status()
    candidate_id = account_of(agency["agency_id"], login)  # what the API stores and shows; log_in takes it too
    return {
        "exam_id": exam_id,
        "candidate_id": candidate_id,
        "login": login,
        "agency_id": agency["agency_id"],
        "password": password,
        "candidate": api.login(candidate_id, password),
        "proctor": api.login(agency["proctor"], password),
        "proctor_id": agency["proctor"],
    }
