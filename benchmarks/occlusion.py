"""How well the lower/upper-face comparison (chalicelib/identity/occlusion.py) tells a covered face.

    python -m benchmarks.occlusion DATASET_DIR [--json] [--whole-gate]

For every same-person pair of the manifest, the reference's halves are compared with the probe's halves bare and
with a cloth-coloured cover drawn over nose and mouth (from the detected landmarks); impostor scores come from all
cross-person pairs of labelled images. Prints the distributions and the rates at the module's thresholds, for the
check with both halves embedded (check_cover) and for the analyzer's check, where the whole-face match stands in for
the upper half (match_and_cover: one SFace pass fewer per re-identification).

--whole-gate adds the study of a gate that would skip the lower-half pass when the whole face matches the reference
well enough (issue #13): the whole-face similarity of the covered faces the analyzer's check flags, over four cover
shapes in two colours, both across photos (the manifest's pairs) and with the reference photo itself covered (the
same capture: the highest whole-face similarity a covered face can have), beside that of the bare same-person pairs.
A gate is safe only above every flagged cover; `bare_pairs_a_safe_gate_skips` is the share of bare re-identifications
it would then spare the lower-half pass.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from chalicelib.identity.face_engine import FaceObservation, OpenCvFaceEngine
from chalicelib.identity.occlusion import LOWER_MATCH, check_cover, match_and_cover, region_template


def cover_lower_face(
    image: np.ndarray,
    face: FaceObservation,
    colour=(200, 170, 120),
    *,
    top: float = -0.05,
    left: float = -0.05,
    right: float = 1.05,
    bottom: float = 1.1,
) -> np.ndarray:
    """A copy of the image with a filled box over the lower face; by default from just above the nose tip to below
    the chin, across the whole face. `top`: offset from the nose tip, `left`/`right`/`bottom`: positions in the face
    box, all in face-box sizes."""
    image = image.copy()
    x, y, w, h = face.box
    upper = int(face.landmarks[2][1] + top * h)
    cv2.rectangle(image, (int(x + left * w), upper), (int(x + right * w), int(y + bottom * h)), colour, -1)
    return image


# The covers of the whole-face gate study: the default box, a hand across nose and mouth (narrower than the face),
# the mouth only (from below the nose tip) and a hand over the mouth; cloth-coloured and skin-coloured.
GATE_COVERS = {
    "nose_to_chin": {},
    "hand": {"left": 0.2, "right": 0.8},
    "mouth": {"top": 0.08},
    "hand_on_mouth": {"top": 0.08, "left": 0.25, "right": 0.75, "bottom": 1.0},
}
GATE_COLOURS = {"cloth": (200, 170, 120), "skin": (120, 150, 200)}


def spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "n": len(values),
        "min": round(min(values), 3),
        "p05": round(float(np.percentile(values, 5)), 3),
        "median": round(float(np.median(values)), 3),
        "max": round(max(values), 3),
    }


def whole_gate(engine: OpenCvFaceEngine, images: dict, faces: dict, regions: dict, vectors: dict, same: list) -> dict:
    """Whole-face similarity of bare same-person probes and of the covered probes match_and_cover flags."""
    bare = [match_and_cover(engine, vectors[a], regions[a], images[b], faces[b])[0] for a, b in same]
    flagged: dict[str, list[float]] = {"self": [], "pairs": []}
    by_cover: dict[str, list[float]] = {}
    for kind, probes in (("self", [(name, name) for name in images]), ("pairs", same)):
        for ref, probe in probes:
            for cover, box in GATE_COVERS.items():
                for colour in GATE_COLOURS.values():
                    hidden = cover_lower_face(images[probe], faces[probe], colour, **box)
                    found = engine.observe(hidden)
                    if not found:
                        continue
                    whole, check = match_and_cover(engine, vectors[ref], regions[ref], hidden, found[0])
                    if check.covered:
                        flagged[kind].append(whole)
                        by_cover.setdefault(f"{kind}/{cover}", []).append(whole)
    highest = max(flagged["self"] + flagged["pairs"], default=-1.0)
    return {
        "bare_pairs_whole_similarity": spread(bare),
        "flagged_self_whole_similarity": spread(flagged["self"]),
        "flagged_pairs_whole_similarity": spread(flagged["pairs"]),
        "flagged_whole_max_by_cover": {key: round(max(values), 3) for key, values in sorted(by_cover.items())},
        "bare_pairs_a_safe_gate_skips": round(float(np.mean(np.array(bare) > highest)), 4) if bare else 0.0,
    }


def run(dataset: Path, *, gate: bool = False) -> dict:
    engine = OpenCvFaceEngine()
    manifest = json.loads((dataset / "manifest.json").read_text())
    person = {i["file"]: i["person"] for i in manifest["images"] if i.get("person")}
    images, faces, regions, vectors = {}, {}, {}, {}
    for name in person:
        image = cv2.imread(str(dataset / name))
        found = engine.observe(image)
        if found:
            images[name], faces[name] = image, found[0]
            regions[name] = region_template(engine, image, found[0])
            vectors[name] = engine.template(image, found[0]).vector
    bare_lower, covered_lower, impostor_upper, flagged_bare, flagged_cover, undetected = [], [], [], 0, 0, 0
    covered_whole, flagged_bare_whole, flagged_cover_whole = [], 0, 0
    same = [(p["a"], p["b"]) for p in manifest["pairs"] if p["same"] and p["a"] in images and p["b"] in images]
    for ref, probe in same:
        bare = check_cover(engine, regions[ref], images[probe], faces[probe])
        bare_lower.append(bare.lower)
        flagged_bare += bare.covered
        _, bare_check = match_and_cover(engine, vectors[ref], regions[ref], images[probe], faces[probe])
        flagged_bare_whole += bare_check.covered
        hidden = cover_lower_face(images[probe], faces[probe])
        found = engine.observe(hidden)
        if not found:
            undetected += 1
            continue
        covered = check_cover(engine, regions[ref], hidden, found[0])
        covered_lower.append(covered.lower)
        flagged_cover += covered.covered
        whole, analyzer_check = match_and_cover(engine, vectors[ref], regions[ref], hidden, found[0])
        covered_whole.append(whole)
        flagged_cover_whole += analyzer_check.covered
    for a, b in itertools.combinations(images, 2):
        if person[a] != person[b]:
            impostor_upper.append(check_cover(engine, regions[a], images[b], faces[b]).upper)
    result = {
        "lower_threshold": LOWER_MATCH,
        "bare_lower_similarity": spread(bare_lower),
        "covered_lower_similarity": spread(covered_lower),
        "impostor_upper_similarity": spread(impostor_upper),
        "false_cover_rate": round(flagged_bare / max(len(same), 1), 4),
        "cover_detection_rate": round(flagged_cover / max(len(covered_lower), 1), 4),
        "covered_face_not_detected_rate": round(undetected / max(len(same), 1), 4),
        "covered_whole_similarity": spread(covered_whole),
        "false_cover_rate_whole_for_upper": round(flagged_bare_whole / max(len(same), 1), 4),
        "cover_detection_rate_whole_for_upper": round(flagged_cover_whole / max(len(covered_lower), 1), 4),
    }
    if gate:
        result["whole_gate"] = whole_gate(engine, images, faces, regions, vectors, same)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--whole-gate", action="store_true", help="add the whole-face gate study (slower)")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    result = run(args.dataset, gate=args.whole_gate)
    if args.json:
        print(json.dumps(result))
        return 0
    for key, value in result.items():
        print(f"{key:32} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
