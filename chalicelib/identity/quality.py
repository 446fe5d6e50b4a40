"""Photo quality for enrollment: per-face measurements, the gates and the fix-it messages shown to candidates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from chalicelib.identity.reasons import MESSAGES  # noqa: F401 - re-exported: the gates and their messages

if TYPE_CHECKING:
    from chalicelib.identity.face_engine import FaceObservation

SHARPNESS_SIZE = 128  # the face is resized to this square before the Laplacian, so scores compare across sizes


def _face_region(gray: np.ndarray, box: Sequence[float]) -> np.ndarray:
    x, y, w, h = box
    height, width = gray.shape[:2]
    left, top = max(0, int(round(x))), max(0, int(round(y)))
    right, bottom = min(width, int(round(x + w))), min(height, int(round(y + h)))
    if right <= left or bottom <= top:
        return gray[0:0, 0:0]
    return gray[top:bottom, left:right]


def face_brightness(gray: np.ndarray, box: Sequence[float]) -> float:
    """Mean luma (0..255) of the part of the face box inside the image."""
    region = _face_region(gray, box)
    return float(region.mean()) if region.size else 0.0


def face_sharpness(gray: np.ndarray, box: Sequence[float]) -> float:
    """Variance of the Laplacian of the face box, resized to SHARPNESS_SIZE square (resolution-independent)."""
    region = _face_region(gray, box)
    if region.size == 0:
        return 0.0
    shrink = region.shape[0] > SHARPNESS_SIZE
    square = cv2.resize(
        region, (SHARPNESS_SIZE, SHARPNESS_SIZE), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    )
    return float(cv2.Laplacian(square, cv2.CV_64F).var())


REASON_CODES = ("no_face", "multiple_faces", "face_too_small", "not_frontal", "too_dark", "overexposed", "blurry")


@dataclass(frozen=True)
class QualityLimits:
    """Enrollment gates for the largest face. Defaults are for a webcam/phone selfie; see for_document().

    The numbers in the comments were measured on the dev face set (../shared/datasets/faces) with OpenCvFaceEngine.
    """

    # Face box height / image height. A seated candidate fills 30-60 % of a webcam frame; the smallest accepted
    # dev photo is a full-length portrait at 0.15. Below 0.12 the candidate is far away or it is not a portrait.
    min_face_fraction: float = 0.12
    # Absolute size. A clean downscale to 56 px still self-matches at >= 0.77 in SFace, but a real camera adds
    # noise and compression at that size; 80 px keeps a margin. Every accepted dev face is >= 130 px.
    min_face_height_px: float = 80.0
    # Head pose (head_pose.py). YuNet landmark noise: up to 13 deg on frontal dev chips, up to 10 deg between a
    # turned photo and its mirror image. The most turned accepted dev photos read 25-26 deg and still match their
    # person (>= 0.54); clearly turned heads in the dev group photos read 36-41.
    max_abs_yaw: float = 30.0
    max_abs_pitch: float = 25.0  # pitch from 5 points is noisier; accepted dev faces stay within 16 deg
    # Mean face luma. Accepted dev faces: 87..187. Dimming a photo to 15 % gives 12..24; 40 leaves darker skin in
    # ordinary light well inside. Brightening x2 (median 205) drops SFace self-similarity to 0.47..0.75 (clipping).
    min_brightness: float = 40.0
    max_brightness: float = 210.0
    # Laplacian variance at 128 px. Softest accepted dev faces: 23.6 (a dark 150 px chip), a soft video still 89.
    # Gaussian blur of sigma 3 % of the face height gives <= 7.9 and self-similarity ~0.6: blur that costs matches.
    min_sharpness: float = 10.0

    @classmethod
    def for_document(cls) -> QualityLimits:
        """Limits for a photo of an ID document: the portrait is a small part of the picture.

        An ID-1 card's portrait face box is ~28 % of the card's height (a passport page's ~20 % of the page), so a
        card filling a third of the frame gives 0.09; the pixel floor keeps enough detail for the embedding.
        """
        return cls(min_face_fraction=0.08, min_face_height_px=48.0)


def assess_enrollment(faces: Sequence[FaceObservation], limits: QualityLimits | None = None) -> list[str]:
    """Reason codes (in REASON_CODES order) why this photo cannot be an enrollment photo; [] when it can.

    `faces` is an engine's observe() result, largest first; the gates apply to the largest face.
    """
    limits = limits if limits is not None else QualityLimits()
    if not faces:
        return ["no_face"]
    face = faces[0]
    failed = {
        "multiple_faces": len(faces) > 1,
        "face_too_small": face.face_fraction < limits.min_face_fraction or face.box[3] < limits.min_face_height_px,
        "not_frontal": abs(face.yaw) > limits.max_abs_yaw or abs(face.pitch) > limits.max_abs_pitch,
        "too_dark": face.brightness < limits.min_brightness,
        "overexposed": face.brightness > limits.max_brightness,
        "blurry": face.sharpness < limits.min_sharpness,
    }
    return [code for code in REASON_CODES if failed.get(code, False)]
