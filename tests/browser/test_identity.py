"""The identity check: face in the oval, then the ID document; the server's verdict decides whether the test opens."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.exams import new_candidate_exam
from tests.browser.flow import accept_rules, choose_language, log_in, run_system_check
from tests.helpers import PASSWORD


def test_identity_photos_are_verified_by_the_server_before_the_blocks(page, api, agency):
    exam = new_candidate_exam(api, agency, PASSWORD, require_identity=True)
    log_in(page, exam["candidate_id"], exam["password"])
    page.locator("main .card button").first.click()
    choose_language(page, "en")
    accept_rules(page)
    run_system_check(page)

    # The fake camera loops one person, an empty scene and two people: a photo of the wrong moment is refused
    # with the server's reason, and the candidate retakes it.
    # Only the refused photo is taken again.
    for _attempt in range(6):
        expect(page.locator(".guide")).to_be_visible()
        if page.locator(".guide--oval").count():
            page.get_by_role("button", name="Take photo").click()
            page.get_by_role("button", name="Use this photo").click()
        expect(page.locator(".guide--card")).to_be_visible()
        send = page.get_by_role("button", name="Send for verification")
        if not send.count():  # a document photo the server did not refuse is kept: only a refused one is retaken
            page.get_by_role("button", name="Take photo").click()
        send.click()
        expect(send).to_have_count(0, timeout=20000)  # the verdict replaced the photo and its button
        expect(page.locator(".notice--error, .notice--success")).to_be_visible(timeout=20000)
        if page.locator(".notice--success").count():
            break
        expect(page.locator(".notice--error li").first).not_to_be_empty()  # the server's reason, in English
        page.wait_for_timeout(1200)  # let the clip move on
    expect(page.locator(".notice--success")).to_contain_text("Your identity is confirmed")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("[data-block]")).to_have_count(2)
