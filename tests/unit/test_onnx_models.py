"""The protobuf-level ONNX rewriter: wire format, tensors, DequantizeLinear folding, and the shipped models in ORT.

Hand-built messages use an encoder written here (not the module's), so a symmetric encode/decode mistake in the
module cannot pass unnoticed; the shipped models are prepared once per module and run in ONNX Runtime, and the face
models are also checked against OpenCV's own reading of the int8 files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import cv2
import numpy as np
import pytest

from chalicelib.core.model_files import bundled_model
from chalicelib.core.onnx_models import (
    DTYPES,
    Field,
    ModelFormatError,
    Node,
    _int64,
    array_to_tensor,
    bytes_field,
    dequantize,
    fields,
    inference_session,
    parse_node,
    prepare,
    reshape,
    tensor_to_array,
    varint_field,
)

YUNET_DIMS = {"input": {2: "height", 3: "width"}}
SFACE_DIMS = {"data": {0: "batch"}}
YUNET_OUTPUTS = [f"{kind}_{stride}" for kind in ("cls", "obj", "bbox", "kps") for stride in (8, 16, 32)]
FLOAT, UINT8, INT8, INT32, INT64, BOOL = 1, 2, 3, 6, 7, 9
DTYPE_CODES = {np.dtype(dtype): code for code, dtype in DTYPES.items()}


# ---- an independent encoder and a few readers ------------------------------------------------------------------


def encode_varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def key(number: int, wire: int) -> bytes:
    return encode_varint(number << 3 | wire)


def length_field(number: int, payload: bytes) -> bytes:
    return key(number, 2) + encode_varint(len(payload)) + payload


def int_field(number: int, value: int) -> bytes:
    return key(number, 0) + encode_varint(value)


def packed(values: Sequence[int]) -> bytes:
    return b"".join(encode_varint(v) for v in values)


def raw_tensor(name: str, array: np.ndarray) -> bytes:
    array = np.asarray(array)
    return (
        length_field(1, packed(array.shape))
        + int_field(2, DTYPE_CODES[array.dtype])
        + length_field(8, name.encode())
        + length_field(9, array.astype(array.dtype.newbyteorder("<")).tobytes())
    )


def value_info(name: str, elem: int = FLOAT, dims: Sequence[int | str] | None = None) -> bytes:
    tensor = int_field(1, elem)
    if dims is not None:
        shape = b"".join(
            length_field(1, int_field(1, d) if isinstance(d, int) else length_field(2, d.encode())) for d in dims
        )
        tensor += length_field(2, shape)
    return length_field(1, name.encode()) + length_field(2, length_field(1, tensor))


def int_attribute(name: str, value: int) -> bytes:
    return length_field(1, name.encode()) + int_field(3, value) + int_field(20, 2)  # type INT


def graph_attribute(name: str, graph: bytes) -> bytes:
    return length_field(1, name.encode()) + length_field(6, graph) + int_field(20, 5)  # type GRAPH


def node_proto(op_type: str, inputs: Sequence[str], outputs: Sequence[str], *attributes: bytes) -> bytes:
    return (
        b"".join(length_field(1, i.encode()) for i in inputs)
        + b"".join(length_field(2, o.encode()) for o in outputs)
        + length_field(4, op_type.encode())
        + b"".join(length_field(5, a) for a in attributes)
    )


def graph_proto(
    nodes: Sequence[bytes],
    initializers: Sequence[bytes] = (),
    inputs: Sequence[bytes] = (),
    outputs: Sequence[bytes] = (),
    value_infos: Sequence[bytes] = (),
) -> bytes:
    return (
        b"".join(length_field(1, n) for n in nodes)
        + length_field(2, b"g")
        + b"".join(length_field(5, t) for t in initializers)
        + b"".join(length_field(11, v) for v in inputs)
        + b"".join(length_field(12, v) for v in outputs)
        + b"".join(length_field(13, v) for v in value_infos)
    )


def model_proto(graph: bytes) -> bytes:
    opset = length_field(1, b"") + int_field(2, 21)
    return int_field(1, 10) + length_field(2, b"tests") + length_field(7, graph) + length_field(8, opset)


def graph_of(model: bytes) -> list[Field]:
    (graph,) = [f for f in fields(model) if f.number == 7]
    return list(fields(bytes(graph.value)))


def nodes_of(model: bytes) -> list[Node]:
    return [parse_node(f) for f in graph_of(model) if f.number == 1]


def initializers_of(model: bytes) -> dict[str, np.ndarray]:
    return dict(tensor_to_array(bytes(f.value)) for f in graph_of(model) if f.number == 5)


def read_value_info(message: bytes) -> tuple[str, int, list[int | str] | None]:
    """(name, element type, dims or None when there is no shape) of a ValueInfoProto, read field by field."""
    parts = {f.number: f.value for f in fields(message)}
    (tensor,) = [bytes(f.value) for f in fields(bytes(parts[2])) if f.number == 1]
    info = {f.number: f.value for f in fields(tensor)}
    if 2 not in info:
        return bytes(parts[1]).decode(), int(info[1]), None
    dims: list[int | str] = []
    for dim in fields(bytes(info[2])):
        d = {f.number: f.value for f in fields(bytes(dim.value))}
        dims.append(_int64(int(d[1])) if 1 in d else bytes(d.get(2, b"")).decode())
    return bytes(parts[1]).decode(), int(info[1]), dims


def graph_values(model: bytes, number: int) -> list[tuple[str, int, list[int | str] | None]]:
    return [read_value_info(bytes(f.value)) for f in graph_of(model) if f.number == number]


def is_closed(model: bytes) -> bool:
    """Every top-level node input is an initializer, a graph input or an earlier node's output."""
    known = set(initializers_of(model)) | {name for name, _, _ in graph_values(model, 11)} | {""}
    for node in nodes_of(model):
        if not set(node.inputs) <= known:
            return False
        known |= set(node.outputs)
    return True


# ---- varints and fields ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "size"),
    [(0, 1), (1, 1), (127, 1), (128, 2), (300, 2), (2**35, 6), (2**63 - 1, 9), (-1, 10), (-2, 10), (-(2**63), 10)],
)
def test_varint_round_trip(value: int, size: int) -> None:
    encoded = varint_field(5, value)
    assert encoded == b"\x28" + encode_varint(value)
    assert len(encoded) == 1 + size
    (field,) = fields(encoded)
    assert (field.number, field.wire, field.raw) == (5, 0, encoded)
    assert _int64(int(field.value)) == value
    assert field.value == value & (2**64 - 1)


def test_varint_known_encodings() -> None:
    assert varint_field(1, 150) == b"\x08\x96\x01"  # the protobuf documentation's example
    assert varint_field(16, 1) == b"\x80\x01\x01"  # a two-byte key
    assert varint_field(1, -1) == b"\x08" + b"\xff" * 9 + b"\x01"


def test_bytes_field_round_trip_and_order() -> None:
    long = bytes(range(256)) * 2
    message = bytes_field(1, b"") + bytes_field(2, b"abc") + varint_field(3, 7) + bytes_field(2**20, long)
    parsed = list(fields(message))
    assert [(f.number, f.wire) for f in parsed] == [(1, 2), (2, 2), (3, 0), (2**20, 2)]
    assert [f.value for f in parsed] == [b"", b"abc", 7, long]
    assert b"".join(f.raw for f in parsed) == message
    assert bytes_field(2, b"abc") == length_field(2, b"abc")


def test_fixed_width_fields() -> None:
    message = key(1, 5) + b"\x00\x00\x80\x3f" + key(2, 1) + b"\x01\x02\x03\x04\x05\x06\x07\x08"
    first, second = fields(message)
    assert (first.number, first.wire, first.value) == (1, 5, b"\x00\x00\x80\x3f")
    assert (second.number, second.wire, second.value) == (2, 1, bytes(range(1, 9)))
    assert list(fields(b"")) == []


@pytest.mark.parametrize(
    "message",
    [
        b"\x80",  # key varint never ends
        b"\x08",  # value missing
        b"\x08\x80\x80",  # value varint never ends
        b"\x08" + b"\x80" * 10 + b"\x01",  # eleven-byte varint
        b"\x0a\x05abc",  # length-delimited field runs past the end
        b"\x0a\x80",  # its length is truncated
        b"\x0b",  # wire type 3 (start group)
        b"\x0c",  # wire type 4 (end group)
        b"\x0e\x00",  # wire type 6
        b"\x0f\x00",  # wire type 7
        b"\x00\x01",  # field number 0
        b"\x02\x00",  # field number 0, length-delimited
        b"\x0d\x01\x02",  # truncated fixed32
        b"\x09\x01\x02\x03\x04",  # truncated fixed64
        b"\x08\x01\x0a\x05abc",  # a good field, then a bad one
    ],
)
def test_fields_rejects_malformed_messages(message: bytes) -> None:
    with pytest.raises(ModelFormatError):
        list(fields(message))


@pytest.mark.parametrize("wire", [3, 4, 6, 7])
def test_fields_rejects_unsupported_wire_types_even_with_bytes_to_spare(wire: int) -> None:
    with pytest.raises(ModelFormatError, match=f"wire type {wire}"):
        list(fields(int_field(1, 5) + key(2, wire) + bytes(16)))


# ---- tensors ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (1,), (5,), (2, 3), (2, 3, 4), (1, 1, 3, 3), (0, 3)])
def test_array_to_tensor_round_trip(shape: tuple[int, ...]) -> None:
    array = np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32)
    name, back = tensor_to_array(array_to_tensor("w.0", array))
    assert name == "w.0"
    assert back.dtype == np.float32 and back.shape == shape
    np.testing.assert_array_equal(back, array)


def test_array_to_tensor_converts_and_lays_out() -> None:
    array = np.arange(12, dtype=np.float64).reshape(3, 4).T  # float64, not C-contiguous
    tensor = array_to_tensor("t", array)
    parts = {f.number: f.value for f in fields(tensor)}
    assert parts[2] == FLOAT and parts[8] == b"t"
    assert parts[1] == packed([4, 3])
    assert parts[9] == array.astype("<f4").tobytes(order="C")
    np.testing.assert_array_equal(tensor_to_array(tensor)[1], array.astype(np.float32))


def test_tensor_int8_from_packed_int32_data() -> None:
    values = [-128, -1, 0, 1, 127, -7]
    tensor = length_field(1, packed([2, 3])) + int_field(2, INT8) + length_field(5, packed(values))
    tensor += length_field(8, b"q")
    name, array = tensor_to_array(tensor)
    assert name == "q" and array.dtype == np.int8
    np.testing.assert_array_equal(array, np.array(values, np.int8).reshape(2, 3))


def test_tensor_unpacked_int32_data_and_dims() -> None:
    values = [-3, 200, 0]
    tensor = int_field(1, 3) + int_field(1, 1) + int_field(2, INT32)
    tensor += b"".join(int_field(5, v) for v in values)
    _, array = tensor_to_array(tensor)
    assert array.dtype == np.int32 and array.shape == (3, 1)
    np.testing.assert_array_equal(array.ravel(), values)


def test_tensor_int64_data_with_negatives() -> None:
    values = [-(2**63), -1, 0, 2**40, 2**63 - 1]
    tensor = length_field(1, packed([5])) + int_field(2, INT64) + length_field(7, packed(values))
    _, array = tensor_to_array(tensor)
    assert array.dtype == np.int64
    assert array.tolist() == values


def test_tensor_float_data_packed_and_unpacked() -> None:
    values = np.array([1.5, -2.25, 3e-8, 0.0], np.float32)
    head = length_field(1, packed([2, 2])) + int_field(2, FLOAT)
    packed_tensor = head + length_field(4, values.astype("<f4").tobytes())
    unpacked_tensor = head + b"".join(key(4, 5) + v.astype("<f4").tobytes() for v in values)
    for tensor in (packed_tensor, unpacked_tensor):
        _, array = tensor_to_array(tensor)
        assert array.dtype == np.float32
        np.testing.assert_array_equal(array, values.reshape(2, 2))


@pytest.mark.parametrize(
    "dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.int64, np.uint64, np.float16, np.float32, np.float64]
)
def test_tensor_raw_data(dtype: type) -> None:
    array = (np.arange(-6, 6) * 3).astype(dtype).reshape(2, 3, 2)
    name, back = tensor_to_array(raw_tensor("r", array))
    assert name == "r" and back.dtype == array.dtype
    np.testing.assert_array_equal(back, array)


def test_tensor_external_data_is_refused_and_default_location_is_not() -> None:
    tensor = raw_tensor("w", np.zeros(2, np.float32))
    assert tensor_to_array(tensor + int_field(14, 0))[1].shape == (2,)
    with pytest.raises(ModelFormatError, match="external"):
        tensor_to_array(tensor + int_field(14, 1))


@pytest.mark.parametrize(
    "tensor",
    [
        length_field(1, packed([2, 3])) + int_field(2, FLOAT) + length_field(4, np.zeros(5, "<f4").tobytes()),
        length_field(1, packed([2, 3])) + int_field(2, INT8) + length_field(5, packed([1] * 7)),
        length_field(1, packed([4])) + int_field(2, FLOAT) + length_field(9, b"\0" * 12),
        length_field(1, packed([4])) + int_field(2, FLOAT),  # no data at all
        int_field(2, FLOAT) + length_field(4, np.zeros(2, "<f4").tobytes()),  # no dims: a scalar, but two values
    ],
)
def test_tensor_data_count_must_match_dims(tensor: bytes) -> None:
    with pytest.raises(ModelFormatError, match="values for dims"):
        tensor_to_array(tensor)


@pytest.mark.parametrize("data_type", [None, 0, BOOL, 8, 16, 99])  # 8 string, 16 bfloat16
def test_tensor_unsupported_data_type(data_type: int | None) -> None:
    tensor = length_field(1, packed([1])) + length_field(9, b"\0")
    if data_type is not None:
        tensor += int_field(2, data_type)
    with pytest.raises(ModelFormatError, match="data type"):
        tensor_to_array(tensor)


def test_tensor_corrupt_bytes() -> None:
    with pytest.raises(ModelFormatError):
        tensor_to_array(raw_tensor("w", np.zeros(3, np.float32))[:-1])


def test_tensor_float16_in_int32_data_is_bit_patterns() -> None:
    values = np.array([1.0, -1.0, 0.5], np.float16)
    tensor = length_field(1, packed([3])) + int_field(2, 10) + length_field(5, packed(values.view(np.uint16).tolist()))
    np.testing.assert_array_equal(tensor_to_array(tensor)[1], values)


def test_tensor_raw_data_with_wrong_wire_type_is_refused() -> None:
    tensor = length_field(1, packed([2])) + int_field(2, FLOAT) + int_field(9, 8)
    with pytest.raises(ModelFormatError):
        tensor_to_array(tensor)


# ---- nodes -----------------------------------------------------------------------------------------------------


def test_parse_node() -> None:
    float_attribute = length_field(1, b"alpha") + key(2, 5) + np.float32(0.5).tobytes() + int_field(20, 1)
    body = node_proto(
        "DequantizeLinear",
        ["x", "s", ""],
        ["y"],
        int_attribute("axis", -1),
        int_attribute("block_size", 32),
        float_attribute,
    )
    body += length_field(3, b"node name") + length_field(7, b"ai.onnx")
    field = Field(1, 2, body, length_field(1, body))
    node = parse_node(field)
    assert node.op_type == "DequantizeLinear" and node.domain == "ai.onnx"
    assert node.inputs == ("x", "s", "") and node.outputs == ("y",)
    assert dict(node.attributes) == {"axis": -1, "block_size": 32}  # integer attributes only
    assert node.raw == field.raw


def test_parse_node_defaults() -> None:
    body = length_field(4, b"Relu")
    node = parse_node(Field(1, 2, body, length_field(1, body)))
    assert (node.op_type, node.domain, node.inputs, node.outputs, dict(node.attributes)) == ("Relu", "", (), (), {})


# ---- dequantize ------------------------------------------------------------------------------------------------


def reference_dequantize(
    x: np.ndarray, scale: np.ndarray, zero: np.ndarray | None, axis: int, block_size: int
) -> np.ndarray:
    """The DequantizeLinear definition, one element at a time."""
    zero = np.zeros_like(scale) if zero is None else zero
    axis %= x.ndim
    out = np.empty(x.shape, np.float32)
    for index in np.ndindex(*x.shape):
        if scale.size == 1:
            at: tuple[int, ...] = (0,) * scale.ndim
        elif block_size:
            at = tuple(i // block_size if d == axis else i for d, i in enumerate(index))
        else:
            at = (index[axis],)
        out[index] = (float(x[index]) - float(zero[at])) * float(scale[at])  # exact in float64, rounded once
    return out


def quantized(shape: tuple[int, ...], dtype: type = np.int8, seed: int = 0) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.random.default_rng(seed).integers(info.min, info.max + 1, shape).astype(dtype)


def scales(shape: tuple[int, ...], seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(1e-3, 0.1, shape).astype(np.float32)


@pytest.mark.parametrize("scale_shape", [(), (1,)])
@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
def test_dequantize_per_tensor(scale_shape: tuple[int, ...], dtype: type) -> None:
    x = quantized((3, 4, 5), dtype)
    scale = np.full(scale_shape, 0.05, np.float32)
    zero = np.full(scale_shape, 3 if dtype == np.uint8 else -2, dtype)
    for z in (zero, None):
        out = dequantize(x, scale, z, 1, 0)
        assert out.dtype == np.float32 and out.shape == x.shape
        np.testing.assert_array_equal(out, reference_dequantize(x, scale, z, 1, 0))
    assert dequantize(x, scale, zero, 1, 0)[0, 0, 0] == np.float32((float(x[0, 0, 0]) - float(zero.ravel()[0])) * 0.05)


@pytest.mark.parametrize(("shape", "axis"), [((4, 3, 2), 0), ((4, 3, 2), 1), ((4, 3, 2), -1), ((6,), 0)])
def test_dequantize_per_axis(shape: tuple[int, ...], axis: int) -> None:
    x = quantized(shape)
    n = shape[axis]
    scale, zero = scales((n,)), quantized((n,), seed=5) // 8
    np.testing.assert_array_equal(dequantize(x, scale, zero, axis, 0), reference_dequantize(x, scale, zero, axis, 0))
    np.testing.assert_array_equal(dequantize(x, scale, None, axis, 0), reference_dequantize(x, scale, None, axis, 0))


@pytest.mark.parametrize(
    ("shape", "axis", "block_size"),
    [
        ((3, 10), 1, 4),
        ((3, 10), -1, 4),
        ((10, 3), 0, 4),
        ((2, 8, 3), 1, 4),
        ((2, 9, 3), 1, 9),
        ((5, 7), 1, 1),
        ((4, 3), 1, 64),
    ],
)
def test_dequantize_blocked(shape: tuple[int, ...], axis: int, block_size: int) -> None:
    x = quantized(shape)
    scale_shape = list(shape)
    scale_shape[axis] = -(-shape[axis] // block_size)
    scale, zero = scales(tuple(scale_shape)), quantized(tuple(scale_shape), seed=9) // 16
    out = dequantize(x, scale, zero, axis, block_size)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, reference_dequantize(x, scale, zero, axis, block_size))
    np.testing.assert_array_equal(
        dequantize(x, scale, None, axis, block_size), reference_dequantize(x, scale, None, axis, block_size)
    )


def test_dequantize_blocked_last_block_is_partial() -> None:
    x = np.arange(10, dtype=np.int8).reshape(1, 10)
    out = dequantize(x, np.array([[1.0, 10.0, 100.0]], np.float32), np.array([[0, 1, 2]], np.int8), 1, 4)
    assert out.tolist() == [[0, 1, 2, 3, 30, 40, 50, 60, 600, 700]]


@pytest.mark.parametrize("scale_shape", [(3, 2), (3, 4), (3, 10)])
def test_dequantize_blocked_scale_of_wrong_shape(scale_shape: tuple[int, ...]) -> None:
    with pytest.raises(ModelFormatError, match="blocked scale"):
        dequantize(quantized((3, 10)), scales(scale_shape), None, 1, 4)


@pytest.mark.parametrize(("scale_shape", "block_size"), [((3,), 4), ((2, 3), 4), ((1, 3), 4), ((3,), 0)])
def test_dequantize_scale_of_wrong_rank_raises_model_format_error(
    scale_shape: tuple[int, ...], block_size: int
) -> None:
    with pytest.raises(ModelFormatError):
        dequantize(quantized((4, 10)), scales(scale_shape), None, 1, block_size)


# ---- prepare on hand-built models ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_model() -> tuple[bytes, dict[str, np.ndarray]]:
    """y = a + DequantizeLinear(constant int8, per axis, default axis 1); r = Relu(DequantizeLinear(constant uint8,
    axis 0)); z = DequantizeLinear(graph input q), which is not constant.

    Also an unused graph input and an initializer that is listed as an input (old-style, like SFace's weights).
    """
    weight, scale, zero = quantized((4, 6), seed=3), scales((6,)), quantized((6,), seed=4) // 4
    v_weight, v_scale, v_zero = (
        quantized((3, 5), np.uint8, seed=5),
        scales((3,), seed=6),
        np.array([0, 128, 255], np.uint8),
    )
    graph = graph_proto(
        nodes=[
            node_proto("DequantizeLinear", ["w_q", "w_scale", "w_zero"], ["w"]),
            node_proto("Add", ["a", "w"], ["y"]),
            node_proto("DequantizeLinear", ["q", "q_scale", "q_zero"], ["z"]),
            node_proto("DequantizeLinear", ["v_q", "v_scale", "v_zero"], ["v"], int_attribute("axis", 0)),
            node_proto("Relu", ["v"], ["r"]),
        ],
        initializers=[
            raw_tensor("w_q", weight),
            raw_tensor("w_scale", scale),
            raw_tensor("w_zero", zero),
            raw_tensor("q_scale", np.array(0.5, np.float32)),
            raw_tensor("q_zero", np.array(10, np.uint8)),
            raw_tensor("v_q", v_weight),
            raw_tensor("v_scale", v_scale),
            raw_tensor("v_zero", v_zero),
        ],
        inputs=[
            value_info("a", FLOAT, [4, 6]),
            value_info("unused", FLOAT, [1]),
            value_info("w_scale", FLOAT, [6]),
            value_info("q", UINT8, ["n"]),
        ],
        outputs=[value_info("y", FLOAT, [4, 6]), value_info("z", FLOAT, ["n"]), value_info("r", FLOAT, [3, 5])],
        value_infos=[value_info("w", FLOAT, [4, 6])],
    )
    expected = {
        "w": reference_dequantize(weight, scale, zero, 1, 0),
        "v": reference_dequantize(v_weight, v_scale, v_zero, 0, 0),
    }
    return model_proto(graph), expected


def test_prepare_folds_constant_dequantize(small_model: tuple[bytes, dict[str, np.ndarray]]) -> None:
    model, expected = small_model
    prepared = prepare(model)
    assert [(n.op_type, n.inputs) for n in nodes_of(prepared)] == [
        ("Add", ("a", "w")),
        ("DequantizeLinear", ("q", "q_scale", "q_zero")),
        ("Relu", ("v",)),
    ]
    initializers = initializers_of(prepared)
    assert set(initializers) == {"w", "v", "q_scale", "q_zero"}  # the quantized weights are no longer needed
    for name in ("w", "v"):
        assert initializers[name].dtype == np.float32
        np.testing.assert_array_equal(initializers[name], expected[name])
    assert graph_values(prepared, 11) == [("a", FLOAT, [4, 6]), ("q", UINT8, ["n"])]
    assert graph_values(prepared, 12) == [("y", FLOAT, None), ("z", FLOAT, None), ("r", FLOAT, None)]
    assert not [f for f in graph_of(prepared) if f.number == 13]  # value_info dropped
    assert is_closed(prepared)


def test_prepare_keeps_everything_outside_the_graph(small_model: tuple[bytes, dict[str, np.ndarray]]) -> None:
    model, _ = small_model
    prepared = prepare(model)
    outside = lambda m: [f.raw for f in fields(m) if f.number != 7]  # noqa: E731
    assert outside(prepared) == outside(model)
    assert [f.number for f in fields(prepared)] == [f.number for f in fields(model)]
    graph_name = [f.raw for f in graph_of(prepared) if f.number == 2]
    assert graph_name == [length_field(2, b"g")]


def test_prepare_matches_onnxruntime_running_the_original(small_model: tuple[bytes, dict[str, np.ndarray]]) -> None:
    """ORT runs per-axis DequantizeLinear itself, so the folded model must give the same numbers."""
    model, _ = small_model
    rng = np.random.default_rng(11)
    feed = {"a": rng.standard_normal((4, 6)).astype(np.float32), "q": rng.integers(0, 256, 7).astype(np.uint8)}
    original = inference_session(model).run(["y", "z", "r"], {**feed, "unused": np.zeros(1, np.float32)})
    session = inference_session(prepare(model))
    assert [i.name for i in session.get_inputs()] == ["a", "q"]
    for ours, theirs in zip(session.run(["y", "z", "r"], feed), original, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_prepare_symbolic_dims_on_hand_built_model(small_model: tuple[bytes, dict[str, np.ndarray]]) -> None:
    model, _ = small_model
    prepared = prepare(model, {"a": {0: "rows"}, "q": {0: "m"}})
    assert graph_values(prepared, 11) == [("a", FLOAT, ["rows", 6]), ("q", UINT8, ["m"])]
    with pytest.raises(ModelFormatError, match="no dimension"):
        prepare(model, {"q": {5: "beyond_its_rank"}})
    with pytest.raises(ModelFormatError, match="no graph input"):
        prepare(model, {"nope": {0: "x"}})


def test_prepare_keeps_a_folded_scalar_a_scalar() -> None:
    graph = graph_proto(
        [node_proto("DequantizeLinear", ["c_q", "c_scale"], ["c"]), node_proto("Add", ["a", "c"], ["y"])],
        initializers=[raw_tensor("c_q", np.array(-4, np.int8)), raw_tensor("c_scale", np.array(0.25, np.float32))],
        inputs=[value_info("a", FLOAT, [])],
        outputs=[value_info("y", FLOAT, [])],
    )
    model = model_proto(graph)
    feed = {"a": np.array(2.0, np.float32)}
    (expected,) = inference_session(model).run(None, feed)
    assert expected.shape == () and float(expected) == 1.0
    prepared = prepare(model)
    assert initializers_of(prepared)["c"].shape == ()
    (ours,) = inference_session(prepared).run(None, feed)
    assert ours.shape == () and float(ours) == 1.0


def test_prepare_keeps_an_unshaped_input_unshaped() -> None:
    model = model_proto(
        graph_proto(
            [node_proto("Identity", ["x"], ["y"])],
            inputs=[value_info("x", FLOAT, None)],
            outputs=[value_info("y", FLOAT, None)],
        )
    )
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(inference_session(model).run(None, {"x": x})[0], x)  # the original takes any shape
    prepared = prepare(model)
    assert graph_values(prepared, 11) == [("x", FLOAT, None)]
    np.testing.assert_array_equal(inference_session(prepared).run(None, {"x": x})[0], x)


def test_prepare_keeps_initializers_used_only_in_a_subgraph() -> None:
    then_branch = graph_proto([node_proto("Identity", ["c"], ["t"])], outputs=[value_info("t", FLOAT, [2])])
    else_branch = graph_proto([node_proto("Neg", ["c"], ["e"])], outputs=[value_info("e", FLOAT, [2])])
    graph = graph_proto(
        [
            node_proto(
                "If",
                ["cond"],
                ["y"],
                graph_attribute("then_branch", then_branch),
                graph_attribute("else_branch", else_branch),
            )
        ],
        initializers=[raw_tensor("c", np.array([1.0, 2.0], np.float32))],
        inputs=[value_info("cond", BOOL, [])],
        outputs=[value_info("y", FLOAT, [2])],
    )
    model = model_proto(graph)
    assert inference_session(model).run(None, {"cond": np.array(False)})[0].tolist() == [-1.0, -2.0]
    prepared = prepare(model)
    assert "c" in initializers_of(prepared)
    assert inference_session(prepared).run(None, {"cond": np.array(False)})[0].tolist() == [-1.0, -2.0]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(varint_field(1, 10), id="only-ir-version"),
        pytest.param(
            varint_field(1, 10) + bytes_field(2, b"producer") + bytes_field(8, varint_field(2, 21)), id="no-graph"
        ),
        pytest.param(bytes_field(7, b"") + bytes_field(7, b""), id="two-graphs"),
        pytest.param(b"\x0a\x05ab", id="not-protobuf"),
        pytest.param(bytes_field(7, b"\x0a\x05ab"), id="graph-not-protobuf"),
        pytest.param(
            bytes_field(7, bytes_field(5, b"\x08\x02" + b"\x10\x01" + b"\x4a\x04abcd")), id="initializer-of-wrong-size"
        ),
    ],
)
def test_prepare_rejects_non_models(data: bytes) -> None:
    with pytest.raises(ModelFormatError):
        prepare(data)


def test_prepare_rejects_random_protobuf_without_a_graph() -> None:
    rng = np.random.default_rng(21)
    for _ in range(50):
        message = b""
        for _ in range(rng.integers(1, 8)):
            number = int(rng.choice([1, 2, 3, 4, 5, 6, 8, 9, 14, 20]))
            if rng.random() < 0.5:
                message += varint_field(number, int(rng.integers(-(2**62), 2**62)))
            else:
                payload = rng.integers(0, 256, int(rng.integers(0, 40))).astype(np.uint8).tobytes()
                message += bytes_field(number, payload)
        assert all(f.number != 7 for f in fields(message))
        with pytest.raises(ModelFormatError, match="graph"):
            prepare(message)


# ---- prepare on the shipped models -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def yunet_original() -> bytes:
    return bundled_model("yunet").read_bytes()


@pytest.fixture(scope="module")
def sface_original() -> bytes:
    return bundled_model("sface").read_bytes()


@pytest.fixture(scope="module")
def yunet(yunet_original: bytes) -> bytes:
    return prepare(yunet_original, YUNET_DIMS)


@pytest.fixture(scope="module")
def sface(sface_original: bytes) -> bytes:
    return prepare(sface_original, SFACE_DIMS)


@pytest.fixture(scope="module")
def yunet_session(yunet: bytes):
    return inference_session(yunet)


@pytest.fixture(scope="module")
def sface_session(sface: bytes):
    return inference_session(sface)


@pytest.mark.parametrize("name", ["yunet", "sface"])
def test_shipped_models_are_block_quantized(name: str, request: pytest.FixtureRequest) -> None:
    """The premise of prepare: the files as shipped carry blocked DequantizeLinear nodes on constant weights."""
    original = request.getfixturevalue(f"{name}_original")
    dq = [n for n in nodes_of(original) if n.op_type == "DequantizeLinear"]
    assert len(dq) >= 20
    assert all(n.attributes.get("block_size", 0) > 0 for n in dq)
    initializers = initializers_of(original)
    assert all(n.inputs[0] in initializers and initializers[n.inputs[0]].dtype == np.int8 for n in dq)


@pytest.mark.parametrize("name", ["yunet", "sface"])
def test_prepared_shipped_models_have_no_dequantize_left(name: str, request: pytest.FixtureRequest) -> None:
    original, prepared = request.getfixturevalue(f"{name}_original"), request.getfixturevalue(name)
    before, after = nodes_of(original), nodes_of(prepared)
    dq = [n for n in before if n.op_type == "DequantizeLinear"]
    assert not [n for n in after if n.op_type == "DequantizeLinear"]
    folded_reshapes = {
        n.outputs[0] for n in before if n.op_type == "Reshape" and n.inputs[0] in {d.outputs[0] for d in dq}
    }
    kept = [n.raw for n in before if n.op_type != "DequantizeLinear" and n.outputs[0] not in folded_reshapes]
    assert [n.raw for n in after] == kept  # only DequantizeLinear and the Reshape of its outputs are folded
    initializers, original_initializers = initializers_of(prepared), initializers_of(original)
    reshaped_from = {n.inputs[0]: n.outputs[0] for n in before if n.outputs[0] in folded_reshapes}
    for node in dq:  # each folded weight is a float32 initializer (reshaped where the graph reshaped it)
        source = original_initializers[node.inputs[0]]
        folded = initializers[reshaped_from.get(node.outputs[0], node.outputs[0])]
        assert folded.dtype == np.float32 and folded.size == source.size
        assert node.inputs[0] not in initializers
    node = dq[0]
    np.testing.assert_array_equal(
        initializers[reshaped_from.get(node.outputs[0], node.outputs[0])].reshape(
            original_initializers[node.inputs[0]].shape
        ),
        reference_dequantize(
            *(original_initializers[i] for i in node.inputs[:3]),
            node.attributes.get("axis", 1),
            node.attributes["block_size"],
        ),
    )
    assert all(v.dtype != np.int8 for v in initializers.values())
    assert not [f for f in graph_of(prepared) if f.number == 13]
    assert is_closed(prepared)


def test_prepared_yunet_inputs_and_outputs(yunet_original: bytes, yunet: bytes) -> None:
    assert graph_values(yunet_original, 11) == [("input", FLOAT, [1, 3, 640, 640])]
    assert graph_values(yunet, 11) == [("input", FLOAT, [1, 3, "height", "width"])]
    assert graph_values(yunet, 12) == [(name, FLOAT, None) for name in YUNET_OUTPUTS]
    assert graph_values(prepare(yunet_original), 11) == [("input", FLOAT, [1, 3, 640, 640])]


def test_prepared_sface_inputs_and_outputs(sface_original: bytes, sface: bytes) -> None:
    assert len(graph_values(sface_original, 11)) > 100  # the old float weights are listed as inputs
    assert graph_values(sface, 11) == [("data", FLOAT, ["batch", 3, 112, 112])]
    assert graph_values(sface, 12) == [("fc1", FLOAT, None)]


@pytest.mark.parametrize("shape", [(1, 3, 96, 128), (1, 3, 64, 64), (1, 3, 32, 160)])
def test_yunet_runs_on_any_frame_size(yunet_session, shape: tuple[int, ...]) -> None:
    assert [o.name for o in yunet_session.get_outputs()] == YUNET_OUTPUTS
    outputs = dict(zip(YUNET_OUTPUTS, yunet_session.run(None, {"input": np.zeros(shape, np.float32)}), strict=True))
    height, width = shape[2:]
    for stride in (8, 16, 32):
        cells = (height // stride) * (width // stride)
        for kind, depth in (("cls", 1), ("obj", 1), ("bbox", 4), ("kps", 10)):
            assert outputs[f"{kind}_{stride}"].shape == (1, cells, depth)
            assert np.isfinite(outputs[f"{kind}_{stride}"]).all()


def test_yunet_batch_stays_fixed(yunet_session) -> None:
    """Only the dimensions named in symbolic_dims change: the batch of one is still enforced."""
    with pytest.raises(Exception, match="(?i)dimension|shape"):  # ONNX Runtime's own error types
        yunet_session.run(None, {"input": np.zeros((2, 3, 32, 32), np.float32)})


def test_yunet_matches_opencv_on_the_shipped_file(yunet_session) -> None:
    x = np.random.default_rng(5).uniform(0, 255, (1, 3, 96, 128)).astype(np.float32)
    net = cv2.dnn.readNetFromONNX(str(bundled_model("yunet")))
    net.setInput(x)
    expected = net.forward(YUNET_OUTPUTS)
    for ours, theirs in zip(yunet_session.run(YUNET_OUTPUTS, {"input": x}), expected, strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-4, rtol=1e-4)


def test_sface_runs_a_batch(sface_session) -> None:
    faces = np.random.default_rng(6).uniform(-1, 1, (3, 3, 112, 112)).astype(np.float32)
    (batch,) = sface_session.run(None, {"data": faces})
    assert batch.shape == (3, 128) and batch.dtype == np.float32
    singles = np.concatenate([sface_session.run(None, {"data": face[None]})[0] for face in faces])
    np.testing.assert_allclose(batch, singles, atol=1e-5)
    assert not np.allclose(batch[0], batch[1])  # different faces, different embeddings


def test_sface_matches_opencv_on_the_shipped_file(sface_session) -> None:
    x = np.random.default_rng(7).uniform(-1, 1, (1, 3, 112, 112)).astype(np.float32)
    net = cv2.dnn.readNetFromONNX(str(bundled_model("sface")))
    net.setInput(x)
    expected = net.forward()
    np.testing.assert_allclose(sface_session.run(None, {"data": x})[0], expected, atol=1e-4)


def test_sface_with_prelu_as_batchnorm_runs_in_nchwc_and_matches_opencv(sface_original: bytes) -> None:
    rewritten = prepare(sface_original, SFACE_DIMS, prelu_to_batchnorm=True)
    ops = [n.op_type for n in nodes_of(rewritten)]
    assert "PRelu" not in ops and ops.count("BatchNormalization") >= 2 * 27
    x = np.random.default_rng(11).uniform(-1, 1, (2, 3, 112, 112)).astype(np.float32)
    net = cv2.dnn.readNetFromONNX(str(bundled_model("sface")))
    expected = []
    for one in x:
        net.setInput(one[None])
        expected.append(net.forward()[0])
    np.testing.assert_allclose(inference_session(rewritten).run(None, {"data": x})[0], expected, atol=1e-4)
    assert is_closed(rewritten)


@pytest.mark.parametrize("slope_shape", [(3, 1, 1), (1, 3, 1, 1)])
def test_prelu_as_batchnorm_equals_prelu_for_per_channel_slopes(slope_shape: tuple[int, ...]) -> None:
    slope = np.array([-0.8, 0.25, 1.12], np.float32).reshape(slope_shape)  # negative and > 1 slopes too
    graph = graph_proto(
        [node_proto("PRelu", ["x", "slope"], ["y"])],
        initializers=[raw_tensor("slope", slope)],
        inputs=[value_info("x", FLOAT, [1, 3, 4, 5])],
        outputs=[value_info("y", FLOAT, [1, 3, 4, 5])],
    )
    model = model_proto(graph)
    rewritten = prepare(model, prelu_to_batchnorm=True)
    assert [n.op_type for n in nodes_of(rewritten)] == [
        "Relu",
        "BatchNormalization",
        "Relu",
        "BatchNormalization",
        "Add",
    ]
    x = {"x": np.random.default_rng(3).normal(0, 2, (1, 3, 4, 5)).astype(np.float32)}
    (expected,) = inference_session(model).run(None, x)
    np.testing.assert_allclose(inference_session(rewritten).run(None, x)[0], expected, atol=1e-6)
    assert [n.op_type for n in nodes_of(prepare(model))] == ["PRelu"]  # only on request


@pytest.mark.parametrize(
    "slope", [np.float32(0.25), np.full((5,), 0.25, np.float32), np.full((3, 4, 5), 0.1, np.float32)]
)
def test_prelu_with_other_slopes_is_left_alone(slope: np.ndarray) -> None:
    graph = graph_proto(
        [node_proto("PRelu", ["x", "slope"], ["y"])],
        initializers=[raw_tensor("slope", np.asarray(slope))],
        inputs=[value_info("x", FLOAT, [1, 3, 4, 5])],
        outputs=[value_info("y", FLOAT, [1, 3, 4, 5])],
    )
    assert [n.op_type for n in nodes_of(prepare(model_proto(graph), prelu_to_batchnorm=True))] == ["PRelu"]


def test_reshape_of_a_constant_float_is_folded_and_other_reshapes_kept() -> None:
    graph = graph_proto(
        [
            node_proto("Reshape", ["w", "shape"], ["w2"]),
            node_proto("Add", ["x", "w2"], ["y"]),
            node_proto("Reshape", ["x", "flat"], ["z"]),
        ],
        initializers=[
            raw_tensor("w", np.arange(6, dtype=np.float32)),
            raw_tensor("shape", np.array([2, -1], np.int64)),
            raw_tensor("flat", np.array([-1], np.int64)),
        ],
        inputs=[value_info("x", FLOAT, [2, 3])],
        outputs=[value_info("y", FLOAT, None), value_info("z", FLOAT, None)],
    )
    model = model_proto(graph)
    prepared = prepare(model)
    assert [n.op_type for n in nodes_of(prepared)] == ["Add", "Reshape"]
    assert initializers_of(prepared)["w2"].shape == (2, 3)
    x = {"x": np.ones((2, 3), np.float32)}
    for got, want in zip(inference_session(prepared).run(None, x), inference_session(model).run(None, x), strict=True):
        np.testing.assert_array_equal(got, want)


def test_reshape_follows_onnx_semantics() -> None:
    data = np.zeros((2, 3, 4), np.float32)
    assert reshape(data, np.array([0, -1])).shape == (2, 12)  # 0 copies the input's dimension
    assert reshape(np.zeros((0, 3), np.float32), np.array([0, 3]), allowzero=1).shape == (0, 3)
    with pytest.raises(ModelFormatError, match="reshape"):
        reshape(data, np.array([5, -1]))


def test_prepare_is_deterministic_and_idempotent(yunet_original: bytes, yunet: bytes) -> None:
    assert prepare(yunet_original, YUNET_DIMS) == yunet
    assert prepare(yunet) == yunet  # symbolic dims survive, and there is nothing left to fold


def test_prepare_sface_is_deterministic(sface_original: bytes, sface: bytes) -> None:
    assert prepare(sface_original, SFACE_DIMS) == sface


def test_prepare_rejects_a_truncated_model(yunet_original: bytes) -> None:
    for size in (1, 10, len(yunet_original) // 2, len(yunet_original) - 1):
        with pytest.raises(ModelFormatError):
            prepare(yunet_original[:size])


def test_prepare_on_mutated_models_raises_only_value_errors(yunet_original: bytes) -> None:
    """Random byte flips either still parse or raise a ValueError; never IndexError, KeyError, MemoryError..."""
    rng = np.random.default_rng(8)
    for _ in range(100):
        data = bytearray(yunet_original)
        for _ in range(rng.integers(1, 5)):
            data[rng.integers(len(data))] = rng.integers(256)
        with contextlib.suppress(ValueError):
            prepare(bytes(data))


@pytest.mark.parametrize(
    "graph",
    [
        pytest.param(
            length_field(5, length_field(8, b"\xff\xfe") + int_field(2, FLOAT) + length_field(9, b"\0" * 4)),
            id="tensor-name-not-utf8",
        ),
        pytest.param(
            length_field(1, length_field(4, b"Relu") + length_field(5, int_field(3, 1))), id="attribute-without-name"
        ),
        pytest.param(
            length_field(1, length_field(4, b"DequantizeLinear") + length_field(1, b"x") + length_field(2, b"y"))
            + length_field(5, raw_tensor("x", np.zeros(2, np.int8))),
            id="dequantize-without-scale",
        ),
    ],
)
def test_prepare_reports_malformed_graphs_as_model_format_error(graph: bytes) -> None:
    with pytest.raises(ModelFormatError):
        prepare(model_proto(graph))


def test_prepare_rejects_unknown_symbolic_input(yunet_original: bytes) -> None:
    with pytest.raises(ModelFormatError, match="no graph input"):
        prepare(yunet_original, {"image": {2: "height"}})
    with pytest.raises(ModelFormatError, match="no graph input"):
        prepare(yunet_original, {"input": {2: "height"}, "data": {0: "batch"}})


# ---- silero: nothing to fold -----------------------------------------------------------------------------------


def silero_feed() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(9)
    return {
        "input": rng.uniform(-0.5, 0.5, (1, 576)).astype(np.float32),
        "state": np.zeros((2, 1, 128), np.float32),
        "sr": np.array([16000], np.int64),
    }


def test_silero_has_nothing_to_fold() -> None:
    model = bundled_model("silero_vad").read_bytes()
    assert not [n for n in nodes_of(model) if n.op_type == "DequantizeLinear"]
    assert prepare(model) == prepare(model)
    original = inference_session(model).run(None, silero_feed())
    assert original[0].shape == (1, 1) and original[1].shape == (2, 1, 128)


def test_silero_still_runs_after_prepare() -> None:
    model = bundled_model("silero_vad").read_bytes()
    prepared = prepare(model)
    assert [name for name, _, _ in graph_values(prepared, 11)] == ["input", "state", "sr"]
    expected = inference_session(model).run(None, silero_feed())
    for ours, theirs in zip(inference_session(prepared).run(None, silero_feed()), expected, strict=True):
        np.testing.assert_array_equal(ours, theirs)


# ---- inference_session -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("threads", [0, -1])
def test_inference_session_rejects_no_threads(small_model: tuple[bytes, dict[str, np.ndarray]], threads: int) -> None:
    with pytest.raises(ValueError, match="threads"):
        inference_session(prepare(small_model[0]), threads)


def test_inference_session_options(small_model: tuple[bytes, dict[str, np.ndarray]]) -> None:
    session = inference_session(prepare(small_model[0]), threads=2)
    options = session.get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (2, 1)
    assert session.get_providers() == ["CPUExecutionProvider"]


def test_inference_session_rejects_garbage() -> None:
    with pytest.raises(Exception):  # noqa: B017 - ONNX Runtime's own error types
        inference_session(b"not a model")
