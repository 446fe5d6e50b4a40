"""How well the lower/upper-face comparison (chalicelib/identity/occlusion.py) tells a covered face.

    python -m benchmarks.occlusion DATASET_DIR [--json]

For every same-person pair of the manifest, the reference's halves are compared with the probe's halves bare and
with a cloth-coloured cover drawn over nose and mouth (from the detected landmarks); impostor scores come from all
cross-person pairs of labelled images. Prints the distributions and the rates at the module's thresholds, for the
check with both halves embedded (check_cover) and for the analyzer's check, where the whole-face match stands in for
the upper half (match_and_cover: one SFace pass fewer per re-identification).
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


def cover_lower_face(image: np.ndarray, face: FaceObservation, colour=(200, 170, 120)) -> np.ndarray:
    """A copy of the image with a filled box from just above the nose tip to below the chin."""
    image = image.copy()
    x, y, w, h = face.box
    top = int(face.landmarks[2][1] - 0.05 * h)
    cv2.rectangle(image, (int(x - 0.05 * w), top), (int(x + 1.05 * w), int(y + 1.1 * h)), colour, -1)
    return image


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


def run(dataset: Path) -> dict:
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
    return {
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    result = run(args.dataset)
    if args.json:
        print(json.dumps(result))
        return 0
    for key, value in result.items():
        print(f"{key:32} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
