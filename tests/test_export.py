"""Fixed int8 activation scales (models/export.fix_scales) on a small dynamic-int8 graph."""

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from news_assistant.models.export import calibration_inputs, fix_scales


@pytest.fixture(scope="module")
def dynamic(tmp_path_factory) -> tuple[onnx.ModelProto, np.ndarray, np.ndarray]:
    """x (rows, 16) @ w + b, quantized as the reader is (dynamic int8, per-channel weights)."""
    rng = np.random.default_rng(0)
    weights, bias = rng.normal(size=(16, 8)).astype(np.float32), rng.normal(size=8).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])], "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["rows", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["rows", 8])],
        [numpy_helper.from_array(weights, "w"), numpy_helper.from_array(bias, "b")])
    folder = tmp_path_factory.mktemp("export")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(folder / "fp32.onnx"))
    quantize_dynamic(str(folder / "fp32.onnx"), str(folder / "int8.onnx"), weight_type=QuantType.QInt8,
                     per_channel=True, op_types_to_quantize=["MatMul"])
    return onnx.load(str(folder / "int8.onnx")), weights, bias


def run(model: onnx.ModelProto, rows: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": rows.astype(np.float32)})[0]


def test_with_fixed_scales_a_row_reads_the_same_beside_any_other(dynamic):
    model, weights, bias = dynamic
    assert calibration_inputs(model) == ["x"]
    fixed = onnx.ModelProto.FromString(model.SerializeToString())
    fix_scales(fixed, {"x": (-2.0, 2.0)})
    assert {node.op_type for node in fixed.graph.node} == {"QuantizeLinear", "MatMulIntegerToFloat"}
    row = np.linspace(-1.5, 1.5, 16)[None, :]
    loud = np.full((1, 16), 40.0)  # a neighbour far outside the row's range
    alone, beside = run(fixed, row), run(fixed, np.vstack([row, loud]))[:1]
    assert np.array_equal(alone, beside)
    np.testing.assert_allclose(alone, row @ weights + bias, atol=0.1)
    dynamic_alone, dynamic_beside = run(model, row), run(model, np.vstack([row, loud]))[:1]
    assert np.abs(dynamic_alone - dynamic_beside).max() > 0.1  # what the fixed scales are for


def test_an_activation_without_a_calibrated_range_is_a_clear_error(dynamic):
    model, _, _ = dynamic
    with pytest.raises(RuntimeError, match="no calibrated range for 1 activations"):
        fix_scales(onnx.ModelProto.FromString(model.SerializeToString()), {"other": (-1.0, 1.0)})
