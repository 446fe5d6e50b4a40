"""Is the candidate's face partly covered (mask, hand, scarf)? SFace still matches a covered face well, so the
whole-face score cannot tell; instead the lower half (nose, mouth) and upper half (eyes) of the aligned face are
embedded separately and compared with the same halves of the enrollment photo.

Calibrated on the dev set with synthetic covers over the lower face (python -m benchmarks.occlusion): lower-half
similarity of the same person uncovered was >= 0.475, covered <= 0.441; upper halves keep identity (impostors
<= 0.42). A covered face is one whose lower half no longer matches while its upper half still does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chalicelib.identity.face_engine import EMBEDDING_SIZE, FaceObservation, OpenCvFaceEngine, cosine
from chalicelib.identity.face_engine import vector_from_bytes as _vector
from chalicelib.identity.face_engine import vector_to_bytes as _bytes

SPLIT_ROW = 62  # SFace's 112x112 template: eyes at y~52, nose tip ~72, mouth ~92
LOWER_MATCH = 0.46
UPPER_MATCH = 0.363
_GREY = 128


def halves(aligned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The aligned crop with the lower part greyed (upper) and with the upper part greyed (lower)."""
    upper, lower = aligned.copy(), aligned.copy()
    upper[SPLIT_ROW:, :] = _GREY
    lower[:SPLIT_ROW, :] = _GREY
    return upper, lower


def region_template(engine: OpenCvFaceEngine, image_bgr: np.ndarray, face: FaceObservation) -> bytes:
    """Upper-half and lower-half embeddings of the reference face, stored beside the whole-face template."""
    upper, lower = engine.embed_crops(list(halves(engine.aligned_face(image_bgr, face))))
    return _bytes(upper) + _bytes(lower)


@dataclass(frozen=True)
class CoverCheck:
    upper: float
    lower: float

    @property
    def covered(self) -> bool:
        return self.lower < LOWER_MATCH and self.upper >= UPPER_MATCH


def check_cover(engine: OpenCvFaceEngine, regions: bytes, image_bgr: np.ndarray, face: FaceObservation) -> CoverCheck:
    size = 4 * EMBEDDING_SIZE
    if len(regions) != 2 * size:
        raise ValueError("a region template holds two embeddings")
    upper, lower = engine.embed_crops(list(halves(engine.aligned_face(image_bgr, face))))
    return CoverCheck(upper=cosine(_vector(regions[:size]), upper), lower=cosine(_vector(regions[size:]), lower))
