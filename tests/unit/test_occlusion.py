"""Covering the lower face is told apart from another person, on real dev photos with a drawn cover."""

import json

import cv2
import pytest

from benchmarks.occlusion import cover_lower_face
from chalicelib.identity.face_engine import OpenCvFaceEngine
from chalicelib.identity.occlusion import check_cover, region_template
from tests.paths import FACES_DIR


@pytest.fixture(scope="module")
def engine():
    return OpenCvFaceEngine()


def reference(engine, name):
    image = cv2.imread(str(FACES_DIR / name))
    return region_template(engine, image, engine.observe(image)[0])


def same_person_pairs():
    manifest = json.loads((FACES_DIR / "manifest.json").read_text())
    return [(p["a"], p["b"]) for p in manifest["pairs"] if p["same"]]


def test_over_all_same_person_pairs_covers_are_found_and_bare_faces_are_not_flagged(engine):
    bare_flagged, covered_found, covered_seen = 0, 0, 0
    pairs = same_person_pairs()
    for ref, probe in pairs:
        regions = reference(engine, ref)
        image = cv2.imread(str(FACES_DIR / probe))
        face = engine.observe(image)[0]
        bare_flagged += check_cover(engine, regions, image, face).covered
        hidden = cover_lower_face(image, face)
        hidden_faces = engine.observe(hidden)
        if hidden_faces:  # an undetected covered face shows up as no_face instead
            covered_seen += 1
            covered_found += check_cover(engine, regions, hidden, hidden_faces[0]).covered
    assert bare_flagged == 0
    assert covered_seen >= len(pairs) // 2
    assert covered_found / covered_seen >= 0.9, (covered_found, covered_seen)


def test_another_person_is_not_reported_as_covered(engine):
    regions = reference(engine, "alex_lacamoire__img1.jpg")
    image = cv2.imread(str(FACES_DIR / "obama__obama.jpg"))
    assert not check_cover(engine, regions, image, engine.observe(image)[0]).covered


def test_a_region_template_of_the_wrong_size_is_refused(engine):
    image = cv2.imread(str(FACES_DIR / "obama__obama.jpg"))
    with pytest.raises(ValueError):
        check_cover(engine, b"\x00" * 10, image, engine.observe(image)[0])
