"""The audio gate in a real Chromium: a quiet microphone uploads only its keep-alive chunks, a speaking one uploads
its chunks (web/src/shared/media/voice_gate.ts). The exam's fast cadence: 2 s chunks, a keep-alive every 6 s."""

from __future__ import annotations

import math
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.browser import exams
from tests.browser.checks import session_id, uploads
from tests.browser.conftest import CHROMIUM, SPEECH_WAV, chromium_args
from tests.browser.flow import start_test
from tests.helpers import PASSWORD

CHUNK_S = exams.FAST_ANALYSIS["audio_chunk_s"]  # 2 s
KEEPALIVE_S = 6
LISTEN_S = 24  # 12 chunks: 12 uploads when speaking, the first + one every 3 when quiet


@pytest.fixture
def gated_exam(api, agency, monkeypatch) -> dict:
    monkeypatch.setitem(exams.FAST_ANALYSIS, "audio_keepalive_s", KEEPALIVE_S)
    ctx = exams.new_candidate_exam(api, agency, PASSWORD)
    assert exams.FAST_ANALYSIS["audio_chunk_s"] == 2
    return ctx


@pytest.fixture(scope="module")
def quiet_room_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10 s of a quiet room (pink-ish noise at about -60 dBFS): what a microphone hears when nobody speaks."""
    rng = np.random.default_rng(7)
    white = rng.standard_normal(10 * 16000)
    room = np.convolve(white, np.ones(8) / 8, mode="same")  # a little low-passed: a room, not hiss
    room *= 10 ** (-60 / 20) / np.sqrt(np.mean(room**2))
    out = tmp_path_factory.mktemp("audio") / "quiet_room.wav"
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((room * 32767).round().astype("<i2").tobytes())
    return out


@pytest.fixture
def quiet_page(playwright_instance, fake_camera, web_url, quiet_room_wav):
    args = [a for a in chromium_args(fake_camera) if not a.startswith("--use-file-for-fake-audio-capture=")]
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=[*args, f"--use-file-for-fake-audio-capture={quiet_room_wav}"]
    )
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=web_url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    browser.close()


def listen(page, ctx, api, stack) -> tuple[int, float]:
    """Start the test, let the microphone run LISTEN_S, then count the audio chunks the bucket received."""
    start_test(page, ctx["candidate_id"], ctx["password"])
    began = time.monotonic()
    sid = session_id(api, ctx)
    page.wait_for_timeout(LISTEN_S * 1000)
    page.wait_for_timeout(3000)  # the last chunk's upload
    elapsed = time.monotonic() - began
    audio = uploads(stack, sid)["audio"]
    print(f"audio chunks uploaded: {audio} in {elapsed:.1f} s ({elapsed / CHUNK_S:.0f} chunks of {CHUNK_S} s recorded)")
    return audio, elapsed


def test_a_quiet_microphone_uploads_only_its_keepalive_chunks(quiet_page, gated_exam, api, stack):
    audio, elapsed = listen(quiet_page, gated_exam, api, stack)
    recorded = elapsed / CHUNK_S  # chunks the page recorded (it started listening when the timer showed)
    # the first chunk, then one every KEEPALIVE_S: about a third of the chunks
    most = 1 + math.ceil(elapsed / KEEPALIVE_S)
    assert 2 <= audio <= most, (audio, elapsed)
    assert audio <= recorded / 2, (audio, recorded)


def test_a_speaking_microphone_uploads_its_chunks(page, gated_exam, api, stack):
    assert SPEECH_WAV.exists()  # the fake microphone reads speech_ru.wav in a loop (0.5 s pauses)
    audio, elapsed = listen(page, gated_exam, api, stack)
    speaking = LISTEN_S / CHUNK_S  # chunks recorded in the listening window alone
    # every chunk holds speech: all of them go, far more than the keep-alive alone would send
    assert audio >= speaking - 1, (audio, elapsed)
    assert audio > 1 + math.ceil(elapsed / KEEPALIVE_S) + 2, (audio, elapsed)
