"""The candidate's side of the live channel in a real Chromium: a proctor warns, pauses, resumes, chats, terminates."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.browser.channel import Proctor
from tests.browser.checks import session_id, uploads, wait_for
from tests.browser.flow import clock_seconds, start_test, switch_tab
from tests.browser.screens import Shooter, walk_channel


def test_warning_pause_chat_log_and_termination_reach_the_candidates_page(page, context, candidate_exam, api, stack):
    start_test(page, candidate_exam["candidate_id"], candidate_exam["password"])
    sid = session_id(api, candidate_exam)
    proctor = Proctor(api, candidate_exam, sid)
    proctor.open()  # the proctor has the session open: heartbeats every 5 s from the page's next (≤ 20 s) beat

    # Chat, proctor → candidate: an unread badge on the collapsed panel's toggle, the message in the panel.
    proctor.chat("Is your microphone on?")
    expect(page.get_by_test_id("chat-unread")).to_contain_text("1", timeout=25000)
    page.locator("#chat-toggle").click()
    expect(page.get_by_test_id("chat-list")).to_contain_text("Is your microphone on?")
    expect(page.get_by_test_id("chat-unread")).to_have_count(0)
    # Candidate → proctor: the message reaches the proctor's messages route.
    page.locator("#chat-text").fill("Yes, it is on.")
    page.locator("#chat-send").click()
    expect(page.get_by_test_id("chat-list")).to_contain_text("Yes, it is on.")
    wait_for(lambda: any(m["text"] == "Yes, it is on." and m["author_role"] == "candidate" for m in proctor.messages()))

    # The log tab lists the tab switch once the server has recorded it.
    switch_tab(page, context)
    page.locator("#chat-tab-log").click()
    expect(page.locator("[data-testid=violation-log] li[data-type=tab_hidden]")).to_contain_text(
        "Switched to another tab or window", timeout=20000
    )
    page.locator("#chat-close").click()

    # A warning: the banner with the proctor's text; "I understand" acknowledges it for the proctor's journal.
    proctor.warn("Please keep your eyes on your own screen.")
    expect(page.get_by_test_id("proctor-warning-text")).to_have_text(
        "Please keep your eyes on your own screen.", timeout=10000
    )
    # F5 before acknowledging: the warning is still there, the history too, and nothing read is unread again.
    page.reload()
    page.locator("#share-screen").click()  # the resume screen: the screen share needs the candidate's click
    expect(page.get_by_test_id("proctor-warning-text")).to_have_text("Please keep your eyes on your own screen.")
    expect(page.get_by_test_id("chat-unread")).to_contain_text("1")  # the warning only, not the chat read before
    page.get_by_test_id("warning-ack").click()
    expect(page.get_by_test_id("proctor-warning")).to_have_count(0)
    wait_for(lambda: [m["acknowledged_at"] for m in proctor.messages() if m["kind"] == "warning"] != [None])

    # A pause: the overlay with the proctor's text, and the visible time stands still.
    proctor.pause("Show the room with your camera, please.")
    expect(page.get_by_test_id("pause-text")).to_have_text("Show the room with your camera, please.", timeout=10000)
    frozen = clock_seconds(page)
    time.sleep(2.5)
    assert clock_seconds(page) == frozen
    assert page.get_by_test_id("pause-remaining").inner_text() == page.get_by_test_id("timer").inner_text()

    # Resume: the overlay goes, and the time runs again from where it stopped.
    proctor.resume()
    expect(page.get_by_test_id("pause-overlay")).to_have_count(0, timeout=10000)
    resumed = clock_seconds(page)
    assert frozen - 3 <= resumed <= frozen, (frozen, resumed)
    time.sleep(2.2)
    assert clock_seconds(page) < resumed

    # Termination: the screen with the reason, and monitoring stops (no new webcam frames after it).
    wait_for(lambda: uploads(stack, sid)["webcam"] > 0, timeout_s=10)
    proctor.terminate("A phone was seen on the desk")
    expect(page.get_by_test_id("terminated")).to_be_visible(timeout=10000)
    expect(page.get_by_test_id("termination-reason")).to_have_text("A phone was seen on the desk")
    expect(page.locator("h1")).to_have_text("The proctor has ended your test")
    time.sleep(1.5)  # a frame already on its way may still land
    settled = uploads(stack, sid)["webcam"]
    time.sleep(4)  # four webcam periods at the test exam's one frame a second
    assert uploads(stack, sid)["webcam"] == settled
    page.locator("#terminated-cabinet").click()
    expect(page.locator(".card")).to_contain_text("A phone was seen on the desk")


def test_the_channel_screens_read_in_kk_ru_en_without_overflow(browser, web_url, candidate_exam, api, tmp_path):
    shoot = Shooter(tmp_path)
    walk_channel(browser, web_url, candidate_exam, api, shoot)
    assert shoot.problems == []
    assert shoot.count == 5
    headings = shoot.headings["channel-terminated"]
    assert len(set(headings.values())) == 3, headings
