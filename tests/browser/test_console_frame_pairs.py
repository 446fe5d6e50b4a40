"""The proctor console with two-frame webcam objects (`<name>.f2.jpg`, two 640x480 frames stacked, earlier on top):
the evidence shows only the frame the violation names, the zoom can show both, the live tile the newest frame."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from benchmarks.faces import letterbox
from chalicelib.identity.face_detector import decode_image
from chalicelib.media.uploads import frames_name
from tests.browser.conftest import SCREENSHOTS
from tests.browser.console import choose_exam, console_context, heartbeat, open_console, open_session, tile
from tests.helpers import FACES_DIR, PASSWORD, presign, upload, wait_for


@pytest.fixture
def console(browser, web_url, agency):
    context = console_context(browser, web_url)
    yield open_console(context, agency["proctor"], PASSWORD)
    context.close()


@pytest.fixture
def started(api, make_exam):
    ctx = make_exam(analysis={"persistence": {"multiple_faces": 1}})
    ctx["session"] = api.call("POST", f"/exams/{ctx['exam_id']}/sessions", ctx["candidate"], json={}).json()
    return ctx


def pair(top: str, bottom: str) -> bytes:
    frames = [letterbox(decode_image((FACES_DIR / name).read_bytes()), (640, 480)) for name in (top, bottom)]
    ok, data = cv2.imencode(".jpg", np.vstack(frames), [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return data.tobytes()


def upload_pair(api, ctx, data: bytes) -> str:
    post = presign(api, ctx)
    key = post["key_prefix"] + frames_name(post["key"].rsplit("/", 1)[1], 2)
    upload({**post, "key": key, "fields": {**post["fields"], "key": key}}, data).raise_for_status()
    return key


def test_the_console_shows_the_half_of_a_pair_the_violation_names(api, started, console):
    sid = started["session"]["session_id"]
    heartbeat(api, started, sid)
    # The candidate alone on top, two people below: multiple_faces opens on the bottom frame (part 1)
    upload_pair(api, started, pair("alex_lacamoire__alex_lacamoire1.jpg", "group__two_people.jpg"))
    timeline = f"/proctor/sessions/{sid}/timeline"
    wait_for(lambda: api.call("GET", timeline, started["proctor"]).json()["violations"], timeout_s=30)
    choose_exam(console, started["exam_id"])
    card = tile(console, sid)
    # The live tile: the newest frame of the latest object, i.e. the bottom half of the pair
    frame = card.locator("img.pc-tile__frame")
    expect(frame).to_have_class("pc-tile__frame pc-part pc-part--1", timeout=12000)
    assert frame.evaluate("e => getComputedStyle(e).objectPosition") == "50% 100%"
    open_session(console, sid)
    thumb = console.locator("[data-violation=multiple_faces] .pc-thumb img")
    expect(thumb).to_have_attribute("data-part", "1")
    expect(thumb).to_have_attribute("data-frames", "2")
    # A 120x90 box over the 640x960 picture, its bottom half in view
    assert thumb.evaluate("e => [e.clientWidth, e.clientHeight, getComputedStyle(e).objectFit]") == [120, 90, "cover"]
    assert thumb.evaluate("e => getComputedStyle(e).objectPosition") == "50% 100%"
    console.locator("[data-violation=multiple_faces] .pc-thumb").click()
    zoomed = console.locator("[data-testid=zoom-frame]")
    expect(zoomed).to_be_visible()
    assert zoomed.evaluate("e => e.naturalHeight === 960 && e.naturalWidth === 640")
    box = zoomed.bounding_box()
    assert box and abs(box["width"] / box["height"] - 4 / 3) < 0.02  # one frame's shape, not the pair's
    expect(console.get_by_role("dialog")).to_contain_text("The later of the two frames")
    console.locator("#zoom-both").click()
    both = console.locator("[data-testid=zoom-both]")
    expect(both).to_be_visible()
    box = both.bounding_box()
    assert box and abs(box["width"] / box["height"] - 2 / 3) < 0.02  # both frames, stacked
    console.locator("#zoom-both").click()
    expect(console.locator("[data-testid=zoom-frame]")).to_be_visible()
    console.locator("#zoom-close").click()
    # The session view and the zoomed half in every language (generated output in .local/screenshots, not in git)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for lang, native in (("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")):
        console.locator(".lang-switch").get_by_text(native).click()
        console.screenshot(path=str(SCREENSHOTS / f"console-pair-session-{lang}.png"))
        console.locator("[data-violation=multiple_faces] .pc-thumb").click()
        expect(console.locator("[data-testid=zoom-frame]")).to_be_visible()
        console.screenshot(path=str(SCREENSHOTS / f"console-pair-zoom-{lang}.png"))
        console.locator("#zoom-close").click()
