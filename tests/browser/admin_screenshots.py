"""Screenshots of every admin and operator console screen in kk, ru and en into .local/screenshots/admin-*.png.

    .venv/bin/python -m tests.browser.admin_screenshots [OUT_DIR]

Starts its own local stack, builds web/dist if needed, makes an agency with an exam (bank, a 30-candidate roster,
slots, a finished sitting metered into the month's statement, a staff account), then walks the admin console and
the operator console at 1440×900. Each screen is checked for key-like text and sideways scrolling.
"""

from __future__ import annotations

import sys
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright

from local.stack import LocalStack
from tests.api_client import ApiClient
from tests.browser.admin_console import (
    bank_csv,
    create_exam_via_api,
    go_to,
    open_admin_console,
    open_operator_console,
    roster_csv,
    write,
)
from tests.browser.conftest import BASE_ARGS, CHROMIUM, SCREENSHOTS, build_web
from tests.browser.console_screenshots import ConsoleShooter
from tests.helpers import account_of, wait_for

PASSWORD = "admin-shots-password-1"
VIEWPORT = {"width": 1440, "height": 900}


DATA_NOT_KEYS = {"example.kz"}  # the contact e-mail's domain: data on the page, not an untranslated key


class AdminShooter(ConsoleShooter):
    def __call__(self, page: Page, name: str, full_page: bool = True) -> None:
        super().__call__(page, name, full_page)
        self.problems = [p for p in self.problems if not any(f"['{d}']" in p for d in DATA_NOT_KEYS)]
        for lang in ("kk", "ru", "en"):  # console-<name>-<lang>.png → admin-<name>-<lang>.png
            shot = self.out / f"console-{name}-{lang}.png"
            shot.replace(self.out / f"admin-{name}-{lang}.png")


def make_world(api: ApiClient, agency: dict[str, str]) -> dict[str, Any]:
    from local.seed import demo_bank

    admin = api.login(agency["admin"], PASSWORD)
    now = datetime.now(UTC)
    exam_id = create_exam_via_api(api, admin, now=now)
    api.call("POST", f"/admin/exams/{exam_id}/questions", admin, json=demo_bank(4)).raise_for_status()
    text, logins = roster_csv(30, prefix="shot")
    api.call(
        "POST", f"/admin/exams/{exam_id}/roster", admin, data=text.encode(), headers={"Content-Type": "text/csv"}
    ).raise_for_status()
    # the first candidate consents, sits and submits: a result row and a metered sitting
    login = "demo-cand"
    body = {"candidates": [{"user_id": login, "full_name": "Айгүл Серікқызы", "password": PASSWORD}]}
    api.call("POST", f"/admin/exams/{exam_id}/roster", admin, json=body).raise_for_status()
    token = api.login(account_of(agency["agency_id"], login), PASSWORD)
    api.call("POST", f"/exams/{exam_id}/consent", token, json={"accepted": True, "language": "kk"}).raise_for_status()
    session = api.call("POST", f"/exams/{exam_id}/sessions", token, json={"language": "kk"}).json()
    for item in session["items"][:3]:
        api.call(
            "PUT",
            f"/sessions/{session['session_id']}/answers/{item['item_id']}",
            token,
            json={"option_id": item["options"][0]["option_id"]},
        ).raise_for_status()
    api.call("POST", f"/sessions/{session['session_id']}/submit", token, json={}).raise_for_status()
    # slots after the sitting: with slots, a candidate starts in a booked one
    for hours, capacity in ((2, 40), (5, 25)):
        body = {"starts_at": (now + timedelta(hours=hours)).isoformat(), "capacity": capacity}
        api.call("POST", f"/admin/exams/{exam_id}/slots", admin, json=body).raise_for_status()
    staff = {"login": "proctor-dina", "full_name": "Дина Жақсыбекова", "role": "proctor", "exam_ids": [exam_id]}
    api.call("POST", "/admin/staff", admin, json=staff).raise_for_status()
    month = now.strftime("%Y-%m")
    wait_for(
        lambda: api.call("GET", f"/admin/statements/{month}?format=json", admin).json()["lines"],
        timeout_s=60,
        message="the sitting was not metered",
    )
    return {"exam_id": exam_id, "admin": admin}


def walk(browser, web_url: str, agency: dict[str, str], world: dict[str, Any], shoot: AdminShooter, tmp: Path) -> None:
    exam_id = world["exam_id"]
    context = browser.new_context(viewport=VIEWPORT, base_url=web_url, locale="en-GB")
    page = open_admin_console(context, agency["admin"], PASSWORD)
    expect(page.locator("#exam-table tr[data-exam]")).to_have_count(1)
    shoot(page, "exams")
    page.locator(f"#exam-table tr[data-exam='{exam_id}'] [data-action=edit]").click()
    expect(page.locator("[data-policy]").first).to_be_visible()
    shoot(page, "exam-form")
    page.locator("#exam-form .button--secondary").last.click()
    page.locator(f"#exam-table tr[data-exam='{exam_id}'] [data-action=duplicate]").click()
    shoot(page, "exam-duplicate", full_page=False)
    page.keyboard.press("Escape")
    go_to(page, "bank", exam_id)
    page.set_input_files("#bank-file", str(write(tmp, "bank.csv", bank_csv(4, broken_row=3))))
    expect(page.locator("#bank-report")).to_be_visible()
    page.locator("#bank-preview details").first.locator("summary").click()
    shoot(page, "bank")
    go_to(page, "roster", exam_id)
    text, _ = roster_csv(1200, prefix="shot2")
    page.set_input_files("#roster-file", str(write(tmp, "roster.csv", text)))
    page.locator("#roster-start").click()
    expect(page.locator("#roster-run")).to_have_attribute("data-state", "done", timeout=300000)
    shoot(page, "roster")
    go_to(page, "slots", exam_id)
    expect(page.locator("#slot-table")).to_be_visible()
    shoot(page, "slots")
    go_to(page, "results", exam_id)
    expect(page.locator("#results-table")).to_be_visible()
    shoot(page, "results")
    go_to(page, "staff")
    expect(page.locator("#staff-table")).to_be_visible()
    shoot(page, "staff")
    go_to(page, "audit")
    shoot(page, "audit")
    go_to(page, "usage")
    expect(page.locator("#statement-lines")).to_be_visible()
    shoot(page, "usage")
    context.close()

    from local.seed import ensure_operator

    operator = ensure_operator(PASSWORD)
    context = browser.new_context(viewport=VIEWPORT, base_url=web_url, locale="en-GB")
    page = open_operator_console(context, operator, PASSWORD)
    page.locator("#new-agency").click()
    page.locator("#agency-save").click()
    shoot(page, "operator-agency-form")
    page.fill("#agency-code", "shots-agency")
    for lang, name in (("kk", "Тест орталығы"), ("ru", "Центр тестирования"), ("en", "Testing centre")):
        page.fill(f"#agency-name-{lang}", name)
    page.fill("#contact-name", "Ерлан Қасымов")
    page.fill("#contact-email", "erlan@example.kz")
    page.fill("#admin-login", "chief")
    page.fill("#admin-name", "Мадина Төлеуова")
    page.locator("#agency-save").click()
    expect(page.locator("#agency-admin-password")).to_be_visible()
    shoot(page, "operator-agency-created")
    page.locator("#agency-done").click()
    shoot(page, "operator-agencies")
    page.locator(f"#agency-table tr[data-agency='{agency['agency_id']}'] [data-action=plan]").count()
    page.locator("#agency-table tr[data-agency='shots-agency'] [data-action=plan]").click()
    expect(page.locator("#plan-form")).to_be_visible()
    shoot(page, "operator-plan")
    page.locator("[data-tab=statements]").click()
    expect(page.locator("#statements-table")).to_be_visible()
    page.locator("#statements-table tbody button").first.click()
    shoot(page, "operator-statements")
    context.close()


def main(out: Path) -> int:
    for old in out.glob("admin-*.png"):
        old.unlink()
    build_web()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as cleanup:
        stack = LocalStack(log_dir=Path(tmp) / "logs")
        cleanup.callback(stack.stop)
        stack.start_endpoint()
        from chalicelib import wiring

        wiring.reset()
        stack.start_services()
        from local.seed import create_agency

        api = ApiClient(stack.api_url)
        agency = create_agency("shots", PASSWORD)
        world = make_world(api, agency)
        shoot = AdminShooter(out)
        pw = cleanup.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=BASE_ARGS)
        cleanup.callback(browser.close)
        walk(browser, stack.web_url, agency, world, shoot, Path(tmp))
    print(f"{shoot.count} admin and operator console screenshots in {out}")
    for problem in shoot.problems:
        print("PROBLEM", problem)
    return 1 if shoot.problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else SCREENSHOTS))
