"""A torch model to an int8 ONNX file whose word embeddings stay outside the graph, memory-mapped.

XLM-R's vocabulary makes the word embeddings 96 M of e5-small's 118 M parameters. Tracing,
serialising and quantizing them is what made preparation peak at 3–4 GB, and as int8 inside each
session they cost ~100 MB of every process that loads the encoder or the reader. So the table is
written once, raw fp32, beside the model as its external data, and the graph is traced and
quantized with a two-row stand-in that is then pointed at that file: ONNX Runtime memory-maps
external data, so a session touches only the rows it reads, and the embeddings keep full
precision. Only the 22 M other weights (every MatMul) are quantized to int8, per channel.

Dynamic int8 scales each activation by its range in the call, so in a padded batch one row's
result depends on the others. Given `activation_ranges` (calibrated once, `calibration_inputs`),
each activation is instead quantized with a fixed scale (`fix_scales`): a row reads the same
alone or in any batch, at the speed of the dynamic kernels.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from news_assistant.models.provision import quiet_logger

EMBEDDINGS = "word_embeddings.bin"  # raw little-endian fp32, (vocabulary, hidden), beside the .onnx
_MARK = 1234.5  # the stand-in's every value, to find it in the exported graph


def _stand_in(embedding, rows: int = 2):
    """Replace `embedding`'s table with a marked stand-in of a few rows, returning the table."""
    import torch

    table = embedding.weight.detach()
    embedding.weight = torch.nn.Parameter(torch.full((rows, table.shape[1]), _MARK), requires_grad=False)
    return table


def _point_at_file(model, vocabulary: int, hidden: int) -> None:
    """The stand-in initializer becomes a reference to EMBEDDINGS."""
    from onnx import TensorProto, numpy_helper

    found = [tensor for tensor in model.graph.initializer if len(tensor.dims) == 2 and tensor.dims[1] == hidden
             and tensor.data_type == TensorProto.FLOAT and (numpy_helper.to_array(tensor) == _MARK).all()]
    if len(found) != 1:
        raise RuntimeError(f"expected the word-embedding stand-in once in the exported graph, found it {len(found)} times")
    tensor = found[0]
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.dims[:] = [vocabulary, hidden]
    tensor.data_location = TensorProto.EXTERNAL
    del tensor.external_data[:]
    for key, value in (("location", EMBEDDINGS), ("offset", "0"), ("length", str(vocabulary * hidden * 4))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value


def export_int8(model, embedding, example: dict, outputs: list[str], target: Path, weight_type: str = "QInt8",
                activation_ranges: Mapping[str, tuple[float, float]] | None = None) -> None:
    """Trace `model` (a torch module taking `example`'s tensors by name, in order) into `target`,
    int8 with its word `embedding` (an `nn.Embedding` inside it) in `target.parent / EMBEDDINGS`;
    with fixed activation scales when given `activation_ranges` (`fix_scales`).
    `model` is left with a stand-in table: export is the last thing done with it."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    table = _stand_in(embedding)
    vocabulary, hidden = table.shape
    with (target.parent / EMBEDDINGS).open("wb") as file:
        np.ascontiguousarray(table.numpy(), dtype="<f4").tofile(file)
    del table
    gc.collect()
    fp32 = target.with_name(target.stem + "-fp32.onnx")
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings; the export is checked against torch in the tests
        torch.onnx.export(model, tuple(example.values()), str(fp32), input_names=list(example), output_names=outputs,
                          opset_version=17, dynamo=False, dynamic_axes={name: axes for name in [*example, *outputs]})
    with quiet_logger(None):  # the quantizer's advice to pre-process first, on the root logger
        quantize_dynamic(str(fp32), str(target), weight_type=getattr(QuantType, weight_type), per_channel=True,
                         op_types_to_quantize=["MatMul"])
    fp32.unlink()
    quantized = onnx.load(str(target))
    if activation_ranges is not None:
        fix_scales(quantized, activation_ranges)
    _point_at_file(quantized, vocabulary, hidden)
    onnx.save(quantized, str(target))


def calibration_inputs(model) -> list[str]:
    """The activations a dynamic int8 graph quantizes per call: the ranges `fix_scales` needs."""
    return [node.input[0] for node in model.graph.node if node.op_type == "DynamicQuantizeLinear"]


def _uint8_scale(low: float, high: float) -> tuple[float, int]:
    """Scale and zero point of uint8 over [low, high] widened to hold 0, as DynamicQuantizeLinear picks them."""
    low, high = min(low, 0.0), max(high, 0.0)
    scale = (high - low) / 255 or 1.0
    return scale, int(np.clip(round(-low / scale), 0, 255))


def fix_scales(model, ranges: Mapping[str, tuple[float, float]]) -> None:
    """Each DynamicQuantizeLinear becomes a QuantizeLinear with the scale of its activation's
    calibrated range, and each MatMulInteger → Cast → Mul (→ Add bias) one MatMulIntegerToFloat,
    the kernel ONNX Runtime fuses the dynamic graph into (left unfused, the static graph is 12 %
    slower)."""
    from onnx import helper, numpy_helper

    missing = [name for name in calibration_inputs(model) if name not in ranges]
    if missing:
        raise RuntimeError(f"no calibrated range for {len(missing)} activations of the export (first: {missing[0]}); "
                           "calibrate again for this export")
    nodes = []
    for node in model.graph.node:
        if node.op_type == "DynamicQuantizeLinear":
            scale, zero = _uint8_scale(*ranges[node.input[0]])
            model.graph.initializer.extend([numpy_helper.from_array(np.array(scale, np.float32), node.output[1]),
                                            numpy_helper.from_array(np.array(zero, np.uint8), node.output[2])])
            node = helper.make_node("QuantizeLinear", [node.input[0], *node.output[1:]], node.output[:1], name=node.name)
        nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(_to_float(nodes, {tensor.name for tensor in model.graph.initializer}))
    if not any(opset.domain == "com.microsoft" for opset in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))


def _to_float(nodes: list, constants: set[str]) -> list:
    """`nodes` with every MatMulInteger → Cast → Mul(a_scale × b_scale) [→ Add(bias)] chain as one
    com.microsoft MatMulIntegerToFloat."""
    from onnx import helper

    readers: dict[str, list] = {}
    for node in nodes:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    maker = {name: node for node in nodes for name in node.output}
    replaced, gone = {}, set()
    for node in nodes:
        if node.op_type != "MatMulInteger":
            continue
        (cast,) = readers[node.output[0]]
        (scaling,) = readers[cast.output[0]]
        product = maker[next(name for name in scaling.input if name != cast.output[0])]  # a_scale × b_scale
        a_scale, b_scale = product.input
        last, bias = scaling, ""
        after = readers.get(scaling.output[0], [])
        if len(after) == 1 and after[0].op_type == "Add" and any(name in constants for name in after[0].input):
            last, bias = after[0], next(name for name in after[0].input if name in constants)
        replaced[id(node)] = helper.make_node(
            "MatMulIntegerToFloat", [node.input[0], node.input[1], a_scale, b_scale, node.input[2], node.input[3], bias],
            last.output[:1], name=f"{node.name}_to_float", domain="com.microsoft")
        gone |= {id(cast), id(scaling), id(last)} | ({id(product)} if [id(r) for r in readers[product.output[0]]] == [id(scaling)] else set())
    return [replaced.get(id(node), node) for node in nodes if id(node) not in gone]
