"""Per-frame face work of the frame analyzer (FrameAnalyzer._observe_frame) on real dev faces and the real networks:
what runs on which frame of a session's webcam stream, and that the saving never hides a different person."""

from __future__ import annotations

from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from benchmarks.faces import letterbox
from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.identity.face_detector import (
    FULL_PASS_EVERY,
    DetectedFace,
    FaceStream,
    YuNetFaceDetector,
    decode_image,
    detect_stream,
    full_pass_due,
)
from chalicelib.identity.face_engine import OpenCvFaceEngine, observation
from chalicelib.identity.occlusion import region_template
from chalicelib.violations.episodes import SignalState
from functions.frame_analyzer.analysis import FrameAnalyzer
from tests.paths import FACES_DIR

ENROLLED = "alex_lacamoire__alex_lacamoire.jpg"  # the enrollment photo
CANDIDATE = "alex_lacamoire__alex_lacamoire1.jpg"  # the same person in the exam
IMPOSTOR = "obama__obama.jpg"  # someone else sitting down in their place


class CountingDetector:
    """YuNet, recording the analysis size of every pass."""

    def __init__(self, detector: YuNetFaceDetector) -> None:
        self._detector = detector
        self.score_threshold = detector.score_threshold
        self.analysis_max_side = detector.analysis_max_side
        self.sides: list[int] = []

    def detect(self, image: np.ndarray, **kwargs) -> list[DetectedFace]:
        self.sides.append(kwargs.get("max_side") or self.analysis_max_side)
        return self._detector.detect(image, **kwargs)


class CountingEngine(OpenCvFaceEngine):
    """The in-process engine, counting SFace crops."""

    def __init__(self, detector: CountingDetector) -> None:
        super().__init__(detector=detector)
        self.crops = 0

    def embed_crops(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        self.crops += len(crops)
        return super().embed_crops(crops)


class StatesAsGiven:
    """The tracker's one call _observe_frame makes: the states are handed in as they were decoded."""

    @staticmethod
    def states(record: dict[str, SignalState]) -> dict[str, SignalState]:
        return record


def jpeg(name: str) -> bytes:
    frame = letterbox(decode_image((FACES_DIR / name).read_bytes()), (640, 480))
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return data.tobytes()


@pytest.fixture(scope="module")
def detector() -> CountingDetector:
    return CountingDetector(YuNetFaceDetector())


@pytest.fixture(scope="module")
def engine(detector: CountingDetector) -> CountingEngine:
    return CountingEngine(detector)


@pytest.fixture(scope="module")
def session(engine: CountingEngine) -> SimpleNamespace:
    return enrolled_session(engine)


def enrolled_session(engine: OpenCvFaceEngine) -> SimpleNamespace:
    """A session as the analyzer reads it, enrolled with ENROLLED's face."""
    photo = decode_image((FACES_DIR / ENROLLED).read_bytes())
    (face,) = engine.observe(photo)
    return SimpleNamespace(
        agency_id="agency",
        reference_engine=engine.name,
        reference_vector=engine.template(photo, face).vector,
        reference_image_key=None,
        reference_regions=region_template(engine, photo, face),
        baseline_yaw=face.yaw,
        baseline_pitch=face.pitch,
    )


def analyzer(engine: CountingEngine) -> FrameAnalyzer:
    return FrameAnalyzer(
        s3=None,
        engines=lambda _name: engine,
        engine_for_agency=lambda _agency: engine,
        tracker=StatesAsGiven(),
        speech=lambda: None,
        clock=None,
        kinds={},
        recorder=None,
    )


@pytest.mark.parametrize("every", [1, 3, 6])
def test_sface_runs_only_on_reid_frames_and_a_different_person_is_caught_within_the_reid_interval(
    engine: CountingEngine, detector: CountingDetector, session: SimpleNamespace, every: int
) -> None:
    """Whatever frame of the stream the impostor takes the seat on, face_mismatch is flagged on a frame at most
    reid_every_n - 1 frames later; frames in between run no SFace pass at all, and the candidate is never flagged."""
    frames = {name: jpeg(name) for name in (CANDIDATE, IMPOSTOR)}
    policy = AnalysisPolicy(reid_every_n=every)
    work = analyzer(engine)
    for swap in range(1, every + 2):
        caught_at = None
        for number in range(swap + every + 1):
            name = CANDIDATE if number < swap else IMPOSTOR
            states = {"no_face": SignalState(observations=number)}  # the stream so far: one face on every frame
            engine.crops, detector.sides = 0, []
            signals, faces = work._observe_frame(session, frames[name], policy, states)
            assert faces == 1
            reid = number % every == 0
            assert engine.crops == (2 if reid else 0), (every, swap, number)  # whole face + lower half, or nothing
            assert ("face_mismatch" in signals) == reid
            if reid and detector.sides:
                assert detector.sides[-1] == 640  # the embedded face's landmarks come from the full pass
            if name == CANDIDATE and reid:
                assert not signals["face_mismatch"].flagged and not signals["face_covered"].flagged
            if name == IMPOSTOR and reid and signals["face_mismatch"].flagged and caught_at is None:
                caught_at = number
        assert caught_at is not None and caught_at - swap < every, (every, swap, caught_at)


def test_reid_frames_stand_in_for_the_periodic_full_pass_when_they_come_often_enough() -> None:
    """A full pass at least every FULL_PASS_EVERY frames, always; where re-identification frames (which run the full
    pass) come at least that often, no other frame adds one."""
    for every in range(0, 12):
        due = [n for n in range(60) if full_pass_due(FaceStream(n, 1, bool(every) and n % every == 0, every))]
        full = sorted(set(due) | ({n for n in range(60) if n % every == 0} if every else set()))
        assert full[0] == 0 and max(b - a for a, b in zip(full, full[1:], strict=False)) <= FULL_PASS_EVERY, every
        if 0 < every <= FULL_PASS_EVERY:
            assert due == list(range(0, 60, every))  # the reid frames and nothing else
        else:
            assert due == list(range(0, 60, FULL_PASS_EVERY))  # as before: every FULL_PASS_EVERY-th frame


def test_the_candidate_alone_gets_one_full_pass_per_reid_frame_and_the_fast_pass_in_between(
    detector: CountingDetector,
) -> None:
    frame = letterbox(decode_image((FACES_DIR / CANDIDATE).read_bytes()), (640, 480))
    full_at = []
    for number in range(15):
        detector.sides = []
        stream = FaceStream(number, 1 if number else None, precise=number % 3 == 0, precise_every=3)
        result = detect_stream(detector, frame, stream)
        assert len(result.faces) == 1
        if result.full_pass:
            full_at.append(number)
        else:
            assert detector.sides == [320]
    assert full_at == [0, 3, 6, 9, 12]  # before: also 5 and 10 (7 full passes in 15 frames, now 5)


def test_face_measurements_from_the_face_box_alone_equal_those_from_the_whole_grey_frame(
    detector: CountingDetector,
) -> None:
    """observation() converts only the face box to grey: the same numbers as converting the frame, also for boxes
    that reach past the image edge or lie outside it."""
    checked = 0
    for path in sorted(FACES_DIR.glob("*.jpg"))[:20]:
        image = decode_image(path.read_bytes())
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        height, width = image.shape[:2]
        faces = detector.detect(image)
        for face in faces[:1]:
            x, y, w, h = face.box
            moved = [
                face,
                DetectedFace((x - w / 2 - 0.5, y - h / 2 + 0.5, w, h), face.score, face.landmarks),  # past the top-left
                DetectedFace((width - w / 3, height - h / 3, w, h), face.score, face.landmarks),  # past bottom-right
                DetectedFace((width + 5.0, 2.0, w, h), face.score, face.landmarks),  # outside: nothing to measure
            ]
            for box in moved:
                assert observation(image, box) == observation(image, box, gray), (path.name, box.box)
                checked += 1
    assert checked >= 40
