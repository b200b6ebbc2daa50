"""A torch model to an int8 ONNX file whose word embeddings stay outside the graph, memory-mapped.

XLM-R's vocabulary makes the word embeddings 96 M of e5-small's 118 M parameters. Tracing,
serialising and quantizing them is what made preparation peak at 3–4 GB, and as int8 inside each
session they cost ~100 MB of every process that loads the encoder or the reader. So the table is
written once, raw fp32, beside the model as its external data, and the graph is traced and
quantized with a two-row stand-in that is then pointed at that file: ONNX Runtime memory-maps
external data, so a session touches only the rows it reads, and the embeddings keep full
precision. Only the 22 M other weights (every MatMul) are quantized to int8, per channel.
"""

from __future__ import annotations

import gc
import warnings
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


def export_int8(model, embedding, example: dict, outputs: list[str], target: Path, weight_type: str = "QInt8") -> None:
    """Trace `model` (a torch module taking `example`'s tensors by name, in order) into `target`,
    int8 with its word `embedding` (an `nn.Embedding` inside it) in `target.parent / EMBEDDINGS`.
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
    _point_at_file(quantized, vocabulary, hidden)
    onnx.save(quantized, str(target))
