"""Steps of the agency admin and operator consoles, driven through their visible controls (tests and screenshots)."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.flow import log_in

BLOCKS = [
    {"block_id": "law", "title": {"kk": "Заңнама", "ru": "Законодательство", "en": "Legislation"}, "item_count": 3},
    {"block_id": "ethics", "title": {"kk": "Әдеп", "ru": "Этика", "en": "Ethics"}, "item_count": 2},
]


def open_admin_console(context: BrowserContext, user_id: str, password: str, lang: str = "en") -> Page:
    """An agency admin signed in, switched from the proctor console (an admin's first view) to administration."""
    page = context.new_page()
    page.set_default_timeout(15000)
    log_in(page, user_id, password)
    page.locator("[data-console=admin]").click()
    expect(page.locator("[data-tab=exams][aria-current=page]")).to_be_visible()
    switch_language(page, lang)
    return page


def open_operator_console(context: BrowserContext, login: str, password: str, lang: str = "en") -> Page:
    page = context.new_page()
    page.set_default_timeout(15000)
    log_in(page, login, password, agency="platform")
    expect(page.locator("[data-tab=agencies][aria-current=page]")).to_be_visible()
    switch_language(page, lang)
    return page


def reload_console(page: Page) -> None:
    """Reload the page: the admin console comes back (the admin's last view is remembered)."""
    page.reload()
    expect(page.locator("[data-tab=exams]")).to_be_visible()


def switch_language(page: Page, lang: str) -> None:
    page.evaluate("lang => document.querySelector(`.lang-switch button[lang=${lang}]`).click()", lang)
    page.wait_for_function("lang => document.documentElement.lang === lang", arg=lang)


def go_to(page: Page, tab: str, exam_id: str | None = None) -> None:
    page.locator(f"[data-tab={tab}]").click()
    expect(page.locator(f"[data-tab={tab}][aria-current=page]")).to_be_visible()
    if exam_id:
        expect(page.locator(f"#admin-exam option[value='{exam_id}']")).to_have_count(1)
        page.select_option("#admin-exam", exam_id)


def bank_csv(items_per_block: int, *, broken_row: int | None = None) -> str:
    """A bank in the CSV form the API takes (kk/ru/en texts, four options); `broken_row` (1-based data row) has a
    correct answer that is none of its options."""
    header = ["id", "block", "correct"]
    header += [f"text_{lang}" for lang in ("kk", "ru", "en")]
    header += [f"option_{o}_{lang}" for o in "abcd" for lang in ("kk", "ru", "en")]
    rows = [header]
    for block in ("law", "ethics"):
        for n in range(1, items_per_block + 1):
            row = [f"{block}-{n:03d}", block, "a"]
            row += [f"Сұрақ {n} ({block})", f"Вопрос {n} ({block})", f"Question {n} ({block})"]
            row += [f"{label} {o}" for o in "abcd" for label in ("Жауап", "Ответ", "Answer")]
            rows.append(row)
    if broken_row is not None:
        rows[broken_row][2] = "z"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def roster_csv(rows: int, prefix: str | None = None) -> tuple[str, list[str]]:
    """A roster CSV of `rows` candidates (login, full_name, language) and its logins."""
    prefix = prefix or f"c{uuid.uuid4().hex[:6]}"
    logins = [f"{prefix}-{n:05d}" for n in range(1, rows + 1)]
    lines = ["login,full_name,language"]
    names = ["Айгүл Серікқызы", "Нұрлан Әбенов", "Дина Жақсыбекова", "Иванова Анна", "Ерлан Қасымов"]
    langs = ["kk", "ru", "en"]
    lines += [f"{login},{names[i % len(names)]},{langs[i % 3]}" for i, login in enumerate(logins)]
    return "\n".join(lines) + "\n", logins


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def download(page: Page, button: str, folder: Path) -> Path:
    """Click a download button; the file saved under the name the page gave it."""
    with page.expect_download() as info:
        page.locator(button).click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def create_exam_via_api(api: Any, token: str, *, now: Any, require_identity: bool = False) -> str:
    from datetime import timedelta

    payload = {
        "title": {"kk": "Әкімші емтиханы", "ru": "Экзамен администратора", "en": "Admin console exam"},
        "duration_s": 900,
        "blocks": BLOCKS,
        "opens_at": (now - timedelta(minutes=5)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat(),
        "require_identity": require_identity,
    }
    created = api.call("POST", "/admin/exams", token, json=payload)
    assert created.status_code == 201, created.text
    return created.json()["exam_id"]
