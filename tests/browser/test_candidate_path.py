"""The candidate's path in a real Chromium against the real local stack: login to result, monitoring, resilience."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.checks import candidate_session, session_id, uploads, violation_types, wait_for
from tests.browser.flow import answer_current, start_test, switch_tab, wait_all_sent


def test_full_path_from_login_to_result_uploads_media_and_records_violations(page, context, candidate_exam, api, stack):
    start_test(page, candidate_exam["candidate_id"], candidate_exam["password"])
    item, option = answer_current(page, 0)
    page.locator("#next").click()
    answer_current(page, 1)
    page.locator("main input[type=checkbox]").check()  # flag the second question
    page.locator("#to-blocks").click()
    expect(page.locator("[data-block]")).to_have_count(2)
    page.locator("[data-block]").nth(1).click()
    answer_current(page, 0)

    switch_tab(page, context)
    page.evaluate("document.dispatchEvent(new Event('copy'))")

    sid = session_id(api, candidate_exam)
    wait_all_sent(page)
    wait_for(lambda: all(n > 0 for n in uploads(stack, sid).values()), timeout_s=30)
    seen: set[str] = set()

    def violations_arrived() -> bool:
        seen.update(violation_types(api, candidate_exam, sid))
        return {"multiple_faces", "tab_hidden", "copy"} <= seen

    wait_for(violations_arrived, timeout_s=40, message=lambda: f"violations seen: {sorted(seen)}")

    page.locator("#finish").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(re.compile(r"without an answer: 2"))
    expect(dialog).to_contain_text(re.compile(r"marked for review: 1"))
    page.locator("#finish-yes").click()
    expect(page.locator("[data-testid=result]")).to_be_visible(timeout=20000)
    session = candidate_session(api, candidate_exam, sid)
    assert session["status"] in ("submitted", "awaiting_review")
    assert session["answers"][item] == option
    assert len(session["answers"]) == 3

    # The proctor annuls the result; the cabinet shows it with the reason.
    wait_for(lambda: candidate_session(api, candidate_exam, sid)["status"] == "awaiting_review", timeout_s=20)
    verdict = api.call(
        "POST",
        f"/proctor/sessions/{sid}/verdict",
        candidate_exam["proctor"],
        json={"verdict": "annul", "reason": "Second person in the room"},
    )
    assert verdict.status_code == 200, verdict.text
    page.locator("main button").first.click()  # back to the personal cabinet
    card = page.locator(".card")
    expect(card.locator(".tag")).to_have_text("Annulled")
    expect(card).to_contain_text("Reason: Second person in the room")
