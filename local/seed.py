"""Demo data for the local stack: one agency with an admin, a proctor, a candidate and an exam with a bank.

Logins are the agency's own (accounts are keyed by agency and login), so people log in at the address the agency
hands out, `/?agency=<code>`: `login_path` in what `seed` returns.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from chalicelib import wiring
from chalicelib.agencies.models import PLATFORM, StaffRecord
from chalicelib.core.principal import Principal
from chalicelib.exam.bank_import import parse_json_bank
from chalicelib.exam.catalog import RosterEntry, exam_view, load_exam
from chalicelib.exam.requests import exam_draft
from chalicelib.identity.logins import account_id
from chalicelib.identity.models import UserRecord
from chalicelib.identity.passwords import hash_password

AGENCY = "demo-agency"
OPERATOR_LOGIN = "operator@platform"
TOPICS = [
    ("Конституция", "Конституция", "Constitution"),
    ("Мемлекеттік қызмет", "Государственная служба", "Civil service"),
    ("Сыбайлас жемқорлыққа қарсы іс-қимыл", "Противодействие коррупции", "Anti-corruption"),
]


def demo_bank(items_per_block: int) -> dict[str, Any]:
    items = []
    for block_id in ("law", "ethics"):
        for n in range(1, items_per_block + 1):
            kk, ru, en = TOPICS[n % len(TOPICS)]
            items.append(
                {
                    "id": f"{block_id}-{n:03d}",
                    "block": block_id,
                    "correct": "a",
                    "text": {"kk": f"{kk}: сұрақ {n}", "ru": f"{ru}: вопрос {n}", "en": f"{en}: question {n}"},
                    "options": [
                        {"id": oid, "text": {"kk": f"Жауап {oid}", "ru": f"Ответ {oid}", "en": f"Answer {oid}"}}
                        for oid in ("a", "b", "c", "d")
                    ],
                }
            )
    return {"items": items}


def login_path(agency_id: str) -> str:
    """Where the agency's people log in: the web app with the agency's code filled in."""
    return f"/?agency={agency_id}"


def create_user(user_id: str, role: str, full_name: str, password: str, agency_id: str = AGENCY) -> str:
    """Staff accounts are provisioned by operators, not through the public API. `user_id` is the login within the
    agency; returns the account id (`<agency>~<login>`)."""
    wiring.settings()
    account = account_id(agency_id, user_id)
    UserRecord(
        user_id=account,
        agency_id=agency_id,
        login=user_id.lower(),
        role=role,
        full_name=full_name,
        password_hash=hash_password(password),
        created_at=wiring.clock().now(),
    ).save()
    if role in ("admin", "proctor"):  # the agency's staff directory (GET /admin/staff)
        StaffRecord(agency_id=agency_id, login=user_id.lower(), created_at=wiring.clock().now()).save()
    return account


def ensure_operator(password: str) -> str:
    """The platform operator (`operator@platform` in the reserved agency `platform`), created once."""
    wiring.settings()
    if UserRecord.find(account_id(PLATFORM, OPERATOR_LOGIN)) is None:
        create_user(OPERATOR_LOGIN, "operator", "Platform Operator", password, agency_id=PLATFORM)
    return OPERATOR_LOGIN


def create_agency(prefix: str, password: str) -> dict[str, str]:
    """A fresh agency with an admin and a proctor (tests and benchmarks): its code (`agency_id`, what people type
    as their organisation) and the two logins."""
    agency = f"{prefix}-{uuid.uuid4().hex[:8]}"
    users = {"agency_id": agency, "admin": f"admin-{agency}", "proctor": f"proctor-{agency}"}
    create_user(users["admin"], "admin", "Admin", password, agency_id=agency)
    create_user(users["proctor"], "proctor", "Proctor", password, agency_id=agency)
    return users


def seed(password: str | None = None, duration_s: int = 1500) -> dict[str, Any]:
    """Create the demo agency's users and exam, and the platform operator; returns the credentials and ids to
    print."""
    wiring.settings()  # binds the models to the configured tables
    password = password or secrets.token_urlsafe(9)
    now = wiring.clock().now()
    create_user("admin@demo", "admin", "Demo Admin", password)
    create_user("proctor@demo", "proctor", "Demo Proctor", password)
    admin = Principal(account_id(AGENCY, "admin@demo"), "admin", AGENCY)
    catalog = wiring.exam_catalog()
    title = {"kk": "Мемлекеттік қызметке тест", "ru": "Тест на госслужбу", "en": "Civil service test"}
    exam = catalog.create_exam(
        admin,
        exam_draft(
            {
                "title": title,
                "duration_s": duration_s,
                "blocks": [
                    {"block_id": "law", "title": {"kk": "Заң", "ru": "Право", "en": "Law"}, "item_count": 5},
                    {"block_id": "ethics", "title": {"kk": "Әдеп", "ru": "Этика", "en": "Ethics"}, "item_count": 5},
                ],
                "opens_at": (now - timedelta(hours=1)).isoformat(),
                "closes_at": (now + timedelta(days=30)).isoformat(),
                # The demo walkthrough skips the identity check; exams require it unless told otherwise.
                "require_identity": False,
            }
        ),
    )
    record = load_exam(exam["exam_id"], AGENCY)
    catalog.import_bank(record, parse_json_bank(demo_bank(8), list(record.languages), {"law", "ethics"}))
    catalog.admit(admin, record, [RosterEntry("candidate@demo", "Demo Candidate", password)])
    ensure_operator(password)
    return {
        "agency_id": AGENCY,
        "login_path": login_path(AGENCY),
        "password": password,
        "exam": exam_view(load_exam(exam["exam_id"], AGENCY)),
        "users": ["admin@demo", "proctor@demo", "candidate@demo"],
        "operator": {"agency_id": PLATFORM, "login": OPERATOR_LOGIN},
    }


def seed_once(state_dir: Path, password: str | None = None) -> dict[str, str]:
    """Seed the demo agency on the first run only; later runs find it in the saved data and reuse its password.

    Returns agency_id, exam_id and password. The credentials are kept in <state_dir>/demo.json (owner-only) so that
    `make run` can print them again; they are re-seeded when the data they name is gone (a fresh or lost state).
    """
    from chalicelib.core.errors import NotFound

    path = state_dir / "demo.json"
    if path.is_file():
        demo = json.loads(path.read_text())
        try:
            wiring.settings()
            load_exam(demo["exam_id"], demo["agency_id"])
            ensure_operator(demo["password"])  # state saved before operators existed gets one
            return demo
        except (NotFound, KeyError):
            pass
    seeded = seed(password)
    demo = {"agency_id": seeded["agency_id"], "exam_id": seeded["exam"]["exam_id"], "password": seeded["password"]}
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(demo, file)
    return demo
