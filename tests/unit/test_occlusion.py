"""Covering the lower face is told apart from another person, on real dev photos with a drawn cover."""

import json

import cv2
import pytest

from benchmarks.occlusion import cover_lower_face
from chalicelib.identity.face_engine import FaceTemplate, OpenCvFaceEngine
from chalicelib.identity.occlusion import check_cover, match_and_cover, reference_vector, region_template
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


# ---- the analyzer's check: whole face + lower half in one batch (match_and_cover) ----------------------------


def reference_vector_and_regions(engine, name):
    image = cv2.imread(str(FACES_DIR / name))
    face = engine.observe(image)[0]
    return engine.template(image, face).vector, region_template(engine, image, face)


class CountingEngine(OpenCvFaceEngine):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def embed_crops(self, crops):
        self.batches.append(len(crops))
        return super().embed_crops(crops)


def test_match_and_cover_gives_the_whole_face_similarity_and_the_lower_half_in_one_batch_of_two():
    engine = CountingEngine()
    vector, regions = reference_vector_and_regions(engine, "alex_lacamoire__img1.jpg")
    image = cv2.imread(str(FACES_DIR / "alex_lacamoire__alex_lacamoire1.jpg"))
    face = engine.observe(image)[0]
    hidden = cover_lower_face(image, face)
    hidden_face = engine.observe(hidden)[0]
    for picture, observed in ((image, face), (hidden, hidden_face)):
        engine.batches.clear()
        similarity, cover = match_and_cover(engine, vector, regions, picture, observed)
        assert engine.batches == [2]  # one forward pass over two crops; check_cover + similarity ran three crops
        template = FaceTemplate(engine.name, vector, None)
        assert similarity == pytest.approx(engine.similarity(template, picture, observed), abs=1e-4)
        assert cover.lower == pytest.approx(check_cover(engine, regions, picture, observed).lower, abs=1e-4)
        assert cover.upper == similarity
    assert not match_and_cover(engine, vector, regions, image, face)[1].covered
    assert match_and_cover(engine, vector, regions, hidden, hidden_face)[1].covered


def test_match_and_cover_flags_covers_as_well_as_both_halves_do_over_all_same_person_pairs(engine):
    both, analyzer, bare_flagged, seen = 0, 0, 0, 0
    for ref, probe in same_person_pairs():
        vector, regions = reference_vector_and_regions(engine, ref)
        image = cv2.imread(str(FACES_DIR / probe))
        face = engine.observe(image)[0]
        bare_flagged += match_and_cover(engine, vector, regions, image, face)[1].covered
        hidden = cover_lower_face(image, face)
        hidden_faces = engine.observe(hidden)
        if hidden_faces:
            seen += 1
            both += check_cover(engine, regions, hidden, hidden_faces[0]).covered
            analyzer += match_and_cover(engine, vector, regions, hidden, hidden_faces[0])[1].covered
    assert bare_flagged == 0
    assert analyzer >= both, (analyzer, both, seen)


def test_another_person_is_not_covered_for_match_and_cover_either(engine):
    vector, regions = reference_vector_and_regions(engine, "alex_lacamoire__img1.jpg")
    image = cv2.imread(str(FACES_DIR / "obama__obama.jpg"))
    similarity, cover = match_and_cover(engine, vector, regions, image, engine.observe(image)[0])
    assert similarity < engine.match_threshold and not cover.covered


def test_reference_vectors_are_decoded_once_and_read_only(engine):
    vector, _ = reference_vector_and_regions(engine, "alex_lacamoire__img1.jpg")
    first = reference_vector(bytes(vector))
    assert reference_vector(bytes(vector)) is first  # a new bytes object with the same content: the cached array
    assert not first.flags.writeable


# ---- no whole-face gate on the lower-half pass (issue #13, measured: docs/BENCHMARKS.md "Occlusion") ----------
# A gate that skipped the lower-half SFace pass when the whole face matches the reference well would miss covers:
# a hand over nose and mouth of the reference photo itself (the same capture, as a session's frames are close to
# their enrollment photo) keeps the whole-face similarity above every bare same-person pair of the dev set, while
# the lower half no longer matches. So match_and_cover embeds the lower half on every re-identification.

HAND = {"left": 0.2, "right": 0.8}  # benchmarks.occlusion.GATE_COVERS["hand"]: across nose and mouth, narrower


@pytest.mark.parametrize(
    ("name", "colour"),
    [("john_shimkus__000378_02340151.jpg", (200, 170, 120)), ("john_savage__000291_01099023.jpg", (120, 150, 200))],
)
def test_a_covered_face_can_match_the_reference_better_than_any_bare_pair_does(engine, name, colour):
    vector, regions = reference_vector_and_regions(engine, name)
    image = cv2.imread(str(FACES_DIR / name))
    hidden = cover_lower_face(image, engine.observe(image)[0], colour, **HAND)
    similarity, cover = match_and_cover(engine, vector, regions, hidden, engine.observe(hidden)[0])
    assert cover.covered and cover.lower < 0.42  # flagged with a margin below LOWER_MATCH (0.46)
    bare = []
    for ref, probe in same_person_pairs():
        ref_vector, ref_regions = reference_vector_and_regions(engine, ref)
        picture = cv2.imread(str(FACES_DIR / probe))
        bare.append(match_and_cover(engine, ref_vector, ref_regions, picture, engine.observe(picture)[0])[0])
    assert similarity > max(bare) + 0.01, (similarity, max(bare))  # no gate level skips a bare pair and not this


def test_the_lower_half_is_embedded_however_well_the_whole_face_matches():
    engine = CountingEngine()
    vector, regions = reference_vector_and_regions(engine, "alex_lacamoire__img1.jpg")
    image = cv2.imread(str(FACES_DIR / "alex_lacamoire__img1.jpg"))
    similarity, cover = match_and_cover(engine, vector, regions, image, engine.observe(image)[0])
    assert similarity > 0.99 and engine.batches[-1] == 2  # the reference photo itself: still two crops
    assert cover.lower > 0.99 and not cover.covered
