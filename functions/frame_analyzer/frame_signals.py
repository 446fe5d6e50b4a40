"""What one webcam frame says about each analyzer signal, before persistence turns it into episodes."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from chalicelib.exam.policy import AnalysisPolicy
from chalicelib.identity.face_engine import FaceObservation
from chalicelib.violations.signal_tracker import Observation


@dataclass(frozen=True)
class Reference:
    """What the candidate looked like at enrollment."""

    baseline_yaw: float | None
    baseline_pitch: float | None


@dataclass(frozen=True)
class Identity:
    """Result of re-identification on a sampled frame (None on frames that were not sampled)."""

    similarity: float
    threshold: float
    covered: bool = False  # the candidate's eyes match but the nose/mouth half does not (occlusion.py)
    lower_similarity: float | None = None


class NotAFramePair(ValueError):
    """A two-frame object whose picture does not split into two equal frames a webcam could have sent."""

    reason = "not_a_frame_pair"


# A frame a webcam sends is between 9:16 (a phone upright) and 16:9 wide; the half of a single 4:3 or 16:9 frame
# mislabelled as a pair (2.67:1, 3.56:1) is not. MIN_FRAME_SIDE: smaller than anything the detector can use.
FRAME_ASPECT_RANGE = (0.56, 1.78)  # width / height, 9:16 .. 16:9 with rounding
MIN_FRAME_SIDE = 64


def split_frames(image: np.ndarray, frames: int) -> list[np.ndarray]:
    """The frames of an object stacked vertically (earlier on top), as views of the decoded picture (no copy).
    NotAFramePair when the height does not divide into `frames` equal frames of a webcam's shape."""
    if frames == 1:
        return [image]
    height, width = image.shape[:2]
    if height % frames:
        raise NotAFramePair(f"{width}x{height} px does not split into {frames} equal frames")
    frame_h = height // frames
    low, high = FRAME_ASPECT_RANGE
    if min(width, frame_h) < MIN_FRAME_SIDE or not low <= width / frame_h <= high:
        raise NotAFramePair(f"{width}x{height} px splits into {frames} frames of {width}x{frame_h}: not a webcam frame")
    return [image[i * frame_h : (i + 1) * frame_h] for i in range(frames)]


def frame_brightness(image_bgr: np.ndarray) -> float:
    """Mean of the pixels' channel means (0..255). cv2.mean sums each channel in place: no float copy of the frame
    (image[..., :3].mean(axis=2) made one and cost ~6 ms per 640x480 frame, cv2.mean ~0.2 ms)."""
    if image_bgr.ndim == 2 or image_bgr.shape[2] == 1:
        return float(cv2.mean(image_bgr)[0])
    return float(np.mean(cv2.mean(image_bgr)[:3]))


def frame_signals(
    faces: list[FaceObservation],
    image_bgr: np.ndarray,
    policy: AnalysisPolicy,
    reference: Reference | None,
    identity: Identity | None,
) -> dict[str, Observation]:
    """One observation per signal this frame can speak to; signals it cannot judge are left out."""
    signals = {
        "no_face": Observation(not faces, 1.0 if not faces else 0.0),
        "multiple_faces": Observation(len(faces) > 1, faces[1].score if len(faces) > 1 else 0.0, {"faces": len(faces)}),
    }
    if not faces:
        # Nothing to judge per face: close face episodes; a very dark frame explains the missing face.
        level = frame_brightness(image_bgr)
        signals["poor_lighting"] = Observation(
            level < policy.min_brightness,
            _lighting_score(level, policy),
            {"brightness": round(level, 1), "scope": "frame"},
        )
        signals["looking_away"] = Observation(False)
        return signals
    face = faces[0]
    signals["poor_lighting"] = Observation(
        not policy.min_brightness <= face.brightness <= policy.max_brightness,
        _lighting_score(face.brightness, policy),
        {"brightness": round(face.brightness, 1), "scope": "face"},
    )
    if reference is not None and reference.baseline_yaw is not None and reference.baseline_pitch is not None:
        turn_yaw = abs(face.yaw - reference.baseline_yaw) / policy.yaw_limit_deg
        turn_pitch = abs(face.pitch - reference.baseline_pitch) / policy.pitch_limit_deg
        signals["looking_away"] = Observation(
            max(turn_yaw, turn_pitch) > 1.0,
            round(max(turn_yaw, turn_pitch), 3),
            {"yaw": round(face.yaw, 1), "pitch": round(face.pitch, 1)},
        )
    if identity is not None:
        mismatch = identity.similarity < identity.threshold
        details = {"similarity": round(identity.similarity, 4), "threshold": identity.threshold}
        signals["face_mismatch"] = Observation(mismatch and not identity.covered, 1.0 - identity.similarity, details)
        if identity.lower_similarity is not None:
            signals["face_covered"] = Observation(
                identity.covered,
                round(1.0 - identity.lower_similarity, 4),
                {**details, "lower_similarity": round(identity.lower_similarity, 4)},
            )
    return signals


def _lighting_score(level: float, policy: AnalysisPolicy) -> float:
    """0 inside the acceptable band, growing to 1 at black or white."""
    if level < policy.min_brightness:
        return round((policy.min_brightness - level) / max(policy.min_brightness, 1.0), 3)
    if level > policy.max_brightness:
        return round((level - policy.max_brightness) / max(255.0 - policy.max_brightness, 1.0), 3)
    return 0.0
