"""Is the candidate's face partly covered (mask, hand, scarf)? SFace still matches a covered face well, so the
whole-face score cannot tell; instead the lower half (nose, mouth) and upper half (eyes) of the aligned face are
embedded separately and compared with the same halves of the enrollment photo.

Calibrated on the dev set with synthetic covers over the lower face (python -m benchmarks.occlusion): lower-half
similarity of the same person uncovered was >= 0.475, covered <= 0.441; upper halves keep identity (impostors
<= 0.42). A covered face is one whose lower half no longer matches while its upper half still does.

Re-identification already embeds the whole face; the whole-face match stands in for the upper half's (a covered
face still matching as a whole is one whose eyes match), so the frame analyzer embeds two crops, the whole face and
the lower half, in one batch (match_and_cover) instead of three (whole face, then both halves). Measured on the
same synthetic covers in python -m benchmarks.occlusion (docs/BENCHMARKS.md, "Occlusion").
"""

from __future__ import annotations

import functools
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


_SIZE = 4 * EMBEDDING_SIZE


def _regions(regions: bytes) -> tuple[np.ndarray, np.ndarray]:
    if len(regions) != 2 * _SIZE:
        raise ValueError("a region template holds two embeddings")
    return reference_vector(regions[:_SIZE]), reference_vector(regions[_SIZE:])


@functools.lru_cache(maxsize=4096)
def reference_vector(data: bytes) -> np.ndarray:
    """A stored embedding decoded once per process (keyed by its bytes, so a new enrollment is a new entry);
    read-only, shared by every frame of the session."""
    vector = _vector(data)
    vector.setflags(write=False)
    return vector


def check_cover(engine: OpenCvFaceEngine, regions: bytes, image_bgr: np.ndarray, face: FaceObservation) -> CoverCheck:
    """Both halves embedded and compared (two SFace passes in one batch)."""
    upper_ref, lower_ref = _regions(regions)
    upper, lower = engine.embed_crops(list(halves(engine.aligned_face(image_bgr, face))))
    return CoverCheck(upper=cosine(upper_ref, upper), lower=cosine(lower_ref, lower))


def match_and_cover(
    engine: OpenCvFaceEngine, vector: bytes, regions: bytes, image_bgr: np.ndarray, face: FaceObservation
) -> tuple[float, CoverCheck]:
    """Whole-face similarity to the reference `vector` and the cover check, from one batch of two crops: the whole
    face and its lower half. The whole-face similarity stands in for the upper half's (CoverCheck.upper)."""
    _, lower_ref = _regions(regions)
    aligned = engine.aligned_face(image_bgr, face)
    whole, lower = engine.embed_crops([aligned, halves(aligned)[1]])
    similarity = cosine(reference_vector(vector), whole)
    return similarity, CoverCheck(upper=similarity, lower=cosine(lower_ref, lower))
