"""Enrollment quality gates on real dev photos and versions derived from them."""

from __future__ import annotations

import dataclasses
import json
import re

import cv2
import numpy as np
import pytest

from chalicelib.identity.face_detector import decode_image
from chalicelib.identity.face_engine import FaceObservation, OpenCvFaceEngine
from chalicelib.identity.quality import MESSAGES, REASON_CODES, QualityLimits, assess_enrollment
from tests.paths import FACES_DIR

MANIFEST = json.loads((FACES_DIR / "manifest.json").read_text())["images"]
PORTRAIT = "alex_lacamoire__alex_lacamoire1.jpg"  # frontal, even studio light, face ~43 % of the height


def load(name: str) -> np.ndarray:
    return decode_image((FACES_DIR / name).read_bytes())


@pytest.fixture(scope="module")
def engine() -> OpenCvFaceEngine:
    return OpenCvFaceEngine()


@pytest.fixture(scope="module")
def portrait_face(engine: OpenCvFaceEngine) -> FaceObservation:
    (face,) = engine.observe(load(PORTRAIT))
    return face


def test_every_single_face_dev_photo_passes_as_selfie_and_as_document(engine: OpenCvFaceEngine) -> None:
    rejected = {}
    for item in (i for i in MANIFEST if i["faces"] == 1):
        faces = engine.observe(load(item["file"]))
        reasons = assess_enrollment(faces, QualityLimits()) + assess_enrollment(faces, QualityLimits.for_document())
        if reasons:
            rejected[item["file"]] = reasons
    assert rejected == {}


def test_group_photo_is_rejected_for_multiple_faces(engine: OpenCvFaceEngine) -> None:
    assert assess_enrollment(engine.observe(load("group__two_people.jpg")), QualityLimits()) == ["multiple_faces"]


def test_photo_without_a_face_is_rejected_for_no_face(engine: OpenCvFaceEngine) -> None:
    assert assess_enrollment(engine.observe(load("noface__dog.jpg")), QualityLimits()) == ["no_face"]


def test_darkened_portrait_is_too_dark(engine: OpenCvFaceEngine) -> None:
    dark = (load(PORTRAIT).astype(np.float32) * 0.15).astype(np.uint8)
    assert assess_enrollment(engine.observe(dark), QualityLimits()) == ["too_dark"]


def test_heavily_blurred_portrait_is_blurry(engine: OpenCvFaceEngine) -> None:
    blurred = cv2.GaussianBlur(load(PORTRAIT), (51, 51), 0)
    assert assess_enrollment(engine.observe(blurred), QualityLimits()) == ["blurry"]


def test_face_far_from_the_camera_is_too_small(engine: OpenCvFaceEngine) -> None:
    image = load(PORTRAIT)
    small = cv2.resize(image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    canvas = np.zeros((1024, 1024, 3), np.uint8)
    canvas[400 : 400 + small.shape[0], 300 : 300 + small.shape[1]] = small
    (face,) = engine.observe(canvas)
    assert face.face_fraction < 0.08
    assert assess_enrollment([face], QualityLimits()) == ["face_too_small"]
    assert assess_enrollment([face], QualityLimits.for_document()) == ["face_too_small"]


def test_really_turned_head_is_not_frontal(engine: OpenCvFaceEngine) -> None:
    # The child at the lower right of group__obama_and_biden turns away from the camera; cut out and enlarged.
    group = load("group__obama_and_biden.jpg")
    child = min(engine.observe(group), key=lambda f: f.box[3])
    x, y, w, h = (int(v) for v in child.box)
    crop = group[max(0, y - w) : y + h + w, max(0, x - w) : x + 2 * w]
    enlarged = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    faces = engine.observe(enlarged)
    assert len(faces) == 1 and abs(faces[0].yaw) > 30
    assert "not_frontal" in assess_enrollment(faces, QualityLimits())


def test_pose_limits_apply_to_yaw_and_pitch_either_way(portrait_face: FaceObservation) -> None:
    def turned(**angles: float) -> list[str]:
        return assess_enrollment([dataclasses.replace(portrait_face, **angles)], QualityLimits())

    assert turned(yaw=0.0, pitch=0.0) == []
    assert turned(yaw=29.0) == [] and turned(pitch=-24.0) == []
    assert turned(yaw=45.0) == turned(yaw=-45.0) == ["not_frontal"]
    assert turned(pitch=30.0) == turned(pitch=-30.0) == ["not_frontal"]


def test_overexposed_face_is_reported(portrait_face: FaceObservation) -> None:
    washed_out = dataclasses.replace(portrait_face, brightness=235.0)
    assert assess_enrollment([washed_out], QualityLimits()) == ["overexposed"]


def test_reasons_come_in_a_stable_order(portrait_face: FaceObservation) -> None:
    bad = dataclasses.replace(portrait_face, yaw=50.0, brightness=10.0, sharpness=1.0, face_fraction=0.05)
    other = dataclasses.replace(portrait_face, box=(0.0, 0.0, 10.0, 10.0))
    reasons = assess_enrollment([bad, other], QualityLimits())
    assert reasons == ["multiple_faces", "face_too_small", "not_frontal", "too_dark", "blurry"]
    assert reasons == [code for code in REASON_CODES if code in reasons]


def test_document_limits_accept_smaller_faces(portrait_face: FaceObservation) -> None:
    selfie, document = QualityLimits(), QualityLimits.for_document()
    assert document.min_face_fraction < selfie.min_face_fraction
    assert document.min_face_height_px < selfie.min_face_height_px
    smaller = dataclasses.replace(portrait_face, face_fraction=0.1)
    assert assess_enrollment([smaller], selfie) == ["face_too_small"]
    assert assess_enrollment([smaller], document) == []


def test_face_with_too_few_pixels_is_too_small_even_when_it_fills_the_frame(portrait_face: FaceObservation) -> None:
    tiny = dataclasses.replace(portrait_face, box=(0.0, 0.0, 50.0, 60.0), face_fraction=0.9)
    assert assess_enrollment([tiny], QualityLimits()) == ["face_too_small"]


def test_every_code_has_a_message_in_kazakh_russian_and_english() -> None:
    assert set(MESSAGES) == set(REASON_CODES)
    for code, texts in MESSAGES.items():
        assert set(texts) == {"kk", "ru", "en"}, code
        assert re.search("[а-яё]", texts["ru"], re.IGNORECASE) and not re.search("[әғқңөұүһі]", texts["ru"])
        assert re.search("[а-яёәғқңөұүһі]", texts["kk"], re.IGNORECASE)
        assert texts["en"].isascii() and texts["en"].endswith(".")
    kazakh_letters = "".join(t["kk"] for t in MESSAGES.values())
    assert re.search("[әғқңөұүһі]", kazakh_letters)
