"""The prepared ONNX models (built by `make models`, infra/prepare_models.py) and ONNX Runtime sessions over them.

The models ship prepared: inputs symbolic, SFace's PRelu rewritten, int8 weights in a form ONNX Runtime folds to
float32 when it builds the session (see infra/prepare_models.py), so loading one is reading a file and building a
session. They live in build/models/ beside chalicelib/: in a checkout that is the repository's build folder, in a
Lambda zip infra/package.py puts them at the same place relative to the code. manifest.json there gives each file's
sha256 and the sha256 of the source it was prepared from; a model loads only if both match (the file is intact, and
it was built from the source pinned in core/model_files.py, not from an older pin).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from chalicelib.core.model_files import MODELS, ModelIntegrityError

MODELS_DIR = Path(__file__).resolve().parents[2] / "build" / "models"
MANIFEST = "manifest.json"
PREPARED_FILES = {name: f"{name}.onnx" for name in MODELS}
HOW_TO_BUILD = "run `make models` (python -m infra.prepare_models) to prepare them"


class ModelNotPrepared(ModelIntegrityError):
    """The prepared models (or this one) are missing or were built from another source: a build step was skipped."""


def prepared_model(name: str, models_dir: Path = MODELS_DIR) -> bytes:
    """The bytes of a prepared model ("yunet", "sface" or "silero_vad"), checked against the manifest.

    Raises ModelNotPrepared when the build step has not run (or ran for another source pin), ModelIntegrityError
    when a file does not match its recorded sha256. The bytes checked are the bytes returned (no second read).
    """
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    entry = _manifest(models_dir).get(name)
    if entry is None or entry["source_sha256"] != MODELS[name][2]:
        raise ModelNotPrepared(f"{models_dir} holds no {name} prepared from the pinned source; {HOW_TO_BUILD}")
    path = models_dir / entry["file"]
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelNotPrepared(f"prepared model missing: {path}; {HOW_TO_BUILD}") from None
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise ModelIntegrityError(f"sha256 mismatch for {path} (manifest {entry['sha256']}); {HOW_TO_BUILD}")
    return data


@functools.cache  # one read per process; failures are not cached
def _manifest(models_dir: Path) -> dict[str, dict[str, str]]:
    try:
        return json.loads((models_dir / MANIFEST).read_text())["models"]
    except FileNotFoundError:
        raise ModelNotPrepared(f"no prepared models in {models_dir}; {HOW_TO_BUILD}") from None


def inference_session(model: bytes, threads: int = 1) -> Any:
    """An ONNX Runtime CPU session for a prepared model. `threads` intra-op threads (one per Lambda vCPU); run()
    may be called from several threads at once."""
    import onnxruntime  # imported here: only the processes that run a network pay for loading it

    if threads < 1:
        raise ValueError("threads must be >= 1")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only
    # The weights are int8 + DequantizeLinear. With QDQ handling on, ONNX Runtime keeps those nodes for quantized
    # kernels (our activations are float: there are none) and dequantizes on every run, 3x slower; off, its constant
    # folding turns them into float32 weights once, here.
    options.add_session_config_entry("session.disable_quant_qdq", "1")
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
