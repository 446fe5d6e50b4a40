"""A candidate who blocked the camera gets the camera's own fix-it message, with numbered steps and a retry."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, chromium_args
from tests.browser.flow import accept_rules, choose_language, log_in


@pytest.fixture
def denied_page(playwright_instance, fake_camera, web_url):
    # No --use-fake-ui-for-media-stream: the permission is not granted by itself, and the context grants nothing.
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=chromium_args(fake_camera, fake_ui=False)
    )
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=web_url, permissions=[])
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    browser.close()


def test_camera_permission_denied_shows_the_camera_fixit(denied_page, candidate_exam):
    page = denied_page
    log_in(page, candidate_exam["candidate_id"], candidate_exam["password"])
    page.locator("main .card button").first.click()
    choose_language(page, "en")
    accept_rules(page)
    page.locator("#start-check").click()

    fixit = page.locator(".fixit")
    expect(fixit).to_contain_text("Access to the camera is blocked")
    steps = fixit.locator("ol li")
    expect(steps.first).to_contain_text("lock icon in the address bar")
    expect(steps.last).to_have_text("Restart the computer and open the test again.")
    expect(page.locator("[data-task=camera] .tag--red")).to_be_visible()
    expect(fixit.get_by_role("button", name="Try again")).to_be_visible()
