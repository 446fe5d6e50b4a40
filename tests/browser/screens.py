"""Every candidate screen in kk, ru and en: checked for untranslated keys and overflow, optionally photographed.

Used by the language test and by `python -m tests.browser.screenshots`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.api_client import ApiClient
from tests.browser.channel import Proctor
from tests.browser.checks import session_id
from tests.browser.flow import (
    accept_rules,
    answer_current,
    choose_language,
    log_in,
    run_system_check,
    start_test,
    switch_tab,
)

KEY_PATTERN = re.compile(r"\b[a-z]+(?:\.[a-z_]+)+\b")
LANGS = ("kk", "ru", "en")

# Test-only: remember the screen-share streams the page opens, so a test can end one as the browser's bar would.
CAPTURE_SCREEN_STREAMS = """
(() => {
  const original = navigator.mediaDevices.getDisplayMedia.bind(navigator.mediaDevices);
  window.__screens = [];
  navigator.mediaDevices.getDisplayMedia = async (options) => {
    const stream = await original(options);
    window.__screens.push(stream);
    return stream;
  };
})();
"""
END_SCREEN_SHARE = """
() => {
  const track = window.__screens[window.__screens.length - 1].getVideoTracks()[0];
  track.stop();
  track.dispatchEvent(new Event("ended"));  // stop() from script fires no "ended"; the browser's own bar does
}
"""


class Shooter:
    """At each screen: switch through the three languages, check the page, keep a screenshot if asked."""

    def __init__(self, out: Path | None, walk_lang: str = "en") -> None:
        self.out = out
        self.walk_lang = walk_lang
        self.count = 0
        self.headings: dict[str, dict[str, str]] = {}
        self.problems: list[str] = []
        if out:
            out.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Page, name: str) -> None:
        self.count += 1
        for lang in LANGS:
            self.switch(page, lang)
            text = page.inner_text("body")
            keys = sorted({m.group(0) for m in KEY_PATTERN.finditer(text)})
            if keys:
                self.problems.append(f"{name}/{lang}: text that looks like a key: {keys}")
            if page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"):
                self.problems.append(f"{name}/{lang}: the page scrolls sideways at 1280 px")
            if page.locator("h1").count():
                self.headings.setdefault(name, {})[lang] = page.locator("h1").first.inner_text()
            if self.out:
                page.screenshot(path=str(self.out / f"{self.count:02d}-{name}-{lang}.png"), full_page=True)
        self.switch(page, self.walk_lang)

    @staticmethod
    def switch(page: Page, lang: str) -> None:
        # A click through script: modal dialogs cover the header's switch, and this must not close them.
        page.evaluate("lang => document.querySelector(`.lang-switch button[lang=${lang}]`).click()", lang)
        page.wait_for_function("lang => document.documentElement.lang === lang", arg=lang)


def walk(browser: Browser, web_url: str, exam: dict[str, Any], shoot: Shooter) -> None:
    """The candidate's path with a stop at every screen, then the side screens (second tab, staff login)."""
    context: BrowserContext = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=web_url)
    context.add_init_script(CAPTURE_SCREEN_STREAMS)
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        page.goto(f"/?agency={exam['agency_id']}")
        shoot(page, "login")
        page.locator("form button[type=submit]").click()
        expect(page.locator(".error-summary")).to_be_visible()
        shoot(page, "login-errors")
        log_in(page, exam["candidate_id"], exam["password"])
        expect(page.locator(".card")).to_be_visible()
        shoot(page, "cabinet")
        page.locator("main .card button").first.click()
        shoot(page, "language")
        choose_language(page, shoot.walk_lang)
        page.locator("form button[type=submit]").click()
        expect(page.locator(".error-summary")).to_be_visible()
        shoot(page, "rules-error")
        accept_rules(page)
        expect(page.locator("#start-check")).to_be_visible()
        shoot(page, "check-start")
        page.locator("#start-check").click()
        expect(page.locator("#check-screen")).to_be_visible(timeout=30000)
        page.locator("#check-screen").click()
        expect(page.locator("[data-task=screen] .tag--green")).to_be_visible()
        shoot(page, "check-done")
        page.locator("main button.button--primary").last.click()
        shoot(page, "blocks")
        page.locator("[data-block]").first.click()
        shoot(page, "share")
        page.locator("#share-screen").click()
        expect(page.locator("[data-testid=timer]")).to_be_visible()
        answer_current(page, 0)
        page.locator("#next").click()
        page.locator("main input[type=checkbox]").check()
        shoot(page, "test")
        context.set_offline(True)
        answer_current(page, 1)
        expect(page.locator("[data-testid=save-state]")).not_to_have_attribute("data-pending", "0")
        shoot(page, "test-offline")
        context.set_offline(False)
        page.evaluate(END_SCREEN_SHARE)
        expect(page.locator("#reshare")).to_be_visible()
        shoot(page, "screen-share-ended")
        page.locator("#reshare").click()
        expect(page.locator("#reshare")).to_have_count(0)
        page.locator("#to-blocks").click()
        shoot(page, "blocks-progress")
        page.locator("[data-block]").nth(1).click()

        second = context.new_page()
        second.goto("/")
        second.locator("main .card button").first.click()
        shoot(second, "resume")
        second.locator("#share-screen").click()
        expect(second.locator(".notice--warning")).to_be_visible()
        shoot(second, "other-tab")
        second.close()

        page.bring_to_front()
        page.locator("#finish").click()
        expect(page.get_by_role("dialog")).to_be_visible()
        shoot(page, "finish-dialog")
        page.locator("#finish-yes").click()
        expect(page.locator("[data-testid=result]")).to_be_visible()
        shoot(page, "result")
        page.locator("main button").first.click()
        expect(page.locator(".card .tag")).to_be_visible()
        shoot(page, "cabinet-after")
    finally:
        context.close()

    staff = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=web_url)
    try:
        page = staff.new_page()
        log_in(page, exam["proctor_id"], exam["password"])
        shoot(page, "proctor-console")  # the live grid a proctor lands on (console_screenshots.py walks the rest)
    finally:
        staff.close()


def walk_denied_camera(browser: Browser, web_url: str, exam: dict[str, Any], shoot: Shooter) -> None:
    """The system check in a browser where the camera permission is blocked."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=web_url, permissions=[])
    try:
        page = context.new_page()
        log_in(page, exam["candidate_id"], exam["password"])
        page.locator("main .card button").first.click()
        choose_language(page, shoot.walk_lang)
        accept_rules(page)
        page.locator("#start-check").click()
        expect(page.locator(".fixit")).to_be_visible()
        shoot(page, "check-camera-blocked")
    finally:
        context.close()


def walk_identity(browser: Browser, web_url: str, exam: dict[str, Any], shoot: Shooter) -> None:
    """The identity check of a `require_identity` exam: the face photo, the document photo, the server's verdict."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=web_url)
    try:
        page = context.new_page()
        page.set_default_timeout(20000)
        log_in(page, exam["candidate_id"], exam["password"])
        page.locator("main .card button").first.click()
        choose_language(page, shoot.walk_lang)
        accept_rules(page)
        run_system_check(page)
        expect(page.locator(".guide--oval")).to_be_visible()
        shoot(page, "identity-selfie")
        page.locator("main .guide-frame + button").click()
        expect(page.locator(".guide-frame img")).to_be_visible()
        page.locator("main .guide-frame + button").click()
        expect(page.locator(".guide--card")).to_be_visible()
        shoot(page, "identity-document")
        page.locator("main .guide-frame + button").click()
        page.locator("main .guide-frame + button").click()
        expect(page.locator(".notice--error, .notice--success")).to_be_visible()
        shoot(page, "identity-verdict")
    finally:
        context.close()


# The first message reaches an unwatched page within one 20 s heartbeat (then 5 s: the proctor is on the session)
CHANNEL_WAIT_MS = 25_000


def walk_channel(browser: Browser, web_url: str, exam: dict[str, Any], api: ApiClient, shoot: Shooter) -> None:
    """The live channel during the test: a warning, the chat and log panel, the pause overlay, the termination."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=web_url)
    try:
        page = context.new_page()
        page.set_default_timeout(20000)
        start_test(page, exam["candidate_id"], exam["password"], shoot.walk_lang)
        proctor = Proctor(api, exam, session_id(api, exam))
        answer_current(page, 0)
        proctor.chat("Здравствуйте! Микрофон включён? Ответьте, пожалуйста, в чате.")
        expect(page.get_by_test_id("chat-unread")).to_be_visible(timeout=CHANNEL_WAIT_MS)
        proctor.warn("Пожалуйста, не отводите взгляд от своего экрана.")
        expect(page.get_by_test_id("proctor-warning")).to_be_visible(timeout=CHANNEL_WAIT_MS)
        shoot(page, "channel-warning")
        page.get_by_test_id("warning-ack").click()
        expect(page.get_by_test_id("proctor-warning")).to_have_count(0, timeout=CHANNEL_WAIT_MS)
        page.locator("#chat-toggle").click()
        page.locator("#chat-text").fill("Да, микрофон включён.")
        page.locator("#chat-send").click()
        expect(page.get_by_test_id("chat-list")).to_contain_text("микрофон включён", timeout=CHANNEL_WAIT_MS)
        switch_tab(page, context)
        shoot(page, "channel-chat")
        page.locator("#chat-tab-log").click()
        expect(page.locator("[data-testid=violation-log] li[data-type=tab_hidden]")).to_be_visible(
            timeout=CHANNEL_WAIT_MS
        )
        shoot(page, "channel-log")
        page.locator("#chat-close").click()
        proctor.pause("Покажите, пожалуйста, комнату камерой: медленно поверните ноутбук.")
        expect(page.get_by_test_id("pause-overlay")).to_be_visible(timeout=CHANNEL_WAIT_MS)
        shoot(page, "channel-paused")
        proctor.resume()
        expect(page.get_by_test_id("pause-overlay")).to_have_count(0, timeout=CHANNEL_WAIT_MS)
        proctor.terminate("На столе виден телефон.")
        expect(page.get_by_test_id("terminated")).to_be_visible(timeout=CHANNEL_WAIT_MS)
        shoot(page, "channel-terminated")
    finally:
        context.close()
