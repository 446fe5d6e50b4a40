"""benchmarks.occlusion's whole-face gate study on a few dev photos (the full run is in docs/BENCHMARKS.md)."""

import cv2
import pytest

from benchmarks.occlusion import GATE_COVERS, cover_lower_face, whole_gate
from chalicelib.identity.face_engine import OpenCvFaceEngine
from chalicelib.identity.occlusion import region_template
from tests.paths import FACES_DIR


@pytest.fixture(scope="module")
def engine():
    return OpenCvFaceEngine()


def test_the_default_cover_is_the_box_from_above_the_nose_tip_to_below_the_chin(engine):
    image = cv2.imread(str(FACES_DIR / "obama__obama.jpg"))
    face = engine.observe(image)[0]
    assert (cover_lower_face(image, face) == cover_lower_face(image, face, **GATE_COVERS["nose_to_chin"])).all()
    hand = cover_lower_face(image, face, **GATE_COVERS["hand"])
    x, y, w, h = (int(v) for v in face.box)
    chin = int(y + 0.95 * h)
    assert (hand[chin, x + 2] == image[chin, x + 2]).all()  # the hand leaves the cheeks' edges bare
    assert (hand[chin, x + w // 2] == (200, 170, 120)).all()


def test_whole_gate_reports_bare_and_flagged_whole_face_similarity(engine):
    names = ("alex_lacamoire__img1.jpg", "alex_lacamoire__alex_lacamoire1.jpg")
    images, faces, regions, vectors = {}, {}, {}, {}
    for name in names:
        images[name] = cv2.imread(str(FACES_DIR / name))
        faces[name] = engine.observe(images[name])[0]
        regions[name] = region_template(engine, images[name], faces[name])
        vectors[name] = engine.template(images[name], faces[name]).vector
    result = whole_gate(engine, images, faces, regions, vectors, [names])
    assert result["bare_pairs_whole_similarity"]["n"] == 1
    assert result["flagged_self_whole_similarity"]["n"] > 0  # covers of the reference photo itself are flagged
    assert 0.0 <= result["bare_pairs_a_safe_gate_skips"] <= 1.0
    assert all(key.split("/")[0] in ("self", "pairs") for key in result["flagged_whole_max_by_cover"])
