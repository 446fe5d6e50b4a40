"""Steps of the candidate's path, driven the way a candidate does it (keyboard-reachable controls, visible text)."""

from __future__ import annotations

import time

from playwright.sync_api import BrowserContext, Page, expect

from tests.api_client import resolve


def log_in(page: Page, user_id: str, password: str, agency: str | None = None) -> None:
    """Log in as people do: at the link their agency handed out (`/?agency=<code>`), then login and password.
    `user_id` is a login or an account id (`<agency>~<login>`); the agency is found as ApiClient.login finds it."""
    agency, login = resolve(user_id, agency)
    page.goto(f"/?agency={agency}")
    expect(page.locator("#agency")).to_have_value(agency)
    page.fill("#user-id", login)
    page.fill("#password", password)
    page.locator("form button[type=submit]").click()
    expect(page.locator("h1")).to_be_visible()


def choose_language(page: Page, lang: str) -> None:
    page.locator(f"#lang-{lang}").check()
    page.locator("form button[type=submit]").click()


def accept_rules(page: Page) -> None:
    page.locator("#agree").check()
    page.locator("form button[type=submit]").click()


def run_system_check(page: Page) -> None:
    page.locator("#start-check").click()
    expect(page.locator("#check-screen")).to_be_visible(timeout=30000)
    page.locator("#check-screen").click()
    expect(page.locator("[data-task=screen] .tag--green")).to_be_visible()
    page.locator("main button.button--primary").last.click()


def start_test(page: Page, user_id: str, password: str, lang: str = "en") -> None:
    """From the login page to the first question of the first block."""
    log_in(page, user_id, password)
    page.locator("main .card button").first.click()
    choose_language(page, lang)
    accept_rules(page)
    run_system_check(page)
    page.locator("[data-block]").first.click()
    page.locator("#share-screen").click()
    expect(page.locator("[data-testid=timer]")).to_be_visible(timeout=20000)


def answer_current(page: Page, option_index: int = 0) -> tuple[str, str]:
    """Choose an option of the question on screen; returns (item_id, option_id)."""
    radio = page.locator("main fieldset input[type=radio]").nth(option_index)
    radio.check()
    return radio.get_attribute("name").removeprefix("item-"), radio.get_attribute("value")


def wait_all_sent(page: Page, timeout_ms: int = 30000) -> None:
    expect(page.locator("[data-testid=save-state]")).to_have_attribute("data-pending", "0", timeout=timeout_ms)


def switch_tab(page: Page, context: BrowserContext) -> None:
    """Switch to another tab and back. Headless Chromium keeps every tab "visible" (measured: bring_to_front fires
    no visibilitychange), so after the real switch the page is also told what a headed browser would tell it."""
    other = context.new_page()
    other.goto("/")
    other.bring_to_front()
    page.evaluate(
        """() => {
            Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    time.sleep(0.5)
    page.bring_to_front()
    other.close()
    page.evaluate(
        """() => {
            delete document.visibilityState;
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )


def clock_seconds(page: Page) -> int:
    """The countdown as shown, in seconds ("14:58" or "1:02:05")."""
    parts = [int(p) for p in page.locator("[data-testid=timer]").inner_text().split(":")]
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds
