"""Calibrate the reader's int8 activation scales and write them beside its delta.

The reader is exported with fixed activation scales (news_assistant/models/export.py) so that a
passage reads the same alone or batched with others. The scales come from the range each quantized
activation takes when the dynamic export reads real pairs: the hybrid top passages of questions
sampled from the decision's `fit` sets (bench/answer_sets.py), each pair read alone; the range
holds 99 % of the pairs' own extremes (`activation_ranges`). Tuning and reporting sets are never
read here.

    python bench/calibrate_reader.py                  # the shipped delta (news_assistant/models/reader_delta)
    python bench/calibrate_reader.py --delta DIR      # a delta from train_reader.py --out DIR
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np
from answer_sets import all_sets
from common import default_encoder

from news_assistant.models.export import calibration_inputs
from news_assistant.models.reader import RANGES, ReaderSettings, encode, merge_and_export, shipped_delta
from news_assistant.models.tokenizer import shared_tokenizer

SEED = 7
QUESTIONS_PER_SET = 50
CLIPPED = 0.99  # a range holds this share of the pairs' highs (and of their lows)


class _Recorder:
    """Stands in for the reader in `eval_reader.read_set`: keeps what it is asked to read."""

    def __init__(self):
        self.pairs: list[tuple[str, list[str]]] = []

    def read(self, question: str, passages: list[str]) -> list:
        self.pairs.append((question, list(passages)))
        return []


def calibration_pairs(per_set: int = QUESTIONS_PER_SET) -> list[tuple[str, list[str]]]:
    """(question, its top passages) for `per_set` questions drawn from each `fit` set."""
    from eval_reader import read_set, retriever_for

    encoder, opened, recorder = default_encoder(), {}, _Recorder()
    rng = random.Random(SEED)
    for question_set in all_sets():
        if question_set.role == "fit":
            sample = rng.sample(question_set.questions, min(per_set, len(question_set.questions)))
            read_set(dataclasses.replace(question_set, questions=sample),
                     retriever_for(question_set.corpus, encoder, opened), recorder)
    return [pair for pair in recorder.pairs if pair[1]]


def activation_ranges(model: Path, pairs: list[tuple[str, list[str]]]) -> dict[str, list[float]]:
    """{activation: [low, high]} for the dynamic export `model`: each pair of `pairs` is read
    alone, and the range spans the CLIPPED share of the pairs' own lowest and highest values (the
    rare extreme pair no longer coarsens every other's scale; chosen on the tuning sets, see
    docs/experiments.md)."""
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper

    graph = onnx.load(str(model), load_external_data=False)
    names = calibration_inputs(graph)
    graph.graph.output.extend(helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in names)
    probe = model.with_name("probe.onnx")  # beside the model, where its external embeddings are
    onnx.save(graph, str(probe))
    session = onnxruntime.InferenceSession(str(probe), providers=["CPUExecutionProvider"])
    tokenizer = shared_tokenizer(model.parent)
    lows, highs = [], []
    for question, passages in pairs:
        encoded = encode(tokenizer, question, passages, ReaderSettings())
        for pair, length in enumerate(encoded.attention_mask.sum(axis=1)):
            values = session.run(names, {"input_ids": encoded.input_ids[pair : pair + 1, :length],
                                         "attention_mask": encoded.attention_mask[pair : pair + 1, :length]})
            lows.append([value.min() for value in values])
            highs.append([value.max() for value in values])
    low, high = np.quantile(lows, 1 - CLIPPED, axis=0), np.quantile(highs, CLIPPED, axis=0)
    return {name: [float(a), float(b)] for name, a, b in zip(names, low, high)}


def calibrate(delta: Path, per_set: int = QUESTIONS_PER_SET) -> Path:
    """Write `delta`/RANGES for the delta's dynamic export, read over the calibration pairs."""
    started = time.time()
    pairs = calibration_pairs(per_set)
    base = Path(default_encoder().spec.location)
    with tempfile.TemporaryDirectory(prefix="calibrate-") as scratch:
        merge_and_export(base, Path(scratch), delta, calibrated=False)
        ranges = activation_ranges(Path(scratch) / "model.onnx", pairs)
    target = delta / RANGES
    lines = [f"  {json.dumps(name)}: {json.dumps(bounds)}" for name, bounds in ranges.items()]
    target.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    reads = sum(len(passages) for _, passages in pairs)
    print(f"calibrated {len(ranges)} activations on {reads} pairs ({len(pairs)} questions) in "
          f"{time.time() - started:.0f} s: {target}")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delta", type=Path, help="a trained delta (default: the shipped one)")
    parser.add_argument("--per-set", type=int, default=QUESTIONS_PER_SET, help="questions drawn from each fit set")
    args = parser.parse_args()
    calibrate(args.delta or shipped_delta(), args.per_set)


if __name__ == "__main__":
    main()
