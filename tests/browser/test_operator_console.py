"""The platform operator's console in a real Chromium: create an agency with its first admin (the one-time password
shown once), the admin logs in with it; edit the agency; set its price plan; statements of all agencies."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.admin_console import download, open_operator_console, switch_language
from tests.browser.flow import log_in
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def operator(stack) -> str:
    from local.seed import ensure_operator

    return ensure_operator(PASSWORD)


def test_operator_creates_an_agency_whose_admin_logs_in(browser, web_url, operator, api) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=web_url, locale="en-GB")
    page = open_operator_console(context, operator, PASSWORD)
    code = f"agency-{uuid.uuid4().hex[:8]}"
    page.locator("#new-agency").click()
    # the form refuses a reserved code before anything is sent
    page.fill("#agency-code", "platform")
    page.locator("#agency-save").click()
    expect(page.locator(".error-summary a[href='#agency-code']")).to_be_visible()
    page.fill("#agency-code", code)
    page.fill("#agency-name-kk", "Мемлекеттік қызмет істері агенттігі")
    page.fill("#agency-name-ru", "Агентство по делам государственной службы")
    page.fill("#agency-name-en", "Civil Service Agency")
    page.fill("#contact-name", "Айгүл Серікқызы")
    page.fill("#contact-email", "testing@example.kz")
    page.fill("#contact-phone", "+77172000000")
    page.fill("#retention", "45")
    page.fill("#admin-login", "chief")
    page.fill("#admin-name", "Нұрлан Әбенов")
    page.locator("#agency-save").click()
    credentials = page.locator("#agency-admin-password")
    expect(credentials).to_be_visible()
    expect(credentials.locator("[data-testid=login-link]")).to_contain_text(f"/?agency={code}")
    password = credentials.locator("[data-testid=one-time-password]").inner_text().strip()
    assert len(password) >= 8
    page.locator("#agency-done").click()
    row = page.locator(f"#agency-table tr[data-agency='{code}']")
    expect(row).to_contain_text("Civil Service Agency")
    expect(row).to_contain_text("45 days")
    expect(row).to_contain_text("Active")

    # the price plan: the platform's default (two tiers) until set; per exam-hour, a third tier added and removed;
    # the page reads it back in words before saving
    row.locator("[data-action=plan]").click()
    expect(page.locator("#plan-current")).to_contain_text("default")
    page.select_option("#plan-unit", "exam_hour")
    page.locator("#tier-add").click()
    expect(page.locator("#tier-table tbody tr")).to_have_count(3)
    page.locator("#tier-table tbody tr").nth(2).locator("button").click()
    page.fill("#tier-0-up-to", "500")
    page.fill("#tier-0-price", "900")
    page.fill("#tier-1-price", "750.50")
    expect(page.locator("#plan-preview")).to_contain_text("501 and more")
    page.locator("#plan-save").click()
    expect(page.locator("#plan-state")).to_have_attribute("data-state", "done")
    token = api.login(operator, PASSWORD, agency="platform")
    plan = api.call("GET", f"/operator/agencies/{code}/plan", token).json()["plan"]
    assert plan == {
        "unit": "exam_hour",
        "currency": "KZT",
        "tiers": [{"up_to": 500, "unit_price": "900.00"}, {"up_to": None, "unit_price": "750.50"}],
    }

    # statements of every agency for the month; the CSV downloads
    page.locator("[data-tab=statements]").click()
    expect(page.locator("#statements-table, .pc-muted").first).to_be_visible()
    switch_language(page, "kk")
    expect(page.locator("h1")).to_have_text("Барлық ұйымдардың шоттары")
    switch_language(page, "en")
    context.close()

    # the new admin logs in with the one-time password, at the agency's own address
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=web_url, locale="en-GB")
    page = context.new_page()
    log_in(page, "chief", password, agency=code)
    page.locator("[data-console=admin]").click()
    expect(page.locator("[data-tab=exams][aria-current=page]")).to_be_visible()
    expect(page.locator(".header__user")).to_contain_text("Нұрлан Әбенов")
    context.close()


def test_operator_suspends_an_agency_and_its_admin_cannot_log_in(browser, web_url, operator, api, tmp_path) -> None:
    token = api.login(operator, PASSWORD, agency="platform")
    code = f"susp-{uuid.uuid4().hex[:8]}"
    created = api.call(
        "POST",
        "/operator/agencies",
        token,
        json={
            "agency_id": code,
            "name": {"kk": "Тоқтатылатын", "ru": "Приостанавливаемая", "en": "To suspend"},
            "contact": {"name": "Contact", "email": "c@example.kz"},
            "admin": {"login": "boss", "full_name": "Boss"},
        },
    )
    assert created.status_code == 201, created.text
    password = created.json()["admin"]["password"]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=web_url, locale="en-GB")
    page = open_operator_console(context, operator, PASSWORD)
    row = page.locator(f"#agency-table tr[data-agency='{code}']")
    row.locator("[data-action=edit]").click()
    page.locator("#status-suspended").check()
    page.locator("#agency-save").click()
    expect(page.locator("#agency-state")).to_have_attribute("data-state", "done")
    expect(page.locator(f"#agency-table tr[data-agency='{code}']")).to_contain_text("Suspended")
    page.locator("[data-tab=statements]").click()
    saved = download(page, "#statements-csv", tmp_path)
    assert saved.read_text(encoding="utf-8-sig").strip()
    context.close()
    refused = api.call("POST", "/auth/login", json={"agency": code, "user_id": "boss", "password": password})
    assert refused.status_code in (401, 403), refused.text
