"""YuNet face detection, image decoding and model integrity, checked on the real dev face set."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from chalicelib.core import model_files
from chalicelib.core.model_files import ModelIntegrityError, bundled_model
from chalicelib.identity.face_detector import DetectedFace, InvalidImage, YuNetFaceDetector, decode_image
from tests.paths import FACES_DIR

MANIFEST = json.loads((FACES_DIR / "manifest.json").read_text())["images"]


def load(name: str) -> np.ndarray:
    return decode_image((FACES_DIR / name).read_bytes())


def expected_range(item: dict) -> tuple[int, int]:
    low, high = item.get("faces_range", (item["faces"], item["faces"]))
    return low, high


@pytest.fixture(scope="module")
def detector() -> YuNetFaceDetector:
    return YuNetFaceDetector()


@pytest.fixture(scope="module")
def counts(detector: YuNetFaceDetector) -> dict[str, int]:
    return {item["file"]: len(detector.detect(load(item["file"]))) for item in MANIFEST}


def assert_inside(face: DetectedFace) -> None:
    x, y, w, h = face.box
    assert len(face.landmarks) == 5
    for px, py in face.landmarks:
        assert x <= px <= x + w and y <= py <= y + h, (face.box, face.landmarks)


# ---- detection on real images -------------------------------------------------------------------------------


def test_single_face_image_gives_one_face_with_landmarks_inside_box(detector: YuNetFaceDetector) -> None:
    image = load("alex_lacamoire__alex_lacamoire1.jpg")  # 1024 px wide, so it is downscaled for analysis
    (face,) = detector.detect(image)
    assert face.score >= detector.score_threshold
    assert_inside(face)
    x, y, w, h = face.box
    right_eye, left_eye = face.landmarks[0], face.landmarks[1]
    assert right_eye[0] < left_eye[0]  # the subject's right eye is on the image's left
    assert 0 <= x + w / 2 <= image.shape[1] and 0 <= y + h / 2 <= image.shape[0]


def test_boxes_are_in_original_pixels(detector: YuNetFaceDetector) -> None:
    image = load("group__two_people.jpg")
    half = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
    full_faces = sorted(detector.detect(image), key=lambda f: f.box[0])
    half_faces = sorted(detector.detect(half), key=lambda f: f.box[0])
    assert len(full_faces) == len(half_faces) == 2
    for big, small in zip(full_faces, half_faces, strict=True):
        assert np.allclose(np.array(big.box) / 2, small.box, atol=0.05 * small.box[2])


def test_two_people(detector: YuNetFaceDetector) -> None:
    faces = detector.detect(load("group__two_people.jpg"))
    assert len(faces) == 2
    for face in faces:
        assert_inside(face)


def test_empty_scene(detector: YuNetFaceDetector) -> None:
    assert detector.detect(load("noface__horses.jpg")) == []


def test_grayscale_and_bgra_inputs(detector: YuNetFaceDetector) -> None:
    image = load("group__two_people.jpg")
    assert len(detector.detect(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))) == 2
    assert len(detector.detect(cv2.cvtColor(image, cv2.COLOR_BGR2BGRA))) == 2
    with pytest.raises(ValueError):
        detector.detect(image.astype(np.float32))


def test_count_accuracy_over_manifest(counts: dict[str, int]) -> None:
    hits = [low <= counts[item["file"]] <= high for item in MANIFEST for low, high in [expected_range(item)]]
    accuracy = sum(hits) / len(hits)
    misses = {item["file"]: counts[item["file"]] for item, hit in zip(MANIFEST, hits, strict=True) if not hit}
    assert accuracy >= 0.9, misses


def test_no_extra_faces_on_single_or_no_face_images(counts: dict[str, int]) -> None:
    extra = {item["file"]: counts[item["file"]] for item in MANIFEST if counts[item["file"]] > expected_range(item)[1]}
    singles = [item["file"] for item in MANIFEST if item["faces"] == 1 and "faces_range" not in item]
    assert len(singles) >= 30
    assert not [name for name in singles if name in extra], extra
    assert not [item["file"] for item in MANIFEST if item["faces"] == 0 and item["file"] in extra], extra


@pytest.mark.parametrize("size", [(640, 480), (320, 240), (333, 517)])
def test_rows_match_opencv_face_detector_yn_on_the_same_model(detector: YuNetFaceDetector, size) -> None:
    """The ONNX Runtime port decodes exactly what cv2.FaceDetectorYN decodes from the shipped int8 file."""
    reference = cv2.FaceDetectorYN.create(str(bundled_model("yunet")), "", size, detector.score_threshold, 0.3, 5000)
    compared = 0
    for item in MANIFEST:
        image = cv2.resize(load(item["file"]), size, interpolation=cv2.INTER_AREA)
        _, expected = reference.detect(image)
        expected = np.zeros((0, 15), np.float32) if expected is None else expected
        ours = detector.rows(image)
        assert len(ours) == len(expected), item["file"]
        order = lambda rows: rows[np.lexsort((rows[:, 1], rows[:, 0]))]  # noqa: E731
        np.testing.assert_allclose(order(ours)[:, :14], order(expected)[:, :14], atol=0.05, err_msg=item["file"])
        np.testing.assert_allclose(order(ours)[:, 14], order(expected)[:, 14], atol=1e-4, err_msg=item["file"])
        compared += len(ours)
    assert compared >= len(MANIFEST) // 2  # many faces were compared, not none


def test_tiny_and_blank_inputs_give_no_faces(detector: YuNetFaceDetector) -> None:
    # cv2.FaceDetectorYN emits bogus rows (score 1.0, infinite boxes) for inputs with a side <= 32 px.
    rng = np.random.default_rng(0)
    for height, width in [(1, 1), (10, 10), (34, 3), (1, 640), (16, 1024), (480, 640)]:
        assert detector.detect(np.zeros((height, width, 3), np.uint8)) == []
        assert detector.detect(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)) == []


def test_detect_is_thread_safe(detector: YuNetFaceDetector) -> None:
    names = ["group__two_people.jpg", "noface__horses.jpg", "obama__obama1.jpg", "group__2009_004587.jpg"] * 4
    images = [load(name) for name in names]
    serial = [detector.detect(image) for image in images]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(detector.detect, images)) == serial


# ---- decode_image ---------------------------------------------------------------------------------------------


def test_decode_real_jpeg() -> None:
    item = MANIFEST[0]
    image = load(item["file"])
    assert image.dtype == np.uint8 and image.shape == (item["height"], item["width"], 3)


@pytest.mark.parametrize("data", [b"", b"\xff\xd8", b"GIF89a" + bytes(32), "not bytes"])
def test_decode_rejects_empty_and_non_images(data: bytes) -> None:
    with pytest.raises(InvalidImage):
        decode_image(data)


def test_decode_rejects_random_bytes() -> None:
    rng = np.random.default_rng(1234)
    for size in (1, 16, 1000, 50_000):
        with pytest.raises(InvalidImage):
            decode_image(rng.integers(0, 256, size, dtype=np.uint8).tobytes())


def test_decode_rejects_truncated_jpeg() -> None:
    data = (FACES_DIR / "group__two_people.jpg").read_bytes()
    with pytest.raises(InvalidImage):
        decode_image(data[: len(data) // 2])
    # Only the EOI marker missing: some libjpeg builds decode this (grey-filled); we reject it on purpose.
    with pytest.raises(InvalidImage, match="truncated"):
        decode_image(data[:-2])
    assert decode_image(data + b"\0\0").shape[:2] == (601, 1024)  # trailing NUL padding is harmless


def test_decode_rejects_too_many_pixels() -> None:
    data = (FACES_DIR / "group__two_people.jpg").read_bytes()  # 1024 x 601
    with pytest.raises(InvalidImage, match="limit"):
        decode_image(data, max_pixels=1024 * 600)


def test_decode_never_crashes_on_mutated_images() -> None:
    rng = np.random.default_rng(7)
    image = load("john_simm__000288_00470387.jpg")
    seeds = [cv2.imencode(ext, image)[1].tobytes() for ext in (".jpg", ".png", ".webp", ".bmp")]
    for _ in range(300):
        data = bytearray(seeds[rng.integers(len(seeds))])
        for _ in range(rng.integers(1, 10)):
            data[rng.integers(len(data))] = rng.integers(256)
        try:
            decoded = decode_image(bytes(data[: rng.integers(1, len(data) + 1)]))
        except InvalidImage:
            continue
        assert decoded.dtype == np.uint8 and decoded.ndim == 3 and decoded.shape[2] == 3


# ---- model integrity ------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_model_cache():
    bundled_model.cache_clear()
    yield
    bundled_model.cache_clear()


def test_bundled_models_verify(fresh_model_cache: None) -> None:
    for name in ("yunet", "sface", "silero_vad"):
        assert bundled_model(name).is_file()
    with pytest.raises(KeyError):
        bundled_model("nope")


def test_wrong_digest_raises(fresh_model_cache: None, monkeypatch: pytest.MonkeyPatch) -> None:
    package, relative, _ = model_files.MODELS["yunet"]
    monkeypatch.setitem(model_files.MODELS, "yunet", (package, relative, "0" * 64))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        bundled_model("yunet")


def test_tampered_or_missing_copy_raises(
    fresh_model_cache: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    copy = tmp_path / model_files.MODELS["yunet"][1]
    copy.parent.mkdir(parents=True)
    shutil.copyfile(bundled_model("yunet"), copy)
    bundled_model.cache_clear()
    monkeypatch.setattr(model_files, "package_dir", lambda package: tmp_path)
    assert bundled_model("yunet") == copy  # an intact copy passes
    bundled_model.cache_clear()
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError):
        bundled_model("yunet")
    copy.unlink()
    with pytest.raises(ModelIntegrityError, match="missing"):
        bundled_model("yunet")
