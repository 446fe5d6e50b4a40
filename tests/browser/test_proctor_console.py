"""The proctor console in a real Chromium against the real local stack; the candidate is driven through the API."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.console import act, choose_exam, console_context, heartbeat, open_console, open_session, tile
from tests.helpers import FACES_DIR, PASSWORD, ok, presign, upload, wait_for

TWO_PEOPLE = FACES_DIR / "group__two_people.jpg"


@pytest.fixture
def console(browser, web_url, agency):
    """The agency's proctor signed in on the live grid at 1920×1080."""
    context = console_context(browser, web_url)
    yield open_console(context, agency["proctor"], PASSWORD)
    context.close()


def inbox(api, ctx) -> list[dict]:
    return ok(api.call("GET", f"/sessions/{ctx['session']['session_id']}/inbox", ctx["candidate"]))["messages"]


def candidate_view(api, ctx) -> dict:
    return ok(api.call("GET", f"/sessions/{ctx['session']['session_id']}", ctx["candidate"]))


def test_the_session_appears_on_the_grid_and_two_faces_show_up_within_seconds(api, started, console):
    sid = started["session"]["session_id"]
    heartbeat(api, started, sid)
    choose_exam(console, started["exam_id"])
    card = tile(console, sid)
    expect(card).to_be_visible()
    expect(card).to_contain_text("Test Candidate")
    expect(card).to_contain_text("In progress")
    expect(card.locator("[data-testid=time-left]")).to_have_text(re.compile(r"^(0[0-9]|10):\d\d$"))
    expect(card.locator("[data-testid=no-signal]")).to_have_count(0)
    expect(card.locator("[data-testid=seen]")).to_contain_text("s ago")

    # Two people in two frames in a row (persistence 2): the tile lists it within a few seconds, no reload
    for _ in range(2):
        upload(presign(api, started), TWO_PEOPLE.read_bytes()).raise_for_status()
    expect(card.locator("[data-violation=multiple_faces]")).to_contain_text("Several people in frame", timeout=12000)
    expect(console.locator("[data-testid=announcer]")).to_contain_text("Several people in frame")
    expect(card.locator("img.pc-tile__frame")).to_be_visible()
    assert console.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_warn_pause_resume_and_chat_reach_the_candidate(api, started, console):
    sid = started["session"]["session_id"]
    choose_exam(console, started["exam_id"])
    open_session(console, sid)

    act(console, "warn", "Please look at your screen.")
    [warning] = [m for m in inbox(api, started) if m["kind"] == "warning"]
    assert warning["text"] == "Please look at your screen."
    ok(api.call("POST", f"/sessions/{sid}/inbox/{warning['message_id']}/ack", started["candidate"]))
    expect(console.locator("[data-kind=warning] [data-testid=ack]")).to_contain_text("Acknowledged at", timeout=10000)

    act(console, "pause", "Show the room, please.")
    paused = candidate_view(api, started)
    assert paused["paused"] is True
    time.sleep(2.2)
    assert candidate_view(api, started)["remaining_s"] == paused["remaining_s"]
    expect(console.locator("[data-testid=session-status]")).to_contain_text("Paused")

    act(console, "resume")
    resumed = candidate_view(api, started)
    assert resumed["paused"] is False
    time.sleep(2.2)
    assert candidate_view(api, started)["remaining_s"] < resumed["remaining_s"]

    act(console, "chat", "Is your microphone on?")
    assert ("proctor", "Is your microphone on?") in [(m["author_role"], m["text"]) for m in inbox(api, started)]
    ok(api.call("POST", f"/sessions/{sid}/chat", started["candidate"], json={"text": "Yes, it is."}))
    expect(console.locator("[data-testid=channel]")).to_contain_text("Yes, it is.", timeout=6000)

    act(console, "note", "Calm candidate.")
    expect(console.locator("[data-kind=note]")).to_contain_text("Private note")
    assert "Calm candidate." not in [m["text"] for m in inbox(api, started)]


def test_an_unread_chat_marks_the_tile_until_the_session_is_opened(api, started, console):
    sid = started["session"]["session_id"]
    choose_exam(console, started["exam_id"])
    expect(tile(console, sid)).to_be_visible()
    expect(tile(console, sid).locator("[data-testid=unread]")).to_have_count(0)
    ok(api.call("POST", f"/sessions/{sid}/chat", started["candidate"], json={"text": "Help, please."}))
    expect(tile(console, sid).locator("[data-testid=unread]")).to_be_visible(timeout=6000)
    open_session(console, sid)
    expect(console.locator("[data-testid=channel]")).to_contain_text("Help, please.")
    console.locator("[data-tab=live]").click()
    expect(tile(console, sid)).to_be_visible()
    expect(tile(console, sid).locator("[data-testid=unread]")).to_have_count(0)


def test_annul_from_the_review_queue_reaches_the_candidates_cabinet(api, started, console):
    sid = started["session"]["session_id"]
    ok(api.call("POST", f"/sessions/{sid}/submit", started["candidate"]))

    def awaiting():
        queue = ok(api.call("GET", f"/proctor/review?exam_id={started['exam_id']}", started["proctor"]))["sessions"]
        return any(s["session_id"] == sid and s["status"] == "awaiting_review" for s in queue)

    wait_for(awaiting, timeout_s=30)
    console.locator("[data-tab=review]").click()
    choose_exam(console, started["exam_id"])
    row = console.locator(f"[data-testid=review-queue] tr[data-session='{sid}']")
    expect(row).to_be_visible()
    row.locator("[data-action=verdict]").click()
    dialog = console.get_by_role("dialog")
    dialog.locator("#verdict-annul").check()
    dialog.locator("#verdict-submit").click()
    summary = dialog.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a[href='#verdict-reason']")).to_contain_text("Enter the reason for annulling")
    dialog.locator("#verdict-reason").fill("A second person helped with the answers.")
    dialog.locator("#verdict-submit").click()
    expect(console.locator("[data-testid=verdict-done]")).to_contain_text("annulled")

    cabinet = ok(api.call("GET", "/me/exams", started["candidate"]))["exams"]
    session = next(e for e in cabinet if e["exam_id"] == started["exam_id"])["session"]
    assert session["status"] == "annulled"
    assert session["verdict_reason"] == "A second person helped with the answers."


def test_a_second_console_acting_on_a_stale_view_is_told_the_session_changed(api, started, browser, web_url, agency):
    sid = started["session"]["session_id"]
    pages = []
    contexts = [console_context(browser, web_url) for _ in range(2)]
    try:
        for context, user in zip(contexts, [agency["proctor"], agency["admin"]], strict=True):
            page = open_console(context, user, PASSWORD)
            choose_exam(page, started["exam_id"])
            open_session(page, sid)
            expect(page.locator("[data-testid=channel]")).to_be_visible()
            pages.append(page)
        first, second = pages
        # The second console stops hearing about the session (its polls fail), so its view stays as it was
        second.route("**/proctor/sessions/*/messages*", lambda route: route.abort())
        second.route("**/proctor/sessions/*/timeline*", lambda route: route.abort())
        time.sleep(2.5)
        act(first, "pause", "Hold on, please.")
        second.fill("#warn-text", "Late warning")
        second.locator("#warn-submit").click()
        expect(second.locator("[data-testid=changed]")).to_contain_text("Another proctor acted on this session")
        expect(second.locator("#warn-state")).to_have_attribute("data-state", "failed")
        second.unroute("**/proctor/sessions/*/messages*")
        second.unroute("**/proctor/sessions/*/timeline*")
        expect(second.locator("[data-testid=session-status]")).to_contain_text("Paused", timeout=8000)
        assert [m["kind"] for m in inbox(api, started)] == ["pause"]
    finally:
        for context in contexts:
            context.close()


def test_the_console_fits_a_1366_screen_without_sideways_scrolling(api, started, browser, web_url, agency):
    context = console_context(browser, web_url, {"width": 1366, "height": 768})
    try:
        page = open_console(context, agency["proctor"], PASSWORD)
        choose_exam(page, started["exam_id"])
        expect(tile(page, started["session"]["session_id"])).to_be_visible()
        for lang in ("kk", "ru", "en"):
            page.evaluate("lang => document.querySelector(`.lang-switch button[lang=${lang}]`).click()", lang)
            page.wait_for_function("lang => document.documentElement.lang === lang", arg=lang)
            for tab in ("live", "review", "enrollments"):
                page.locator(f"[data-tab={tab}]").click()
                assert page.evaluate(
                    "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
                ), f"{tab}/{lang} scrolls sideways at 1366 px"
    finally:
        context.close()


def test_a_silent_session_shows_no_signal_in_words(api, started, console):
    sid = started["session"]["session_id"]  # never heartbeated: nothing heard from it
    choose_exam(console, started["exam_id"])
    expect(tile(console, sid).locator("[data-testid=no-signal]")).to_have_text("No signal")
    expect(tile(console, sid).locator("[data-testid=seen]")).to_have_text("never")


def test_terminate_needs_a_reason_and_a_confirmation_and_lands_in_review(api, started, console):
    sid = started["session"]["session_id"]
    choose_exam(console, started["exam_id"])
    open_session(console, sid)
    console.locator("#terminate-submit").click()
    expect(console.locator("#terminate-text-error")).to_have_text("Enter the reason for terminating")
    console.fill("#terminate-text", "A phone on the desk.")
    console.locator("#terminate-submit").click()
    dialog = console.get_by_role("dialog")
    expect(dialog).to_contain_text("A phone on the desk.")
    dialog.locator("#terminate-yes").click()
    expect(console.locator("#terminate-state")).to_have_attribute("data-state", "done")
    expect(console.locator("[data-testid=session-status]")).to_contain_text("Terminated", timeout=8000)
    session = candidate_view(api, started)
    assert session["terminated"] is True and session["termination_reason"] == "A phone on the desk."
    console.locator("[data-tab=review]").click()
    choose_exam(console, started["exam_id"])
    row = console.locator(f"[data-testid=review-queue] tr[data-session='{sid}']")
    expect(row.locator("[data-testid=termination-reason]")).to_contain_text("A phone on the desk.")


def test_a_rejected_identity_check_is_overridden_with_a_reason(api, make_exam, console):
    from tests.helpers import IMPOSTOR, SELFIE, verify

    ctx = make_exam(require_identity=True)
    assert verify(api, ctx, SELFIE.read_bytes(), IMPOSTOR.read_bytes()).json()["status"] == "rejected"
    # A proctor's exam list comes from sessions, and this candidate never started one: the exam ID is typed in
    console.locator("[data-tab=enrollments]").click()
    console.fill("#other-exam", ctx["exam_id"])
    console.locator("#other-exam-show").click()
    expect(console.locator("#enrollment-exam")).to_have_value(ctx["exam_id"])
    card = console.locator(f".pc-card[data-candidate='{ctx['candidate_id']}']")
    expect(card.locator("[data-testid=reasons]")).to_be_visible()
    expect(card.locator("img")).to_have_count(2)
    card.locator("[data-action=override]").click()
    expect(card.locator(".error-summary a")).to_have_text("Enter the reason for approving manually")
    card.locator("textarea").fill("Same person; the document photo is ten years old.")
    card.locator("[data-action=override]").click()
    expect(card.locator("[role=status] .tag--green")).to_be_visible()
    path = f"/proctor/enrollments/{ctx['exam_id']}/{ctx['candidate_id']}"
    assert ok(api.call("GET", path, ctx["proctor"]))["status"] == "overridden"
