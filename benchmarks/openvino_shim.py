"""Measuring shim (issue #13): run a benchmark module with YuNet and SFace in OpenVINO instead of ONNX Runtime.

    pip install openvino==2026.4.1   # not a project dependency: for this measurement only
    python -m benchmarks.openvino_shim [--precision bf16|f32] MODULE [ARGS...]
    e.g. python -m benchmarks.openvino_shim benchmarks.occlusion ../shared/datasets/faces

OpenVINO's ONNX reader refuses the prepared models' block-wise DequantizeLinear, so each network is first folded to
float32 by ONNX Runtime's basic graph optimisation (the same constant folding of the int8 weights ONNX Runtime does
when it builds its own session) into a temporary folder, then compiled by OpenVINO on one thread. Every input shape
the analyzer uses is compiled at load (SFace batches of 1 and 2, YuNet at 640x480 and 320x256), so no compilation
falls inside a timed loop; other shapes compile on first use. `bf16` asks the CPU plugin for bfloat16 inference
(AMX or AVX512-BF16 units; on a CPU without them OpenVINO runs f32). Results: docs/BENCHMARKS.md, "CPU per frame,
third round".
"""

from __future__ import annotations

import argparse
import runpy
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from chalicelib.core.onnx_models import prepared_model

# the input each network is fed under, and the shapes the analyzer feeds it
WARM_SHAPES = {
    "sface": ("data", [(1, 3, 112, 112), (2, 3, 112, 112)]),
    "yunet": ("input", [(1, 3, 480, 640), (1, 3, 256, 320)]),
}


def float_model(name: str, folder: Path) -> Path:
    """The prepared model `name` with its int8 weights folded to float32 by ONNX Runtime, written into folder."""
    import onnxruntime

    path = folder / f"{name}_float32.onnx"
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.add_session_config_entry("session.disable_quant_qdq", "1")  # fold the DequantizeLinear nodes
    options.optimized_model_filepath = str(path)
    onnxruntime.InferenceSession(prepared_model(name), options, providers=["CPUExecutionProvider"])
    return path


class OpenVinoSession:
    """What the face engine and detector call on an ONNX Runtime session (`run`), answered by OpenVINO."""

    def __init__(self, path: Path, input_name: str, precision: str, shapes: list[tuple[int, ...]] = ()) -> None:
        import openvino

        self._core = openvino.Core()
        self._path, self._input = path, input_name
        self._config = {
            "INFERENCE_NUM_THREADS": 1,
            "NUM_STREAMS": 1,
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": precision,
        }
        self._compiled: dict[tuple[int, ...], Any] = {}
        for shape in shapes:
            self._request(tuple(shape))

    def _request(self, shape: tuple[int, ...]) -> Any:
        if shape not in self._compiled:
            model = self._core.read_model(str(self._path))
            model.reshape({self._input: list(shape)})
            compiled = self._core.compile_model(model, "CPU", self._config)
            self._compiled[shape] = (compiled, compiled.create_infer_request())
        return self._compiled[shape]

    def run(self, names: list[str] | None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        data = np.ascontiguousarray(feeds[self._input])
        compiled, request = self._request(data.shape)
        results = request.infer({0: data})
        outputs = compiled.outputs if names is None else [compiled.output(name) for name in names]
        return [results[output] for output in outputs]


def install(precision: str, folder: Path) -> None:
    """From now on, new face engines and detectors in this process run their networks in OpenVINO."""
    from chalicelib.identity import face_detector, face_engine

    sessions = {}
    for name, (input_name, shapes) in WARM_SHAPES.items():
        path = float_model(name, folder)
        sessions[name] = lambda model, threads=1, path=path, input_name=input_name, shapes=shapes: OpenVinoSession(
            path, input_name, precision, shapes
        )
    face_engine.inference_session = sessions["sface"]
    face_detector.inference_session = sessions["yunet"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.openvino_shim", description=__doc__.split("\n\n")[0])
    parser.add_argument("--precision", choices=("bf16", "f32"), default="bf16")
    parser.add_argument("module", help="the benchmark module to run, e.g. benchmarks.faces")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="openvino-shim-") as folder:
        install(args.precision, Path(folder))
        sys.argv = [args.module, *args.args]
        try:
            runpy.run_module(args.module, run_name="__main__", alter_sys=True)
        except SystemExit as exc:
            return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
