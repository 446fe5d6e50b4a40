"""Look at photos with the OpenCV face engine, offline.

    python -m chalicelib.identity inspect IMG [--document]   faces, pose, lighting, sharpness, enrollment verdict
    python -m chalicelib.identity verify A B [--threshold T]  similarity of the largest faces, match or not

Exit codes: 0 ok / match, 1 enrollment rejected / no match / no face, 2 unreadable file or bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from chalicelib.identity.face_detector import InvalidImage, decode_image
from chalicelib.identity.face_engine import OpenCvFaceEngine
from chalicelib.identity.quality import MESSAGES, QualityLimits, assess_enrollment


class Unreadable(Exception):
    pass


def _load(path: Path) -> np.ndarray:
    try:
        return decode_image(path.read_bytes())
    except OSError as exc:
        raise Unreadable(f"cannot read {path}: {exc.strerror or exc}") from None
    except InvalidImage as exc:
        raise Unreadable(f"cannot read {path}: {exc}") from None


def inspect(path: Path, document: bool) -> int:
    image = _load(path)
    faces = OpenCvFaceEngine().observe(image)
    print(f"{path}: {image.shape[1]}x{image.shape[0]} px, {len(faces)} face(s)")
    for number, face in enumerate(faces, 1):
        x, y, w, h = face.box
        print(
            f"  face {number}: box x={x:.0f} y={y:.0f} w={w:.0f} h={h:.0f}  score {face.score:.3f}  "
            f"yaw {face.yaw:+.1f} pitch {face.pitch:+.1f} roll {face.roll:+.1f}  brightness {face.brightness:.1f}  "
            f"sharpness {face.sharpness:.1f}  face fraction {face.face_fraction:.3f}"
        )
    limits = QualityLimits.for_document() if document else QualityLimits()
    reasons = assess_enrollment(faces, limits)
    kind = "document" if document else "selfie"
    if not reasons:
        print(f"enrollment ({kind}): OK")
        return 0
    print(f"enrollment ({kind}): rejected")
    for code in reasons:
        print(f"  {code}: {MESSAGES[code]['en']}")
    return 1


def verify(first: Path, second: Path, threshold: float | None) -> int:
    images = [_load(first), _load(second)]
    engine = OpenCvFaceEngine() if threshold is None else OpenCvFaceEngine(threshold)
    faces = [engine.observe(image) for image in images]
    for path, found in zip((first, second), faces, strict=True):
        if not found:
            print(f"{path}: no face found")
            return 1
    template = engine.template(images[0], faces[0][0])
    similarity = engine.similarity(template, images[1], faces[1][0])
    matched = similarity >= engine.match_threshold
    print(f"similarity {similarity:.4f}  threshold {engine.match_threshold:.3f}  {'match' if matched else 'no match'}")
    return 0 if matched else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.identity", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    inspect_cmd = commands.add_parser("inspect", help="faces and enrollment quality verdict of one image")
    inspect_cmd.add_argument("image", type=Path)
    inspect_cmd.add_argument("--document", action="store_true", help="judge as an ID-document photo")
    verify_cmd = commands.add_parser("verify", help="do the largest faces of two images match?")
    verify_cmd.add_argument("a", type=Path)
    verify_cmd.add_argument("b", type=Path)
    verify_cmd.add_argument("--threshold", type=float, default=None, help="cosine threshold (default: engine's)")
    args = parser.parse_args(argv)
    try:
        if args.command == "inspect":
            return inspect(args.image, args.document)
        return verify(args.a, args.b, args.threshold)
    except Unreadable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
