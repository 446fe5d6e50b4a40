"""Safe image decoding and face detection with OpenCV's YuNet (cv2.FaceDetectorYN)."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from PIL import Image

from chalicelib.identity.model_files import bundled_model

# OpenCV Zoo's published YuNet operating point (models/face_detection_yunet/demo.py defaults), not fitted here.
# On the dev set it keeps every non-face (worst: a dog's face, 0.76-0.88 under rescaling/JPEG/noise) out with a
# margin, and every single-face image keeps its face (>= 0.915 under the same jitter); it misses faces ~35 px wide.
DEFAULT_SCORE_THRESHOLD = 0.9
NMS_THRESHOLD = 0.3
TOP_K = 5000
MAX_UPSCALE = 2.0  # small images are enlarged up to 2x (YuNet under-scores faces < ~40 px; tight crops drop past 3x)
MIN_CANVAS = 64  # FaceDetectorYN returns garbage rows (score 1.0, inf boxes) for inputs with a side <= 32 px
_FORMATS = ("JPEG", "PNG", "WEBP", "BMP")  # Pillow reports multi-picture JPEGs (phones) as "MPO"


class InvalidImage(ValueError):
    """bytes that do not decode to an image"""


def decode_image(data: bytes, max_pixels: int = 20_000_000) -> np.ndarray:
    """Decode JPEG/PNG/WebP/BMP bytes to a BGR uint8 array, or raise InvalidImage.

    The size is read from the header (Pillow, nothing decoded) before cv2 allocates pixels. A JPEG must end with
    the EOI marker FFD9: many libjpeg builds decode a truncated JPEG "successfully" with the missing rows grey,
    which would read as "no face" instead of "bad upload" (OpenCV 4.14 happens to fail; we do not rely on it).
    Trailing NUL/whitespace padding is tolerated; data appended after EOI (phone "motion photos") is not.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidImage(f"expected bytes, got {type(data).__name__}")
    if len(data) == 0:
        raise InvalidImage("empty image data")
    data = bytes(data)
    try:
        with Image.open(io.BytesIO(data), formats=_FORMATS) as probe:
            fmt, (width, height) = probe.format, probe.size
    except Image.DecompressionBombError as exc:
        raise InvalidImage("image too large") from exc
    except Exception as exc:  # Pillow raises many exception types on garbage
        raise InvalidImage("not a JPEG, PNG, WebP or BMP image") from exc
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise InvalidImage(f"image is {width}x{height} px; the limit is {max_pixels} pixels")
    if fmt in ("JPEG", "MPO") and not data.rstrip(b"\0\r\n\t ").endswith(b"\xff\xd9"):
        raise InvalidImage("truncated JPEG (no end-of-image marker)")
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as exc:
        raise InvalidImage("corrupt image data") from exc
    if image is None or image.size == 0:
        raise InvalidImage("corrupt image data")
    return image


@dataclass(frozen=True)
class DetectedFace:
    """A face in the pixel coordinates of the image given to detect()."""

    box: tuple[float, float, float, float]  # x, y, w, h (may extend past the image edge)
    score: float
    landmarks: tuple[tuple[float, float], ...]  # right eye, left eye, nose tip, right/left mouth corner


class FaceDetector(Protocol):
    def detect(self, image_bgr: np.ndarray) -> list[DetectedFace]: ...


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.size == 0:
        raise ValueError("expected a non-empty uint8 image array")
    channels = 1 if image.ndim == 2 else image.shape[2] if image.ndim == 3 else 0
    if channels == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if channels == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if channels == 3:
        return image
    raise ValueError(f"unsupported image shape {image.shape}")


class YuNetFaceDetector:
    """YuNet face detector; faces are returned largest first. Safe to share between threads."""

    def __init__(
        self,
        score_threshold: float = DEFAULT_SCORE_THRESHOLD,
        analysis_max_side: int = 640,
        model_path: Path | None = None,
    ) -> None:
        if not 0.0 < score_threshold < 1.0:
            raise ValueError("score_threshold must be in (0, 1)")
        if analysis_max_side < MIN_CANVAS:
            raise ValueError(f"analysis_max_side must be >= {MIN_CANVAS}")
        self.score_threshold = score_threshold
        self.analysis_max_side = analysis_max_side
        path = model_path if model_path is not None else bundled_model("yunet")  # explicit paths are trusted
        self._detector = cv2.FaceDetectorYN.create(str(path), "", (320, 320), score_threshold, NMS_THRESHOLD, TOP_K)
        self._lock = threading.Lock()  # setInputSize + detect mutate the detector

    def detect(self, image_bgr: np.ndarray) -> list[DetectedFace]:
        image = _as_bgr(image_bgr)
        height, width = image.shape[:2]
        scale = min(self.analysis_max_side / max(height, width), MAX_UPSCALE)
        work = image
        if abs(scale - 1.0) > 1e-6:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            work = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        work_h, work_w = work.shape[:2]
        sx, sy = work_w / width, work_h / height
        if min(work_h, work_w) < MIN_CANVAS:  # pad bottom/right: coordinates are unchanged
            pad_b, pad_r = max(0, MIN_CANVAS - work_h), max(0, MIN_CANVAS - work_w)
            work = cv2.copyMakeBorder(work, 0, pad_b, 0, pad_r, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        with self._lock:
            self._detector.setInputSize((work.shape[1], work.shape[0]))
            _, rows = self._detector.detect(work)
        faces = []
        for row in np.zeros((0, 15), np.float32) if rows is None else rows:
            x, y, w, h, score = (float(v) for v in (*row[:4], row[14]))
            if not np.isfinite(row).all() or w <= 0 or h <= 0 or score < self.score_threshold:
                continue
            if not (0 <= x + w / 2 < work_w and 0 <= y + h / 2 < work_h):  # centred in padding: not a face
                continue
            points = tuple((float(px) / sx, float(py) / sy) for px, py in row[4:14].reshape(5, 2))
            faces.append(DetectedFace(box=(x / sx, y / sy, w / sx, h / sy), score=score, landmarks=points))
        faces.sort(key=lambda f: f.box[2] * f.box[3], reverse=True)
        return faces
