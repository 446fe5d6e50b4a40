"""Face counting, verification and speed of OpenCvFaceEngine on a folder laid out like the dev face set.

    python -m benchmarks.faces DATASET_DIR [--json] [--limit N] [--repeat N] [--threshold T] [--fast-landmarks]

Counting: an image is right when the number of faces found is inside its faces_range (or equals faces).
Verification: each image's largest face is embedded where it was detected (alignCrop from YuNet's landmarks).
Genuine scores are the manifest's same-person pairs. Impostor scores are ALL cross-person pairs of labelled
images (person set and different), which include the manifest's different-person pairs: the manifest has only
44 of those, too few to say anything at FAR 1 %. FAR resolution is 1 / impostor_pairs (reported), so "TAR at FAR
0.1 %" with fewer than 1000 impostors is the TAR above the highest impostor score. A pair image without a face
scores -1 (a rejection). Speed: one core (cv2.setNumThreads(1), one ONNX Runtime thread), each image letterboxed
to 640x480 like a webcam frame; detection is timed at the engine's 640 analysis size and at 320 (a 320x240
analysis), embedding per face (alignment included). For comparison the same int8 files are also timed through
OpenCV's own dnn (cv2.FaceDetectorYN at 640x480, cv2.dnn SFace on the aligned crop), which the engine used before.
Two-pass detection (the analyzer's webcam frames, face_detector.detect_stream): counted on every image as a frame
where the fast 320 pass may stand (previous frame one face, not a full-pass frame), as stored and letterboxed to
640x480, beside the full pass on the same 640x480 frames.

--fast-landmarks (issue #13) asks instead whether a re-identification could embed the face from the fast 320 pass's
landmarks (scaled) instead of running the full 640 pass: on every labelled image as a 640x480 frame, the cosine
between the two embeddings (whole face, and the lower half the cover check embeds), beside the frame-to-frame noise
floor (the full pass on the frame and on a jittered copy: a few pixels of shake, a small exposure change), split at
a face 30 % of the frame high (a seated candidate); and verification with the probes embedded either way against
references from the stored photos: genuine min, impostor max, TAR/FAR at the operating threshold, and the lower-half
similarity of bare same-person pairs against the cover check's threshold (occlusion.LOWER_MATCH).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime

from chalicelib.core.model_files import bundled_model
from chalicelib.identity.face_detector import (
    FAST_SIDE,
    FAST_SUSPECT_SCORE,
    FaceStream,
    InvalidImage,
    YuNetFaceDetector,
    decode_image,
    detect_stream,
)
from chalicelib.identity.face_engine import DEFAULT_MATCH_THRESHOLD, OpenCvFaceEngine, cosine, observation
from chalicelib.identity.occlusion import LOWER_MATCH, halves

FRAME = (640, 480)


def letterbox(image: np.ndarray, size: tuple[int, int] = FRAME) -> np.ndarray:
    """The image scaled to fit size (w, h) with black bars, as a webcam frame of that size."""
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0])
    w, h = max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))
    canvas = np.zeros((height, width, 3), np.uint8)
    top, left = (height - h) // 2, (width - w) // 2
    canvas[top : top + h, left : left + w] = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    return canvas


def tar_at_far(genuine: np.ndarray, impostor: np.ndarray, far: float) -> tuple[float, float]:
    """(TAR, threshold) for the lowest threshold at which at most `far` of impostors score >= it."""
    ranked = np.sort(impostor)[::-1]
    allowed = int(np.floor(far * len(ranked) + 1e-9))
    threshold = float(np.nextafter(ranked[allowed], np.inf)) if allowed < len(ranked) else float("-inf")
    return float(np.mean(genuine >= threshold)), threshold


def equal_error_rate(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """EER: where the false-accept and false-reject rates cross (their mean at the closest threshold)."""
    best = (2.0, 1.0)
    for threshold in np.unique(np.concatenate([genuine, impostor, [np.inf]])):
        far, frr = float(np.mean(impostor >= threshold)), float(np.mean(genuine < threshold))
        best = min(best, (abs(far - frr), (far + frr) / 2))
    return best[1]


def _ms(samples: list[float]) -> tuple[float, float]:
    return (round(float(np.median(samples)), 2), round(float(np.percentile(samples, 95)), 2)) if samples else (0, 0)


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn(*args)
    return result, (time.perf_counter() - start) * 1000


def run(dataset: Path, *, limit: int | None = None, repeat: int = 3, threshold: float | None = None) -> dict:
    cv2.setNumThreads(1)
    manifest = json.loads((dataset / "manifest.json").read_text())
    items = manifest["images"][:limit]
    engine = OpenCvFaceEngine(DEFAULT_MATCH_THRESHOLD if threshold is None else threshold)
    small = YuNetFaceDetector(analysis_max_side=320)
    counted, counted_320, single, extra, embeddings, misses = 0, 0, 0, 0, {}, []
    may_be_fast = FaceStream(frame_number=1, previous_faces=1)
    counted_stream, counted_frame, counted_frame_stream, extra_stream, fast_stood = 0, 0, 0, 0, 0
    detect_ms, detect_320_ms, observe_ms, embed_ms = [], [], [], []
    opencv_detect_ms, opencv_embed_ms = [], []
    opencv_detector = cv2.FaceDetectorYN.create(str(bundled_model("yunet")), "", FRAME, 0.9, 0.3, 5000)
    opencv_sface = cv2.dnn.readNet(str(bundled_model("sface")))

    def opencv_embed(crop: np.ndarray) -> np.ndarray:
        opencv_sface.setInput(cv2.dnn.blobFromImage(crop, 1.0, (112, 112), (0, 0, 0), swapRB=True), "data")
        return opencv_sface.forward()

    for item in items:
        try:
            image = decode_image((dataset / item["file"]).read_bytes())
        except (OSError, InvalidImage) as exc:
            raise SystemExit(f"cannot read {item['file']}: {exc}") from None
        low, high = item.get("faces_range", (item["faces"], item["faces"]))
        faces = engine.observe(image)
        counted += low <= len(faces) <= high
        counted_320 += low <= len(small.detect(image)) <= high
        stream = detect_stream(engine.detector, image, may_be_fast)
        counted_stream += low <= len(stream.faces) <= high
        fast_stood += not stream.full_pass
        extra_stream += item["faces"] == 1 and len(stream.faces) >= 2
        webcam = letterbox(image)
        counted_frame += low <= len(engine.detector.detect(webcam)) <= high
        counted_frame_stream += low <= len(detect_stream(engine.detector, webcam, may_be_fast).faces) <= high
        if not low <= len(faces) <= high:
            misses.append(f"{item['file']}: {len(faces)} (expected {low}..{high})")
        if item["faces"] == 1:
            single, extra = single + 1, extra + (len(faces) >= 2)
        if faces:
            if not embed_ms:
                engine.embed(image, faces[0])  # warm-up: the first forward pass allocates the network's buffers
            embeddings[item["file"]], ms = _timed(engine.embed, image, faces[0])
            embed_ms.append(ms)
            crop = engine.aligned_face(image, faces[0])
            opencv_embed(crop)  # warm-up
            opencv_embed_ms.append(_timed(opencv_embed, crop)[1])
        frame = letterbox(image)
        engine.detector.detect(frame), small.detect(frame)  # warm-up: first call per input size allocates
        opencv_detector.detect(frame)
        for _ in range(repeat):
            detect_ms.append(_timed(engine.detector.detect, frame)[1])
            opencv_detect_ms.append(_timed(opencv_detector.detect, frame)[1])
            detect_320_ms.append(_timed(small.detect, frame)[1])
            observe_ms.append(_timed(engine.observe, frame)[1])

    def score(a: str, b: str) -> float:
        return cosine(embeddings[a], embeddings[b]) if a in embeddings and b in embeddings else -1.0

    files = {item["file"] for item in items}
    pairs = [p for p in manifest.get("pairs", []) if p["a"] in files and p["b"] in files]
    genuine = np.array([score(p["a"], p["b"]) for p in pairs if p["same"]], dtype=float)
    manifest_impostor = np.array([score(p["a"], p["b"]) for p in pairs if not p["same"]], dtype=float)
    labelled = [item for item in items if item.get("person")]
    impostor = np.array(
        [score(a["file"], b["file"]) for a, b in itertools.combinations(labelled, 2) if a["person"] != b["person"]],
        dtype=float,
    )
    if len(genuine) == 0 or len(impostor) == 0:
        raise SystemExit("need at least one same-person pair and two labelled people")
    tar_1, threshold_1 = tar_at_far(genuine, impostor, 0.01)
    tar_01, threshold_01 = tar_at_far(genuine, impostor, 0.001)
    operating = engine.match_threshold
    return {
        "count_accuracy": round(counted / len(items), 4),
        "false_extra_person_rate": round(extra / single, 4) if single else 0.0,
        "tar_at_far_1pct": round(tar_1, 4),
        "tar_at_far_01pct": round(tar_01, 4),
        "eer": round(equal_error_rate(genuine, impostor), 4),
        "threshold": operating,
        "tar_at_threshold": round(float(np.mean(genuine >= operating)), 4),
        "far_at_threshold": round(float(np.mean(impostor >= operating)), 4),
        "manifest_far_at_threshold": round(float(np.mean(manifest_impostor >= operating)), 4)
        if len(manifest_impostor)
        else None,
        "threshold_at_far_1pct": round(threshold_1, 4),
        "threshold_at_far_01pct": round(threshold_01, 4),
        "detect_ms_median": _ms(detect_ms)[0],
        "detect_ms_p95": _ms(detect_ms)[1],
        "detect_320_ms_median": _ms(detect_320_ms)[0],
        "detect_320_ms_p95": _ms(detect_320_ms)[1],
        "observe_ms_median": _ms(observe_ms)[0],
        "embed_ms_median": _ms(embed_ms)[0],
        "embed_ms_p95": _ms(embed_ms)[1],
        "opencv_dnn_detect_ms_median": _ms(opencv_detect_ms)[0],
        "opencv_dnn_embed_ms_median": _ms(opencv_embed_ms)[0],
        "count_accuracy_320": round(counted_320 / len(items), 4),
        "count_accuracy_two_pass": round(counted_stream / len(items), 4),
        "false_extra_person_rate_two_pass": round(extra_stream / single, 4) if single else 0.0,
        "two_pass_fast_share": round(fast_stood / len(items), 4),
        "count_accuracy_640x480": round(counted_frame / len(items), 4),
        "count_accuracy_640x480_two_pass": round(counted_frame_stream / len(items), 4),
        "images": len(items),
        "single_face_images": single,
        "genuine_pairs": len(genuine),
        "impostor_pairs": len(impostor),
        "manifest_impostor_pairs": len(manifest_impostor),
        "genuine_min": round(float(genuine.min()), 4),
        "impostor_max": round(float(impostor.max()), 4),
        "count_misses": misses,
        "threads": 1,
        "opencv": cv2.__version__,
        "onnxruntime": onnxruntime.__version__,
    }


SEATED_FACE = 0.3  # face box height / frame height of a seated candidate (30-60 % of the frame)


def _jitter(image: np.ndarray, shift: tuple[int, int], gain: float, bias: float) -> np.ndarray:
    """The same scene a frame later: a few pixels of camera shake and a small exposure change."""
    moved = cv2.warpAffine(
        image, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]), image.shape[1::-1], borderMode=cv2.BORDER_REPLICATE
    )
    return cv2.convertScaleAbs(moved, alpha=gain, beta=bias)


def _spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "min": round(min(values), 4),
        "p05": round(float(np.percentile(values, 5)), 4),
        "median": round(float(np.median(values)), 4),
    }


def fast_landmarks(dataset: Path, *, limit: int | None = None) -> dict:
    """Embeddings from the fast pass's landmarks against the full pass's (see the module docstring)."""
    cv2.setNumThreads(1)
    manifest = json.loads((dataset / "manifest.json").read_text())
    labelled = [item for item in manifest["images"][:limit] if item.get("person")]
    engine = OpenCvFaceEngine()
    detector = engine.detector
    rng = np.random.default_rng(7)
    references, probes, person = {}, {}, {}
    drift: dict[str, list[float]] = {key: [] for key in ("whole", "lower", "whole_seated", "lower_seated")}
    noise: dict[str, list[float]] = {"whole": [], "lower": []}

    def embedded(image: np.ndarray, face: Any) -> tuple[np.ndarray, np.ndarray]:
        aligned = engine.aligned_face(image, observation(image, face))
        whole, lower = engine.embed_crops([aligned, halves(aligned)[1]])
        return whole, lower

    for item in labelled:
        image = decode_image((dataset / item["file"]).read_bytes())
        stored = detector.detect(image)
        frame = letterbox(image)
        full = detector.detect(frame)
        fast = detector.detect(frame, max_side=FAST_SIDE, min_score=FAST_SUSPECT_SCORE)
        if not stored or not full or not fast:
            continue
        person[item["file"]] = item["person"]
        references[item["file"]] = embedded(image, stored[0])
        probe = probes[item["file"]] = {"full": embedded(frame, full[0]), "fast": embedded(frame, fast[0])}
        whole, lower = (cosine(a, b) for a, b in zip(probe["full"], probe["fast"], strict=True))
        seated = "_seated" if full[0].box[3] >= SEATED_FACE * frame.shape[0] else ""
        drift["whole" + seated].append(whole)
        drift["lower" + seated].append(lower)
        shift = (int(rng.integers(-12, 13)), int(rng.integers(-8, 9)))
        later = _jitter(frame, shift, float(rng.uniform(0.92, 1.08)), float(rng.uniform(-8, 8)))
        again = detector.detect(later)
        if again:
            for key, a, b in zip(("whole", "lower"), probe["full"], embedded(later, again[0]), strict=True):
                noise[key].append(cosine(a, b))
    same = [(p["a"], p["b"]) for p in manifest["pairs"] if p["same"]]
    same = [(a, b) for a, b in same + [(b, a) for a, b in same] if a in references and b in probes]
    verification = {}
    for source in ("full", "fast"):
        genuine = np.array([cosine(references[a][0], probes[b][source][0]) for a, b in same])
        lower = np.array([cosine(references[a][1], probes[b][source][1]) for a, b in same])
        impostor = np.array(
            [
                cosine(references[a][0], probes[b][source][0])
                for a in references
                for b in probes
                if person[a] != person[b]
            ]
        )
        verification[source] = {
            "genuine_min": round(float(genuine.min()), 4) if len(genuine) else None,
            "impostor_max": round(float(impostor.max()), 4) if len(impostor) else None,
            "tar_at_threshold": round(float(np.mean(genuine >= DEFAULT_MATCH_THRESHOLD)), 4) if len(genuine) else None,
            "far_at_threshold": round(float(np.mean(impostor >= DEFAULT_MATCH_THRESHOLD)), 4)
            if len(impostor)
            else None,
            "bare_lower_min": round(float(lower.min()), 4) if len(lower) else None,
            "bare_lower_p05": round(float(np.percentile(lower, 5)), 4) if len(lower) else None,
            "false_covered_rate": round(float(np.mean(lower < LOWER_MATCH)), 4) if len(lower) else None,
        }
    return {
        "frames": len(probes),
        "genuine_pairs": len(same),
        "fast_vs_full_cosine": {key: _spread(values) for key, values in drift.items()},
        "frame_to_frame_noise_cosine": {key: _spread(values) for key, values in noise.items()},
        "verification": verification,
        "lower_threshold": LOWER_MATCH,
    }


def format_table(result: dict) -> str:
    rows = [
        ("images (single-face)", f"{result['images']} ({result['single_face_images']})"),
        (
            "face-count accuracy",
            f"{result['count_accuracy']:.3f}  (at 320 analysis: {result['count_accuracy_320']:.3f})",
        ),
        ("false extra person rate", f"{result['false_extra_person_rate']:.3f}"),
        (
            "two-pass (fast may stand)",
            f"count {result['count_accuracy_two_pass']:.3f}, extra person "
            f"{result['false_extra_person_rate_two_pass']:.3f}, fast stood on {result['two_pass_fast_share']:.3f}",
        ),
        (
            "count as 640x480 frames",
            f"full {result['count_accuracy_640x480']:.3f}, two-pass {result['count_accuracy_640x480_two_pass']:.3f}",
        ),
        (
            "pairs genuine / impostor",
            f"{result['genuine_pairs']} / {result['impostor_pairs']} all cross-person "
            f"({result['manifest_impostor_pairs']} in manifest)",
        ),
        ("TAR @ FAR 1%", f"{result['tar_at_far_1pct']:.3f}  (threshold {result['threshold_at_far_1pct']:.3f})"),
        (
            "TAR @ FAR 0.1%",
            f"{result['tar_at_far_01pct']:.3f}  (threshold {result['threshold_at_far_01pct']:.3f}; "
            f"FAR resolution 1/{result['impostor_pairs']})",
        ),
        ("EER", f"{result['eer']:.3f}"),
        (
            "operating threshold",
            f"{result['threshold']:.3f}: TAR {result['tar_at_threshold']:.3f}, FAR "
            f"{result['far_at_threshold']:.4f} (manifest pairs {result['manifest_far_at_threshold']})",
        ),
        ("genuine min / impostor max", f"{result['genuine_min']:.3f} / {result['impostor_max']:.3f}"),
        ("detect 640x480 ms median/p95", f"{result['detect_ms_median']} / {result['detect_ms_p95']}"),
        ("detect 320x240 ms median/p95", f"{result['detect_320_ms_median']} / {result['detect_320_ms_p95']}"),
        ("observe 640x480 ms median", f"{result['observe_ms_median']}"),
        ("embed ms per face median/p95", f"{result['embed_ms_median']} / {result['embed_ms_p95']}"),
        (
            "same files in OpenCV dnn (ms)",
            f"detect 640x480 {result['opencv_dnn_detect_ms_median']}, embed {result['opencv_dnn_embed_ms_median']}",
        ),
    ]
    lines = [f"{name:<30} {value}" for name, value in rows]
    lines += [f"count miss: {miss}" for miss in result["count_misses"]]
    return "\n".join(lines + [f"(one core, ONNX Runtime {result['onnxruntime']}, OpenCV {result['opencv']})"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faces", description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path, help="folder with manifest.json and the images it lists")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--limit", type=int, default=None, help="only the first N manifest images (quick runs)")
    parser.add_argument("--repeat", type=int, default=3, help="timed detections per image (default 3)")
    parser.add_argument("--threshold", type=float, default=None, help="operating threshold (default: engine's)")
    parser.add_argument(
        "--fast-landmarks", action="store_true", help="only the study of embedding from the fast pass's landmarks"
    )
    args = parser.parse_args(argv)
    if not (args.dataset / "manifest.json").is_file():
        print(f"error: {args.dataset / 'manifest.json'} not found", file=sys.stderr)
        return 2
    if args.fast_landmarks:
        print(json.dumps(fast_landmarks(args.dataset, limit=args.limit), indent=None if args.json else 2))
        return 0
    result = run(args.dataset, limit=args.limit, repeat=max(1, args.repeat), threshold=args.threshold)
    print(json.dumps(result) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
