"""F5, a network drop and a second tab in the middle of the test lose nothing and explain themselves."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.browser.checks import candidate_session, session_id, uploads, violation_types, wait_for, webcam_frames
from tests.browser.flow import answer_current, clock_seconds, start_test, wait_all_sent


def test_reload_in_the_middle_keeps_answers_and_the_servers_remaining_time(page, candidate_exam):
    start_test(page, candidate_exam["candidate_id"], candidate_exam["password"])
    item, option = answer_current(page, 2)
    page.locator("main input[type=checkbox]").check()
    wait_all_sent(page)
    before = clock_seconds(page)

    page.reload()
    page.locator("#share-screen").click()  # the resume screen: the screen share needs the candidate's click

    expect(page.locator(f"input[name='item-{item}'][value='{option}']")).to_be_checked()
    expect(page.locator("main input[type=checkbox]")).to_be_checked()  # the flag survived too
    after = clock_seconds(page)
    assert before - 20 <= after <= before, (before, after)


def test_thirty_seconds_offline_lose_no_answer_event_or_frame(page, context, candidate_exam, api, stack):
    start_test(page, candidate_exam["candidate_id"], candidate_exam["password"])
    sid = session_id(api, candidate_exam)
    wait_all_sent(page)
    before = uploads(stack, sid)
    frames_before = webcam_frames(stack, sid)

    context.set_offline(True)
    first = answer_current(page, 1)
    page.locator("#next").click()
    second = answer_current(page, 3)
    page.evaluate("document.dispatchEvent(new Event('paste'))")
    expect(page.locator("[data-testid=save-state]")).to_contain_text("No connection", timeout=10000)
    time.sleep(30)
    context.set_offline(False)

    wait_all_sent(page, timeout_ms=90000)
    answers = candidate_session(api, candidate_exam, sid)["answers"]
    assert answers[first[0]] == first[1] and answers[second[0]] == second[1]
    assert "paste" in violation_types(api, candidate_exam, sid)
    after = uploads(stack, sid)
    # 30 s at a frame a second (two per object), a screen every 2 s, 2 s audio chunks: all queued, then delivered.
    assert webcam_frames(stack, sid) - frames_before >= 28, (frames_before, webcam_frames(stack, sid))
    assert after["webcam"] - before["webcam"] >= 14, (before, after)
    assert after["screen"] - before["screen"] >= 13, (before, after)
    assert after["audio"] - before["audio"] >= 13, (before, after)


def test_a_second_tab_is_refused_and_told_why(page, context, candidate_exam, api):
    start_test(page, candidate_exam["candidate_id"], candidate_exam["password"])
    second = context.new_page()
    second.goto("/")
    second.locator("main .card button").first.click()  # "Continue testing"
    second.locator("#share-screen").click()
    expect(second.locator("h1")).to_have_text("The test is open in another tab or on another device")
    sid = session_id(api, candidate_exam)
    wait_for(lambda: "second_client" in violation_types(api, candidate_exam, sid), timeout_s=10)
