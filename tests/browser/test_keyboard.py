"""Keyboard only: from login to a saved answer and the finish dialog, with focus kept where the candidate is."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.flow import wait_all_sent


def focused(page: Page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")


def test_keyboard_alone_reaches_the_test_answers_and_uses_the_finish_dialog(page, candidate_exam, api):
    page.goto(f"/?agency={candidate_exam['agency_id']}")  # the link the agency hands out fills in the organisation
    page.focus("#user-id")
    page.keyboard.type(candidate_exam["login"])
    page.keyboard.press("Tab")
    page.keyboard.type(candidate_exam["password"])
    page.keyboard.press("Enter")
    expect(page.locator(".card")).to_be_visible()

    expect(page.locator("h1")).to_be_focused()  # each page starts at its heading
    page.keyboard.press("Tab")  # to "Start testing"
    page.keyboard.press("Enter")
    expect(page.locator("#lang-en")).to_be_visible()
    expect(page.locator("h1")).to_be_focused()
    page.keyboard.press("Tab")  # into the radio group
    page.keyboard.press("End")  # the last language: English
    expect(page.locator("#lang-en")).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(page.locator("#agree")).to_be_visible()
    expect(page.locator("h1")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.locator("#agree")).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(page.locator("#start-check")).to_be_visible()
    expect(page.locator("h1")).to_be_focused()
    page.keyboard.press("Tab")
    assert focused(page) == "start-check"
    page.keyboard.press("Enter")
    expect(page.locator("#check-screen")).to_be_focused(timeout=30000)
    page.keyboard.press("Enter")
    expect(page.locator("#check-continue")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("[data-block]").first).to_be_visible()
    expect(page.locator("h1")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#share-screen")).to_be_visible()
    expect(page.locator("h1")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=timer]")).to_be_visible(timeout=20000)

    # The question's heading has the focus; the options are a real radio group.
    expect(page.locator("#item-title")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    radios = page.locator("main fieldset input[type=radio]")
    expect(radios.nth(1)).to_be_checked()
    wait_all_sent(page)

    # The finish dialog: focus moves in, Tab stays inside, Escape closes and gives the focus back.
    page.focus("#finish")
    page.keyboard.press("Enter")
    expect(page.locator("#finish-yes")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#finish-no")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#finish-yes")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator("#finish")).to_be_focused()
