"""benchmarks.openvino_shim: the float-folded networks are the prepared ones; OpenVINO answers like ONNX Runtime."""

import cv2
import numpy as np
import pytest

from benchmarks.openvino_shim import WARM_SHAPES, OpenVinoSession, float_model
from chalicelib.core.onnx_models import inference_session, prepared_model
from chalicelib.identity.face_engine import OpenCvFaceEngine
from tests.paths import FACES_DIR


@pytest.fixture(scope="module")
def crops():
    engine = OpenCvFaceEngine()
    found = []
    for name in ("obama__obama.jpg", "biden__biden2.jpg", "alex_lacamoire__img1.jpg"):
        image = cv2.imread(str(FACES_DIR / name))
        found.append(engine.aligned_face(image, engine.observe(image)[0]))
    return cv2.dnn.blobFromImages(found, 1.0, (112, 112), (0, 0, 0), swapRB=True)


def unit(rows):
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_the_float_folded_sface_embeds_as_the_prepared_one(tmp_path, crops):
    prepared = inference_session(prepared_model("sface")).run(None, {"data": crops})[0]
    folded = inference_session(float_model("sface", tmp_path).read_bytes()).run(None, {"data": crops})[0]
    assert (unit(prepared) * unit(folded)).sum(axis=1).min() > 0.99999


def test_openvino_f32_answers_as_onnx_runtime_for_both_networks(tmp_path, crops):
    pytest.importorskip("openvino")  # not a project dependency: the shim measures it when installed
    prepared = inference_session(prepared_model("sface")).run(None, {"data": crops[:2]})[0]
    session = OpenVinoSession(float_model("sface", tmp_path), "data", "f32", WARM_SHAPES["sface"][1])
    assert (unit(prepared) * unit(session.run(None, {"data": crops[:2]})[0])).sum(axis=1).min() > 0.9999
    frame = np.zeros((1, 3, 256, 320), np.float32)
    frame[0, :, 40:200, 100:220] = 128.0
    names = ["cls_8", "obj_8", "bbox_8", "kps_8"]
    expected = inference_session(prepared_model("yunet")).run(names, {"input": frame})
    got = OpenVinoSession(float_model("yunet", tmp_path), "input", "f32").run(names, {"input": frame})
    for a, b in zip(expected, got, strict=True):
        assert a.shape == b.shape and np.allclose(a, b, atol=1e-3)
