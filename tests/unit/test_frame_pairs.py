"""Two webcam frames per uploaded object: the name that says so, the limits it gets, the split into frames, and the
analyzer observing each frame as the next of the session's stream (real networks, real dev faces)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from benchmarks.faces import letterbox
from chalicelib.core.presigned import MediaKind
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.identity.face_detector import FRAME_MAX_PIXELS, YuNetFaceDetector, decode_image
from chalicelib.identity.face_engine import OpenCvFaceEngine
from chalicelib.media.uploads import (
    WEBCAM_FRAMES_PER_OBJECT,
    form_kind,
    frames_name,
    object_frames,
    object_max_bytes,
    objects_per_form,
    parse_media_key,
)
from chalicelib.violations.episodes import SignalState
from functions.frame_analyzer.analysis import FrameAnalyzer, Rejected, decode_frames
from functions.frame_analyzer.frame_signals import NotAFramePair, split_frames
from tests.paths import FACES_DIR
from tests.unit.test_analyzer_frames import StatesAsGiven, enrolled_session

SID = "0123456789abcdef0123456789abcdef"
NONCE = "00112233aabbccdd"
NAME = "20261129T180431123Z-0123456789ab"
PREFIX = f"sessions/{SID}/webcam/20261129T1804Z-{NONCE}/"
WEBCAM = MediaKind("webcam", "image/jpeg", "jpg", 512 * 1024)


def test_two_frames_per_webcam_object():
    assert WEBCAM_FRAMES_PER_OBJECT == 2


def test_a_two_frame_webcam_object_says_so_in_its_name():
    pair = parse_media_key(f"{PREFIX}{NAME}.f2.jpg")
    assert pair is not None and pair.name == f"{NAME}.f2.jpg" and pair.frames == 2
    single = parse_media_key(f"{PREFIX}{NAME}.jpg")
    assert single is not None and single.frames == 1  # single frames stay valid (a flushed frame, older clients)
    assert frames_name(f"{NAME}.jpg", 2) == f"{NAME}.f2.jpg" and frames_name(f"{NAME}.jpg", 1) == f"{NAME}.jpg"
    assert (object_frames(f"{NAME}.f2.jpg"), object_frames(f"{NAME}.jpg")) == (2, 1)
    for bad in (
        f"{PREFIX}{NAME}.f3.jpg",  # only the pair is a layout the analyzer knows
        f"{PREFIX}{NAME}.f1.jpg",
        f"{PREFIX}{NAME}.f2.wav",
        f"{PREFIX}{NAME}.F2.jpg",
        f"{PREFIX}{NAME}.f2.f2.jpg",
        f"{PREFIX}{NAME}f2.jpg",
        f"sessions/{SID}/screen/20261129T1804Z-{NONCE}/{NAME}.f2.jpg",  # screen snapshots are single
        f"sessions/{SID}/audio/20261129T1804Z-{NONCE}/{NAME}.f2.wav",
    ):
        assert parse_media_key(bad) is None, bad


def test_the_webcam_form_admits_a_pair_and_counts_objects_not_frames():
    assert form_kind(WEBCAM).max_bytes == 2 * WEBCAM.max_bytes  # the form's size range is the pair's
    audio = MediaKind("audio", "audio/wav", "wav", 1024 * 1024)
    assert form_kind(audio) == audio
    assert (object_max_bytes(WEBCAM, 1), object_max_bytes(WEBCAM, 2)) == (WEBCAM.max_bytes, 2 * WEBCAM.max_bytes)
    policy = AnalysisPolicy(webcam_every_s=5)
    assert objects_per_form(policy, "webcam") == 2 * 8 + 6  # an object every 10 s over the form's 80 s


def stacked(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    return np.vstack([top, bottom])


def encode(image: np.ndarray, quality: int = 90) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def test_a_pair_splits_into_its_two_frames_earlier_on_top():
    top, bottom = np.full((480, 640, 3), 30, np.uint8), np.full((480, 640, 3), 220, np.uint8)
    first, second = split_frames(stacked(top, bottom), 2)
    assert first.shape == second.shape == (480, 640, 3)
    assert (first == 30).all() and (second == 220).all()
    assert first.flags["C_CONTIGUOUS"] and second.flags["C_CONTIGUOUS"]  # views the detector takes as they are
    (one,) = split_frames(top, 1)
    assert one is top


@pytest.mark.parametrize(
    ("height", "width"),
    [
        (961, 640),  # odd height: no two equal frames
        (480, 640),  # a single 4:3 frame named as a pair: two 640x240 strips
        (720, 1280),  # a single 16:9 frame
        (100, 64),  # frames of 64x50: smaller than any webcam frame the detector can use
        (2560, 640),  # two 640x1280 frames: taller than a phone held upright
    ],
)
def test_a_picture_that_is_not_two_webcam_frames_is_refused(height, width):
    with pytest.raises(NotAFramePair):
        split_frames(np.zeros((height, width, 3), np.uint8), 2)


def test_decoding_a_pair_checks_the_pixel_limit_per_frame_it_holds():
    tall = encode(np.full((1080 * 2, 1920, 3), 128, np.uint8), 30)  # two full-HD frames
    with pytest.raises(Rejected, match="too_many_pixels"):
        decode_frames(tall, 1)  # as a single frame it is over FRAME_MAX_PIXELS
    first, second = decode_frames(tall, 2)
    assert first.shape[:2] == (1080, 1920) and first.shape[0] * first.shape[1] == FRAME_MAX_PIXELS
    with pytest.raises(Rejected, match="too_many_pixels"):
        decode_frames(encode(np.full((1088 * 2, 1920, 3), 128, np.uint8), 30), 2)
    with pytest.raises(Rejected, match="not_a_frame_pair"):
        decode_frames(encode(np.full((480, 640, 3), 128, np.uint8)), 2)
    with pytest.raises(Rejected, match="undecodable"):
        decode_frames(tall[: len(tall) // 2], 2)


def frame(name: str) -> np.ndarray:
    return letterbox(decode_image((FACES_DIR / name).read_bytes()), (640, 480))


class CountingEngine(OpenCvFaceEngine):
    def __init__(self) -> None:
        super().__init__(detector=YuNetFaceDetector())
        self.crops = 0
        self.streams: list = []

    def observe(self, image_bgr, encoded=None, *, stream=None):
        self.streams.append(stream)
        return super().observe(image_bgr, encoded, stream=stream)

    def embed_crops(self, crops):
        self.crops += len(crops)
        return super().embed_crops(crops)


@pytest.fixture(scope="module")
def engine() -> CountingEngine:
    return CountingEngine()


@pytest.fixture(scope="module")
def session(engine: CountingEngine) -> SimpleNamespace:
    return enrolled_session(engine)


def test_each_frame_of_a_pair_is_observed_in_order_as_the_next_frame_of_the_stream(engine, session):
    """The candidate alone on top, two people below: two steps, webcam_every_s apart, ending at the upload; the
    frame numbers advance per frame (re-identification on frame 3 of every_n 3 only, the bottom frame's stream
    knows the top one showed one face); multiple_faces is flagged on the bottom half only, and says so."""
    work = FrameAnalyzer(
        s3=None,
        engines=lambda _name: engine,
        engine_for_agency=lambda _agency: engine,
        tracker=StatesAsGiven(),
        speech=lambda: None,
        clock=None,
        kinds={},
        recorder=None,
    )
    policy = AnalysisPolicy(webcam_every_s=5, reid_every_n=3)
    pair = encode(stacked(frame("alex_lacamoire__alex_lacamoire1.jpg"), frame("group__two_people.jpg")))
    uploaded_at = datetime(2026, 11, 29, 18, 4, 31, tzinfo=UTC)
    states = {"no_face": SignalState(observations=3)}  # three frames of the stream before this object
    engine.crops, engine.streams = 0, []
    steps, faces = work._observe_frames(session, pair, policy, states, uploaded_at, 2)
    assert [step.at for step in steps] == [uploaded_at - timedelta(seconds=5), uploaded_at]
    assert [step.details_extra for step in steps] == [{"part": 0, "frames": 2}, {"part": 1, "frames": 2}]
    assert [s.frame_number for s in engine.streams] == [3, 4]
    assert [s.precise for s in engine.streams] == [True, False]  # frame 3 re-identified, frame 4 not
    assert engine.streams[1].previous_faces == 1
    assert engine.crops == 2  # whole face + lower half, once: the top frame
    top, bottom = (step.observations for step in steps)
    assert not top["multiple_faces"].flagged and not top["face_mismatch"].flagged
    assert bottom["multiple_faces"].flagged and "face_mismatch" not in bottom
    assert faces == 2  # the outcome row keeps the most faces one frame showed


def test_a_single_frame_is_one_step_at_the_upload(engine, session):
    work = FrameAnalyzer(None, lambda _n: engine, lambda _a: engine, StatesAsGiven(), lambda: None, None, {}, None)
    uploaded_at = datetime(2026, 11, 29, 18, 4, 31, tzinfo=UTC)
    data = encode(frame("group__two_people.jpg"))
    steps, faces = work._observe_frames(session, data, AnalysisPolicy(), {}, uploaded_at, 1)
    assert [(step.at, step.details_extra) for step in steps] == [(uploaded_at, None)]
    assert steps[0].observations["multiple_faces"].flagged and faces == 2


def test_the_earlier_frame_of_a_pair_never_goes_before_the_newest_frame_seen():
    from functions.frame_analyzer.analysis import frame_times

    at = datetime(2026, 11, 29, 18, 4, 31, tzinfo=UTC)
    seconds = timedelta(seconds=1)
    # The cadence: the earlier frame webcam_every_s before the upload (a fresh stream, or the previous frame older)
    assert frame_times(at, 2, 5, None) == [at - 5 * seconds, at]
    assert frame_times(at, 2, 5, at - 10 * seconds) == [at - 5 * seconds, at]
    assert frame_times(at, 2, 5, at - 5 * seconds) == [at - 2.5 * seconds, at]  # never at the newest frame's time
    # The previous object went up late (its later frame placed 2 s ago): the earlier frame goes between the two
    assert frame_times(at, 2, 5, at - 2 * seconds) == [at - 1 * seconds, at]
    # An object older than the newest frame seen (delivered out of order) keeps the cadence: the late rules apply
    assert frame_times(at, 2, 5, at + 3 * seconds) == [at - 5 * seconds, at]
    assert frame_times(at, 1, 5, at - 2 * seconds) == [at]
