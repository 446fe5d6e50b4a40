"""Steps of the proctor console, driven through its visible controls (used by the console tests and screenshots)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.api_client import ApiClient
from tests.browser.flow import log_in

FULL_HD = {"width": 1920, "height": 1080}


def console_context(browser: Browser, web_url: str, viewport: dict[str, int] | None = None) -> BrowserContext:
    return browser.new_context(viewport=viewport or FULL_HD, base_url=web_url, locale="en-GB")


def open_console(context: BrowserContext, user_id: str, password: str, lang: str = "en") -> Page:
    """A proctor (or admin) signed in on the live grid, in the given language."""
    page = context.new_page()
    page.set_default_timeout(15000)
    log_in(page, user_id, password)
    expect(page.locator("[data-tab=live][aria-current=page]")).to_be_visible()
    switch_language(page, lang)
    return page


def switch_language(page: Page, lang: str) -> None:
    page.evaluate("lang => document.querySelector(`.lang-switch button[lang=${lang}]`).click()", lang)
    page.wait_for_function("lang => document.documentElement.lang === lang", arg=lang)


def choose_exam(page: Page, exam_id: str, select: str = "#exam-filter") -> None:
    expect(page.locator(f"{select} option[value='{exam_id}']")).to_have_count(1)
    page.select_option(select, exam_id)


def tile(page: Page, session_id: str):
    return page.locator(f".pc-tile[data-session='{session_id}']")


def open_session(page: Page, session_id: str) -> None:
    """From the live grid, open one session's view (its channel loaded)."""
    tile(page, session_id).locator(".pc-tile__name button").click()
    expect(page.locator(f".pc-session[data-session='{session_id}']")).to_be_visible()
    expect(page.locator("[data-testid=timeline], .pc-panel .pc-muted").first).to_be_visible()


def act(page: Page, action: str, text: str | None = None) -> None:
    """Fill an action's text (if any), submit, and wait for its done state."""
    if text is not None:
        page.fill(f"#{action}-text", text)
    page.locator(f"#{action}-submit").click()
    expect(page.locator(f"#{action}-state")).to_have_attribute("data-state", "done")


def started_session(api: ApiClient, ctx: dict[str, Any]) -> dict[str, Any]:
    """Start the candidate's session through the API (the candidate's browser is not needed for the console)."""
    response = api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={"language": "ru"})
    assert response.status_code in (200, 201), response.text
    return response.json()


def heartbeat(api: ApiClient, ctx: dict[str, Any], session_id: str) -> None:
    api.call(
        "POST", f"/sessions/{session_id}/heartbeat", ctx["candidate"], json={"client_id": "console-test-client"}
    ).raise_for_status()
