"""Two-pass detection of webcam frames (face_detector.detect_stream): the fast 320 pass may stand only where the full
pass would count the same, and a second person is never missed because of it. Checked on the real dev face set."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from benchmarks.faces import letterbox
from chalicelib.identity.face_detector import (
    FAST_MIN_FACE_PX,
    FAST_SUSPECT_SCORE,
    FULL_PASS_EVERY,
    DetectedFace,
    FaceStream,
    YuNetFaceDetector,
    decode_image,
    detect_stream,
    fast_pass_stands,
)
from chalicelib.identity.face_engine import OpenCvFaceEngine
from functions.frame_analyzer.frame_signals import frame_brightness
from tests.paths import FACES_DIR

MANIFEST = json.loads((FACES_DIR / "manifest.json").read_text())["images"]
# A frame where the fast pass may stand if it sees one clear face: not a full-pass frame, previous frame one face.
MAY_BE_FAST = FaceStream(frame_number=1, previous_faces=1)
ALONE = "alex_lacamoire__alex_lacamoire1.jpg"
OTHERS = ("obama__obama.jpg", "rose_leslie__img1.jpg", "kit_harington__john1.jpg", "biden__biden2.jpg")


def load(name: str) -> np.ndarray:
    return decode_image((FACES_DIR / name).read_bytes())


def counted(item: dict, count: int) -> bool:
    low, high = item.get("faces_range", (item["faces"], item["faces"]))
    return low <= count <= high


class CountingDetector:
    """A YuNet detector that records the analysis size of every pass."""

    def __init__(self, detector: YuNetFaceDetector) -> None:
        self._detector = detector
        self.score_threshold = detector.score_threshold
        self.analysis_max_side = detector.analysis_max_side
        self.sides: list[int] = []

    def detect(self, image: np.ndarray, **kwargs) -> list[DetectedFace]:
        self.sides.append(kwargs.get("max_side") or self.analysis_max_side)
        return self._detector.detect(image, **kwargs)


@pytest.fixture(scope="module")
def detector() -> YuNetFaceDetector:
    return YuNetFaceDetector()


def face(score: float = 0.95, height: float = 120.0) -> DetectedFace:
    return DetectedFace(box=(10.0, 10.0, height * 0.8, height), score=score, landmarks=((0.0, 0.0),) * 5)


# ---- the rule ------------------------------------------------------------------------------------------------


def test_fast_pass_stands_only_for_one_clear_large_face_after_a_one_face_frame() -> None:
    assert fast_pass_stands(MAY_BE_FAST, [face()], 0.9)
    assert not fast_pass_stands(MAY_BE_FAST, [], 0.9)  # nobody: the full pass confirms
    assert not fast_pass_stands(MAY_BE_FAST, [face(), face(score=FAST_SUSPECT_SCORE)], 0.9)  # a possible second face
    assert not fast_pass_stands(MAY_BE_FAST, [face(score=0.89)], 0.9)  # unsure
    assert not fast_pass_stands(MAY_BE_FAST, [face(height=FAST_MIN_FACE_PX - 1)], 0.9)  # small: far away
    assert not fast_pass_stands(MAY_BE_FAST, [face(height=60)], 0.9, scale=0.5)  # 30 px where the fast pass saw it
    for previous in (None, 0, 2):  # the count may have changed
        assert not fast_pass_stands(FaceStream(1, previous), [face()], 0.9)
    assert not fast_pass_stands(FaceStream(1, 1, precise=True), [face()], 0.9)  # landmarks to embed: full pass
    assert not fast_pass_stands(FaceStream(FULL_PASS_EVERY, 1), [face()], 0.9)
    assert not fast_pass_stands(FaceStream(0, 1), [face()], 0.9)


def test_a_full_pass_runs_at_least_every_n_frames_of_a_stream(detector: YuNetFaceDetector) -> None:
    frame = letterbox(load(ALONE))
    counting = CountingDetector(detector)
    full_at = []
    for number in range(3 * FULL_PASS_EVERY):
        counting.sides.clear()
        result = detect_stream(counting, frame, FaceStream(number, 1 if number else None))
        assert len(result.faces) == 1
        if result.full_pass:
            full_at.append(number)
            assert counting.sides[-1] == detector.analysis_max_side
        else:
            assert counting.sides == [320]  # one fast pass and nothing else
    assert full_at == list(range(0, 3 * FULL_PASS_EVERY, FULL_PASS_EVERY))  # the candidate alone: fast in between


def test_without_a_stream_the_engine_analyses_in_full(detector: YuNetFaceDetector) -> None:
    counting = CountingDetector(detector)
    engine = OpenCvFaceEngine(detector=counting)
    frame = letterbox(load(ALONE))
    engine.observe(frame)
    assert counting.sides == [640]
    counting.sides.clear()
    (fast,) = engine.observe(frame, stream=MAY_BE_FAST)
    assert counting.sides == [320] and fast.yaw is not None


# ---- the dev set ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [None, (640, 480)], ids=["as_stored", "webcam_640x480"])
def test_two_pass_counts_every_dev_image_as_well_as_the_full_pass(detector: YuNetFaceDetector, size) -> None:
    """Where the fast pass may stand, the count is the full pass's on every image with 0 or 2+ faces (the fast pass
    never stands there), and right wherever the full pass is right; no extra person on a single-face image."""
    worse = []
    for item in MANIFEST:
        image = load(item["file"])
        image = letterbox(image, size) if size else image
        full = len(detector.detect(image))
        result = detect_stream(detector, image, MAY_BE_FAST)
        if item["faces"] != 1:
            assert result.full_pass, item["file"]
        if counted(item, full) and not counted(item, len(result.faces)):
            worse.append(f"{item['file']}: full {full}, two-pass {len(result.faces)}")
        if item["faces"] == 1:
            assert len(result.faces) <= 1, item["file"]
    assert worse == []


def paste(frame: np.ndarray, person: np.ndarray, height: int, left: int) -> np.ndarray:
    """The frame with `person` (a face photo) scaled to `height` px pasted at the top, `left` px from the left."""
    scale = height / person.shape[0]
    small = cv2.resize(person, (max(1, round(person.shape[1] * scale)), height), interpolation=cv2.INTER_AREA)
    out = frame.copy()
    width = min(small.shape[1], out.shape[1] - left)
    out[0:height, left : left + width] = small[:, :width]
    return out


def test_a_second_person_the_full_pass_sees_is_never_missed_because_of_the_fast_pass(
    detector: YuNetFaceDetector,
) -> None:
    """The candidate alone (previous frame: one face), then another person's face photo appears beside them, at
    sizes from a close neighbour down to one far behind: whenever the full pass counts two, so does the two-pass."""
    candidate = letterbox(load(ALONE))
    checked, fast_stood = 0, 0
    for name in OTHERS:
        other = load(name)
        for height in (360, 260, 200, 150, 110, 80, 60, 45):
            for left in (0, 440):
                frame = paste(candidate, other, height, left)
                full = len(detector.detect(frame))
                result = detect_stream(detector, frame, MAY_BE_FAST)
                if full >= 2:
                    checked += 1
                    assert len(result.faces) >= 2, (name, height, left, full)
                fast_stood += not result.full_pass
    assert checked >= 30  # half of the grid shows two faces to the full pass (the smallest pasted faces, none)
    assert fast_stood >= 10  # and the fast pass did stand where no second face is to be seen


# ---- per-frame costs that do not change results --------------------------------------------------------------


def test_frame_brightness_is_the_mean_of_the_channel_means() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    assert frame_brightness(image) == pytest.approx(float(image.mean(axis=2).mean()), abs=1e-9)
    assert frame_brightness(image[..., 0]) == pytest.approx(float(image[..., 0].mean()), abs=1e-9)
    bgra = np.dstack([image, np.zeros((48, 64), np.uint8)])
    assert frame_brightness(bgra) == pytest.approx(float(image.mean()), abs=1e-9)


def test_decode_at_reduced_size_only_as_far_as_the_caller_needs() -> None:
    frame = cv2.resize(letterbox(load(ALONE)), (1280, 960))
    data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    assert decode_image(data).shape == (960, 1280, 3)
    assert decode_image(data, max_side=640).shape == (480, 640, 3)
    assert decode_image(data, max_side=320).shape == (240, 320, 3)
    assert decode_image(data, max_side=641).shape == (960, 1280, 3)  # half would be below what is needed
    reduced = decode_image(data, max_side=640)
    direct = cv2.resize(decode_image(data), (640, 480), interpolation=cv2.INTER_AREA)
    assert np.abs(reduced.astype(int) - direct.astype(int)).mean() < 3  # the same picture, not a crop
    png = cv2.imencode(".png", frame)[1].tobytes()
    assert decode_image(png, max_side=320).shape == (960, 1280, 3)  # only JPEG decodes scaled
