"""The cabinet's slot booking in a real browser: book, move, cancel, a full slot, the start button only within the
booked slot's window, and the slot screens in kk, ru and en (text checked, screenshots taken)."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.api_client import remember
from tests.browser.conftest import SCREENSHOTS
from tests.browser.flow import log_in
from tests.browser.screens import LANGS, Shooter
from tests.helpers import PASSWORD, ok


def add_slot(api, admin, exam_id, starts_at, capacity, grace_s=600):
    body = {"starts_at": starts_at.isoformat(), "capacity": capacity, "grace_s": grace_s}
    return ok(api.call("POST", f"/admin/exams/{exam_id}/slots", admin, json=body))["slot_id"]


def booking(api, exam):
    return ok(api.call("GET", f"/exams/{exam['exam_id']}/slots", exam["candidate"]))["booking"]


def test_a_candidate_books_moves_and_cancels_a_slot_and_starts_only_in_it(
    browser, web_url, candidate_exam, api, agency, tmp_path
):
    exam, admin = candidate_exam, api.login(agency["admin"], PASSWORD)
    now = datetime.now(UTC)
    open_now = add_slot(api, admin, exam["exam_id"], now - timedelta(minutes=1), 5)
    later = add_slot(api, admin, exam["exam_id"], now + timedelta(hours=2), 5)
    full = add_slot(api, admin, exam["exam_id"], now + timedelta(hours=3), 1)
    other = f"other-{uuid.uuid4().hex[:8]}"  # another candidate takes the only seat of `full`
    body = {"candidates": [{"user_id": other, "full_name": "Другой", "password": PASSWORD}]}
    ok(api.call("POST", f"/admin/exams/{exam['exam_id']}/roster", admin, json=body))
    remember(agency["agency_id"], other)
    ok(api.call("POST", f"/exams/{exam['exam_id']}/booking", api.login(other, PASSWORD), json={"slot_id": full}))

    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=web_url)
    page = context.new_page()
    page.set_default_timeout(20000)
    shoot = Shooter(tmp_path)
    start = page.locator("main .card").get_by_role("button", name="Start testing")
    try:
        log_in(page, exam["candidate_id"], exam["password"])
        section = page.locator(f"[data-slots='{exam['exam_id']}']")
        expect(section).to_be_visible()
        expect(page.locator("[data-slot-note=unbooked]")).to_be_visible()
        expect(start).to_have_count(0)  # an exam with slots: no start before a booking
        expect(page.locator(f"[data-slot='{full}']")).to_contain_text("No seats")
        expect(page.locator(f"[data-slot='{full}'] button")).to_have_count(0)
        shoot(page, "cabinet-slots")

        # Book a later slot: it is marked as the candidate's, and the start waits for it
        page.locator(f"[data-slot='{later}'] button").click()
        expect(page.locator(f"[data-slot='{later}']")).to_contain_text("Your time")
        expect(page.locator("[data-slot-note=early]")).to_be_visible()
        expect(start).to_have_count(0)
        assert booking(api, exam)["slot_id"] == later
        shoot(page, "cabinet-slot-booked")

        # Cancel it: nothing booked
        page.locator(f"[data-slot='{later}']").get_by_role("button", name="Cancel the booking").click()
        expect(page.get_by_role("status")).to_contain_text("The booking is cancelled")
        expect(page.locator("[data-slot-note=unbooked]")).to_be_visible()
        assert booking(api, exam) is None

        # Book the slot that is open now: the start button appears and leads on
        page.locator(f"[data-slot='{open_now}'] button").click()
        expect(page.locator(f"[data-slot='{open_now}']")).to_contain_text("Your time")
        expect(start).to_be_visible()
        shoot(page, "cabinet-slot-open")
        start.click()
        expect(page.locator("#lang-ru")).to_be_visible()  # the language choice: the candidate's path goes on
        assert booking(api, exam)["slot_id"] == open_now

        assert shoot.problems == []
        for screen in ("cabinet-slots", "cabinet-slot-booked", "cabinet-slot-open"):
            shots = sorted(tmp_path.glob(f"*-{screen}-*.png"))
            assert [p.stem.rsplit("-", 1)[1] for p in shots] == sorted(LANGS), screen
            assert all(p.stat().st_size > 10_000 for p in shots)
    except BaseException:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for png in tmp_path.glob("*.png"):
            shutil.copy(png, SCREENSHOTS / f"slots-{png.name}")
        raise
    finally:
        context.close()


def test_the_slot_section_reads_in_each_language(browser, web_url, candidate_exam, api, agency):
    exam, admin = candidate_exam, api.login(agency["admin"], PASSWORD)
    add_slot(api, admin, exam["exam_id"], datetime.now(UTC) + timedelta(hours=1), 3)
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=web_url)
    page = context.new_page()
    try:
        log_in(page, exam["candidate_id"], exam["password"])
        section = page.locator(f"[data-slots='{exam['exam_id']}']")
        expect(section).to_be_visible()
        expected = {"kk": "Тестілеу уақытын таңдау", "ru": "Выбор времени тестирования", "en": "Choose the test time"}
        buttons = {"kk": "Брондау", "ru": "Забронировать", "en": "Book"}
        for lang in LANGS:
            Shooter.switch(page, lang)
            expect(section.locator("h3")).to_have_text(expected[lang])
            expect(section.locator("tbody button")).to_have_text(buttons[lang])
    finally:
        context.close()
