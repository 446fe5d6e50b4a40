"""What the candidate's page costs the API in a real Chromium: one upload form per kind and minute, reused for
every upload; a heartbeat every 20 s while nobody watches and every 5 s once a proctor opens the session; the inbox
fetched only when a heartbeat says there is something new, and a warning arrives within ~6 s while watched."""

from __future__ import annotations

import io
import json
import math
import time
from collections import Counter
from typing import Any
from urllib.parse import urlparse

from PIL import Image
from playwright.sync_api import expect

from tests.browser.channel import Proctor
from tests.browser.checks import media_object, session_id, uploads, webcam_frames, webcam_objects
from tests.browser.flow import start_test

MAX_TRIES_PER_SIGNAL = 3  # web/src/candidate/channel.ts


class ApiCalls:
    """Every API request the page makes, and every heartbeat answer, with the monotonic time it was seen."""

    def __init__(self, page) -> None:
        self.requests: list[tuple[float, str, str, dict[str, Any]]] = []
        self.beats: list[tuple[float, tuple[Any, ...]]] = []
        self.intervals: list[tuple[float, Any]] = []  # (when, the answer's next_heartbeat_s)
        page.on("request", self._request)
        page.on("response", self._response)

    def _request(self, request) -> None:
        path = urlparse(request.url).path
        if not path.startswith("/api/"):
            return
        try:
            body = json.loads(request.post_data or "null") or {}
        except ValueError:
            body = {}
        self.requests.append((time.monotonic(), request.method, path, body))

    def _response(self, response) -> None:
        if response.request.method == "POST" and urlparse(response.url).path.endswith("/heartbeat") and response.ok:
            answer = response.json()
            inbox = answer.get("inbox") or {}
            signal = (inbox.get("latest_id"), answer.get("control_rev"), inbox.get("violations"))
            self.beats.append((time.monotonic(), signal))
            self.intervals.append((time.monotonic(), answer.get("next_heartbeat_s")))

    def forms(self, kind: str) -> list[float]:
        return [t for t, m, p, b in self.requests if m == "POST" and p.endswith("/media") and b.get("kind") == kind]

    def inbox_fetches(self, since: float) -> int:
        return sum(1 for t, m, p, _ in self.requests if t >= since and m == "GET" and p.endswith("/inbox"))

    def signal_changes(self, since: float) -> int:
        """Heartbeat answers after `since` whose signal differs from the answer before them."""
        signals = [s for _, s in self.beats]
        times = [t for t, _ in self.beats]
        return sum(1 for i in range(1, len(signals)) if times[i] >= since and signals[i] != signals[i - 1])


def test_one_form_per_kind_and_minute_and_the_inbox_only_on_a_heartbeat_signal(page, candidate_exam, api, stack):
    calls = ApiCalls(page)
    start_test(page, candidate_exam["candidate_id"], candidate_exam["password"])
    sid = session_id(api, candidate_exam)
    # The page's events reach the handlers (stamped then) only while Playwright runs: let the beats of the start be
    # seen before the quiet stretch begins, or they would be stamped inside it (session_id above pumps no events).
    page.wait_for_timeout(1000)
    began = time.monotonic()
    # The start beats once: the claim before monitoring starts is the monitor's first beat (it beat again at once)
    assert len([p for _, m, p, _ in calls.requests if m == "POST" and p.endswith("/heartbeat")]) == 1, calls.requests

    # A quiet stretch, nobody watching: the page heartbeats every 20 s (next_heartbeat_s; it beat every 5 s before)
    # and uploads a frame a second, audio and screen every 2 s
    page.wait_for_timeout(45000)  # (not time.sleep: the page's events reach the handlers only while Playwright runs)
    quiet_beats = [t for t, _ in calls.beats if t >= began]
    assert 2 <= len(quiet_beats) <= 3, calls.intervals
    assert all(b - a >= 18 for a, b in zip(quiet_beats, quiet_beats[1:], strict=False)), calls.intervals
    assert all(n == 20 for _, n in calls.intervals), calls.intervals
    # Then the inbox was fetched only for what the heartbeats signalled (a violation counted, say), never on a timer
    assert calls.inbox_fetches(began) <= MAX_TRIES_PER_SIGNAL * calls.signal_changes(began), (
        calls.inbox_fetches(began),
        calls.beats,
    )

    # The proctor opens the session: from the page's next beat on it heartbeats every 5 s
    proctor = Proctor(api, candidate_exam, sid)
    opened = time.monotonic()
    proctor.open()
    deadline = opened + 25
    while not any(t >= opened and n == 5 for t, n in calls.intervals) and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    assert any(t >= opened and n == 5 for t, n in calls.intervals), calls.intervals

    # A warning sent while the proctor has the session open reaches the page within ~6 s, through a signalled fetch
    before = calls.inbox_fetches(began)
    warned_at = time.monotonic()
    warning = proctor.warn("Please keep your eyes on your own screen.")["message"]
    expect(page.get_by_test_id("proctor-warning-text")).to_have_text(
        "Please keep your eyes on your own screen.", timeout=7000
    )
    print(f"\nwarning shown {time.monotonic() - warned_at:.1f} s after it was sent (watched: 5 s beats)")
    assert calls.inbox_fetches(began) > before
    assert any(t >= warned_at and s[0] == warning["message_id"] for t, s in calls.beats)

    # And every upload of a minute went through that minute's one form per kind
    elapsed = time.monotonic() - calls.requests[0][0]
    stored = uploads(stack, sid)
    frames = webcam_frames(stack, sid)
    assert frames >= 20, (frames, stored)
    for kind in ("webcam", "audio", "screen"):
        forms = calls.forms(kind)
        assert 1 <= len(forms) <= math.ceil(elapsed / 60) + 1, (kind, len(forms), elapsed)
    assert len(calls.forms("webcam")) * 5 <= stored["webcam"]
    # Two webcam frames per object: every object but a frame flushed alone is a pair (a frame a second, a pair every
    # two), stacked into one 640x960 JPEG, earlier frame on top.
    keys = webcam_objects(stack, sid)
    pairs = [key for key in keys if key.endswith(".f2.jpg")]
    assert len(pairs) >= len(keys) - 1 and stored["webcam"] * 2 - 1 <= frames, keys
    with Image.open(io.BytesIO(media_object(stack, pairs[-1]))) as picture:
        assert (picture.format, picture.size) == ("JPEG", (640, 960))
    # The measurement for docs/BENCHMARKS.md (pytest -s shows it)
    counted = Counter(p.rsplit("/", 1)[-1] for _, m, p, _ in calls.requests if p.startswith("/api/sessions/"))
    print(f"\nAPI calls in {elapsed:.0f} s: {dict(counted)}; objects stored {stored}; beats {len(calls.beats)}")
